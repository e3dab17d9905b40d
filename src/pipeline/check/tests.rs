//! `lgsp check` on pipeline files: each mistake is named by its key path.

use super::*;

const GOOD: &str = r#"
id = "t"
owner = "000.00.12.H48"
dataset = "t"
key = ["a"]
[source]
kind = "csv"
path = "x.csv"
[[fields]]
name = "a"
"#;

fn parse_str(s: &str) -> Result<PipelineSpec, SpecError> {
    parse(Path::new("p.toml"), s)
}

#[test]
fn minimal_pipeline_parses_with_defaults() {
    let spec = parse_str(GOOD).unwrap();
    assert!(matches!(&spec.source, SourceSpec::Csv(c) if c.encoding == crate::text::legacy::Encoding::Utf8));
    assert_eq!(spec.survivorship.rule, Survivorship::Last);
}

#[test]
fn unknown_key_names_file_and_key_path() {
    let e = parse_str(&GOOD.replace("name = \"a\"", "name = \"a\"\nrequird = true")).unwrap_err();
    let msg = e.to_string();
    assert!(msg.starts_with("p.toml: fields[0]"), "{msg}");
    assert!(msg.contains("requird"), "{msg}");
}

#[test]
fn unknown_normalizer_is_rejected_with_its_path() {
    let e = parse_str(&GOOD.replace("name = \"a\"", "name = \"a\"\nnormalize = [\"uper\"]")).unwrap_err();
    assert!(e.key.starts_with("fields[0].normalize"), "{}", e);
}

#[test]
fn key_must_name_a_declared_field() {
    let e = parse_str(&GOOD.replace("key = [\"a\"]", "key = [\"b\"]")).unwrap_err();
    assert_eq!(e.key, "key[0]");
}

#[test]
fn owner_must_be_an_agency_code() {
    let e = parse_str(&GOOD.replace("000.00.12.H48", "so-tai-chinh")).unwrap_err();
    assert_eq!(e.key, "owner");
    assert!(crate::ident::is_agency_code("000.00.00.G12"));
}

#[test]
fn parametrized_normalizers_and_rules_parse() {
    let s = GOOD.replace(
        "name = \"a\"",
        "name = \"a\"\nnormalize = [\"upper\", { pad_left = 5 }]\nrules = [{ kind = \"regex\", pattern = \"^[0-9]+$\" }, { kind = \"in_catalog\", catalog = \"communes_2025\" }]",
    );
    let spec = parse_str(&s).unwrap();
    assert_eq!(spec.fields[0].normalize, vec![Normalizer::Upper, Normalizer::PadLeft(5)]);
    assert_eq!(spec.fields[0].rules.len(), 2);
}

#[test]
fn zstd_level_is_checked() {
    assert_eq!(
        parse_str(&format!("{GOOD}\n[publish]\ncompression_level = 30\n")).unwrap_err().key,
        "publish.compression_level"
    );
    let lz4 = format!("{GOOD}\n[publish]\ncompression = \"lz4\"\ncompression_level = 3\n");
    assert!(parse_str(&lz4).unwrap_err().to_string().contains("zstd"));
    assert_eq!(
        parse_str(&format!("{GOOD}\n[publish]\ncompression_level = 9\n")).unwrap().publish.compression_level,
        Some(9)
    );
}

#[test]
fn bad_regex_is_reported() {
    let s = GOOD.replace("name = \"a\"", "name = \"a\"\nrules = [{ kind = \"regex\", pattern = \"([\" }]");
    assert_eq!(parse_str(&s).unwrap_err().key, "fields[0].rules[0].pattern");
}

#[test]
fn pad_left_width_is_bounded() {
    let s = GOOD.replace("name = \"a\"", "name = \"a\"\nnormalize = [{ pad_left = 70000 }]");
    let e = parse_str(&s).unwrap_err();
    assert_eq!(e.key, "fields[0].normalize[0]");
    assert!(e.to_string().contains("1 to 64"), "{e}");
}

#[test]
fn a_key_field_listed_twice_is_named() {
    let e = parse_str(&GOOD.replace("key = [\"a\"]", "key = [\"a\", \"a\"]")).unwrap_err();
    assert_eq!(e.key, "key[1]");
}

#[test]
fn the_matching_table_is_checked_too() {
    let m = "\n[matching]\nentity = \"p\"\nblocking = [[\"a\"]]\n[[matching.comparisons]]\ncolumn = \"a\"\nkind = \"name\"\n";
    assert!(parse_str(&format!("{GOOD}{m}")).is_ok());
    assert_eq!(parse_str(&format!("{GOOD}{}", m.replace("[[\"a\"]]", "[]"))).unwrap_err().key, "matching.blocking");
    let e = parse_str(&format!("{GOOD}{}", m.replace("column = \"a\"", "column = \"b\""))).unwrap_err();
    assert!(e.key == "matching" && e.to_string().contains("'b' is not a declared field"), "{e}");
    let many: String = (0..22).map(|_| "[[matching.comparisons]]\ncolumn = \"a\"\nkind = \"exact\"\n").collect();
    assert_eq!(parse_str(&format!("{GOOD}{m}{many}")).unwrap_err().key, "matching.comparisons");
    for bad in ["a:x", "a:0", "a|a:3", "a|"] {
        let e = parse_str(&format!("{GOOD}{}", m.replace("[[\"a\"]]", &format!("[[\"{bad}\"]]")))).unwrap_err();
        assert_eq!(e.key, "matching.blocking", "{bad}");
    }
    assert!(parse_str(&format!("{GOOD}{}", m.replace("[[\"a\"]]", "[[\"a:3\"]]"))).is_ok());
    let thresholds = m.replace("blocking", "match_threshold = 0.5\nreview_threshold = 0.8\nblocking");
    assert_eq!(parse_str(&format!("{GOOD}{thresholds}")).unwrap_err().key, "matching.review_threshold");
}
