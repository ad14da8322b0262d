//! [`Latencies`]: the answer times of a run in fixed memory, however long it runs. Each lane
//! of the engine records into its own, and they are merged at the end (as oha does).
//!
//! The times go into an HDR histogram (microseconds, 3 significant digits: a percentile is
//! exact to the microsecond up to 2 ms and within 0.1% above), so a run of a billion callbacks
//! costs the same ~260 KB as a run of ten. The first request of each connection pays for
//! setting the connection up (TCP, and TLS for `https://`); those are kept apart, so a run's
//! p99 says how the backend answers, not how many connections the run opened.

use hdrhistogram::Histogram;
use std::time::Duration;

/// The longest time recorded, in µs (longer ones count as this): a day, the longest timeout.
const HIGHEST_US: u64 = 86_400_000_000;

/// Answer times of a run (or of one lane of it).
#[derive(Debug, Clone)]
pub struct Latencies {
    /// Every answer but the first on each connection.
    warm: Histogram<u64>,
    /// The first answer on each connection (its set-up included); a few per run, so 2
    /// significant digits are plenty.
    first: Histogram<u64>,
}

impl Default for Latencies {
    fn default() -> Self {
        Latencies {
            warm: Histogram::new_with_bounds(1, HIGHEST_US, 3)
                .expect("constant, valid histogram bounds"),
            first: Histogram::new_with_bounds(1, HIGHEST_US, 2)
                .expect("constant, valid histogram bounds"),
        }
    }
}

/// p50, p95, p99 and max, in ms.
pub type Percentiles = [f64; 4];

impl Latencies {
    /// Record one answer time; `first` when it was the first request of its connection.
    pub fn record(&mut self, d: Duration, first: bool) {
        let us = u64::try_from(d.as_micros())
            .unwrap_or(u64::MAX)
            .clamp(1, HIGHEST_US);
        if first {
            self.first.saturating_record(us);
        } else {
            self.warm.saturating_record(us);
        }
    }

    /// Add another lane's times to these.
    pub fn merge(&mut self, other: &Latencies) {
        // Same bounds on both sides: adding cannot fail.
        let _ = self.warm.add(&other.warm);
        let _ = self.first.add(&other.first);
    }

    /// p50/p95/p99/max in ms of the answers after each connection's first; when every answer
    /// was a first one (a run of a few callbacks), of those instead. `None` before any answer.
    pub fn percentiles(&self) -> Option<Percentiles> {
        let h = if self.warm.is_empty() {
            &self.first
        } else {
            &self.warm
        };
        if h.is_empty() {
            return None;
        }
        let at = |q: f64| ms(h.value_at_quantile(q));
        Some([at(0.50), at(0.95), at(0.99), ms(h.max())])
    }

    /// The first requests of each connection, kept apart: (count, p50 ms, max ms), when there
    /// were later requests too (else they are what [`Latencies::percentiles`] describes).
    pub fn first_requests(&self) -> Option<(u64, f64, f64)> {
        (!self.first.is_empty() && !self.warm.is_empty()).then(|| {
            (
                self.first.len(),
                ms(self.first.value_at_quantile(0.5)),
                ms(self.first.max()),
            )
        })
    }
}

fn ms(us: u64) -> f64 {
    us as f64 / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank_within_the_histogram_precision() {
        let mut l = Latencies::default();
        for i in 1..=100u64 {
            l.record(Duration::from_micros(i * 10), false);
        }
        // Up to 2 ms every microsecond is its own bucket: exact.
        assert_eq!(l.percentiles().unwrap(), [0.5, 0.95, 0.99, 1.0]);
        let mut l = Latencies::default();
        for i in 1..=100u64 {
            l.record(Duration::from_millis(i), false);
        }
        let got = l.percentiles().unwrap();
        for (g, want) in got.iter().zip([50.0, 95.0, 99.0, 100.0]) {
            assert!((g - want).abs() / want <= 0.001, "{got:?}");
        }
    }

    #[test]
    fn first_requests_are_apart_and_lanes_merge() {
        let mut a = Latencies::default();
        a.record(Duration::from_millis(9), true);
        // Only first requests: they are the percentiles (within 2 significant digits).
        assert!(a
            .percentiles()
            .unwrap()
            .iter()
            .all(|p| (p - 9.0).abs() < 0.1));
        assert_eq!(a.first_requests(), None);
        let mut b = Latencies::default();
        b.record(Duration::from_millis(3), true);
        for _ in 0..10 {
            b.record(Duration::from_micros(500), false);
        }
        a.merge(&b);
        assert_eq!(a.percentiles().unwrap(), [0.5, 0.5, 0.5, 0.5]);
        let (n, p50, max) = a.first_requests().unwrap();
        assert_eq!(n, 2);
        assert!(
            (p50 - 3.0).abs() < 0.04 && (max - 9.0).abs() < 0.1,
            "{p50} {max}"
        );
    }

    #[test]
    fn any_duration_is_recorded_without_panic() {
        let mut l = Latencies::default();
        for d in [
            Duration::ZERO,
            Duration::MAX,
            Duration::from_secs(86_400 * 365),
        ] {
            l.record(d, false);
            l.record(d, true);
        }
        let max = l.percentiles().unwrap()[3];
        let want = HIGHEST_US as f64 / 1000.0;
        assert!((max - want).abs() / want <= 0.001, "{max}");
    }
}
