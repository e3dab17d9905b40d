//! A master record's data as readers receive it: one JSON object of its fields. The store keeps
//! each record's data as a JSON array of its values, with the field names kept once per version
//! (`record_layouts`); data written as an object (by earlier releases) is read as it is.

use super::{Error, Result};
use serde_json::value::RawValue;

/// The object of a record's stored `data`, given the field names of the version that wrote it
/// (`layout`, a JSON array; `None` when that version recorded none). Values are kept exactly as
/// stored (number text, escapes); `dataset` and `key` name the record in an error.
pub(crate) fn record_object(dataset: &str, key: &str, data: String, layout: Option<&str>) -> Result<String> {
    if !data.trim_start().starts_with('[') {
        return Ok(data);
    }
    let damaged = |message: String| Error::Record { dataset: dataset.into(), key: key.into(), message };
    let layout = layout.ok_or_else(|| damaged("its version recorded no field names".into()))?;
    // The names as written (JSON strings): copied into the object without decoding them.
    let names: Vec<&RawValue> =
        serde_json::from_str(layout).map_err(|e| damaged(format!("the version's field names: {e}")))?;
    let values: Vec<&RawValue> = serde_json::from_str(&data).map_err(|e| damaged(format!("its data: {e}")))?;
    if values.len() != names.len() {
        return Err(damaged(format!("{} values for {} fields", values.len(), names.len())));
    }
    if let Some(name) = names.iter().find(|n| !n.get().starts_with('"')) {
        return Err(damaged(format!("the version's field names: {} is not a name", name.get())));
    }
    let mut out = String::with_capacity(data.len() + layout.len());
    out.push('{');
    for (i, (name, value)) in names.iter().zip(values).enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(name.get());
        out.push(':');
        out.push_str(value.get());
    }
    out.push('}');
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_get_their_versions_names_in_order_exactly_as_stored() {
        let data = r#"["0100109106", "Công ty \"A\"", 1.50, null, true]"#.to_string();
        let layout = r#"["ma_so_thue","ten","von","ghi_chu","hoat_dong"]"#;
        let got = record_object("dn", "0100109106", data, Some(layout)).unwrap();
        assert_eq!(
            got,
            r#"{"ma_so_thue":"0100109106","ten":"Công ty \"A\"","von":1.50,"ghi_chu":null,"hoat_dong":true}"#
        );
        let parsed: serde_json::Value = serde_json::from_str(&got).unwrap();
        assert_eq!(parsed["ten"], "Công ty \"A\"");
    }

    #[test]
    fn an_object_written_before_layouts_is_read_as_it_is() {
        let data = r#"{"a":1}"#.to_string();
        assert_eq!(record_object("d", "k", data.clone(), None).unwrap(), data);
        assert_eq!(record_object("d", "k", data.clone(), Some(r#"["b"]"#)).unwrap(), data);
    }

    #[test]
    fn data_that_does_not_fit_its_layout_is_an_error_naming_the_record() {
        let err = record_object("dn", "k1", "[1,2]".into(), Some(r#"["a"]"#)).unwrap_err().to_string();
        assert!(err.contains("'k1'") && err.contains("'dn'") && err.contains("2 values for 1 fields"), "{err}");
        let err = record_object("dn", "k1", "[1]".into(), None).unwrap_err().to_string();
        assert!(err.contains("no field names"), "{err}");
        assert!(record_object("dn", "k1", "[1,".into(), Some(r#"["a"]"#)).is_err());
        let err = record_object("dn", "k1", "[1]".into(), Some("[7]")).unwrap_err().to_string();
        assert!(err.contains("7 is not a name"), "a layout of other values than names: {err}");
    }

    #[tokio::test]
    async fn a_store_reads_records_of_either_form_as_objects() {
        use crate::store::{ChangeKind, PublishTx, RecordChanges, Store};
        let dir = tempfile::tempdir().unwrap();
        let store = Store::connect(&format!("sqlite://{}", dir.path().join("hub.db").display())).await.unwrap();
        store.migrate().await.unwrap();
        let mut tx = PublishTx::test(1, 1, 0);
        tx.record_fields = vec!["k".into(), "tên".into()];
        let mut changes = RecordChanges::default();
        changes.push(ChangeKind::Insert, 1, |k, d| {
            k.push('a');
            d.push_str(r#"["a","Hà Nội"]"#);
        });
        let mut publish = store.begin_publish(&tx).await.unwrap();
        publish.apply(Box::new(std::iter::once(Ok(changes)))).await.unwrap();
        publish.commit("sha").await.unwrap();
        // A record written by an earlier release, as an object and without a layout.
        let crate::store::Db::Sqlite(pool) = store.db() else { panic!("a SQLite store") };
        sqlx::query("INSERT INTO records (dataset, record_key, row_hash, data, valid_from) VALUES ('d', 'b', 'h', '{\"k\":\"b\"}', 1)")
            .execute(pool)
            .await
            .unwrap();
        assert_eq!(store.current_record("d", "a").await.unwrap().as_deref(), Some(r#"{"k":"a","tên":"Hà Nội"}"#));
        assert_eq!(store.current_record("d", "b").await.unwrap().as_deref(), Some(r#"{"k":"b"}"#));
        assert_eq!(store.current_record("d", "c").await.unwrap(), None);
    }
}
