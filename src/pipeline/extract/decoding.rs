//! Files in a legacy encoding (or `auto`): decoded whole, and refused when the text does not
//! read as Vietnamese, naming the encoding it does read in.

use super::{Error, Result};
use crate::text::legacy::detect::{self, Reading};
use crate::text::legacy::Encoding;
use crate::text::syllable::Score;
use std::io::Read;
use std::path::Path;

/// Bytes looked at to tell whether an `auto` file is UTF-8.
const SNIFF: u64 = 8 << 20;

/// The first [`SNIFF`] bytes of the file at `path`.
fn start_of(path: &Path) -> std::io::Result<Vec<u8>> {
    let mut start = Vec::new();
    std::fs::File::open(path)?.take(SNIFF).read_to_end(&mut start)?;
    Ok(start)
}

/// Whether the file at `path` read with `encoding = "auto"` is UTF-8: a byte order mark, or a
/// start that is UTF-8 (a character cut by the end of the sample aside).
pub(super) fn sniff_utf8(path: &Path) -> Result<bool> {
    let start = start_of(path).map_err(|source| Error::Io { path: path.to_path_buf(), source })?;
    Ok(start.starts_with(b"\xEF\xBB\xBF")
        || match std::str::from_utf8(&start) {
            Ok(_) => true,
            Err(e) => e.error_len().is_none() && start.len() as u64 == SNIFF,
        })
}

fn percent(s: &Score) -> String {
    format!("{:.0}%", s.share() * 100.0)
}

/// The advice when `raw` does not read as Vietnamese in `declared`.
fn advice(raw: &[u8], declared: Encoding) -> String {
    match detect::likely(raw, declared) {
        Some(Reading { encoding, score }) => format!(
            "it reads as {} ({} of its words are): set [source] encoding = \"{}\" (or \"auto\")",
            encoding.name(),
            percent(&score),
            encoding.name()
        ),
        None => "it reads as Vietnamese in no encoding the hub knows: check the file".into(),
    }
}

/// Decodes `raw` (the bytes of `path`) in `enc`, or in the encoding detected for `auto`;
/// returns the text and the encoding used.
pub(super) fn decode_file(path: &Path, raw: &[u8], enc: Encoding) -> Result<(String, Encoding)> {
    if enc == Encoding::Auto {
        return match detect::detect(raw) {
            Ok((text, r)) => {
                tracing::info!(encoding = r.encoding.name(), well_formed = %percent(&r.score), "encoding detected");
                Ok((text, r.encoding))
            }
            Err(readings) => {
                let tried: Vec<String> = readings
                    .iter()
                    .map(|r| format!("{} {} well-formed", r.encoding.name(), percent(&r.score)))
                    .collect();
                Err(Error::Encoding {
                    path: path.to_path_buf(),
                    message: format!(
                        "the encoding cannot be detected: it is not UTF-8, and no legacy encoding reads as Vietnamese ({}): declare it in [source] encoding",
                        tried.join(", ")
                    ),
                })
            }
        };
    }
    let (text, score) = detect::decode_scored(raw, enc).map_err(|e| match detect::likely(raw, enc) {
        Some(_) => Error::Encoding { path: path.to_path_buf(), message: format!("{e}; {}", advice(raw, enc)) },
        None => Error::Decode { path: path.to_path_buf(), source: e },
    })?;
    if !score.plausible() {
        return Err(Error::Encoding {
            path: path.to_path_buf(),
            message: format!(
                "the text does not read as Vietnamese in {}: only {} of {} words with diacritics are Vietnamese syllables (such as '{}'); {}",
                enc.name(),
                percent(&score),
                score.words,
                score.example.as_deref().unwrap_or(""),
                advice(raw, enc)
            ),
        });
    }
    Ok((text, enc))
}

/// For a file that is not UTF-8: the legacy encoding it reads in, as advice.
pub(super) fn not_utf8_advice(path: &Path) -> Option<String> {
    let r = detect::likely(&start_of(path).ok()?, Encoding::Utf8)?;
    Some(format!("it reads as {}: set [source] encoding = \"{}\" (or \"auto\")", r.encoding.name(), r.encoding.name()))
}
