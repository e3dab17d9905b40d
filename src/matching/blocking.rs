//! Blocking: which pairs of records are compared. A rule's key is made of columns or parts of
//! them (`KeyPart`); records with the same key form a block, and the pairs within blocks are
//! the candidates, within each rule's budget.

use super::records::Records;
use super::spec::{self, MatchSpec};
use rayon::prelude::*;
use std::collections::HashMap;

/// Records in one block at most; larger blocks (a key shared by too many records, such as an
/// empty-ish value) are skipped, and counted.
pub(crate) const MAX_BLOCK: usize = 5_000;

/// Candidate pairs per record above which a blocking rule is too costly (comparing and
/// holding the pairs grows with it; a 1M-record job then needs hours and gigabytes).
pub const COSTLY_PAIRS_PER_RECORD: usize = 50;

/// Pairs a rule may bring before its largest blocks are skipped: `per_record` per record,
/// and never fewer than this (small jobs keep every block).
const MIN_RULE_BUDGET: usize = 2_000_000;

/// The sorted union of the rules' pairs.
pub(crate) fn union(by_rule: &[Vec<u64>]) -> Vec<u64> {
    let mut pairs: Vec<u64> = by_rule.iter().flatten().copied().collect();
    pairs.par_sort_unstable();
    pairs.dedup();
    pairs
}

/// The pairs of each blocking rule (`i << 32 | j`), and oversized blocks skipped.
pub(crate) fn candidates_by_rule(spec: &MatchSpec, r: &Records) -> (Vec<Vec<u64>>, usize) {
    let mut out = Vec::new();
    let mut skipped = 0;
    for rule in &spec.blocking {
        let mut pairs: Vec<u64> = Vec::new();
        let mut blocks: HashMap<String, Vec<u32>> = HashMap::new();
        for i in 0..r.len() {
            if let Some(k) = r.block_key(rule, i) {
                blocks.entry(k).or_default().push(i as u32);
            }
        }
        let link_only = spec.link_type == spec::LinkType::LinkOnly;
        // Largest blocks first out, until the rule fits its budget of pairs.
        let budget = (spec.max_pairs_per_record * r.len()).max(MIN_RULE_BUDGET);
        let mut sizes: Vec<usize> = blocks.values().map(Vec::len).filter(|k| *k <= MAX_BLOCK).collect();
        sizes.sort_unstable_by(|a, b| b.cmp(a));
        let mut total: usize = sizes.iter().map(|k| k * (k - 1) / 2).sum();
        let mut limit = MAX_BLOCK;
        for k in &sizes {
            if total <= budget {
                break;
            }
            total -= k * (k - 1) / 2;
            limit = k - 1;
        }
        if limit < MAX_BLOCK {
            tracing::warn!(
                ?rule,
                largest_kept = limit,
                "blocks over the rule's budget of pairs skipped: add a key to the rule"
            );
        }
        for members in blocks.values() {
            if members.len() > limit {
                skipped += 1;
                continue;
            }
            for (a, &i) in members.iter().enumerate() {
                for &j in &members[a + 1..] {
                    if link_only && r.sources[i as usize] == r.sources[j as usize] {
                        continue;
                    }
                    pairs.push((u64::from(i) << 32) | u64::from(j));
                }
            }
        }
        pairs.par_sort_unstable();
        pairs.dedup();
        out.push(pairs);
    }
    (out, skipped)
}

/// The part of a folded value a blocking key takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KeyPart {
    /// `:N`: the first N characters.
    First(usize),
    /// `:-N`: the last N characters (a CCCD whose leading zero was lost keeps its end; the
    /// year of `dd/mm/yyyy` is `:-4`).
    Last(usize),
    /// `:first`: the first word (a Vietnamese family name).
    FirstWord,
    /// `:last`: the last word (a Vietnamese given name).
    LastWord,
    /// `:ends`: the first and last words in sorted order (a name written given name first
    /// or without its middle name keeps them).
    Ends,
}

impl KeyPart {
    /// Parses what follows `column:`.
    pub(crate) fn parse(part: &str) -> Option<KeyPart> {
        match part {
            "first" => Some(KeyPart::FirstWord),
            "last" => Some(KeyPart::LastWord),
            "ends" => Some(KeyPart::Ends),
            _ => match part.strip_prefix('-') {
                Some(n) => n.parse::<usize>().ok().filter(|n| *n > 0).map(KeyPart::Last),
                None => part.parse::<usize>().ok().filter(|n| *n > 0).map(KeyPart::First),
            },
        }
    }

    /// The part of folded value `v` (empty when `v` is).
    pub(crate) fn apply(self, v: &str) -> String {
        let words = || v.split(' ').filter(|w| !w.is_empty());
        match self {
            KeyPart::First(n) => v.chars().take(n).collect(),
            KeyPart::Last(n) => {
                let len = v.chars().count();
                v.chars().skip(len.saturating_sub(n)).collect()
            }
            KeyPart::FirstWord => words().next().unwrap_or("").to_string(),
            KeyPart::LastWord => words().next_back().unwrap_or("").to_string(),
            KeyPart::Ends => {
                let (first, last) = (words().next().unwrap_or(""), words().next_back().unwrap_or(""));
                if first <= last {
                    format!("{first} {last}")
                } else {
                    format!("{last} {first}")
                }
            }
        }
    }
}
