//! Windows code page 1258, which writes Vietnamese tones as combining marks.

#[cfg(test)]
use std::collections::HashMap;
use std::sync::OnceLock;

#[cfg(test)]
use encoding_rs::EncoderResult;
use encoding_rs::WINDOWS_1258;
#[cfg(test)]
use unicode_normalization::UnicodeNormalization;

#[cfg(test)]
use super::EncodeError;
use super::{error_at, to_nfc, DecodeError, Encoding};

/// The windows-1258 character of each high byte, indexed by `byte - 0x80`; `None` for the
/// bytes the code page leaves undefined (decoded by encoding_rs as U+FFFD or a C1 control).
fn windows_1258_high() -> &'static [Option<char>; 128] {
    static TABLE: OnceLock<[Option<char>; 128]> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut table = [None; 128];
        for (slot, byte) in table.iter_mut().zip(0x80u8..=0xFF) {
            let single = [byte];
            let (text, _) = WINDOWS_1258.decode_without_bom_handling(&single);
            *slot = text.chars().next().filter(|c| !matches!(c, '\u{80}'..='\u{9F}' | '\u{FFFD}'));
        }
        table
    })
}

/// Decodes windows-1258 bytes to NFC, refusing the bytes the code page leaves undefined.
pub(super) fn decode(bytes: &[u8]) -> Result<String, DecodeError> {
    let table = windows_1258_high();
    if let Some(offset) = bytes.iter().position(|&b| b >= 0x80 && table[usize::from(b - 0x80)].is_none()) {
        return Err(error_at(bytes, offset, Encoding::Windows1258));
    }
    let (text, _) = WINDOWS_1258.decode_without_bom_handling(bytes);
    Ok(to_nfc(&text).into_owned())
}

/// Tone marks that windows-1258 writes as separate combining characters.
#[cfg(test)]
fn is_cp1258_tone(c: char) -> bool {
    matches!(c, '\u{0300}' | '\u{0301}' | '\u{0303}' | '\u{0309}' | '\u{0323}')
}

/// Rewrites NFC text into the partly decomposed form windows-1258 can represent: a base letter
/// (with circumflex, breve or horn when the code page has it) followed by a combining tone.
#[cfg(test)]
fn windows_1258_form(s: &str) -> Result<String, EncodeError> {
    static CHARS: OnceLock<HashMap<char, u8>> = OnceLock::new();
    let chars = CHARS.get_or_init(|| {
        (0x80u8..=0xFF).zip(windows_1258_high().iter()).filter_map(|(b, c)| c.map(|c| (c, b))).collect()
    });
    let writable = |c: char| c.is_ascii() || chars.contains_key(&c);
    let mut out = String::with_capacity(s.len() + s.len() / 2);
    for c in s.chars() {
        if writable(c) {
            out.push(c);
            continue;
        }
        let (tones, others): (Vec<char>, Vec<char>) = c.to_string().nfd().partition(|&m| is_cp1258_tone(m));
        let base: String = others.into_iter().nfc().collect();
        if !base.chars().chain(tones.iter().copied()).all(writable) {
            return Err(EncodeError::Unmappable { encoding: Encoding::Windows1258.name(), ch: c });
        }
        out.push_str(&base);
        out.extend(tones);
    }
    Ok(out)
}

/// Encodes NFC text, writing tones the code page has no precomposed letter for as marks.
#[cfg(test)]
pub(super) fn encode(s: &str) -> Result<Vec<u8>, EncodeError> {
    let prepared = windows_1258_form(s)?;
    let mut encoder = WINDOWS_1258.new_encoder();
    let mut out = Vec::with_capacity(prepared.len());
    let mut input = prepared.as_str();
    loop {
        let (result, read) = encoder.encode_from_utf8_to_vec_without_replacement(input, &mut out, true);
        input = &input[read..];
        match result {
            EncoderResult::InputEmpty => return Ok(out),
            EncoderResult::OutputFull => out.reserve(input.len().max(16)),
            EncoderResult::Unmappable(ch) => {
                return Err(EncodeError::Unmappable { encoding: Encoding::Windows1258.name(), ch })
            }
        }
    }
}
