//! Which encoding a file is in, judged by whether its text reads as Vietnamese.

use super::{decode, Encoding};
use crate::text::syllable::{self, Score};

/// Bytes of decoded text scored (the start of a file says as much as the whole of it).
const SAMPLE: usize = 256 << 10;

/// Every encoding, in the order ties are settled.
const ALL: [Encoding; 4] = [Encoding::Utf8, Encoding::Vni, Encoding::Tcvn3, Encoding::Windows1258];

/// How a decoding reads.
#[derive(Debug, Clone)]
pub(crate) struct Reading {
    /// The encoding.
    pub(crate) encoding: Encoding,
    /// Its score.
    pub(crate) score: Score,
}

/// Decodes `bytes` in `enc` and scores the text.
fn read_as(bytes: &[u8], enc: Encoding) -> Option<(String, Reading)> {
    let text = decode(bytes, enc).ok()?;
    let score = syllable::score_start(&text, SAMPLE);
    Some((text, Reading { encoding: enc, score }))
}

/// The start of `bytes` that is scored: whole lines, enough of them to give [`SAMPLE`] bytes
/// of text in any encoding. Candidates are judged on it, so that only the chosen encoding
/// decodes the whole input.
fn head(bytes: &[u8]) -> &[u8] {
    if bytes.len() <= 2 * SAMPLE {
        return bytes;
    }
    let cut = &bytes[..2 * SAMPLE];
    cut.iter().rposition(|&b| b == b'\n').map_or(cut, |i| &cut[..=i])
}

/// The encoding other than `not` in which `bytes` read best, when they read as Vietnamese.
pub(crate) fn likely(bytes: &[u8], not: Encoding) -> Option<Reading> {
    ALL.into_iter()
        .filter(|&e| e != not)
        .filter_map(|e| read_as(head(bytes), e).map(|(_, r)| r))
        .filter(|r| r.score.plausible() && r.score.words >= syllable::MIN_WORDS)
        .max_by(|a, b| a.score.share().total_cmp(&b.score.share()))
}

/// `bytes` decoded in `enc` and how that reads.
pub(crate) fn decode_scored(bytes: &[u8], enc: Encoding) -> Result<(String, Score), super::DecodeError> {
    let text = decode(bytes, enc)?;
    let score = syllable::score_start(&text, SAMPLE);
    Ok((text, score))
}

/// Decodes `bytes` in the encoding they read best in: UTF-8 when they are UTF-8 (with or
/// without a byte order mark), else the legacy encoding with the best score. `Err` lists how
/// each encoding read when none reads as Vietnamese.
pub(crate) fn detect(bytes: &[u8]) -> Result<(String, Reading), Vec<Reading>> {
    if let Some(found) = read_as(bytes, Encoding::Utf8) {
        return Ok(found);
    }
    let mut readings: Vec<Reading> = ALL[1..].iter().filter_map(|&e| read_as(head(bytes), e).map(|(_, r)| r)).collect();
    readings.sort_by(|a, b| b.score.share().total_cmp(&a.score.share()));
    // The best plausible reading whose encoding decodes the whole input.
    for r in readings.iter().filter(|r| r.score.plausible()) {
        if let Ok(text) = decode(bytes, r.encoding) {
            return Ok((text, r.clone()));
        }
    }
    Err(readings)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::legacy::encode;

    /// Lower case: TCVN3 has no upper-case toned letters.
    fn sample() -> String {
        let text =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/data/samples/health_facilities_v1.utf8.csv"))
                .unwrap();
        text.lines().take(300).collect::<Vec<_>>().join("\n").to_lowercase()
    }

    #[test]
    fn every_wrong_pairing_is_refused_and_auto_finds_the_right_one() {
        let text = sample();
        for written in ALL {
            let bytes = encode(&text, written).unwrap();
            let (found, reading) = detect(&bytes).unwrap_or_else(|r| panic!("{written:?}: {r:?}"));
            assert_eq!((reading.encoding, found.as_str()), (written, text.as_str()), "auto");
            for declared in ALL.into_iter().filter(|&d| d != written) {
                match decode_scored(&bytes, declared) {
                    Err(_) => {} // refused by the decoder
                    Ok((_, score)) => {
                        assert!(!score.plausible(), "{written:?} read as {declared:?} passes: {score:?}");
                        let best = likely(&bytes, declared).map(|r| r.encoding);
                        assert_eq!(best, Some(written), "{written:?} read as {declared:?}: the right one is named");
                    }
                }
            }
        }
    }
}
