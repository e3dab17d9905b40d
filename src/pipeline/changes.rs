//! Changes: compare the deduplicated extract with the current master version by business key
//! and row hash, on slim columns only. The result is a plan listing, in business-key order,
//! every row the version is written from (a surviving new row, by run and position, or a row of
//! the previous snapshot, by position) and what it becomes: part of the new snapshot, and/or an
//! insert, an update's pre- or post-image, or a delete. Publishing streams the rows in that order.

use super::spec::ExtractMode;
use super::spill::{POS, RUN};
use super::transform::ROW_HASH;
use polars::prelude::*;

/// Column naming the kind of a change row.
pub(crate) const CHANGE_TYPE: &str = "_change_type";
/// Plan column: whether the row is in the new snapshot.
pub(crate) const SNAP: &str = "_snap";
/// Plan column: the row's change (`NONE`, `INSERT`, `PREIMAGE`, `POSTIMAGE`, `DELETE`).
pub(crate) const CHANGE: &str = "_change";
/// `_run` of a row of the previous snapshot (its `_pos` is its position there).
pub(crate) const PREV: u32 = u32::MAX;
pub(crate) const NONE: u32 = 0;
pub(crate) const INSERT: u32 = 1;
pub(crate) const PREIMAGE: u32 = 2;
pub(crate) const POSTIMAGE: u32 = 3;
pub(crate) const DELETE: u32 = 4;
const PREV_HASH: &str = "_prev_hash";
const PREV_POS: &str = "_prev_pos";
const HELD: &str = "_held";

/// The `_change_type` written for a change kind.
pub(crate) fn change_type(kind: u32) -> &'static str {
    match kind {
        INSERT => "insert",
        PREIMAGE => "update_preimage",
        POSTIMAGE => "update_postimage",
        _ => "delete",
    }
}

/// What a version is made of.
pub(crate) struct Plan {
    /// The rows to write, in key order (a pre-image before its post-image): `_run`, `_pos`,
    /// `_snap`, `_change`.
    pub(crate) rows: DataFrame,
    pub(crate) inserted: usize,
    pub(crate) updated: usize,
    pub(crate) deleted: usize,
    /// Previous records kept because their new row was quarantined (full extracts).
    pub(crate) kept: usize,
    /// Rows of the new snapshot.
    pub(crate) snapshot_rows: usize,
}

impl Plan {
    /// Whether the version would change nothing.
    pub(crate) fn is_empty(&self) -> bool {
        self.inserted + self.updated + self.deleted == 0
    }
}

fn keys_of(key: &[String]) -> Vec<Expr> {
    key.iter().map(|k| col(k.as_str())).collect()
}

fn with_keys(key: &[String], more: impl IntoIterator<Item = Expr>) -> Vec<Expr> {
    let mut v = keys_of(key);
    v.extend(more);
    v
}

fn kind(e: Expr) -> Expr {
    e.cast(DataType::UInt32).alias(CHANGE)
}

/// Plans the version in memory, by a full join and a sort (the merge of
/// [`super::survive`] does the same in bounded memory): `new` holds the surviving rows (key, `_row_hash`, `_run`, `_pos`) sorted
/// by key (as deduplication leaves them), `prev`
/// the previous snapshot's key and `_row_hash` columns in snapshot order (none for a first
/// version), `held` the keys of quarantined rows (kept, not deleted, by a full extract).
pub(crate) fn plan(
    new: &DataFrame,
    prev: Option<&DataFrame>,
    key: &[String],
    mode: ExtractMode,
    held: &DataFrame,
) -> PolarsResult<Plan> {
    let new = new.clone().lazy().select(with_keys(key, [col(ROW_HASH), col(RUN), col(POS)]));
    let sort = |lf: LazyFrame| lf.sort_by_exprs(keys_of(key), SortMultipleOptions::default().with_maintain_order(true));
    let out = [col(RUN), col(POS), col(SNAP), col(CHANGE)];
    let Some(prev) = prev else {
        let rows = new.with_columns([lit(true).alias(SNAP), kind(lit(INSERT))]).select(out).collect()?;
        let n = rows.height();
        return Ok(Plan { rows, inserted: n, updated: 0, deleted: 0, kept: 0, snapshot_rows: n });
    };
    // The previous key columns typed as the new ones (a schema change is a cast).
    let types = new.clone().collect_schema()?;
    let mut prev = prev.clone();
    prev.with_column(Column::new(PREV_POS.into(), (0..prev.height() as u32).collect::<Vec<u32>>()))?;
    let psel: Vec<Expr> = key
        .iter()
        .map(|k| col(k.as_str()).cast(types.get(k.as_str()).cloned().unwrap_or(DataType::String)))
        .chain([col(ROW_HASH).alias(PREV_HASH), col(PREV_POS)])
        .collect();
    let on = || keys_of(key);
    let mut joined = new.join(
        prev.lazy().select(psel),
        on(),
        on(),
        JoinArgs::new(JoinType::Full).with_coalesce(JoinCoalesce::CoalesceColumns),
    );
    let has_held = held.height() > 0 && held.width() == key.len();
    if has_held {
        let h = held_keys(held, key);
        joined = joined.join(h, on(), on(), JoinArgs::new(JoinType::Left).with_coalesce(JoinCoalesce::CoalesceColumns));
    }
    let joined = joined.collect()?.lazy();
    let (has_new, has_prev) = (col(RUN).is_not_null(), col(PREV_POS).is_not_null());
    let differ = col(ROW_HASH).neq(col(PREV_HASH));
    let new_side = joined.clone().filter(has_new.clone()).select(with_keys(
        key,
        [
            col(RUN),
            col(POS),
            lit(true).alias(SNAP),
            kind(
                when(has_prev.clone().not())
                    .then(lit(INSERT))
                    .when(differ.clone())
                    .then(lit(POSTIMAGE))
                    .otherwise(lit(NONE)),
            ),
        ],
    ));
    let gone = has_new.clone().not();
    let is_held = if has_held { col(HELD).is_not_null() } else { lit(false) };
    let (keep, change) = match mode {
        ExtractMode::Partial => {
            (gone.clone(), when(has_new.clone().and(differ.clone())).then(lit(PREIMAGE)).otherwise(lit(NONE)))
        }
        ExtractMode::Full => (
            gone.clone().and(is_held.clone()),
            when(gone.and(is_held.not()))
                .then(lit(DELETE))
                .when(has_new.and(differ))
                .then(lit(PREIMAGE))
                .otherwise(lit(NONE)),
        ),
    };
    let prev_side = joined
        .filter(has_prev)
        .select(with_keys(
            key,
            [lit(PREV).cast(DataType::UInt32).alias(RUN), col(PREV_POS).alias(POS), keep.alias(SNAP), kind(change)],
        ))
        .filter(col(SNAP).or(col(CHANGE).neq(lit(NONE))));
    // A stable sort on the key alone keeps a pre-image (previous side, first) before its
    // post-image.
    let rows = sort(concat([prev_side, new_side], UnionArgs::default())?).select(out).collect()?;
    let runs = rows.column(RUN)?.u32()?;
    let snap = rows.column(SNAP)?.bool()?;
    let changes = rows.column(CHANGE)?.u32()?;
    let count = |k: u32| changes.iter().filter(|c| *c == Some(k)).count();
    let kept = runs.iter().zip(snap.iter()).filter(|(r, s)| *r == Some(PREV) && *s == Some(true)).count();
    Ok(Plan {
        inserted: count(INSERT),
        updated: count(POSTIMAGE),
        deleted: count(DELETE),
        kept: if mode == ExtractMode::Full { kept } else { 0 },
        snapshot_rows: snap.sum().unwrap_or(0) as usize,
        rows,
    })
}

/// How many keys of the previous snapshot `prev` are among the quarantined rows' keys `held`
/// and have no valid row in `new`: the records a full extract keeps, or withdraws with
/// `on_quarantined_key = "withdraw"`.
pub(crate) fn held_and_gone(
    new: &DataFrame,
    prev: Option<&DataFrame>,
    key: &[String],
    held: &DataFrame,
) -> PolarsResult<usize> {
    let Some(prev) = prev else { return Ok(0) };
    if held.height() == 0 || held.width() != key.len() {
        return Ok(0);
    }
    let types = new.schema();
    let typed = |lf: LazyFrame| {
        lf.select(
            key.iter()
                .map(|k| col(k.as_str()).cast(types.get(k.as_str()).cloned().unwrap_or(DataType::String)))
                .collect::<Vec<_>>(),
        )
    };
    let on = || keys_of(key);
    let held = typed(held.clone().lazy()).unique(None, UniqueKeepStrategy::Any);
    let in_prev = held.join(typed(prev.clone().lazy()), on(), on(), JoinArgs::new(JoinType::Semi));
    let gone = in_prev.join(typed(new.clone().lazy()), on(), on(), JoinArgs::new(JoinType::Anti));
    Ok(gone.collect()?.height())
}

/// The distinct held keys, marked `_held`.
fn held_keys(held: &DataFrame, key: &[String]) -> LazyFrame {
    held.clone().lazy().select(keys_of(key)).unique(None, UniqueKeepStrategy::Any).with_column(lit(true).alias(HELD))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Slim rows of keys with values; each value's hash is `value * 7919`.
    fn slim(keys: &[&str], vals: &[i64]) -> DataFrame {
        let hashes: Vec<u64> = vals.iter().map(|v| *v as u64 * 7919).collect();
        let pos: Vec<u32> = (0..keys.len() as u32).collect();
        df!("k" => keys, ROW_HASH => hashes, RUN => vec![0u32; keys.len()], POS => pos).unwrap()
    }

    /// (source, position, in snapshot, change) of each planned row.
    fn rows(p: &Plan) -> Vec<(u32, u32, bool, u32)> {
        let r = &p.rows;
        let (run, pos) = (r.column(RUN).unwrap().u32().unwrap(), r.column(POS).unwrap().u32().unwrap());
        let (snap, change) = (r.column(SNAP).unwrap().bool().unwrap(), r.column(CHANGE).unwrap().u32().unwrap());
        (0..r.height())
            .map(|i| (run.get(i).unwrap(), pos.get(i).unwrap(), snap.get(i).unwrap(), change.get(i).unwrap()))
            .collect()
    }

    #[test]
    fn full_extract_gives_inserts_updates_and_deletes_in_key_order() {
        let prev = slim(&["a", "b", "c"], &[1, 2, 3]);
        let new = slim(&["d", "a", "b"], &[4, 1, 20]);
        let p = plan(&new, Some(&prev), &["k".into()], ExtractMode::Full, &DataFrame::empty()).unwrap();
        assert_eq!((p.inserted, p.updated, p.deleted, p.snapshot_rows), (1, 1, 1, 3));
        assert_eq!(
            rows(&p),
            vec![
                (0, 1, true, NONE),
                (PREV, 1, false, PREIMAGE),
                (0, 2, true, POSTIMAGE),
                (PREV, 2, false, DELETE),
                (0, 0, true, INSERT)
            ]
        );
    }

    #[test]
    fn partial_extract_never_infers_deletes_and_keeps_unmentioned_rows() {
        let prev = slim(&["a", "b", "c"], &[1, 2, 3]);
        let new = slim(&["b", "d"], &[20, 4]);
        let p = plan(&new, Some(&prev), &["k".into()], ExtractMode::Partial, &DataFrame::empty()).unwrap();
        assert_eq!((p.inserted, p.updated, p.deleted, p.snapshot_rows), (1, 1, 0, 4));
        assert_eq!(
            rows(&p),
            vec![
                (PREV, 0, true, NONE),
                (PREV, 1, false, PREIMAGE),
                (0, 0, true, POSTIMAGE),
                (PREV, 2, true, NONE),
                (0, 1, true, INSERT)
            ]
        );
    }

    #[test]
    fn a_quarantined_key_keeps_its_previous_version() {
        let prev = slim(&["a", "b", "c"], &[1, 2, 3]);
        let new = slim(&["a"], &[1]);
        let held = df!("k" => ["b", "b"]).unwrap();
        let p = plan(&new, Some(&prev), &["k".into()], ExtractMode::Full, &held).unwrap();
        assert_eq!((p.inserted, p.updated, p.deleted, p.kept, p.snapshot_rows), (0, 0, 1, 1, 2));
        assert_eq!(rows(&p), vec![(0, 0, true, NONE), (PREV, 1, true, NONE), (PREV, 2, false, DELETE)]);
    }

    #[test]
    fn identical_data_has_no_changes() {
        let prev = slim(&["a", "b"], &[1, 2]);
        let p = plan(&prev, Some(&prev), &["k".into()], ExtractMode::Full, &DataFrame::empty()).unwrap();
        assert!(p.is_empty());
        assert_eq!(p.snapshot_rows, 2);
    }

    #[test]
    fn first_version_is_all_inserts_in_key_order() {
        let p = plan(&slim(&["a", "b"], &[1, 2]), None, &["k".into()], ExtractMode::Full, &DataFrame::empty()).unwrap();
        assert_eq!((p.inserted, p.updated, p.deleted, p.snapshot_rows), (2, 0, 0, 2));
        assert_eq!(rows(&p), vec![(0, 0, true, INSERT), (0, 1, true, INSERT)]);
    }
}
