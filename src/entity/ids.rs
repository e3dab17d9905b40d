//! Stable master ids: each record remembers the first master id it had. A cluster takes the
//! first id most of its records share (ties: the oldest), else the id most of them hold now,
//! else a new number. Two entities merged keep the id of the larger; split again, each gets
//! its own id back. A record detached from its entity gives up its claims (its first id is
//! set empty): the others keep the id, the record gets a new one.

use crate::store::XrefRow;
use std::collections::{HashMap, HashSet};

/// The cross-reference of `clusters` (record indices into `ids`, each `dataset|key`), given
/// each record's row before (`old`, by record id); `best[i]` is record i's best match
/// probability; `version` is the version of `<entity>_xref` about to be published.
pub(crate) fn assign(
    entity: &str,
    ids: &[String],
    old: &HashMap<String, XrefRow>,
    clusters: &[Vec<usize>],
    best: &[f64],
    version: i64,
) -> Vec<XrefRow> {
    let mut next = old.values().filter_map(|x| x.master_id.rsplit('-').next()?.parse::<u64>().ok()).max().unwrap_or(0);
    let mut order: Vec<&Vec<usize>> = clusters.iter().collect();
    // Larger clusters choose first; ties by their first record, so the result is one.
    order.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| ids[a[0]].cmp(&ids[b[0]])));
    let mut taken = HashSet::new();
    let mut out = Vec::new();
    for c in order {
        let ranked = |pick: &dyn Fn(&XrefRow) -> Option<&str>| {
            let mut votes: HashMap<&str, usize> = HashMap::new();
            for &i in c {
                if let Some(m) = old.get(&ids[i]).and_then(pick) {
                    *votes.entry(m).or_default() += 1;
                }
            }
            let mut ranked: Vec<(&str, usize)> = votes.into_iter().collect();
            ranked.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
            ranked.into_iter().map(|(m, _)| m.to_string()).collect::<Vec<_>>()
        };
        // A record detached from its entity gave up its claims (its first id is empty).
        let claims = |x: &XrefRow| x.first_master_id.as_deref() != Some("");
        let first = ranked(&|x| claims(x).then(|| x.first_master_id.as_deref().unwrap_or(&x.master_id)));
        let current = ranked(&|x| claims(x).then_some(x.master_id.as_str()));
        let id = match first.into_iter().chain(current).find(|m| !taken.contains(m)) {
            Some(m) => m,
            None => {
                next += 1;
                format!("{entity}-{next:07}")
            }
        };
        taken.insert(id.clone());
        for &i in c {
            let (source, key) = ids[i].split_once('|').unwrap_or(("", &ids[i]));
            let prev = old.get(&ids[i]);
            let changed = prev.is_none_or(|p| p.master_id != id);
            out.push(XrefRow {
                source: source.into(),
                source_key: key.into(),
                master_id: id.clone(),
                previous_master_id: if changed {
                    prev.map(|p| p.master_id.clone())
                } else {
                    prev.and_then(|p| p.previous_master_id.clone())
                },
                first_master_id: Some(prev.map_or(&id, |p| p.first_master_id.as_ref().unwrap_or(&p.master_id)).clone()),
                probability: if c.len() == 1 { 1.0 } else { best[i] },
                since: if changed { version.to_string() } else { prev.map(|p| p.since.clone()).unwrap_or_default() },
            });
        }
    }
    out.sort_by(|a, b| (&a.master_id, &a.source, &a.source_key).cmp(&(&b.master_id, &b.source, &b.source_key)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    fn step(ids: &[String], old: &HashMap<String, XrefRow>, clusters: &[Vec<usize>]) -> HashMap<String, XrefRow> {
        let best = vec![0.99; ids.len()];
        assign("person", ids, old, clusters, &best, 1)
            .into_iter()
            .map(|x| (format!("{}|{}", x.source, x.source_key), x))
            .collect()
    }

    fn master(now: &HashMap<String, XrefRow>, id: &str) -> String {
        now[id].master_id.clone()
    }

    #[test]
    fn accept_then_reject_gives_each_record_its_id_back() {
        let ids: Vec<String> = ["d|a", "d|b"].iter().map(|s| s.to_string()).collect();
        let apart = step(&ids, &HashMap::new(), &[vec![0], vec![1]]);
        let merged = step(&ids, &apart, &[vec![0, 1]]);
        let split = step(&ids, &merged, &[vec![0], vec![1]]);
        for id in &ids {
            assert_eq!(master(&split, id), master(&apart, id), "{id}");
        }
        assert_eq!(master(&merged, "d|a"), master(&merged, "d|b"));
    }

    #[test]
    fn a_detached_record_leaves_and_the_others_keep_the_id() {
        let ids: Vec<String> = ["a|1", "b|1"].iter().map(|s| s.to_string()).collect();
        let together = step(&ids, &HashMap::new(), &[vec![0, 1]]);
        for detached in [0, 1] {
            let mut old = together.clone();
            if let Some(x) = old.get_mut(&ids[detached]) {
                x.first_master_id = Some(String::new());
            }
            let apart = step(&ids, &old, &[vec![0], vec![1]]);
            let stays = 1 - detached;
            assert_eq!(master(&apart, &ids[stays]), master(&together, &ids[stays]));
            assert_ne!(master(&apart, &ids[detached]), master(&together, &ids[stays]));
            let again = step(&ids, &apart, &[vec![0, 1]]);
            assert_eq!(master(&again, &ids[detached]), master(&together, &ids[stays]), "back under the old id");
        }
    }

    /// Property: over random sequences of merges (a steward's accept) and undoing merges in
    /// any order (reject, unmerge, detach), every cluster's id is one its records held, no id
    /// is given to two clusters, and once every merge is undone each record has its first id.
    #[test]
    fn master_ids_are_stable_under_any_sequence_of_merges_and_splits() {
        for seed in 0..300u64 {
            let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
            let n = rng.gen_range(2..9);
            let ids: Vec<String> = (0..n).map(|i| format!("d|r{i}")).collect();
            // Union of accepted pairs decides the clusters; undoing removes a pair.
            let mut accepted: Vec<(usize, usize)> = Vec::new();
            let clusters_of = |accepted: &[(usize, usize)]| {
                let mut parent: Vec<usize> = (0..n).collect();
                fn find(p: &mut [usize], mut i: usize) -> usize {
                    while p[i] != i {
                        i = p[i];
                    }
                    i
                }
                for &(a, b) in accepted {
                    let (x, y) = (find(&mut parent, a), find(&mut parent, b));
                    parent[x.max(y)] = x.min(y);
                }
                let mut groups: HashMap<usize, Vec<usize>> = HashMap::new();
                for i in 0..n {
                    groups.entry(find(&mut parent, i)).or_default().push(i);
                }
                groups.into_values().collect::<Vec<_>>()
            };
            let first = step(&ids, &HashMap::new(), &clusters_of(&[]));
            let mut now = first.clone();
            for _ in 0..rng.gen_range(1..12) {
                if accepted.is_empty() || rng.gen_bool(0.6) {
                    let (a, b) = (rng.gen_range(0..n), rng.gen_range(0..n));
                    if a != b {
                        accepted.push((a, b));
                    }
                } else {
                    let k = rng.gen_range(0..accepted.len());
                    accepted.remove(k);
                }
                let clusters = clusters_of(&accepted);
                let next = step(&ids, &now, &clusters);
                let mut seen = HashSet::new();
                for c in &clusters {
                    let m = master(&next, &ids[c[0]]);
                    assert!(c.iter().all(|&i| master(&next, &ids[i]) == m), "seed {seed}: one id per cluster");
                    assert!(seen.insert(m.clone()), "seed {seed}: {m} given to two clusters");
                    assert!(
                        c.iter().any(|&i| master(&first, &ids[i]) == m),
                        "seed {seed}: {m} is the first id of one of its records"
                    );
                }
                now = next;
            }
            accepted.clear();
            let back = step(&ids, &now, &clusters_of(&accepted));
            for id in &ids {
                assert_eq!(master(&back, id), master(&first, id), "seed {seed}: {id} gets its first id back");
            }
        }
    }
}
