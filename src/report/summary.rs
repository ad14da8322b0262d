//! [`Summary`]: the counts and latencies of a run, and the exit code they mean.

use super::Interruption;
use crate::exit::Code;
use crate::transport::{Delivery, Verdict};
use std::collections::BTreeMap;

/// Counts and latencies of a run.
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
    latencies_us: Vec<u32>,
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
        if d.status.is_some() {
            self.latencies_us
                .push(d.latency.as_micros().min(u128::from(u32::MAX)) as u32);
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

    /// p50/p95/p99/max in ms (nearest rank), or `None` before any answer.
    pub fn percentiles(&mut self) -> Option<[f64; 4]> {
        if self.latencies_us.is_empty() {
            return None;
        }
        self.latencies_us.sort_unstable();
        let v = &self.latencies_us;
        let at = |p: f64| {
            let rank = ((p / 100.0) * v.len() as f64).ceil() as usize;
            f64::from(v[rank.clamp(1, v.len()) - 1]) / 1000.0
        };
        Some([
            at(50.0),
            at(95.0),
            at(99.0),
            f64::from(v[v.len() - 1]) / 1000.0,
        ])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_use_nearest_rank() {
        let mut s = Summary {
            latencies_us: (1..=100).map(|i| i * 1000).collect(),
            ..Default::default()
        };
        assert_eq!(s.percentiles().unwrap(), [50.0, 95.0, 99.0, 100.0]);
    }
}
