use super::*;
use polars_parquet::read::{infer_schema, read_metadata};

fn frame() -> DataFrame {
    df!("ma" => ["01", "02", "03"], "so" => [1i64, 2, 3], "ten" => [Some("Hà Nội"), None, Some("Huế")]).unwrap()
}

#[test]
fn a_frame_round_trips_through_bytes_with_each_codec() {
    for codec in [Codec::Zstd, Codec::Snappy, Codec::Lz4, Codec::Uncompressed] {
        let opts = Options { codec, zstd_level: Some(3), row_group_size: 2 };
        let bytes = to_bytes(&mut frame(), &opts).unwrap();
        assert!(from_bytes(&bytes).unwrap().equals_missing(&frame()), "{codec:?}");
    }
}

#[test]
fn the_embedded_arrow_schema_is_the_portable_one() {
    let df = frame();
    let bytes = to_bytes(&mut df.clone(), &Options::default()).unwrap();
    let meta = read_metadata(&mut std::io::Cursor::new(&bytes)).unwrap();
    let kv = meta.key_value_metadata().as_ref().unwrap();
    let arrow: Vec<_> = kv.iter().filter(|kv| kv.key == "ARROW:schema").collect();
    let portable = schema_to_metadata_key(&df.schema().to_arrow(CompatLevel::oldest()));
    let newest = schema_to_metadata_key(&df.schema().to_arrow(CompatLevel::newest()));
    assert_eq!(arrow.len(), 1);
    assert_eq!(arrow[0].value, portable.value, "the embedded schema uses large_string");
    assert_ne!(arrow[0].value, newest.value, "not the view types");
    // Polars itself reads the file back with its own string type.
    assert!(from_bytes(&bytes).unwrap().equals_missing(&df));
    assert!(infer_schema(&meta).is_ok());
}

#[test]
fn pages_encoded_once_are_written_to_two_files() {
    let dir = tempfile::tempdir().unwrap();
    let df = frame();
    let (a, b) = (dir.path().join("a.parquet"), dir.path().join("b.parquet"));
    let wa = PageWriter::create(&a, df.schema(), &Options::default(), false).unwrap();
    let wb = PageWriter::create(&b, df.schema(), &Options::SCRATCH, true).unwrap();
    for batch in batches(&df) {
        let pages = wa.encode_batch(&batch).unwrap();
        let columns: Vec<&[CompressedPage]> = pages.iter().map(Vec::as_slice).collect();
        wa.write(batch.rows, &columns).unwrap();
        let plain = wb.encode_batch(&batch).unwrap();
        wb.write(batch.rows, &plain.iter().map(Vec::as_slice).collect::<Vec<_>>()).unwrap();
    }
    wa.finish().unwrap();
    wb.finish().unwrap();
    assert!(read_file(&a, None, None).unwrap().equals_missing(&df));
    let sliced = read_file(&b, Some(vec!["so".into()]), Some((1, 5))).unwrap();
    assert_eq!(sliced.column("so").unwrap().i64().unwrap().into_no_null_iter().collect::<Vec<_>>(), [2, 3]);
}

#[test]
fn a_missing_folder_is_an_error_naming_the_path() {
    let err = write_file(Path::new("/nonexistent/x.parquet"), &mut frame(), &Options::default()).unwrap_err();
    assert!(err.to_string().starts_with("/nonexistent/x.parquet: "), "{err}");
}
