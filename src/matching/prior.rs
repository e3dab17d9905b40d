//! After EM: the prior (the share of matches among all comparable pairs) and each comparison's
//! cap.

use super::model::{level_of, Pattern};
use super::records::Records;
use std::collections::HashMap;

/// The share of matches among all comparable pairs (`total` of them), with m and u fixed.
///
/// Every candidate pair contributes its posterior and every other pair none (blocking keeps
/// the matches), so lambda solves `lambda = sum(posterior(lambda)) / total`, found by bisection
/// on log lambda. Estimated among candidates instead, the prior would count agreement on the
/// blocking keys once and the weights again.
pub(crate) fn estimate_prior(
    m: &[Vec<f64>],
    u: &[Vec<f64>],
    caps: &[f64],
    patterns: &HashMap<Pattern, u64>,
    total: f64,
) -> f64 {
    let weights: Vec<(f64, f64)> =
        patterns.iter().map(|(&p, &count)| (pattern_weight(p, m, u, caps), count as f64)).collect();
    let candidates: f64 = weights.iter().map(|(_, c)| c).sum();
    if candidates == 0.0 || total <= 0.0 {
        return 1e-6;
    }
    let expected = |lambda: f64| {
        let prior = (lambda / (1.0 - lambda)).log2();
        weights.iter().map(|(w, c)| c * probability_of(prior + w)).sum::<f64>() / total
    };
    let (mut lo, mut hi) = ((1e-15f64).ln(), (candidates / total).min(0.5).ln());
    for _ in 0..80 {
        let mid = (lo + hi) / 2.0;
        if expected(mid.exp()) > mid.exp() {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    ((lo + hi) / 2.0).exp()
}

/// Sum of capped log2(m/u) over a pattern's comparisons (without term frequencies).
fn pattern_weight(p: Pattern, m: &[Vec<f64>], u: &[Vec<f64>], caps: &[f64]) -> f64 {
    (0..m.len())
        .filter_map(|c| level_of(p, c).map(|l| (m[c][l] / u[c][l].max(1e-12)).log2().clamp(-caps[c], caps[c])))
        .sum()
}

/// The probability of a match weight.
pub(crate) fn probability_of(w: f64) -> f64 {
    let odds = w.exp2();
    if odds.is_infinite() {
        1.0
    } else {
        odds / (1.0 + odds)
    }
}

/// Each comparison's cap: the spec's, or for a `household` without one, the weight of the
/// smallest disagreement among the name and birth-date comparisons (a shared household cannot
/// by itself outweigh one), [`super::spec::HOUSEHOLD_CAP`] when there are none.
pub(crate) fn caps(r: &Records, m: &[Vec<f64>], u: &[Vec<f64>]) -> Vec<f64> {
    use super::spec::CompareKind as K;
    let identity = r
        .columns
        .iter()
        .enumerate()
        .filter(|(_, c)| matches!(c.kind, K::PersonName | K::BirthDate | K::Name | K::Date | K::OrgName));
    let disagreement = identity
        .map(|(c, _)| {
            let last = m[c].len() - 1;
            -(m[c][last] / u[c][last].max(1e-12)).log2()
        })
        .filter(|w| *w > 0.0)
        .fold(f64::INFINITY, f64::min);
    let auto = if disagreement.is_finite() { disagreement.max(1.0) } else { super::spec::HOUSEHOLD_CAP };
    r.columns.iter().map(|c| c.cap.unwrap_or(auto)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_prior_is_the_share_of_matches_among_all_pairs() {
        // 100 candidate pairs that agree (+24 bits each) and 900 that disagree (-10 bits), out
        // of a million comparable pairs: about 100 matches, not 10% of the candidates.
        let agree_u = 0.999 / 2f64.powi(24);
        let (m, u) = (vec![vec![0.999, 0.001]], vec![vec![agree_u, 1.0 - agree_u]]);
        let patterns = HashMap::from([(0u64, 100u64), (1u64, 900u64)]);
        let lambda = estimate_prior(&m, &u, &[f64::INFINITY], &patterns, 1e6);
        assert!((lambda * 1e6 - 100.0).abs() < 10.0, "expected about 100 matches, got {}", lambda * 1e6);
    }
}
