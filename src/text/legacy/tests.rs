//! Tests of the legacy encodings and of their embedded tables.

use std::collections::HashMap;

use unicode_normalization::UnicodeNormalization;

use super::table::{self, Row};
use super::*;

const WORDS: [&str; 8] = ["Nguyễn", "Thừa Thiên Huế", "Đắk Lắk", "thuỷ", "Quỳnh", "Trường", "ỹ", "Hòa Vang"];

fn round_trip(s: &str, enc: Encoding) -> String {
    let bytes = encode(s, enc).unwrap_or_else(|e| panic!("{s:?} in {}: {e}", enc.name()));
    decode(&bytes, enc).unwrap_or_else(|e| panic!("{s:?} in {}: {e}", enc.name()))
}

fn rows() -> Vec<Row> {
    table::rows()
}

#[test]
fn encoding_names_parse_case_insensitively() {
    assert_eq!(Encoding::parse("UTF-8"), Some(Encoding::Utf8));
    assert_eq!(Encoding::parse("utf8"), Some(Encoding::Utf8));
    assert_eq!(Encoding::parse("CP1258"), Some(Encoding::Windows1258));
    assert_eq!(Encoding::parse("Windows-1258"), Some(Encoding::Windows1258));
    assert_eq!(Encoding::parse("ABC"), Some(Encoding::Tcvn3));
    assert_eq!(Encoding::parse("tcvn3"), Some(Encoding::Tcvn3));
    assert_eq!(Encoding::parse("VNI-Windows"), Some(Encoding::Vni));
    assert_eq!(Encoding::parse("latin1"), None);
    for enc in [Encoding::Utf8, Encoding::Windows1258, Encoding::Tcvn3, Encoding::Vni] {
        assert_eq!(Encoding::parse(enc.name()), Some(enc));
    }
}

#[test]
fn catalog_has_all_134_letters() {
    assert_eq!(rows().len(), 134);
}

#[test]
fn whole_words_round_trip_in_tcvn3_and_vni() {
    for word in WORDS {
        assert_eq!(round_trip(word, Encoding::Tcvn3), word);
        assert_eq!(round_trip(word, Encoding::Vni), word);
    }
    assert_eq!(round_trip("Ỷ Lan", Encoding::Vni), "Ỷ Lan");
}

#[test]
fn all_134_letters_round_trip_in_vni() {
    for row in rows() {
        let s = row.letter.to_string();
        assert_eq!(round_trip(&s, Encoding::Vni), s);
    }
}

#[test]
fn every_pair_of_letters_round_trips_in_vni() {
    let letters: Vec<char> = rows().iter().map(|r| r.letter).chain("aAiIyYoOuU ".chars()).collect();
    for a in &letters {
        for b in &letters {
            let s: String = [*a, *b].iter().collect();
            assert_eq!(round_trip(&s, Encoding::Vni), s);
        }
    }
}

#[test]
fn the_74_single_byte_tcvn3_letters_round_trip() {
    let single: Vec<Row> = rows().into_iter().filter(|r| r.tcvn3_byte().is_some()).collect();
    assert_eq!(single.len(), 74);
    for row in single {
        let s = row.letter.to_string();
        assert_eq!(encode(&s, Encoding::Tcvn3), Ok(vec![row.tcvn3_byte().unwrap_or(0)]));
        assert_eq!(round_trip(&s, Encoding::Tcvn3), s);
    }
}

#[test]
fn no_two_vni_letters_share_a_byte_sequence() {
    let mut seen: HashMap<Vec<u8>, char> = HashMap::new();
    for entry in rows().iter().flat_map(Row::vni_entries) {
        if let Some(other) = seen.insert(entry.bytes.clone(), entry.letter) {
            panic!("{:02X?} is used by {other} and {}", entry.bytes, entry.letter);
        }
    }
    assert_eq!(seen.len(), 134 + 4);
}

#[test]
fn vni_catalog_hex_column_matches_its_text_column() {
    for row in rows() {
        assert_eq!(row.vni_hex(), row.vni_vietnamese_conversion(), "{}", row.letter);
    }
}

#[test]
fn hand_written_tcvn3_bytes_decode() {
    assert_eq!(decode(b"H\xB5 N\xE9i", Encoding::Tcvn3).as_deref(), Ok("Hà Nội"));
    assert_eq!(decode(b"\xA7\xBEk L\xBEk", Encoding::Tcvn3).as_deref(), Ok("Đắk Lắk"));
}

#[test]
fn tcvn3_letter_pairs_stay_two_letters() {
    assert_eq!(decode(b"A\xB5", Encoding::Tcvn3).as_deref(), Ok("Aà"));
    assert_eq!(decode(b"\xA2\xCA", Encoding::Tcvn3).as_deref(), Ok("Âấ"));
}

#[test]
fn hand_written_vni_bytes_decode() {
    assert_eq!(decode(b"Ha\xF8 No\xE4i", Encoding::Vni).as_deref(), Ok("Hà Nội"));
    assert_eq!(decode(b"\xD1a\xE9k La\xE9k", Encoding::Vni).as_deref(), Ok("Đắk Lắk"));
    assert_eq!(decode(b"Tr\xF6\xF4\xF8ng", Encoding::Vni).as_deref(), Ok("Trường"));
}

#[test]
fn vni_y_letters_follow_the_observed_documents() {
    assert_eq!(decode(b"y\xFB y\xF5 \xEE", Encoding::Vni).as_deref(), Ok("ỷ ỹ ỵ"));
    assert_eq!(decode(b"Y\xDB Y\xD5 \xCE", Encoding::Vni).as_deref(), Ok("Ỷ Ỹ Ỵ"));
    assert_eq!(encode("ỷỹỵ", Encoding::Vni), Ok(b"y\xFBy\xF5\xEE".to_vec()));
}

#[test]
fn vni_i_with_grave_and_acute_accept_both_forms() {
    assert_eq!(decode(b"\xEC \xED \xCC \xCD", Encoding::Vni).as_deref(), Ok("ì í Ì Í"));
    assert_eq!(decode(b"i\xF8 i\xF9 I\xD8 I\xD9", Encoding::Vni).as_deref(), Ok("ì í Ì Í"));
    assert_eq!(encode("ìí", Encoding::Vni), Ok(b"\xEC\xED".to_vec()));
}

#[test]
fn tcvn3_refuses_uppercase_toned_letters() {
    assert_eq!(encode("Ỷ Lan", Encoding::Tcvn3), Err(EncodeError::Tcvn3UppercaseToned { ch: 'Ỷ' }));
    let err = encode("€", Encoding::Tcvn3);
    assert_eq!(err, Err(EncodeError::Unmappable { encoding: "tcvn3", ch: '€' }));
}

#[test]
fn nfd_input_encodes_like_nfc() {
    let nfd: String = "Nguyễn".nfd().collect();
    assert_eq!(encode(&nfd, Encoding::Vni), encode("Nguyễn", Encoding::Vni));
}

#[test]
fn windows_1258_decoding_gives_nfc() {
    let text = decode(b"Nguy\xEA\xDEn V\xE3n A\xECnh", Encoding::Windows1258);
    assert_eq!(text.as_deref(), Ok("Nguyễn Văn Ánh"));
}

#[test]
fn windows_1258_round_trips_names() {
    let s = "Nguyễn Văn Ánh, Thừa Thiên Huế";
    assert_eq!(round_trip(s, Encoding::Windows1258), s);
    for row in rows() {
        let letter = row.letter.to_string();
        assert_eq!(round_trip(&letter, Encoding::Windows1258), letter);
    }
}

#[test]
fn windows_1258_refuses_characters_outside_the_code_page() {
    let err = encode("Ах", Encoding::Windows1258);
    assert_eq!(err, Err(EncodeError::Unmappable { encoding: "windows-1258", ch: 'А' }));
}

#[test]
fn utf8_byte_order_mark_is_stripped() {
    assert_eq!(decode(b"\xEF\xBB\xBFH\xC3\xA0", Encoding::Utf8).as_deref(), Ok("Hà"));
}

#[test]
fn utf8_decoding_gives_nfc() {
    assert_eq!(decode(b"Ha\xCC\x80", Encoding::Utf8).as_deref(), Ok("Hà"));
}

#[test]
fn undecodable_bytes_report_line_and_column() {
    let err = |bytes: &[u8], enc| decode(bytes, enc).err().map(|e| (e.line, e.column, e.byte));
    assert_eq!(err(b"ab\ncd\n\xFFx", Encoding::Utf8), Some((3, 1, 0xFF)));
    assert_eq!(err(b"\xEF\xBB\xBFabc\xC3", Encoding::Utf8), Some((1, 7, 0xC3)));
    assert_eq!(err(b"one\ntwo\nab\x81", Encoding::Windows1258), Some((3, 3, 0x81)));
    assert_eq!(err(b"H\xB5\nN\x80i", Encoding::Tcvn3), Some((2, 2, 0x80)));
    assert_eq!(err(b"abc\n\nxz\xF8", Encoding::Vni), Some((3, 3, 0xF8)));
    assert_eq!(err(b"b\xF8", Encoding::Vni), Some((1, 2, 0xF8)));
}

#[test]
fn decode_error_message_points_at_the_source_encoding() {
    let mut bytes = b"\n".repeat(11);
    bytes.extend_from_slice(b"abcdef\x81");
    let err = decode(&bytes, Encoding::Windows1258).err().map(|e| e.to_string());
    assert_eq!(
        err.as_deref(),
        Some(
            "byte 0x81 at line 12, byte 7 is not valid windows-1258: \
             check the encoding declared for this source"
        )
    );
}

#[test]
fn windows_1258_leaves_its_undefined_bytes_undecodable() {
    for b in [0x81u8, 0x8A, 0x8D, 0x8E, 0x8F, 0x90, 0x9A, 0x9D, 0x9E] {
        assert!(decode(&[b], Encoding::Windows1258).is_err(), "{b:#04X}");
    }
    assert_eq!(decode(b"\x80", Encoding::Windows1258).as_deref(), Ok("€"));
}
