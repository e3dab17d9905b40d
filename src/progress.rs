//! Progress bars for long runs, drawn only on a terminal.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A bar of the input's bytes read, with the rows read, the percentage and the time left;
/// hidden unless `show` and stderr is a terminal.
pub(crate) fn rows_bar(show: bool, label: &str) -> ProgressBar {
    if !show {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
    let style = ProgressStyle::with_template(
        "{prefix}: [{bar:25}] {percent:>3}% {binary_bytes}/{binary_total_bytes} · {msg} rows · {elapsed} (ETA {eta})",
    )
    .map(|s| s.progress_chars("=> "))
    .unwrap_or_else(|_| ProgressStyle::default_bar());
    bar.set_style(style);
    bar.set_prefix(label.to_string());
    bar.enable_steady_tick(std::time::Duration::from_millis(200));
    bar
}

/// Moves the bar of [`rows_bar`]: `rows` read, `done` of `total` bytes.
pub(crate) fn rows_read(bar: &ProgressBar, rows: u64, done: u64, total: u64) {
    if bar.is_hidden() {
        return;
    }
    bar.set_length(total.max(done));
    bar.set_position(done);
    bar.set_message(group(rows));
}

/// `1234567` as `1.234.567` (Vietnamese digit grouping).
fn group(n: u64) -> String {
    crate::text::number::grouped(i64::try_from(n).unwrap_or(i64::MAX), '.')
}

/// A bar of `len` steps with a message; hidden unless `show` and stderr is a terminal.
pub fn steps_bar(show: bool, label: &str, len: u64) -> ProgressBar {
    if !show {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr());
    let style = ProgressStyle::with_template("{prefix} [{bar:30}] {pos}/{len} {msg}")
        .unwrap_or_else(|_| ProgressStyle::default_bar());
    bar.set_style(style.progress_chars("=> "));
    bar.set_prefix(label.to_string());
    bar
}

#[cfg(test)]
mod tests {
    #[test]
    fn rows_are_grouped_the_vietnamese_way() {
        assert_eq!(super::group(640_008), "640.008");
        assert_eq!(super::group(1_000_000), "1.000.000");
        assert_eq!(super::group(12), "12");
    }
}
