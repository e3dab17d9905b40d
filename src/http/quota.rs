//! Per-client quotas: a token bucket of `per_minute` calls, refilled continuously.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

/// Call budgets of every client seen by this process.
pub(crate) struct Quota {
    per_minute: u32,
    buckets: Mutex<HashMap<String, (f64, Instant)>>,
}

impl Quota {
    /// A quota of `per_minute` calls per client.
    pub(crate) fn new(per_minute: u32) -> Quota {
        Quota { per_minute: per_minute.max(1), buckets: Mutex::new(HashMap::new()) }
    }

    /// Calls allowed per minute.
    pub(crate) fn per_minute(&self) -> u32 {
        self.per_minute
    }

    /// Takes one call from `client`'s budget, or says how many seconds until one is available.
    pub(crate) fn take(&self, client: &str) -> Result<(), u64> {
        let rate = self.per_minute as f64 / 60.0;
        let now = Instant::now();
        let Ok(mut buckets) = self.buckets.lock() else { return Ok(()) };
        let (tokens, last) = buckets.entry(client.to_string()).or_insert((self.per_minute as f64, now));
        *tokens = (*tokens + now.duration_since(*last).as_secs_f64() * rate).min(self.per_minute as f64);
        *last = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            Ok(())
        } else {
            Err(((1.0 - *tokens) / rate).ceil().max(1.0) as u64)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_call_after_the_budget_waits() {
        let q = Quota::new(2);
        assert!(q.take("a").is_ok() && q.take("a").is_ok());
        assert_eq!(q.take("a"), Err(30));
        assert!(q.take("b").is_ok(), "budgets are per client");
    }
}
