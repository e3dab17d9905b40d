//! A report as a caller asks for it: its kind with a period that suits it, and one of the
//! formats it is written in (the API and the console ask the same way).

use super::{Error, Period, Report, Result};

/// The period of a `kind` report: `monthly` takes a month (`yyyy-mm`), `quarterly` a quarter
/// (`yyyy-Qn`).
pub fn period_of(kind: &str, text: &str) -> Result<Period> {
    let quarter = text.contains(['Q', 'q']);
    match (kind, quarter) {
        ("monthly", false) | ("quarterly", true) => Period::parse(text),
        ("monthly", true) => Err(Error::Mismatch(format!("'{text}': a monthly report takes a month, yyyy-mm"))),
        ("quarterly", false) => Err(Error::Mismatch(format!("'{text}': a quarterly report takes a quarter, yyyy-Qn"))),
        _ => Err(Error::Kind(kind.to_string())),
    }
}

/// The report written in `format` (`json`, `csv`, `xlsx` or `html`): its bytes, media type and
/// file extension.
pub fn render(r: &Report, format: &str, english: bool) -> Result<(Vec<u8>, &'static str, &'static str)> {
    Ok(match format {
        "json" => (serde_json::to_vec_pretty(r).map_err(|e| Error::Write(e.to_string()))?, "application/json", "json"),
        "csv" => (super::to_csv(r, english).into_bytes(), "text/csv; charset=utf-8", "csv"),
        "html" => (super::to_html(r, english).into_bytes(), "text/html; charset=utf-8", "html"),
        "xlsx" => (
            super::to_xlsx(r, english).map_err(|e| Error::Write(e.to_string()))?,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "xlsx",
        ),
        other => return Err(Error::Format(other.to_string())),
    })
}
