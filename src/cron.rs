//! Cron schedules as pipeline files write them (six fields, seconds first, Vietnam time): the
//! parsed [`Schedule`] and its fire times, for the scheduler and for the freshness reports.

use chrono::{DateTime, FixedOffset, SecondsFormat, Utc};
use serde::{Deserialize, Deserializer};

/// A text that is not a cron expression with seconds.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[error("'{0}' is not a cron expression with seconds: write 'sec min hour day month weekday', e.g. \"0 30 1 * * *\" for 01:30 every day (Vietnam time){hint}", hint = fields_hint(&self.0))]
pub struct Invalid(pub String);

fn fields_hint(text: &str) -> String {
    match text.split_whitespace().count() {
        n @ (0..=5 | 8..) => format!("; it has {n} fields"),
        _ => String::new(),
    }
}

/// Vietnam time (UTC+7), in which schedules are read.
pub(crate) fn vietnam() -> FixedOffset {
    FixedOffset::east_opt(7 * 3600).unwrap_or_else(|| FixedOffset::east_opt(0).expect("UTC"))
}

/// An RFC 3339 time as Vietnam local time to the minute, `06/12/2026 21:29`; `None` when the
/// text is not such a time.
pub fn vietnam_minutes(text: &str) -> Option<String> {
    let t = DateTime::parse_from_rfc3339(text).ok()?;
    Some(t.with_timezone(&vietnam()).format("%d/%m/%Y %H:%M").to_string())
}

/// A cron expression with seconds (`sec min hour day month weekday`), read in Vietnam time.
#[derive(Clone)]
pub struct Schedule {
    text: String,
    cron: croner::Cron,
}

impl std::fmt::Debug for Schedule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Schedule({:?})", self.text)
    }
}

impl PartialEq for Schedule {
    fn eq(&self, other: &Schedule) -> bool {
        self.text == other.text
    }
}

impl std::str::FromStr for Schedule {
    type Err = Invalid;

    fn from_str(text: &str) -> Result<Schedule, Invalid> {
        croner::parser::CronParser::builder()
            .seconds(croner::parser::Seconds::Required)
            .dom_and_dow(true)
            .build()
            .parse(text)
            .map(|cron| Schedule { text: text.to_string(), cron })
            .map_err(|_| Invalid(text.to_string()))
    }
}

impl<'de> Deserialize<'de> for Schedule {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Schedule, D::Error> {
        String::deserialize(d)?.parse().map_err(serde::de::Error::custom)
    }
}

impl Schedule {
    /// The expression as written.
    pub(crate) fn as_str(&self) -> &str {
        &self.text
    }

    /// The fire time a tick at `now` belongs to: the first occurrence after `now` − 1 s (ticks
    /// come a few milliseconds late), so every instance names a tick alike.
    pub(crate) fn slot_of(&self, now: DateTime<Utc>) -> String {
        let local = (now - chrono::Duration::milliseconds(1000)).with_timezone(&vietnam());
        self.cron
            .find_next_occurrence(&local, false)
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or(now)
            .to_rfc3339_opts(SecondsFormat::Secs, true)
    }

    /// The last fire time at or before `now`.
    pub(crate) fn previous(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let local = now.with_timezone(&vietnam());
        self.cron.find_previous_occurrence(&local, true).ok().map(|t| t.with_timezone(&Utc))
    }

    /// The first fire time after `now` (within 400 days).
    pub(crate) fn next(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.fire_times(now + chrono::Duration::seconds(1), now + chrono::Duration::days(400), 1).first().copied()
    }

    /// The fire times in `[from, to)`, at most `cap` of them.
    pub(crate) fn fire_times(&self, from: DateTime<Utc>, to: DateTime<Utc>, cap: usize) -> Vec<DateTime<Utc>> {
        let mut out = Vec::new();
        let mut at = from.with_timezone(&vietnam());
        let mut inclusive = true;
        while out.len() < cap {
            match self.cron.find_next_occurrence(&at, inclusive) {
                Ok(t) if t.with_timezone(&Utc) < to => {
                    out.push(t.with_timezone(&Utc));
                    at = t;
                    inclusive = false;
                }
                _ => break,
            }
        }
        out
    }
}

/// The fire times of a stored schedule text in `[from, to)`, at most `cap` (none when the text
/// does not parse: a run recorded under a schedule that was later edited away).
pub(crate) fn fire_times(text: &str, from: DateTime<Utc>, to: DateTime<Utc>, cap: usize) -> Vec<DateTime<Utc>> {
    text.parse::<Schedule>().map(|s| s.fire_times(from, to, cap)).unwrap_or_default()
}

/// True when a run that started at `started` (an RFC 3339 time as the run history stores it)
/// covers the fire time `due`: it started at or after it. Times are compared as times, not as
/// texts (`…19:00:00.050Z` is after `…19:00:00Z`); an unreadable time covers nothing.
pub(crate) fn covers(started: &str, due: DateTime<Utc>) -> bool {
    DateTime::parse_from_rfc3339(started).is_ok_and(|s| s.with_timezone(&Utc) >= due)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn late_ticks_name_the_fire_time_they_belong_to() {
        let every5: Schedule = "*/5 * * * * *".parse().unwrap();
        assert_eq!(every5.slot_of(at("2026-10-01T00:00:05.030Z")), "2026-10-01T00:00:05Z");
        assert_eq!(every5.slot_of(at("2026-10-01T00:00:04.990Z")), "2026-10-01T00:00:05Z");
        let daily: Schedule = "0 0 2 * * *".parse().unwrap();
        assert_eq!(daily.slot_of(at("2026-10-01T19:00:00.200Z")), "2026-10-01T19:00:00Z");
    }

    #[test]
    fn fire_times_are_read_in_vietnam_time() {
        let daily: Schedule = "0 0 2 * * *".parse().unwrap();
        let times = daily.fire_times(at("2026-10-01T00:00:00Z"), at("2026-10-03T00:00:00Z"), 10);
        assert_eq!(times, [at("2026-10-01T19:00:00Z"), at("2026-10-02T19:00:00Z")]);
        assert_eq!(daily.previous(at("2026-10-02T18:59:59Z")), Some(at("2026-10-01T19:00:00Z")));
        assert!(fire_times("not cron", at("2026-10-01T00:00:00Z"), at("2026-10-03T00:00:00Z"), 10).is_empty());
    }

    #[test]
    fn a_run_started_within_its_fire_second_covers_it() {
        let due = at("2026-10-01T19:00:00Z");
        assert!(covers("2026-10-01T19:00:00.050000Z", due));
        assert!(covers("2026-10-01T19:00:00Z", due));
        assert!(covers("2026-10-02T02:00:01+07:00", due));
        assert!(!covers("2026-10-01T18:59:59.999Z", due));
        assert!(!covers("garbage", due));
    }

    #[test]
    fn five_field_and_garbage_expressions_are_refused_naming_the_text() {
        let five = "0 2 * * *".parse::<Schedule>().unwrap_err();
        assert_eq!(five, Invalid("0 2 * * *".into()));
        assert!(five.to_string().ends_with("(Vietnam time); it has 5 fields"), "{five}");
        assert!("0 0 2 * * *".parse::<Schedule>().is_ok());
        let err = toml::from_str::<std::collections::HashMap<String, Schedule>>("s = \"x\"").unwrap_err();
        assert!(err.to_string().contains("'x' is not a cron expression"), "{err}");
    }
}
