//! JSON documents of the store's metadata (a run's timings, quarantine reasons and gates, a
//! grant's fields and protections): `jsonb` on PostgreSQL, text on SQLite. Rows give them to the
//! rest of the hub as text; on PostgreSQL that is `jsonb`'s own spelling (keys sorted, `": "`).

use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::postgres::{PgArgumentBuffer, PgTypeInfo, PgValueFormat, PgValueRef, Postgres};
use sqlx::sqlite::{Sqlite, SqliteArgumentValue, SqliteTypeInfo, SqliteValueRef};
use sqlx::{Decode, Encode, Type, TypeInfo, ValueRef};

/// A JSON document to bind (already serialized).
#[derive(Debug, Clone, Copy)]
pub struct Doc<'a>(pub &'a str);

/// A JSON document read from a row, as text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocText(pub String);

/// An optional JSON document read from a row (NULL: `None`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OptDoc(pub Option<String>);

impl From<DocText> for String {
    fn from(d: DocText) -> String {
        d.0
    }
}

impl From<OptDoc> for Option<String> {
    fn from(d: OptDoc) -> Option<String> {
        d.0
    }
}

/// `d` as a bindable document.
pub(crate) fn doc(d: &Option<String>) -> Option<Doc<'_>> {
    d.as_deref().map(Doc)
}

impl Type<Sqlite> for Doc<'_> {
    fn type_info() -> SqliteTypeInfo {
        <str as Type<Sqlite>>::type_info()
    }
}

impl<'q> Encode<'q, Sqlite> for Doc<'_> {
    fn encode_by_ref(&self, buf: &mut Vec<SqliteArgumentValue<'q>>) -> Result<IsNull, BoxDynError> {
        Encode::<Sqlite>::encode(self.0.to_string(), buf)
    }
}

impl Type<Postgres> for Doc<'_> {
    fn type_info() -> PgTypeInfo {
        <serde_json::Value as Type<Postgres>>::type_info()
    }
}

impl Encode<'_, Postgres> for Doc<'_> {
    fn encode_by_ref(&self, buf: &mut PgArgumentBuffer) -> Result<IsNull, BoxDynError> {
        // jsonb's binary format: a version byte, then the text.
        buf.push(1);
        buf.extend_from_slice(self.0.as_bytes());
        Ok(IsNull::No)
    }
}

impl Type<Sqlite> for DocText {
    fn type_info() -> SqliteTypeInfo {
        <str as Type<Sqlite>>::type_info()
    }
    fn compatible(ty: &SqliteTypeInfo) -> bool {
        <&str as Type<Sqlite>>::compatible(ty)
    }
}

impl<'r> Decode<'r, Sqlite> for DocText {
    fn decode(value: SqliteValueRef<'r>) -> Result<DocText, BoxDynError> {
        Ok(DocText(<String as Decode<Sqlite>>::decode(value)?))
    }
}

impl Type<Postgres> for DocText {
    fn type_info() -> PgTypeInfo {
        <serde_json::Value as Type<Postgres>>::type_info()
    }
    fn compatible(ty: &PgTypeInfo) -> bool {
        <serde_json::Value as Type<Postgres>>::compatible(ty) || <String as Type<Postgres>>::compatible(ty)
    }
}

impl<'r> Decode<'r, Postgres> for DocText {
    fn decode(value: PgValueRef<'r>) -> Result<DocText, BoxDynError> {
        let binary_jsonb = value.format() == PgValueFormat::Binary && value.type_info().name() == "JSONB";
        let mut bytes = value.as_bytes()?;
        if binary_jsonb {
            match bytes.split_first() {
                Some((1, rest)) => bytes = rest,
                _ => return Err("a jsonb value of an unknown format version".into()),
            }
        }
        Ok(DocText(std::str::from_utf8(bytes)?.to_string()))
    }
}

impl Type<Sqlite> for OptDoc {
    fn type_info() -> SqliteTypeInfo {
        <DocText as Type<Sqlite>>::type_info()
    }
    fn compatible(ty: &SqliteTypeInfo) -> bool {
        <DocText as Type<Sqlite>>::compatible(ty)
    }
}

impl<'r> Decode<'r, Sqlite> for OptDoc {
    fn decode(value: SqliteValueRef<'r>) -> Result<OptDoc, BoxDynError> {
        match value.is_null() {
            true => Ok(OptDoc(None)),
            false => Ok(OptDoc(Some(<DocText as Decode<Sqlite>>::decode(value)?.0))),
        }
    }
}

impl Type<Postgres> for OptDoc {
    fn type_info() -> PgTypeInfo {
        <DocText as Type<Postgres>>::type_info()
    }
    fn compatible(ty: &PgTypeInfo) -> bool {
        <DocText as Type<Postgres>>::compatible(ty)
    }
}

impl<'r> Decode<'r, Postgres> for OptDoc {
    fn decode(value: PgValueRef<'r>) -> Result<OptDoc, BoxDynError> {
        match value.is_null() {
            true => Ok(OptDoc(None)),
            false => Ok(OptDoc(Some(<DocText as Decode<Postgres>>::decode(value)?.0))),
        }
    }
}
