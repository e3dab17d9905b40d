//! One batch through the compiled plan: valid rows, quarantine reasons and held keys.

use super::*;
use crate::pipeline::extract::CsvSource;
use crate::text::legacy::Encoding;

#[test]
fn quarantined_rows_are_counted_once_per_reason() {
    let rows = [
        r#"[{"rule":"required","field":"name","value":"","message":"m"},{"rule":"required","field":"name","value":"","message":"again"}]"#,
        r#"[{"rule":"in_catalog","field":"commune","value":"x","message":"m"},{"rule":"required","field":"name","value":"","message":"m"}]"#,
        r#"[{"rule":"columns","field":"","value":"","message":"m"}]"#,
    ];
    let df = df!(REASONS => rows.to_vec()).unwrap();
    let c = reason_counts(&df);
    assert_eq!(
        c.into_iter().collect::<Vec<_>>(),
        [("columns".to_string(), 1), ("in_catalog:commune".into(), 1), ("required:name".into(), 2)]
    );
}

#[test]
fn a_row_with_a_column_too_many_holds_its_valid_key() {
    let spec = crate::pipeline::check::test_spec("ma", "[[fields]]\nname = \"ma\"\n[[fields]]\nname = \"dia_chi\"\n");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.csv");
    std::fs::write(&path, "ma,dia_chi\n01,Số 1\n02,12, Hàng Bài\n,x,y\n").unwrap();
    let columns = [("ma".to_string(), "ma".to_string()), ("dia_chi".to_string(), "dia_chi".to_string())];
    let mut src = CsvSource::open(&path, Encoding::Utf8, b',', &columns).unwrap();
    let plan = Plan::new(&spec, src.positions(), src.header_len(), &CatalogCodes::new()).unwrap();
    let out = plan.run(&src.next_batch().unwrap().unwrap()).unwrap();
    assert_eq!((out.valid.height(), out.quarantine.height()), (1, 2));
    let held: Vec<Option<&str>> = out.held.column("ma").unwrap().str().unwrap().iter().collect();
    assert_eq!(held, [Some("02")], "the key of '02' is held; the row without a key holds nothing");
}
