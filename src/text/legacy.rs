//! Legacy Vietnamese encodings (windows-1258, TCVN3, VNI) to and from NFC UTF-8.

pub(crate) mod detect;
mod table;
#[cfg(test)]
mod tests;
mod windows1258;

use super::{into_nfc, to_nfc};

/// A character encoding that source files may be declared in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Encoding {
    /// UTF-8, with or without a byte order mark.
    #[default]
    Utf8,
    /// Windows code page 1258, which writes tones as combining marks.
    Windows1258,
    /// TCVN3 (ABC), one byte per letter, no uppercase toned letters.
    Tcvn3,
    /// VNI-Windows, letters written as a base byte and a mark byte in the Latin-1 range.
    Vni,
    /// Detected from the bytes: UTF-8 when they are, else the legacy encoding in which the
    /// text reads as Vietnamese (see `detect`).
    Auto,
}

impl Encoding {
    /// Reads an encoding name, case-insensitively: `utf-8`/`utf8`, `windows-1258`/`cp1258`,
    /// `tcvn3`/`abc`, `vni`/`vni-windows`.
    pub fn parse(name: &str) -> Option<Encoding> {
        let name = name.trim();
        let is = |candidates: &[&str]| candidates.iter().any(|c| name.eq_ignore_ascii_case(c));
        if is(&["utf-8", "utf8"]) {
            Some(Encoding::Utf8)
        } else if is(&["windows-1258", "cp1258"]) {
            Some(Encoding::Windows1258)
        } else if is(&["tcvn3", "abc"]) {
            Some(Encoding::Tcvn3)
        } else if is(&["vni", "vni-windows"]) {
            Some(Encoding::Vni)
        } else if is(&["auto"]) {
            Some(Encoding::Auto)
        } else {
            None
        }
    }

    /// The canonical name: `utf-8`, `windows-1258`, `tcvn3` or `vni`.
    pub fn name(&self) -> &'static str {
        match self {
            Encoding::Utf8 => "utf-8",
            Encoding::Windows1258 => "windows-1258",
            Encoding::Tcvn3 => "tcvn3",
            Encoding::Vni => "vni",
            Encoding::Auto => "auto",
        }
    }
}

impl<'de> serde::Deserialize<'de> for Encoding {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Encoding, D::Error> {
        let name = String::deserialize(d)?;
        Encoding::parse(&name).ok_or_else(|| {
            serde::de::Error::custom(format!("'{name}' is not supported; use utf-8, windows-1258, tcvn3, vni or auto"))
        })
    }
}

/// A byte that is not valid in the encoding the input was decoded with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "byte 0x{byte:02X} at line {line}, byte {column} is not valid {encoding}: \
     check the encoding declared for this source"
)]
pub struct DecodeError {
    /// Canonical name of the encoding.
    pub encoding: &'static str,
    /// Line of the byte, counting from 1.
    pub line: usize,
    /// Offset of the byte within its line, counting from 1, in bytes of the input as given
    /// (a byte order mark counts).
    pub column: usize,
    /// The offending byte.
    pub byte: u8,
}

/// A character that cannot be written in the target encoding.
#[cfg(test)]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum EncodeError {
    /// The encoding has no code for the character.
    #[error("{ch:?} (U+{code:04X}) cannot be written in {encoding}", code = u32::from(*.ch))]
    Unmappable {
        /// Canonical name of the encoding.
        encoding: &'static str,
        /// The character.
        ch: char,
    },
    /// TCVN3 has no codes for uppercase toned letters.
    #[error(
        "{ch:?} (U+{code:04X}) cannot be written in tcvn3, which has no uppercase toned letters",
        code = u32::from(*.ch)
    )]
    Tcvn3UppercaseToned {
        /// The character.
        ch: char,
    },
}

/// Decodes a whole input in `enc` to an NFC string; the first byte `enc` cannot decode is
/// an error. A leading UTF-8 byte order mark is dropped.
pub(crate) fn decode(bytes: &[u8], enc: Encoding) -> Result<String, DecodeError> {
    match enc {
        Encoding::Utf8 => decode_utf8(bytes),
        Encoding::Windows1258 => windows1258::decode(bytes),
        Encoding::Tcvn3 => decode_tcvn3(bytes),
        Encoding::Vni => decode_vni(bytes),
        Encoding::Auto => match detect::detect(bytes) {
            Ok((text, _)) => Ok(text),
            Err(_) => Err(error_at(bytes, bytes.iter().position(|b| !b.is_ascii()).unwrap_or(0), Encoding::Auto)),
        },
    }
}

/// Encodes `s` (normalized to NFC first) in `enc`.
#[cfg(test)]
pub(crate) fn encode(s: &str, enc: Encoding) -> Result<Vec<u8>, EncodeError> {
    let s = to_nfc(s);
    match enc {
        Encoding::Utf8 | Encoding::Auto => Ok(s.as_bytes().to_vec()),
        Encoding::Windows1258 => windows1258::encode(&s),
        Encoding::Tcvn3 => encode_tcvn3(&s),
        Encoding::Vni => encode_vni(&s),
    }
}

/// Builds the error for the byte at `offset`.
fn error_at(bytes: &[u8], offset: usize, enc: Encoding) -> DecodeError {
    let before = &bytes[..offset.min(bytes.len())];
    let line_start = before.iter().rposition(|&b| b == b'\n').map_or(0, |p| p + 1);
    DecodeError {
        encoding: enc.name(),
        line: before.iter().filter(|&&b| b == b'\n').count() + 1,
        column: before.len() - line_start + 1,
        byte: bytes.get(offset).copied().unwrap_or(0),
    }
}

/// Decodes UTF-8, dropping a leading byte order mark.
fn decode_utf8(bytes: &[u8]) -> Result<String, DecodeError> {
    let skip = if bytes.starts_with(b"\xEF\xBB\xBF") { 3 } else { 0 };
    match std::str::from_utf8(&bytes[skip..]) {
        Ok(text) => Ok(to_nfc(text).into_owned()),
        Err(e) => Err(error_at(bytes, skip + e.valid_up_to(), Encoding::Utf8)),
    }
}

/// Decodes TCVN3: ASCII as is, each high byte through the single-byte table.
fn decode_tcvn3(bytes: &[u8]) -> Result<String, DecodeError> {
    let table = &table::tcvn3().decode;
    let mut out = String::with_capacity(bytes.len() + bytes.len() / 2);
    for (offset, &b) in bytes.iter().enumerate() {
        if b < 0x80 {
            out.push(char::from(b));
        } else if let Some(c) = table[usize::from(b - 0x80)] {
            out.push(c);
        } else {
            return Err(error_at(bytes, offset, Encoding::Tcvn3));
        }
    }
    Ok(into_nfc(out))
}

/// Encodes NFC text in TCVN3.
#[cfg(test)]
fn encode_tcvn3(s: &str) -> Result<Vec<u8>, EncodeError> {
    let table = table::tcvn3();
    let mut out = Vec::with_capacity(s.len());
    for c in s.chars() {
        if c.is_ascii() {
            out.push(c as u8);
        } else if let Some(&b) = table.encode.get(&c) {
            out.push(b);
        } else if table.uppercase_toned.contains(&c) {
            return Err(EncodeError::Tcvn3UppercaseToned { ch: c });
        } else {
            return Err(EncodeError::Unmappable { encoding: Encoding::Tcvn3.name(), ch: c });
        }
    }
    Ok(out)
}

/// Decodes VNI: at each position the two-byte sequence if one matches, else the single byte.
fn decode_vni(bytes: &[u8]) -> Result<String, DecodeError> {
    let table = table::vni();
    let mut out = String::with_capacity(bytes.len() + bytes.len() / 2);
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        let next = bytes.get(i + 1).copied().filter(|&n| n >= 0x80);
        if let Some(&c) = next.and_then(|n| table.pairs.get(&[b, n])) {
            out.push(c);
            i += 2;
            continue;
        }
        if b < 0x80 {
            out.push(char::from(b));
        } else if let Some(c) = table.single[usize::from(b - 0x80)] {
            out.push(c);
        } else {
            return Err(error_at(bytes, i, Encoding::Vni));
        }
        i += 1;
    }
    Ok(into_nfc(out))
}

/// Encodes NFC text in VNI.
#[cfg(test)]
fn encode_vni(s: &str) -> Result<Vec<u8>, EncodeError> {
    let table = &table::vni().encode;
    let mut out = Vec::with_capacity(s.len());
    for c in s.chars() {
        if c.is_ascii() {
            out.push(c as u8);
        } else if let Some(bytes) = table.get(&c) {
            out.extend_from_slice(bytes);
        } else {
            return Err(EncodeError::Unmappable { encoding: Encoding::Vni.name(), ch: c });
        }
    }
    Ok(out)
}
