//! Whether decoded text reads as Vietnamese: the share of its words with diacritics (or any
//! non-ASCII character) that are well-formed Vietnamese syllables. Text decoded with the wrong
//! legacy encoding ("Beänh vieän", "Ñaø Naüng", "Viá»‡t") scores far below real text.

/// Words scored, and how many of them were well-formed syllables.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Score {
    /// Words holding a non-ASCII character (ASCII-only words say nothing about the encoding).
    pub(crate) words: usize,
    /// Those that are well-formed Vietnamese syllables.
    pub(crate) well_formed: usize,
    /// The first word that is not, to show the steward.
    pub(crate) example: Option<String>,
}

/// Fewer words than this with non-ASCII characters decide nothing.
pub(crate) const MIN_WORDS: usize = 20;
/// Real Vietnamese text scores above this share (foreign names and typos aside).
pub(crate) const PLAUSIBLE: f64 = 0.8;

impl Score {
    /// The share of well-formed words (1 when there are none).
    pub(crate) fn share(&self) -> f64 {
        if self.words == 0 {
            1.0
        } else {
            self.well_formed as f64 / self.words as f64
        }
    }

    /// True unless enough words were scored and too few were well-formed.
    pub(crate) fn plausible(&self) -> bool {
        self.words < MIN_WORDS || self.share() >= PLAUSIBLE
    }
}

/// Base vowel and its five toned forms, lower case.
const VOWELS: [&str; 12] = [
    "aàáảãạ",
    "ăằắẳẵặ",
    "âầấẩẫậ",
    "eèéẻẽẹ",
    "êềếểễệ",
    "iìíỉĩị",
    "oòóỏõọ",
    "ôồốổỗộ",
    "ơờớởỡợ",
    "uùúủũụ",
    "ưừứửữự",
    "yỳýỷỹỵ",
];
const INITIALS: [&str; 27] = [
    "ngh", "ng", "gh", "gi", "ch", "kh", "nh", "ph", "qu", "th", "tr", "b", "c", "d", "đ", "g", "h", "k", "l", "m",
    "n", "p", "r", "s", "t", "v", "x",
];
const FINALS: [&str; 9] = ["ch", "ng", "nh", "c", "m", "n", "p", "t", ""];

/// The base vowel of `c` and whether it carries a tone, when `c` is a Vietnamese vowel.
fn vowel(c: char) -> Option<(char, bool)> {
    VOWELS.iter().find_map(|v| {
        let mut chars = v.chars();
        let base = chars.next()?;
        if c == base {
            Some((base, false))
        } else {
            chars.any(|t| t == c).then_some((base, true))
        }
    })
}

/// True when `word` (letters, any case) is a well-formed Vietnamese syllable: an optional
/// initial consonant, one to three vowels with at most one tone mark, an optional final.
pub(crate) fn well_formed(word: &str) -> bool {
    let w: Vec<char> = word.chars().flat_map(char::to_lowercase).collect();
    let starts =
        |at: usize, s: &str| w.get(at..).is_some_and(|rest| rest.iter().copied().take(s.chars().count()).eq(s.chars()));
    // "gi" and "qu" before nothing but a final are "g" / "q" followed by the vowel i / u.
    let initial = INITIALS.iter().filter(|i| starts(0, i)).map(|i| i.chars().count()).find(|&n| {
        let rest = &w[n..];
        !rest.is_empty() && vowel(rest[0]).is_some()
    });
    let mut at = match initial {
        Some(n) => n,
        None if w.first().is_some_and(|&c| vowel(c).is_some()) => 0,
        None => return false,
    };
    let (mut vowels, mut tones) = (0, 0);
    while let Some((_, toned)) = w.get(at).and_then(|&c| vowel(c)) {
        vowels += 1;
        tones += usize::from(toned);
        at += 1;
    }
    if vowels == 0 || vowels > 3 || tones > 1 {
        return false;
    }
    FINALS.iter().any(|f| starts(at, f) && at + f.chars().count() == w.len())
}

/// Characters that separate words besides white space and ASCII: typographic punctuation.
fn separator(c: char) -> bool {
    matches!(c, '\u{a0}' | '“' | '”' | '‘' | '’' | '–' | '—' | '…' | '·' | '°' | '«' | '»' | '\u{feff}')
}

/// Scores at most the first `limit` bytes of `text` (rounded down to a character).
pub(crate) fn score_start(text: &str, limit: usize) -> Score {
    let mut end = limit.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    score(&text[..end])
}

/// Scores `text`: every word (a run of letters and non-ASCII characters) holding a non-ASCII
/// character counts, and is well-formed when it is a Vietnamese syllable.
pub(crate) fn score(text: &str) -> Score {
    let mut s = Score::default();
    let mut word = String::new();
    let mut flush = |word: &mut String| {
        if !word.is_ascii() {
            s.words += 1;
            if word.chars().all(char::is_alphabetic) && well_formed(word) {
                s.well_formed += 1;
            } else if s.example.is_none() {
                s.example = Some(word.clone());
            }
        }
        word.clear();
    };
    for c in text.chars() {
        if (c.is_alphabetic() || !c.is_ascii()) && !separator(c) {
            word.push(c);
        } else if !word.is_empty() {
            flush(&mut word);
        }
    }
    flush(&mut word);
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vietnamese_syllables_are_well_formed() {
        for w in ["Nguyễn", "nghiêng", "giữ", "gì", "quốc", "Đà", "Nẵng", "BỆNH", "viện", "khuya", "ươm", "oái", "ạ"]
        {
            assert!(well_formed(w), "{w}");
        }
        for w in ["Beänh", "vieän", "Ñaø", "Naüng", "Viá»‡t", "ảá", "nguyễnn", "xyz", "tiếnnh"] {
            assert!(!well_formed(w), "{w}");
        }
    }

    #[test]
    fn mojibake_scores_low_and_real_text_high() {
        let real = "Bệnh viện Đa khoa Trung ương Quảng Nam, Phòng khám chuyên khoa Nội, Trạm y tế xã Hòa Tiến, \
                    Nhà thuốc Đông Giang, Phường Hải Châu, thành phố Đà Nẵng, Người đứng đầu: Nguyễn Quốc Long.";
        let s = score(real);
        assert!(s.words >= MIN_WORDS && s.share() > 0.95, "{s:?}");
        let vni_as_1258 = "Beänh vieän Ña khoa Trung öông Quaûng Nam, Phoøng khaùm chuyeân khoa Noäi, Traïm y teá xaõ \
                           Hoøa Tieán, Nhaø thuoác Ñoâng Giang, Phöôøng Haûi Chaâu, thaønh phoá Ñaø Naüng.";
        assert!(score(vni_as_1258).share() < 0.3, "{:?}", score(vni_as_1258));
        let utf8_as_1258 = "Bá»‡nh viá»‡n Ä\u{90}a khoa Trung Æ°Æ¡ng Quáº£ng Nam, PhÃ²ng khÃ¡m chuyÃªn khoa Ná»™i, \
                            Tráº¡m y táº¿ xÃ£ HÃ²a Tiáº¿n, NhÃ  thuá»‘c ÄÃ´ng Giang, PhÆ°á»\u{9d}ng Háº£i ChÃ¢u";
        assert!(score(utf8_as_1258).share() < 0.3, "{:?}", score(utf8_as_1258));
        assert!(Score { words: 5, well_formed: 0, example: None }.plausible(), "too few words decide nothing");
        assert_eq!(score(vni_as_1258).example.as_deref(), Some("Beänh"));
    }
}
