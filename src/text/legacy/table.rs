//! The TCVN3 and VNI byte tables, built once from the embedded legacy charset catalog.

use std::collections::HashMap;
use std::sync::OnceLock;

use super::super::embedded_rows;

const CHARSETS: &str =
    include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/data/catalogs/vn_legacy_charsets_tcvn3_vni.csv"));

/// Column positions in the charset catalog.
const COL_LETTER: usize = 0;
const COL_TCVN3_HEX: usize = 3;
const COL_TCVN3_CHECK: usize = 5;
#[cfg(test)]
const COL_VNI_VC: usize = 6;
const COL_VNI_HEX: usize = 7;
const COL_VNI_VIPARSE: usize = 8;
const COL_VNI_CHECK: usize = 9;
const COLUMNS: usize = 11;

/// VNI letters whose catalog sources disagree and for which the viparse value is right.
const VNI_TAKE_VIPARSE: &str = "ỷỹỶỸ";
/// VNI letters whose catalog sources disagree and for which the single-byte value is right.
const VNI_TAKE_SINGLE: &str = "ỵỴìíÌÍ";
/// VNI letters whose viparse two-byte variant is also accepted when decoding.
const VNI_DECODE_ALIAS: &str = "ìíÌÍ";

/// One catalog row: the letter and its raw fields.
pub(super) struct Row {
    /// The precomposed letter.
    pub letter: char,
    fields: Vec<&'static str>,
}

/// One way of writing a letter in a legacy encoding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Entry {
    /// The precomposed letter.
    pub letter: char,
    /// Its byte sequence.
    pub bytes: Vec<u8>,
    /// True when the sequence is accepted on input but never written.
    pub decode_only: bool,
}

/// The TCVN3 (ABC) tables.
pub(super) struct Tcvn3 {
    /// Letter for each high byte, indexed by `byte - 0x80`.
    pub decode: [Option<char>; 128],
    /// Byte for each letter.
    pub encode: HashMap<char, u8>,
    /// Letters that TCVN3 cannot write: the uppercase toned ones.
    pub uppercase_toned: Vec<char>,
}

/// The VNI-Windows tables.
pub(super) struct Vni {
    /// Letter for each lone high byte, indexed by `byte - 0x80`.
    pub single: [Option<char>; 128],
    /// Letter for each two-byte sequence.
    pub pairs: HashMap<[u8; 2], char>,
    /// Byte sequence written for each letter.
    pub encode: HashMap<char, Vec<u8>>,
}

/// Parses the charset catalog.
pub(super) fn rows() -> Vec<Row> {
    embedded_rows("vn_legacy_charsets_tcvn3_vni.csv", CHARSETS, COLUMNS)
        .map(|fields| {
            let mut chars = fields[COL_LETTER].chars();
            let letter = match (chars.next(), chars.next()) {
                (Some(c), None) => c,
                _ => panic!("charset catalog row does not start with one letter: {fields:?}"),
            };
            Row { letter, fields }
        })
        .collect()
}

/// Parses a field of space-separated hex bytes such as `41 D8`.
fn hex_bytes(field: &str) -> Vec<u8> {
    field.split(' ').map(|h| u8::from_str_radix(h, 16).expect("charset catalog holds a malformed hex byte")).collect()
}

/// Turns a field of Latin-1 characters into the bytes they stand for.
pub(super) fn latin1_bytes(field: &str) -> Vec<u8> {
    field.chars().map(|c| u8::try_from(u32::from(c)).expect("charset catalog holds a non-Latin-1 VNI value")).collect()
}

impl Row {
    /// The TCVN3 byte of this letter, or `None` when TCVN3 has no single byte for it.
    pub(crate) fn tcvn3_byte(&self) -> Option<u8> {
        if self.fields[COL_TCVN3_CHECK] != "agree" {
            return None;
        }
        match hex_bytes(self.fields[COL_TCVN3_HEX]).as_slice() {
            [b] if *b >= 0x80 => Some(*b),
            _ => panic!("TCVN3 entry for {} is not one high byte", self.letter),
        }
    }

    /// The VNI byte sequences of this letter, the written one first.
    pub(crate) fn vni_entries(&self) -> Vec<Entry> {
        let entry = |bytes, decode_only| Entry { letter: self.letter, bytes, decode_only };
        let check = self.fields[COL_VNI_CHECK];
        let l = self.letter;
        let mut out = Vec::new();
        match check {
            "agree" | "only_vietnamese_conversion" => {
                out.push(entry(hex_bytes(self.fields[COL_VNI_HEX]), false));
            }
            "DISAGREE" if VNI_TAKE_VIPARSE.contains(l) => {
                out.push(entry(latin1_bytes(self.fields[COL_VNI_VIPARSE]), false));
            }
            "DISAGREE" if VNI_TAKE_SINGLE.contains(l) => {
                out.push(entry(hex_bytes(self.fields[COL_VNI_HEX]), false));
                if VNI_DECODE_ALIAS.contains(l) {
                    out.push(entry(latin1_bytes(self.fields[COL_VNI_VIPARSE]), true));
                }
            }
            _ => panic!("VNI entry for {l} has no rule for check value {check}"),
        }
        out
    }

    /// The VNI value as written by the vietnamese-conversion package, as bytes.
    #[cfg(test)]
    pub(crate) fn vni_vietnamese_conversion(&self) -> Vec<u8> {
        latin1_bytes(self.fields[COL_VNI_VC])
    }

    /// The VNI hex column of the catalog, as bytes.
    #[cfg(test)]
    pub(crate) fn vni_hex(&self) -> Vec<u8> {
        hex_bytes(self.fields[COL_VNI_HEX])
    }
}

/// The TCVN3 tables, built on first use.
pub(super) fn tcvn3() -> &'static Tcvn3 {
    static TABLE: OnceLock<Tcvn3> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut table = Tcvn3 { decode: [None; 128], encode: HashMap::new(), uppercase_toned: Vec::new() };
        for row in rows() {
            match row.tcvn3_byte() {
                Some(byte) => {
                    let slot = &mut table.decode[usize::from(byte - 0x80)];
                    assert!(slot.is_none(), "TCVN3 byte {byte:#04X} is given to two letters");
                    *slot = Some(row.letter);
                    table.encode.insert(row.letter, byte);
                }
                None => table.uppercase_toned.push(row.letter),
            }
        }
        table
    })
}

/// The VNI tables, built on first use.
pub(super) fn vni() -> &'static Vni {
    static TABLE: OnceLock<Vni> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut table = Vni { single: [None; 128], pairs: HashMap::new(), encode: HashMap::new() };
        for entry in rows().iter().flat_map(Row::vni_entries) {
            let taken = match entry.bytes.as_slice() {
                [b] if *b >= 0x80 => table.single[usize::from(b - 0x80)].replace(entry.letter),
                [a, b] if *b >= 0x80 => table.pairs.insert([*a, *b], entry.letter),
                _ => panic!("VNI entry for {} is neither one high byte nor a byte and a high byte", entry.letter),
            };
            assert!(taken.is_none(), "VNI bytes of {} are given to two letters", entry.letter);
            if !entry.decode_only {
                table.encode.insert(entry.letter, entry.bytes);
            }
        }
        table
    })
}
