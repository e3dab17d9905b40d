//! Property: on any spilled runs and previous snapshot, the merge deduplicates and plans exactly
//! what deduplication and the join do in memory.

use super::*;
use crate::pipeline::changes::{CHANGE, SNAP};
use crate::pipeline::spec::{Survivorship, SurvivorshipSpec};
use crate::pipeline::spill::{POS, RUN};
use rand::{rngs::StdRng, Rng, SeedableRng};

/// Rows with a composite key (`a` text with few values, `b` a number), a survivorship field `t`
/// (sometimes null, often tied), distinct lines and row hashes drawn from few values.
fn rows(rng: &mut StdRng, n: usize, space: u32, first_line: i64) -> DataFrame {
    let keys: Vec<u32> = (0..n).map(|_| rng.gen_range(0..space)).collect();
    df!(
        "a" => keys.iter().map(|k| format!("t{:02}", k / 10)).collect::<Vec<_>>(),
        "b" => keys.iter().map(|k| i64::from(k % 10) - 3).collect::<Vec<_>>(),
        "t" => (0..n).map(|_| rng.gen_bool(0.8).then(|| rng.gen_range(0..4i64))).collect::<Vec<_>>(),
        LINE => (0..n as i64).map(|i| first_line + i).collect::<Vec<_>>(),
        ROW_HASH => (0..n).map(|_| rng.gen_range(0..3u64)).collect::<Vec<_>>()
    )
    .unwrap()
}

fn spec(rule: Survivorship, mode: ExtractMode, withdraw: bool) -> PipelineSpec {
    let fields = "[[fields]]\nname = \"a\"\n[[fields]]\nname = \"b\"\ntype = \"int\"\n[[fields]]\nname = \"t\"\ntype = \"int\"\n";
    let mut spec = crate::pipeline::check::test_spec("a", fields);
    spec.key = vec!["a".into(), "b".into()];
    let field = matches!(rule, Survivorship::Latest | Survivorship::Earliest).then(|| "t".to_string());
    spec.survivorship = SurvivorshipSpec { rule, field };
    spec.extract = mode;
    if withdraw {
        spec.on_quarantined_key = OnQuarantinedKey::Withdraw;
    }
    spec
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
fn the_merge_dedupes_and_plans_what_memory_does_on_random_runs() {
    let rules = [Survivorship::Latest, Survivorship::Earliest, Survivorship::First, Survivorship::Last];
    for seed in 0..120u64 {
        let mut rng = StdRng::seed_from_u64(seed);
        let space = rng.gen_range(1..150);
        let mut spill = Spill::new().unwrap();
        let runs = rng.gen_range(0..5);
        let rule = rules[seed as usize % 4];
        let sample = spec(rule, ExtractMode::Full, false);
        let (names, desc) = dedupe::order(&sample.key, &sample.survivorship);
        let mut schema = None;
        let mut excluded = HashSet::new();
        let mut valid_rows = 0;
        for run in 0..runs {
            let n = rng.gen_range(0..80);
            let df = rows(&mut rng, n, space, 2 + run as i64 * 1000);
            let mut df = df.sort(&names, dedupe::sort_options(desc.clone())).unwrap();
            spill.write(run, &mut df).unwrap();
            schema = Some(df.schema().clone());
            for p in 0..n as u32 {
                if rng.gen_bool(0.05) {
                    excluded.insert((run as u32, p));
                }
            }
            valid_rows += n;
        }
        spill.set_runs(runs);
        let schema = schema.unwrap_or_else(|| rows(&mut rng, 0, 1, 0).schema().clone());
        // The previous snapshot: distinct keys in key order.
        let n_prev = rng.gen_range(0..100);
        let prev = rows(&mut rng, n_prev, space, 0)
            .unique_stable(Some(&["a".into(), "b".into()]), UniqueKeepStrategy::First, None)
            .unwrap()
            .sort(["a", "b"], Default::default())
            .unwrap();
        let prev_path = spill.file("prev.parquet");
        let opts = crate::parquet_io::Options::SCRATCH;
        crate::parquet_io::write_file(&prev_path, &mut prev.clone(), &opts).unwrap();
        let n_held = rng.gen_range(0..6);
        let held = rows(&mut rng, n_held, space, 0).select(["a", "b"]).unwrap();
        for (mode, withdraw) in [(ExtractMode::Full, false), (ExtractMode::Full, true), (ExtractMode::Partial, false)] {
            let spec = spec(rule, mode, withdraw);
            for first in [true, false] {
                let inputs = Inputs {
                    spec: &spec,
                    spill: &spill,
                    schema: &schema,
                    prev: (!first).then_some(prev_path.as_path()),
                    held: &held,
                    excluded: &excluded,
                    valid_rows,
                };
                let merged = plan(&inputs).unwrap().expect("sorted runs merge");
                let (collapsed, memory, withdrawn) = in_memory(&inputs).unwrap();
                let at = format!("seed {seed}, {rule:?}, {mode:?}, withdraw {withdraw}, first {first}");
                assert_eq!(shape(&merged.plan), shape(&memory), "{at}");
                assert_eq!(merged.withdrawn, withdrawn, "{at}");
                let by_line = |df: &DataFrame| df.sort([LINE], Default::default()).unwrap();
                let (a, b) = (by_line(&merged.collapsed), by_line(&collapsed));
                assert!(a.equals_missing(&b), "{at}\n{a}\n{b}");
            }
        }
    }
}

#[test]
fn runs_out_of_order_or_keys_without_an_order_fall_back_to_memory() {
    let spec = spec(Survivorship::Last, ExtractMode::Full, false);
    let mut spill = Spill::new().unwrap();
    let mut df =
        df!("a" => ["b", "a"], "b" => [1i64, 1], "t" => [1i64, 1], LINE => [2i64, 3], ROW_HASH => [1u64, 2]).unwrap();
    spill.write(0, &mut df).unwrap();
    spill.set_runs(1);
    let (held, excluded) = (DataFrame::empty(), HashSet::new());
    let inputs = Inputs {
        spec: &spec,
        spill: &spill,
        schema: df.schema(),
        prev: None,
        held: &held,
        excluded: &excluded,
        valid_rows: 2,
    };
    assert!(plan(&inputs).unwrap().is_none(), "a run not in key order");
    let (_, memory, _) = in_memory(&inputs).unwrap();
    assert_eq!(memory.inserted, 2, "memory plans it all the same");

    let mut listed = df!("a" => ["a"], "b" => [1i64], "t" => [1i64], LINE => [2i64], ROW_HASH => [1u64]).unwrap();
    listed.with_column(Column::new("a".into(), [7u64])).unwrap();
    let mut spill = Spill::new().unwrap();
    spill.write(0, &mut listed).unwrap();
    spill.set_runs(1);
    let inputs = Inputs { schema: listed.schema(), spill: &spill, ..inputs };
    assert!(plan(&inputs).unwrap().is_none(), "an unsigned 64-bit key has no order here");
}
