//! Catalog files: mistakes named by file and key.

use super::*;

#[test]
fn a_source_date_that_is_not_a_date_names_its_key() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.toml");
    let spec = "id = \"c\"\nname_vi = \"C\"\n[[sources]]\nfile = \"c.csv\"\ncode = \"ma\"\nname = \"ten\"\nvalid_from = \"VALID\"\n";
    std::fs::write(&path, spec.replace("VALID", "2025-07-01")).unwrap();
    assert!(read_spec(&path).is_ok());
    std::fs::write(&path, spec.replace("VALID", "2025-13-01")).unwrap();
    let e = read_spec(&path).unwrap_err().to_string();
    assert!(e.contains("c.toml") && e.contains("sources[0].valid_from: '2025-13-01' is not a date"), "{e}");
}
