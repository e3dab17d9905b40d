//! How the HTML report writes agencies, times, schedules and months for an office reader.

use super::Report;

/// An agency's name with its code, `Sở Y tế (000.00.20.H48)`, or the code alone.
pub(super) fn named(r: &Report, code: &str) -> String {
    match r.agency_names.get(code) {
        Some(name) if !name.is_empty() => format!("{name} ({code})"),
        _ => code.to_string(),
    }
}

/// An RFC 3339 time as Vietnam local time, `06/12/2026 21:29 (UTC+7)`; `None` for other text.
pub(super) fn local_time(text: &str) -> Option<String> {
    if text.len() < 20 || text.as_bytes().get(10) != Some(&b'T') {
        return None;
    }
    Some(format!("{} (UTC+7)", crate::cron::vietnam_minutes(text)?))
}

/// A schedule (cron with seconds, Vietnam time) in words for the common forms: every day, a
/// day of the week, a day of the month; other forms as written.
pub(super) fn schedule_words(cron: &str, english: bool) -> String {
    let f: Vec<&str> = cron.split_whitespace().collect();
    let [_, m, h, dom, month, dow] = f[..] else { return cron.to_string() };
    let (Ok(m), Ok(h)) = (m.parse::<u32>(), h.parse::<u32>()) else { return cron.to_string() };
    let at = format!("{h:02}:{m:02}");
    let days_vi = [
        ("MON", "thứ Hai"),
        ("TUE", "thứ Ba"),
        ("WED", "thứ Tư"),
        ("THU", "thứ Năm"),
        ("FRI", "thứ Sáu"),
        ("SAT", "thứ Bảy"),
        ("SUN", "Chủ nhật"),
    ];
    let days_en = [
        ("MON", "Monday"),
        ("TUE", "Tuesday"),
        ("WED", "Wednesday"),
        ("THU", "Thursday"),
        ("FRI", "Friday"),
        ("SAT", "Saturday"),
        ("SUN", "Sunday"),
    ];
    let day = |d: &str| {
        let table = if english { &days_en } else { &days_vi };
        table.iter().find(|(k, _)| k.eq_ignore_ascii_case(d)).map(|(_, v)| v.to_string())
    };
    match (dom, month, dow, english) {
        ("*", "*", "*", false) => format!("hằng ngày lúc {at}"),
        ("*", "*", "*", true) => format!("every day at {at}"),
        ("*", "*", d, false) => day(d).map(|d| format!("{d} hằng tuần lúc {at}")).unwrap_or_else(|| cron.to_string()),
        ("*", "*", d, true) => day(d).map(|d| format!("every {d} at {at}")).unwrap_or_else(|| cron.to_string()),
        (n, "*", "*", false) if n.parse::<u32>().is_ok() => format!("ngày {n} hằng tháng lúc {at}"),
        (n, "*", "*", true) if n.parse::<u32>().is_ok() => format!("day {n} of every month at {at}"),
        _ => cron.to_string(),
    }
}

/// `2026-07` as `07/2026`, as months are written in Vietnam.
pub(super) fn month_label(m: &str) -> String {
    match (m.get(..4), m.get(5..7)) {
        (Some(y), Some(mm)) => format!("{mm}/{y}"),
        _ => m.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_and_schedules_read_as_an_office_writes_them() {
        assert_eq!(local_time("2026-12-06T14:29:51.076262Z").as_deref(), Some("06/12/2026 21:29 (UTC+7)"));
        assert_eq!(local_time("enterprises"), None);
        assert_eq!(schedule_words("0 0 2 * * *", false), "hằng ngày lúc 02:00");
        assert_eq!(schedule_words("0 30 3 * * MON", false), "thứ Hai hằng tuần lúc 03:30");
        assert_eq!(schedule_words("0 30 3 * * MON", true), "every Monday at 03:30");
        assert_eq!(schedule_words("0 0 1 5 * *", false), "ngày 5 hằng tháng lúc 01:00");
        assert_eq!(schedule_words("0 */5 * * * *", false), "0 */5 * * * *");
    }
}
