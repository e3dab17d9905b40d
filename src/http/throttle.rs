//! Throttling of failed `/token` attempts: at most `limit` failures per key (a claimed client id,
//! or a caller's address) in a sliding minute; past it, every attempt with that key is refused
//! with `429` and `Retry-After` without checking the secret, so guessing costs time, not CPU.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The window failures are counted in.
const WINDOW: Duration = Duration::from_secs(60);

/// Keys remembered before expired ones are dropped.
const MAX_KEYS: usize = 100_000;

/// Failures per key within the last minute.
pub(crate) struct Failures {
    limit: usize,
    seen: Mutex<HashMap<String, Vec<Instant>>>,
}

impl Failures {
    /// Allows `limit` failures per key and minute.
    pub(crate) fn new(limit: usize) -> Failures {
        Failures { limit: limit.max(1), seen: Mutex::new(HashMap::new()) }
    }

    /// `Err(seconds to wait)` when `key` used up its failures; otherwise `Ok`.
    pub(crate) fn check(&self, key: &str) -> Result<(), u64> {
        let now = Instant::now();
        // A poisoned lock (a panic elsewhere) refuses: failing closed is the safe side here.
        let Ok(mut seen) = self.seen.lock() else { return Err(WINDOW.as_secs()) };
        let Some(times) = seen.get_mut(key) else { return Ok(()) };
        times.retain(|t| now.duration_since(*t) < WINDOW);
        match times.first() {
            Some(oldest) if times.len() >= self.limit => Err((WINDOW - now.duration_since(*oldest)).as_secs().max(1)),
            _ => Ok(()),
        }
    }

    /// Counts a failure of `key`.
    pub(crate) fn fail(&self, key: &str) {
        let now = Instant::now();
        let Ok(mut seen) = self.seen.lock() else { return };
        if seen.len() >= MAX_KEYS {
            seen.retain(|_, times| times.last().is_some_and(|t| now.duration_since(*t) < WINDOW));
        }
        let times = seen.entry(key.to_string()).or_default();
        times.push(now);
        let excess = times.len().saturating_sub(self.limit);
        times.drain(..excess);
    }

    /// Forgets the failures of `key` (after a success).
    pub(crate) fn clear(&self, key: &str) {
        if let Ok(mut seen) = self.seen.lock() {
            seen.remove(key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_attempt_after_the_allowed_failures_waits_and_others_do_not() {
        let f = Failures::new(3);
        for _ in 0..3 {
            assert_eq!(f.check("c-1"), Ok(()));
            f.fail("c-1");
        }
        let wait = f.check("c-1").unwrap_err();
        assert!((1..=60).contains(&wait), "{wait}");
        assert_eq!(f.check("c-2"), Ok(()), "per key");
        f.clear("c-1");
        assert_eq!(f.check("c-1"), Ok(()), "a success forgets the failures");
    }
}
