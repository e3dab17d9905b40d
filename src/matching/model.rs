//! The Fellegi–Sunter model: u (chance of each level among non-matches) from random pairs, m
//! (among matches) and the share of matches among candidate pairs by EM over the candidates'
//! level patterns, term-frequency adjusted exact agreements, and match weights.

use super::records::Records;
use super::spec::MatchSpec;
use rand::{Rng, SeedableRng};
use std::collections::HashMap;

/// Levels of one pair, 3 bits per comparison (7 = a value missing).
pub(crate) type Pattern = u64;

const MISSING: u64 = 7;

/// The level of comparison `c` in `p`, `None` when a value was missing.
pub(crate) fn level_of(p: Pattern, c: usize) -> Option<usize> {
    let l = (p >> (3 * c)) & 7;
    (l != MISSING).then_some(l as usize)
}

/// The pattern of records `i` and `j`.
pub(crate) fn pattern(r: &Records, i: usize, j: usize) -> Pattern {
    let mut p = 0u64;
    for (c, col) in r.columns.iter().enumerate() {
        let swapped = col.swapped.as_ref().map(|s| (s[i].as_str(), s[j].as_str()));
        let l =
            super::compare::level(col.kind, &col.values[i], &col.values[j], swapped).map(u64::from).unwrap_or(MISSING);
        p |= l << (3 * c);
    }
    p
}

/// Estimated parameters.
#[derive(Debug, Clone)]
pub struct Model {
    /// m[c][level]: chance of the level among matches (the last level is "different").
    pub(crate) m: Vec<Vec<f64>>,
    /// u[c][level]: chance among non-matches.
    pub(crate) u: Vec<Vec<f64>>,
    /// Share of matches among candidate pairs.
    pub lambda: f64,
    /// EM iterations run.
    pub iterations: usize,
}

fn normalize(v: &mut [f64]) {
    let s: f64 = v.iter().sum();
    if s > 0.0 {
        v.iter_mut().for_each(|x| *x /= s);
    }
}

/// u from `spec.u_pairs` random pairs (add-one smoothed), drawn in seeded chunks compared in
/// parallel: the same seed gives the same u whatever the number of cores.
pub(crate) fn estimate_u(spec: &MatchSpec, r: &Records) -> Vec<Vec<f64>> {
    use rayon::prelude::*;
    let empty: Vec<Vec<f64>> = r.columns.iter().map(|c| vec![0.0; c.kind.levels().len() + 1]).collect();
    let n = r.len();
    let mut counts = empty.clone();
    if n >= 2 {
        const CHUNK: usize = 10_000;
        let chunks = spec.u_pairs.div_ceil(CHUNK);
        let partial: Vec<Vec<Vec<f64>>> = (0..chunks)
            .into_par_iter()
            .map(|k| {
                let mut rng =
                    rand::rngs::StdRng::seed_from_u64(spec.seed.wrapping_mul(1_000_003).wrapping_add(k as u64));
                let mut local = empty.clone();
                for _ in 0..CHUNK.min(spec.u_pairs - k * CHUNK) {
                    let (i, j) = (rng.gen_range(0..n), rng.gen_range(0..n));
                    if i == j {
                        continue;
                    }
                    let p = pattern(r, i, j);
                    for (c, row) in local.iter_mut().enumerate() {
                        if let Some(l) = level_of(p, c) {
                            row[l] += 1.0;
                        }
                    }
                }
                local
            })
            .collect();
        for part in partial {
            for (c, row) in part.into_iter().enumerate() {
                for (l, v) in row.into_iter().enumerate() {
                    counts[c][l] += v;
                }
            }
        }
    }
    counts.iter_mut().for_each(|v| {
        v.iter_mut().for_each(|x| *x += 1.0);
        normalize(v)
    });
    counts
}

/// A starting m: most matches agree exactly, fewer at each lower level.
pub(crate) fn default_m(levels: usize) -> Vec<f64> {
    let mut v: Vec<f64> = (0..levels).map(|l| 0.5f64.powi(l as i32 + 1)).collect();
    if let Some(last) = v.last_mut() {
        *last = 0.01;
    }
    normalize(&mut v);
    v
}

/// The E step: the chance that a pair with pattern `p` is a match.
fn posterior(p: Pattern, lambda: f64, m: &[Vec<f64>], u: &[Vec<f64>]) -> f64 {
    let (mut pm, mut pu) = (lambda, 1.0 - lambda);
    for c in 0..m.len() {
        if let Some(l) = level_of(p, c) {
            pm *= m[c][l];
            pu *= u[c][l];
        }
    }
    pm / (pm + pu)
}

/// The share of matches among candidate `patterns` with m and u fixed (EM on lambda alone).
pub(crate) fn estimate_lambda(m: &[Vec<f64>], u: &[Vec<f64>], patterns: &HashMap<Pattern, u64>) -> f64 {
    let mut lambda: f64 = 0.1;
    for _ in 0..200 {
        let (mut matched, mut total) = (0.0, 0.0);
        for (&p, &count) in patterns {
            matched += count as f64 * posterior(p, lambda, m, u);
            total += count as f64;
        }
        let next = if total > 0.0 { (matched / total).clamp(1e-6, 1.0 - 1e-6) } else { lambda };
        let done = (next - lambda).abs() < 1e-9;
        lambda = next;
        if done {
            break;
        }
    }
    lambda
}

/// m and lambda by EM over candidate `patterns` (pattern → number of pairs), u fixed.
pub(crate) fn estimate_m(spec: &MatchSpec, u: Vec<Vec<f64>>, patterns: &HashMap<Pattern, u64>) -> Model {
    let mut m: Vec<Vec<f64>> = u
        .iter()
        .map(|lv| {
            let mut v: Vec<f64> = (0..lv.len()).map(|l| 0.5f64.powi(l as i32 + 1)).collect();
            normalize(&mut v);
            v
        })
        .collect();
    let mut lambda = 0.1;
    let mut iterations = 0;
    for _ in 0..spec.em_iterations {
        iterations += 1;
        let mut num: Vec<Vec<f64>> = m.iter().map(|v| vec![1e-9; v.len()]).collect();
        let (mut matched, mut total) = (0.0, 0.0);
        for (&p, &count) in patterns {
            let w = posterior(p, lambda, &m, &u) * count as f64;
            matched += w;
            total += count as f64;
            for (c, row) in num.iter_mut().enumerate() {
                if let Some(l) = level_of(p, c) {
                    row[l] += w;
                }
            }
        }
        num.iter_mut().for_each(|v| normalize(v));
        let new_lambda = if total > 0.0 { (matched / total).clamp(1e-6, 1.0 - 1e-6) } else { lambda };
        let change = num
            .iter()
            .flatten()
            .zip(m.iter().flatten())
            .map(|(a, b)| (a - b).abs())
            .fold((new_lambda - lambda).abs(), f64::max);
        m = num;
        lambda = new_lambda;
        if change < 1e-7 {
            break;
        }
    }
    Model { m, u, lambda, iterations }
}

/// Weight (log2 Bayes factor) of comparison `c` at `level` for records `i`, `j`.
pub(crate) fn weight(model: &Model, r: &Records, c: usize, level: usize, i: usize) -> f64 {
    let u = match (&r.columns[c].tf, level) {
        (Some(tf), 0) => tf.get(r.columns[c].values[i].as_str()).copied().unwrap_or(model.u[c][0]),
        _ => model.u[c][level],
    };
    (model.m[c][level] / u.max(1e-12)).log2()
}

/// Match probability of records `i` and `j` with pattern `p`.
pub(crate) fn probability(model: &Model, r: &Records, p: Pattern, i: usize) -> f64 {
    let mut w = (model.lambda / (1.0 - model.lambda)).log2();
    for c in 0..r.columns.len() {
        if let Some(l) = level_of(p, c) {
            w += weight(model, r, c, l, i);
        }
    }
    let odds = w.exp2();
    if odds.is_infinite() {
        1.0
    } else {
        odds / (1.0 + odds)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::matching::spec::{CompareKind, ComparisonSpec};

    fn spec() -> MatchSpec {
        MatchSpec {
            entity: None,
            golden: Vec::new(),
            id: "id".into(),
            blocking: vec![vec!["b".into()]],
            comparisons: vec![
                ComparisonSpec {
                    column: "x".into(),
                    kind: CompareKind::Exact,
                    swapped_with: None,
                    term_frequency: false,
                },
                ComparisonSpec {
                    column: "y".into(),
                    kind: CompareKind::Exact,
                    swapped_with: None,
                    term_frequency: false,
                },
            ],
            match_threshold: 0.9,
            review_threshold: 0.5,
            u_pairs: 1000,
            em_iterations: 200,
            seed: 1,
        }
    }

    #[test]
    fn em_converges_to_the_seeded_parameters() {
        // Among 1,000 candidate pairs, 300 matches agree on x 90% and y 80% of the time;
        // non-matches agree on x 10% and y 20% (independently).
        let (m, u) = ([0.9, 0.8], [0.1, 0.2]);
        let mut patterns: HashMap<Pattern, u64> = HashMap::new();
        for (share, probs) in [(300.0, m), (700.0, u)] {
            for ax in [true, false] {
                for ay in [true, false] {
                    let px = if ax { probs[0] } else { 1.0 - probs[0] };
                    let py = if ay { probs[1] } else { 1.0 - probs[1] };
                    let p = (!ax as u64) | ((!ay as u64) << 3);
                    *patterns.entry(p).or_default() += (share * px * py * 100.0) as u64;
                }
            }
        }
        let model = estimate_m(&spec(), vec![vec![0.1, 0.9], vec![0.2, 0.8]], &patterns);
        assert!((model.lambda - 0.3).abs() < 0.01, "lambda {}", model.lambda);
        assert!((model.m[0][0] - 0.9).abs() < 0.01 && (model.m[1][0] - 0.8).abs() < 0.01, "{:?}", model.m);
        assert!(model.iterations < 200, "converged in {} iterations", model.iterations);
    }
}
