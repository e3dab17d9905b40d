//! Matching: recognise one entity across records. Blocking proposes candidate pairs, each
//! comparison gives a level, a Fellegi–Sunter model (u from random pairs, m by EM,
//! term-frequency adjustments) turns levels into a match probability; pairs above the
//! thresholds are matches or wait for review.

pub(crate) mod blocking;
pub(crate) mod compare;
pub(crate) mod model;
pub(crate) mod org;
pub(crate) mod person;
pub(crate) mod prior;
pub mod records;
pub mod spec;

use model::{Model, Pattern};
use rayon::prelude::*;
use records::Records;
use spec::MatchSpec;
use std::collections::HashMap;

pub use blocking::COSTLY_PAIRS_PER_RECORD;
use blocking::{candidates_by_rule, union};

/// Errors of matching.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The match spec is wrong.
    #[error("match spec {0}")]
    Spec(String),
    /// The input cannot be read or lacks a column.
    #[error("{0}")]
    Input(String),
    /// An id asked for is not in the input.
    #[error("no record '{0}' in the input")]
    NoRecord(String),
}

/// Result type of this module.
pub(crate) type Result<T> = std::result::Result<T, Error>;

/// Trains m and lambda. Pairs of one blocking rule all agree on the rule's columns, so EM on
/// them cannot learn those columns (it would take "agrees on the blocking key" for "match"):
/// m is estimated rule by rule on the other comparisons and averaged; lambda, the prior, is
/// then estimated over all comparable pairs with m and u fixed.
fn train(
    spec: &MatchSpec,
    r: &Records,
    u: Vec<Vec<f64>>,
    by_rule: &[Vec<u64>],
    cands: &[u64],
    patterns: &[Pattern],
) -> Model {
    let ncomp = r.columns.len();
    let mut sum: Vec<Vec<f64>> = u.iter().map(|v| vec![0.0; v.len()]).collect();
    let mut times = vec![0usize; ncomp];
    let mut iterations = 0;
    for (rule, pairs) in spec.blocking.iter().zip(by_rule) {
        let blocked: Vec<&str> = rule.iter().flat_map(|k| k.split(':').next().unwrap_or(k).split('|')).collect();
        let excluded: Vec<bool> = r.columns.iter().map(|c| blocked.contains(&c.name.as_str())).collect();
        let mask: Pattern = excluded.iter().enumerate().filter(|(_, e)| **e).fold(0, |m, (c, _)| m | (7 << (3 * c)));
        let mut counts: HashMap<Pattern, u64> = HashMap::new();
        for p in pairs {
            if let Ok(k) = cands.binary_search(p) {
                *counts.entry(patterns[k] | mask).or_default() += 1;
            }
        }
        if counts.is_empty() {
            continue;
        }
        let m = model::estimate_m(spec, u.clone(), &counts);
        iterations += m.iterations;
        for c in (0..ncomp).filter(|c| !excluded[*c]) {
            for (l, v) in m.m[c].iter().enumerate() {
                sum[c][l] += v;
            }
            times[c] += 1;
        }
    }
    let m: Vec<Vec<f64>> = sum
        .into_iter()
        .zip(&times)
        .map(|(v, &t)| match t {
            0 => model::default_m(v.len()),
            t => v.into_iter().map(|x| x / t as f64).collect(),
        })
        .collect();
    let mut counts: HashMap<Pattern, u64> = HashMap::new();
    for p in patterns {
        *counts.entry(*p).or_default() += 1;
    }
    let caps = prior::caps(r, &m, &u);
    let lambda = prior::estimate_prior(&m, &u, &caps, &counts, r.comparable_pairs(spec.link_type));
    Model { m, u, lambda, iterations, caps }
}

/// A scored pair.
#[derive(Debug, Clone, Copy)]
pub struct Scored {
    pub a: u32,
    pub b: u32,
    pub probability: f64,
}

/// What a matching job found.
pub struct Outcome {
    pub model: Model,
    /// Candidate pairs compared.
    pub(crate) candidates: usize,
    /// Oversized blocks skipped.
    pub skipped_blocks: usize,
    /// Pairs at or above the review threshold.
    pub pairs: Vec<Scored>,
    /// Every candidate pair (`i << 32 | j`), sorted.
    pub(crate) candidate_pairs: Vec<u64>,
    /// Candidate pairs each blocking rule brought (before the union).
    pub per_rule: Vec<usize>,
}

impl Outcome {
    /// Every candidate pair, as record indices.
    pub fn candidate_pairs(&self) -> impl Iterator<Item = (u32, u32)> + '_ {
        self.candidate_pairs.iter().map(|p| ((p >> 32) as u32, *p as u32))
    }
}

/// Trains the model on `r` and scores every candidate pair.
pub fn run(spec: &MatchSpec, r: &Records) -> Outcome {
    let t = std::time::Instant::now();
    let (by_rule, skipped_blocks) = candidates_by_rule(spec, r);
    let cands = union(&by_rule);
    let per_rule: Vec<usize> = by_rule.iter().map(Vec::len).collect();
    tracing::info!(candidates = cands.len(), ?per_rule, skipped_blocks, secs = t.elapsed().as_secs_f64(), "blocking");
    for (rule, n) in spec.blocking.iter().zip(&per_rule) {
        if *n > COSTLY_PAIRS_PER_RECORD * r.len().max(1) {
            tracing::warn!(
                ?rule,
                pairs = n,
                records = r.len(),
                "a blocking rule brings more than {COSTLY_PAIRS_PER_RECORD} candidate pairs per record: add a key to it"
            );
        }
    }
    let split = |p: u64| ((p >> 32) as usize, (p & 0xffff_ffff) as usize);
    let patterns: Vec<Pattern> = cands
        .par_iter()
        .map(|&p| {
            let (i, j) = split(p);
            model::pattern(r, i, j)
        })
        .collect();
    tracing::info!(secs = t.elapsed().as_secs_f64(), "candidate pairs compared");
    let u = model::estimate_u(spec, r);
    tracing::info!(secs = t.elapsed().as_secs_f64(), "u estimated");
    let model = train(spec, r, u, &by_rule, &cands, &patterns);
    tracing::info!(secs = t.elapsed().as_secs_f64(), lambda = model.lambda, "m and the prior estimated");
    drop(by_rule);
    let pairs: Vec<Scored> = cands
        .par_iter()
        .zip(patterns.par_iter())
        .filter_map(|(&pair, &p)| {
            let (a, b) = split(pair);
            let probability = model::probability(&model, r, p, a);
            (probability >= spec.review_threshold).then_some(Scored { a: a as u32, b: b as u32, probability })
        })
        .collect();
    Outcome { model, candidates: cands.len(), skipped_blocks, pairs, candidate_pairs: cands, per_rule }
}

/// Pairwise quality against ground truth.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Evaluation {
    pub records: usize,
    pub candidates: usize,
    pub true_pairs: u64,
    pub true_pairs_in_candidates: u64,
    pub predicted: u64,
    pub true_positives: u64,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    pub threshold: f64,
}

/// Scores `outcome` at `threshold` against entity labels (`truth[i]`: the entity of record i).
pub fn evaluate(r: &Records, outcome: &Outcome, truth: &[String], threshold: f64) -> Evaluation {
    let mut sizes: HashMap<&str, u64> = HashMap::new();
    for t in truth {
        *sizes.entry(t.as_str()).or_default() += 1;
    }
    let true_pairs: u64 = sizes.values().map(|k| k * (k - 1) / 2).sum();
    let same = |a: u32, b: u32| truth[a as usize] == truth[b as usize];
    let cands = outcome.candidate_pairs.iter().filter(|&&p| same((p >> 32) as u32, p as u32)).count() as u64;
    let predicted: Vec<&Scored> = outcome.pairs.iter().filter(|p| p.probability >= threshold).collect();
    let tp = predicted.iter().filter(|p| same(p.a, p.b)).count() as u64;
    let precision = if predicted.is_empty() { 1.0 } else { tp as f64 / predicted.len() as f64 };
    let recall = if true_pairs == 0 { 1.0 } else { tp as f64 / true_pairs as f64 };
    let f1 = if precision + recall == 0.0 { 0.0 } else { 2.0 * precision * recall / (precision + recall) };
    Evaluation {
        records: r.len(),
        candidates: outcome.candidates,
        true_pairs,
        true_pairs_in_candidates: cands,
        predicted: predicted.len() as u64,
        true_positives: tp,
        precision,
        recall,
        f1,
        threshold,
    }
}

/// One comparison's part in a pair's probability.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Step {
    pub column: String,
    pub a: String,
    pub b: String,
    /// Level name, or `missing`.
    pub level: String,
    /// log2 Bayes factor (0 when missing).
    pub weight: f64,
}

/// Why a pair scores what it scores: the prior, each comparison's weight, the probability.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Explanation {
    pub prior_weight: f64,
    pub steps: Vec<Step>,
    pub total_weight: f64,
    pub probability: f64,
}

/// Explains the pair of records with ids `a` and `b` under `model`.
pub fn explain(r: &Records, model: &Model, a: &str, b: &str) -> Result<Explanation> {
    let find = |id: &str| r.ids.iter().position(|x| x == id).ok_or_else(|| Error::NoRecord(id.into()));
    let (i, j) = (find(a)?, find(b)?);
    let p = model::pattern(r, i, j);
    let prior_weight = (model.lambda / (1.0 - model.lambda)).log2();
    let mut steps = Vec::new();
    let mut total = prior_weight;
    for (c, col) in r.columns.iter().enumerate() {
        // A comparison of several columns (`a+b+c`) shows their values joined by " | ".
        let raw = |k: usize| {
            let values: Vec<&str> =
                col.name.split('+').map(|n| r.raw.get(n).and_then(|v| v.get(k)).map_or("", String::as_str)).collect();
            if values.len() > 1 && values.iter().all(|v| v.is_empty()) {
                String::new()
            } else {
                values.join(" | ")
            }
        };
        let (level, weight) = match model::level_of(p, c) {
            Some(l) => {
                (col.kind.levels().get(l).copied().unwrap_or("different").to_string(), model::weight(model, r, c, l, i))
            }
            None => ("missing".to_string(), 0.0),
        };
        total += weight;
        steps.push(Step { column: col.name.clone(), a: raw(i), b: raw(j), level, weight });
    }
    Ok(Explanation { prior_weight, steps, total_weight: total, probability: model::probability(model, r, p, i) })
}
