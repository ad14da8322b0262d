//! [`Summary`]: the counts and latencies of a run, and the exit code they mean.

use super::Interruption;
use crate::exit::Code;
use crate::latency::{Latencies, Percentiles};
use crate::transport::{Delivery, Verdict};
use std::collections::BTreeMap;

/// Counts and latencies of a run: fixed-size whatever its length (the latencies are a
/// histogram, recorded by the engine's lanes and handed over at the end).
#[derive(Debug, Default, Clone)]
pub struct Summary {
    pub sent: u64,
    pub ok: u64,
    pub invalid: u64,
    pub transport: u64,
    pub attempts: u64,
    /// Failures by short reason (`timeout`, `HTTP 500`, `invalid /ErrorCode`).
    pub reasons: BTreeMap<String, u64>,
    /// Ctrl-C ended the run early.
    pub interrupted: Option<Interruption>,
    /// Warnings by kind (`refused by crashing`); they never fail a run.
    pub warnings: BTreeMap<String, u64>,
    pub latencies: Latencies,
}

impl Summary {
    pub fn add(&mut self, d: &Delivery) {
        self.sent += 1;
        self.attempts += u64::from(d.attempts);
        match d.verdict() {
            Verdict::Ok => self.ok += 1,
            Verdict::Invalid => self.invalid += 1,
            Verdict::Transport => self.transport += 1,
        }
        if let Some(r) = d.reason() {
            *self.reasons.entry(r).or_default() += 1;
        }
        for w in &d.warnings {
            *self.warnings.entry(w.kind().to_owned()).or_default() += 1;
        }
    }

    pub fn failed(&self) -> u64 {
        self.invalid + self.transport
    }

    /// How many warnings, of every kind.
    pub fn warned(&self) -> u64 {
        self.warnings.values().sum()
    }

    /// The exit code: an interruption outranks transport errors, which outrank failed
    /// checks; warnings never fail a run.
    pub fn code(&self) -> Code {
        if self.interrupted.is_some() {
            Code::Interrupted
        } else if self.transport > 0 {
            Code::Transport
        } else if self.invalid > 0 {
            Code::CheckFailed
        } else {
            Code::Ok
        }
    }

    /// p50/p95/p99/max in ms of the answers (each connection's first apart, see
    /// [`Latencies`]), or `None` before any answer.
    pub fn percentiles(&self) -> Option<Percentiles> {
        self.latencies.percentiles()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn percentiles_come_from_the_latencies() {
        let mut s = Summary::default();
        assert_eq!(s.percentiles(), None);
        for i in 1..=100 {
            s.latencies.record(Duration::from_micros(i * 10), false);
        }
        assert_eq!(s.percentiles().unwrap(), [0.5, 0.95, 0.99, 1.0]);
    }
}
