//! Property: on any two key-sorted sides, the merge plans exactly what the join plans.

use super::*;
use crate::pipeline::changes::by_join;
use rand::{rngs::StdRng, Rng, SeedableRng};

/// Sorted, distinct keys drawn from a small space (so the sides overlap), as (text, number).
fn keys(rng: &mut StdRng, n: usize, space: u32) -> Vec<(String, i64)> {
    let mut picked: Vec<u32> = (0..n).map(|_| rng.gen_range(0..space)).collect();
    picked.sort_unstable();
    picked.dedup();
    // Composite key: a text part with few values, then a number, so both columns decide order.
    picked.into_iter().map(|k| (format!("t{:02}", k / 10), i64::from(k % 10) - 3)).collect()
}

/// Slim rows of `keys` (sorted) with random row hashes drawn from few values, so that some
/// shared keys are unchanged and others updated.
fn side(rng: &mut StdRng, keys: &[(String, i64)], run: u32) -> DataFrame {
    let hashes: Vec<u64> = keys.iter().map(|_| rng.gen_range(0..3u64)).collect();
    let pos: Vec<u32> = (0..keys.len() as u32).collect();
    df!(
        "a" => keys.iter().map(|k| k.0.as_str()).collect::<Vec<_>>(),
        "b" => keys.iter().map(|k| k.1).collect::<Vec<_>>(),
        ROW_HASH => hashes,
        RUN => vec![run; keys.len()],
        POS => pos
    )
    .unwrap()
}

/// (source, position, in snapshot, change) of each planned row, and the counts.
type Shape = (Vec<(u32, u32, bool, u32)>, [usize; 5]);

fn shape(p: &Plan) -> Shape {
    let r = &p.rows;
    let (run, pos) = (r.column(RUN).unwrap().u32().unwrap(), r.column(POS).unwrap().u32().unwrap());
    let (snap, change) = (r.column(SNAP).unwrap().bool().unwrap(), r.column(CHANGE).unwrap().u32().unwrap());
    let rows = (0..r.height())
        .map(|i| (run.get(i).unwrap(), pos.get(i).unwrap(), snap.get(i).unwrap(), change.get(i).unwrap()))
        .collect();
    (rows, [p.inserted, p.updated, p.deleted, p.kept, p.snapshot_rows])
}

#[test]
fn the_merge_plans_what_the_join_plans_on_random_sides() {
    let key = ["a".to_string(), "b".to_string()];
    for seed in 0..300u64 {
        let mut rng = StdRng::seed_from_u64(seed);
        let space = rng.gen_range(1..200);
        let (n_new, n_prev, n_held) = (rng.gen_range(0..120), rng.gen_range(0..120), rng.gen_range(0..6));
        let new_keys = keys(&mut rng, n_new, space);
        let prev_keys = keys(&mut rng, n_prev, space);
        let new = side(&mut rng, &new_keys, 0);
        let prev = side(&mut rng, &prev_keys, PREV);
        let held_keys = keys(&mut rng, n_held, space);
        let held = df!(
            "a" => held_keys.iter().map(|k| k.0.as_str()).collect::<Vec<_>>(),
            "b" => held_keys.iter().map(|k| k.1).collect::<Vec<_>>()
        )
        .unwrap();
        for mode in [ExtractMode::Full, ExtractMode::Partial] {
            let merged = plan(&new, &prev, &key, mode, &held).unwrap().expect("sorted sides merge");
            let joined = by_join(&new, Some(&prev), &key, mode, &held).unwrap();
            assert_eq!(shape(&merged), shape(&joined), "seed {seed}, {mode:?}");
        }
    }
}
