//! Timestamps as the store keeps them: `timestamptz` on PostgreSQL; on SQLite, RFC 3339 text in
//! UTC with microseconds and `Z` (fixed width, so text order is time order). Rows give them to
//! the rest of the hub as that same text.

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::postgres::{PgArgumentBuffer, PgTypeInfo, PgValueRef, Postgres};
use sqlx::sqlite::{Sqlite, SqliteArgumentValue, SqliteTypeInfo, SqliteValueRef};
use sqlx::{Decode, Encode, Type, ValueRef};

/// A point in time, to the microsecond (what both engines keep).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Ts(DateTime<Utc>);

impl Ts {
    /// The current time.
    pub fn now() -> Ts {
        Ts::from(Utc::now())
    }

    /// Parses RFC 3339 (any offset) or a date (`YYYY-MM-DD`, midnight UTC).
    pub fn parse(s: &str) -> Option<Ts> {
        let s = s.trim();
        if let Ok(t) = DateTime::parse_from_rfc3339(s) {
            return Some(Ts::from(t.with_timezone(&Utc)));
        }
        let date = NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()?;
        Some(Ts::from(date.and_hms_opt(0, 0, 0)?.and_utc()))
    }

    /// The stored text: `2026-12-07T01:36:44.123456Z`.
    pub fn text(&self) -> String {
        self.0.to_rfc3339_opts(SecondsFormat::Micros, true)
    }

    /// The time itself.
    pub fn time(&self) -> DateTime<Utc> {
        self.0
    }
}

impl From<DateTime<Utc>> for Ts {
    fn from(t: DateTime<Utc>) -> Ts {
        use chrono::SubsecRound;
        Ts(t.trunc_subsecs(6))
    }
}

impl std::fmt::Display for Ts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text())
    }
}

impl From<Ts> for String {
    fn from(t: Ts) -> String {
        t.text()
    }
}

/// A point in time read from a row as the hub's text: on SQLite the stored text as it is (the
/// audit chain hashed that text), on PostgreSQL the `timestamptz` as RFC 3339 with microseconds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TsText(pub String);

impl From<TsText> for String {
    fn from(t: TsText) -> String {
        t.0
    }
}

/// An optional point in time read from a row (NULL: `None`), as [`TsText`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OptTs(pub Option<String>);

impl From<OptTs> for Option<String> {
    fn from(t: OptTs) -> Option<String> {
        t.0
    }
}

fn unreadable(s: &str) -> BoxDynError {
    format!("'{s}' is not an RFC 3339 timestamp").into()
}

impl Type<Sqlite> for Ts {
    fn type_info() -> SqliteTypeInfo {
        <str as Type<Sqlite>>::type_info()
    }
    fn compatible(ty: &SqliteTypeInfo) -> bool {
        <&str as Type<Sqlite>>::compatible(ty)
    }
}

impl<'q> Encode<'q, Sqlite> for Ts {
    fn encode_by_ref(&self, buf: &mut Vec<SqliteArgumentValue<'q>>) -> Result<IsNull, BoxDynError> {
        Encode::<Sqlite>::encode(self.text(), buf)
    }
}

impl<'r> Decode<'r, Sqlite> for Ts {
    fn decode(value: SqliteValueRef<'r>) -> Result<Ts, BoxDynError> {
        let s = <&str as Decode<Sqlite>>::decode(value)?;
        Ts::parse(s).ok_or_else(|| unreadable(s))
    }
}

impl Type<Postgres> for Ts {
    fn type_info() -> PgTypeInfo {
        <DateTime<Utc> as Type<Postgres>>::type_info()
    }
}

impl<'q> Encode<'q, Postgres> for Ts {
    fn encode_by_ref(&self, buf: &mut PgArgumentBuffer) -> Result<IsNull, BoxDynError> {
        Encode::<Postgres>::encode_by_ref(&self.0, buf)
    }
}

impl<'r> Decode<'r, Postgres> for Ts {
    fn decode(value: PgValueRef<'r>) -> Result<Ts, BoxDynError> {
        Ok(Ts(<DateTime<Utc> as Decode<Postgres>>::decode(value)?))
    }
}

impl Type<Sqlite> for TsText {
    fn type_info() -> SqliteTypeInfo {
        <str as Type<Sqlite>>::type_info()
    }
    fn compatible(ty: &SqliteTypeInfo) -> bool {
        <&str as Type<Sqlite>>::compatible(ty)
    }
}

impl<'r> Decode<'r, Sqlite> for TsText {
    fn decode(value: SqliteValueRef<'r>) -> Result<TsText, BoxDynError> {
        Ok(TsText(<String as Decode<Sqlite>>::decode(value)?))
    }
}

impl Type<Postgres> for TsText {
    fn type_info() -> PgTypeInfo {
        <Ts as Type<Postgres>>::type_info()
    }
}

impl<'r> Decode<'r, Postgres> for TsText {
    fn decode(value: PgValueRef<'r>) -> Result<TsText, BoxDynError> {
        Ok(TsText(<Ts as Decode<Postgres>>::decode(value)?.text()))
    }
}

impl Type<Sqlite> for OptTs {
    fn type_info() -> SqliteTypeInfo {
        <TsText as Type<Sqlite>>::type_info()
    }
    fn compatible(ty: &SqliteTypeInfo) -> bool {
        <TsText as Type<Sqlite>>::compatible(ty)
    }
}

impl<'r> Decode<'r, Sqlite> for OptTs {
    fn decode(value: SqliteValueRef<'r>) -> Result<OptTs, BoxDynError> {
        match value.is_null() {
            true => Ok(OptTs(None)),
            false => Ok(OptTs(Some(<TsText as Decode<Sqlite>>::decode(value)?.0))),
        }
    }
}

impl Type<Postgres> for OptTs {
    fn type_info() -> PgTypeInfo {
        <Ts as Type<Postgres>>::type_info()
    }
}

impl<'r> Decode<'r, Postgres> for OptTs {
    fn decode(value: PgValueRef<'r>) -> Result<OptTs, BoxDynError> {
        match value.is_null() {
            true => Ok(OptTs(None)),
            false => Ok(OptTs(Some(<TsText as Decode<Postgres>>::decode(value)?.0))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Ts;

    #[test]
    fn text_is_fixed_width_utc_with_microseconds() {
        let t = Ts::parse("2026-12-07T08:36:44.1234567+07:00").unwrap();
        assert_eq!(t.text(), "2026-12-07T01:36:44.123456Z");
        assert_eq!(Ts::parse("2026-12-07").unwrap().text(), "2026-12-07T00:00:00.000000Z");
        assert_eq!(Ts::parse(&t.text()), Some(t));
        assert!(Ts::parse("07/12/2026").is_none());
    }
}
