//! Row order outside Polars: a column of a window of rows in a form that compares as Polars
//! sorts it (text by bytes, numbers and dates by value, nulls last), so that key-sorted files
//! can be merged row by row without a sort or a hash table.

use polars::prelude::*;
use std::cmp::Ordering;

/// The Arrow array of a text column (one chunk): read by index without finding the chunk first,
/// as merging compares millions of rows.
pub(crate) type StrArray = <StringType as PolarsDataType>::Array;

/// One column of a window, comparable row by row.
pub(crate) enum SortCol {
    /// Text, compared by bytes.
    Str(StrArray),
    /// Integers, and what is stored as one (dates, times, booleans).
    Int(Vec<Option<i64>>),
    /// Floating point and decimal numbers (NaN after every number).
    Float(Vec<Option<f64>>),
}

impl SortCol {
    /// `c` as `as_type` (cast when its own type differs); `None` for a type without an order
    /// here (lists, structs, unsigned 64-bit integers).
    pub(crate) fn of(c: &Column, as_type: &DataType) -> PolarsResult<Option<SortCol>> {
        let c = if c.dtype() == as_type { c.clone() } else { c.cast(as_type)? };
        Ok(match as_type {
            DataType::String => {
                let text = c.str()?.rechunk();
                let one = text.downcast_iter().next().cloned();
                Some(SortCol::Str(one.unwrap_or_else(|| StrArray::new_empty(ArrowDataType::Utf8View))))
            }
            DataType::Int8
            | DataType::Int16
            | DataType::Int32
            | DataType::Int64
            | DataType::UInt8
            | DataType::UInt16
            | DataType::UInt32
            | DataType::Date
            | DataType::Datetime(_, _)
            | DataType::Duration(_)
            | DataType::Time
            | DataType::Boolean => {
                let ints = c.to_physical_repr().cast(&DataType::Int64)?;
                Some(SortCol::Int(ints.i64()?.iter().collect()))
            }
            DataType::Float32 | DataType::Float64 | DataType::Decimal(_, _) => {
                let floats = c.cast(&DataType::Float64)?;
                Some(SortCol::Float(floats.f64()?.iter().collect()))
            }
            _ => None,
        })
    }

    /// The columns `names` of `df`, each as the matching type of `types`; `None` when one has
    /// no order here.
    pub(crate) fn all_of(df: &DataFrame, names: &[String], types: &[DataType]) -> PolarsResult<Option<Vec<SortCol>>> {
        let mut out = Vec::with_capacity(names.len());
        for (name, t) in names.iter().zip(types) {
            match SortCol::of(df.column(name)?, t)? {
                Some(c) => out.push(c),
                None => return Ok(None),
            }
        }
        Ok(Some(out))
    }

    /// Compares row `i` of `self` with row `j` of `other` (same kind), values reversed when
    /// `desc`; nulls sort last either way.
    fn cmp(&self, i: usize, other: &SortCol, j: usize, desc: bool) -> Ordering {
        let dir = |o: Ordering| if desc { o.reverse() } else { o };
        match (self, other) {
            (SortCol::Str(a), SortCol::Str(b)) => nulls_last(a.get(i), b.get(j), |x, y| dir(x.cmp(y))),
            (SortCol::Int(a), SortCol::Int(b)) => nulls_last(a[i], b[j], |x, y| dir(x.cmp(&y))),
            (SortCol::Float(a), SortCol::Float(b)) => nulls_last(a[i], b[j], |x, y| dir(float_cmp(x, y))),
            _ => Ordering::Equal,
        }
    }

    /// Row `i` as an integer (`None` for null or a column of another kind).
    pub(crate) fn int(&self, i: usize) -> Option<i64> {
        match self {
            SortCol::Int(a) => a[i],
            _ => None,
        }
    }

    /// Row `i` as text (empty for null): the form in which keys are compared with held keys.
    pub(crate) fn text(&self, i: usize) -> String {
        match self {
            SortCol::Str(a) => a.get(i).unwrap_or("").to_string(),
            SortCol::Int(a) => a[i].map(|v| v.to_string()).unwrap_or_default(),
            SortCol::Float(a) => a[i].map(|v| v.to_string()).unwrap_or_default(),
        }
    }

    /// Number of rows.
    pub(crate) fn len(&self) -> usize {
        match self {
            SortCol::Str(a) => a.len(),
            SortCol::Int(a) => a.len(),
            SortCol::Float(a) => a.len(),
        }
    }
}

fn nulls_last<T>(a: Option<T>, b: Option<T>, cmp: impl Fn(T, T) -> Ordering) -> Ordering {
    match (a, b) {
        (Some(a), Some(b)) => cmp(a, b),
        (None, None) => Ordering::Equal,
        (None, _) => Ordering::Greater,
        (_, None) => Ordering::Less,
    }
}

fn float_cmp(a: f64, b: f64) -> Ordering {
    a.partial_cmp(&b).unwrap_or_else(|| a.is_nan().cmp(&b.is_nan()))
}

/// Compares row `i` of `a` with row `j` of `b` column by column; `desc[k]` reverses column `k`
/// (nulls stay last), a column without a `desc` entry is ascending.
pub(crate) fn cmp_rows(a: &[SortCol], i: usize, b: &[SortCol], j: usize, desc: &[bool]) -> Ordering {
    a.iter()
        .zip(b)
        .enumerate()
        .map(|(k, (x, y))| x.cmp(i, y, j, desc.get(k).copied().unwrap_or(false)))
        .find(|o| o.is_ne())
        .unwrap_or(Ordering::Equal)
}

/// Whether rows `0..len` of `cols` come in increasing order (strictly, when `strict`).
pub(crate) fn sorted(cols: &[SortCol], desc: &[bool], strict: bool) -> bool {
    let len = cols.first().map_or(0, SortCol::len);
    (1..len).all(|k| match cmp_rows(cols, k - 1, cols, k, desc) {
        Ordering::Less => true,
        Ordering::Equal => !strict,
        Ordering::Greater => false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_compare_as_polars_sorts_them() {
        let df = df!(
            "k" => [Some("b"), Some("a"), None, Some("a"), Some("b")],
            "t" => [Some(1i64), Some(5), Some(2), None, Some(3)],
            "x" => [Some(0.5f64), Some(f64::NAN), Some(-1.0), Some(2.0), None]
        )
        .unwrap();
        let names = ["k".to_string(), "t".to_string(), "x".to_string()];
        let types = [DataType::String, DataType::Int64, DataType::Float64];
        let desc = [false, true, false];
        let sorted_df = df
            .sort(
                ["k", "t", "x"],
                SortMultipleOptions::default().with_order_descending_multi(desc).with_nulls_last(true),
            )
            .unwrap();
        let cols = SortCol::all_of(&sorted_df, &names, &types).unwrap().unwrap();
        assert!(sorted(&cols, &desc, true), "{sorted_df}");
        let unsorted = SortCol::all_of(&df, &names, &types).unwrap().unwrap();
        assert!(!sorted(&unsorted, &desc, false));
        let only_x = SortCol::all_of(
            &df.sort(["x"], SortMultipleOptions::default().with_nulls_last(true)).unwrap(),
            &names[2..],
            &types[2..],
        );
        let only_x = only_x.unwrap().unwrap();
        assert!(sorted(&only_x, &[false], false), "NaN after every number, as Polars sorts floats");
    }

    #[test]
    fn dates_and_datetimes_compare_by_value_and_lists_have_no_order() {
        let days = Column::new("d".into(), [Some(20_000i32), None, Some(-3)]).cast(&DataType::Date).unwrap();
        let d = SortCol::of(&days, &DataType::Date).unwrap().unwrap();
        assert_eq!(d.cmp(2, &d, 0, false), Ordering::Less);
        assert_eq!(d.cmp(1, &d, 0, false), Ordering::Greater, "null last");
        assert_eq!(d.text(0), "20000");
        let list = Column::new("l".into(), [Series::new("".into(), [1i64])]);
        assert!(SortCol::of(&list, list.dtype()).unwrap().is_none());
    }
}
