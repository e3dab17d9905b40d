//! Reading CSV sources: text, line numbers and the errors that name them.

use super::*;

fn read(bytes: &[u8]) -> Result<Vec<Vec<String>>> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("in.csv");
    std::fs::write(&path, bytes).unwrap();
    let mut src = CsvSource::open(&path, Encoding::Utf8, b',', &[])?;
    let mut rows = Vec::new();
    while let Some(batch) = src.next_batch()? {
        rows.extend(batch.iter().map(|r| (0..r.len()).map(|i| r.get(i).unwrap().to_string()).collect()));
    }
    Ok(rows)
}

#[test]
fn fields_are_text_and_a_character_cut_by_a_delimiter_is_not() {
    let rows = read("a,b\nCông ty,Hà Nội\nx,\"y,\"\"z\"\"\"\n".as_bytes()).unwrap();
    assert_eq!(rows, [["Công ty", "Hà Nội"], ["x", "y,\"z\""]]);
    // "á" is C3 A1: split by the comma, the record's bytes without delimiters are UTF-8,
    // but neither field is.
    let err = read(b"a,b\nok,ok\nx\xC3,\xA1y\n").unwrap_err().to_string();
    assert!(err.contains("line 3") && err.contains("field 1 is not valid UTF-8 (bytes from 1)"), "{err}");
    let err = read(b"a,b\nok,o\xFFk\n").unwrap_err().to_string();
    assert!(err.contains("line 2") && err.contains("field 2 is not valid UTF-8 (bytes from 1)"), "{err}");
}

#[test]
fn a_mapped_column_named_twice_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("in.csv");
    std::fs::write(&path, "ma,Số  ĐT,Số ĐT\n1,2,3\n").unwrap();
    let columns = [("Số ĐT".to_string(), "dien_thoai".to_string())];
    let err = CsvSource::open(&path, Encoding::Utf8, b',', &columns).err().unwrap().to_string();
    assert!(err.contains("line 1") && err.contains("appears twice") && err.contains("columns 2 and 3"), "{err}");
    let columns = [("ma".to_string(), "ma".to_string())];
    assert!(CsvSource::open(&path, Encoding::Utf8, b',', &columns).is_ok(), "an unmapped duplicate does not matter");
}

#[test]
fn a_file_that_ends_inside_quotes_is_an_error_naming_the_line() {
    let err = read(b"a,b\n1,x\n2,\"Ghi ch\xC3\xBA\n3,y\n4,z\n").unwrap_err().to_string();
    assert!(err.contains("line 3") && err.contains("never closed"), "{err}");
    let err = read(b"a,b\n1,x\n2,\"abc\n3,y").unwrap_err().to_string();
    assert!(err.contains("line 3"), "{err}");
    // A closed quoted field with line breaks, last in the file, with or without a final newline.
    for text in [&b"a,b\n1,\"x\ny\"\n"[..], b"a,b\n1,\"x\r\ny\"", b"a,b\n1,\"x\ny\"\n2,z\n"] {
        assert!(read(text).is_ok(), "{}", String::from_utf8_lossy(text));
    }
    assert_eq!(read(b"a,b\n1,\"x\ny\"\n").unwrap(), [["1", "x\ny"]]);
}

/// The line of each record of `bytes`, in `encoding`.
fn lines_of(bytes: &[u8], encoding: Encoding) -> Vec<u64> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("in.csv");
    std::fs::write(&path, bytes).unwrap();
    let mut src = CsvSource::open(&path, encoding, b',', &[]).unwrap();
    let mut lines = Vec::new();
    while let Some(batch) = src.next_batch().unwrap() {
        lines.extend(batch.iter().map(|r| r.line));
    }
    lines
}

#[test]
fn a_record_is_numbered_by_the_physical_line_it_starts_on() {
    let cases: [(&[u8], &[u64]); 7] = [
        (b"a,b\n1,x\n2,y\n", &[2, 3]),
        (b"a,b\r\n1,x\r\n2,y\r\n", &[2, 3]),
        (b"a,b\r\n1,x\n2,y\r\n3,z", &[2, 3, 4]),
        (b"a,b\r\n\r\n1,x\r\n\r\n\r\n2,y\r\n", &[3, 6]),
        (b"a,b\n\n1,x\n\n2,y\n", &[3, 5]),
        (b"a,b\r\n1,\"x\r\ny\"\r\n2,z\r\n", &[2, 4]),
        (b"\xEF\xBB\xBFa,b\r\n1,\"x\ny\nz\"\r\n2,z\r\n", &[2, 5]),
    ];
    for (text, want) in cases {
        for enc in [Encoding::Utf8, Encoding::Windows1258] {
            assert_eq!(lines_of(text, enc), want, "{enc:?} {:?}", String::from_utf8_lossy(text));
        }
    }
}

#[test]
fn an_error_names_the_physical_line_of_a_crlf_file() {
    let err = read(b"a,b\r\nok,ok\r\n\r\nx\xC3,\xA1y\r\n").unwrap_err().to_string();
    assert!(err.contains("line 4"), "{err}");
}

#[test]
fn progress_counts_bytes_read_of_the_whole() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("in.csv");
    let text = "a,b\n".to_string() + &"1,x\n".repeat(100_000);
    std::fs::write(&path, &text).unwrap();
    let mut src = CsvSource::open(&path, Encoding::Utf8, b',', &[]).unwrap();
    let first = src.next_batch().unwrap().unwrap().len();
    let (done, total) = src.progress();
    assert_eq!(total, text.len() as u64);
    assert_eq!(done, 4 + 4 * (first as u64 - 1), "the start of the last record read");
}
