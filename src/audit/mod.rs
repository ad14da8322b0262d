//! `deskhook audit`: a battery of named probes against one backend. Each probe sends real
//! callbacks built from the catalogue — valid ones, or deliberately mis-signed, stale,
//! foreign, odd or malformed ones — and judges how the backend took them: what it must
//! refuse (forged, stale, future, foreign), what it must accept (odd but valid), and what is
//! only worth a warning (clock-skew tolerance, robustness).
//!
//! [`probes`] is the table and builds the callbacks; [`run()`] sends them and judges each
//! probe into an [`Outcome`]; [`report`] shows outcomes as lines, JSON Lines
//! (`fixtures/audit.schema.json`) or JUnit.

pub mod probes;
pub mod report;
mod run;

pub use probes::{closest, probe, Probe, PROBES};
pub use run::{run, Audit};

use crate::exit::Code;
use crate::transport::Delivery;

/// What a probe demands of the backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The callback must be refused (a 4xx or a failure envelope); accepting it is a hole.
    MustRefuse,
    /// The callback is valid and must be accepted.
    MustAccept,
    /// The callback should be accepted; refusing it is a warning.
    Tolerance,
    /// The callback is malformed and should be refused cleanly; anything else is a warning.
    Robustness,
}

impl Kind {
    /// `must-refuse`, `must-accept`, `tolerance`, `robustness` (JSON, JUnit class names).
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::MustRefuse => "must-refuse",
            Kind::MustAccept => "must-accept",
            Kind::Tolerance => "tolerance",
            Kind::Robustness => "robustness",
        }
    }

    /// What a backend should answer, in words: a refusal is a 4xx or a failure envelope
    /// (`ActionStatus` FAIL / non-zero `ErrorCode`, CEC `resultCode` not "0"); acceptance is
    /// a 2xx that is not one (the baseline also needs the documented success envelope).
    pub fn expected(self) -> &'static str {
        match self {
            Kind::MustRefuse => "a refusal",
            Kind::MustAccept | Kind::Tolerance => "acceptance",
            Kind::Robustness => "a 4xx or a failure envelope",
        }
    }
}

/// The verdict on one probe (or on one of its callbacks).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Verdict {
    Pass,
    /// Not run: no `--token`, an unreachable backend, or a refusal that proves nothing.
    Skip,
    /// Worth knowing; fails the run only under `--strict`.
    Warn,
    Fail,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Skip => "skip",
            Verdict::Warn => "warn",
            Verdict::Fail => "fail",
        }
    }
}

/// One callback of a probe and how it went.
#[derive(Debug)]
pub struct Case {
    pub label: String,
    pub delivery: Delivery,
    pub verdict: Verdict,
}

/// What one probe found.
#[derive(Debug)]
pub struct Outcome {
    pub probe: &'static Probe,
    pub verdict: Verdict,
    /// What it sent.
    pub sent: String,
    /// What came back, in short (`401 in 1.2 ms`, `all 6: 200 "OK"`).
    pub got: String,
    /// On fail and warn: what it means and what the backend should check; on skip: why.
    pub advice: Option<String>,
    pub cases: Vec<Case>,
}

/// The counts of a run, and the exit code they mean.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Tally {
    pub pass: u64,
    pub fail: u64,
    pub warn: u64,
    pub skip: u64,
    /// Callbacks sent, and how many of them got no answer at all.
    pub sent: u64,
    pub unanswered: u64,
}

impl Tally {
    pub fn of(outcomes: &[Outcome]) -> Tally {
        let mut t = Tally::default();
        for o in outcomes {
            match o.verdict {
                Verdict::Pass => t.pass += 1,
                Verdict::Fail => t.fail += 1,
                Verdict::Warn => t.warn += 1,
                Verdict::Skip => t.skip += 1,
            }
            t.sent += o.cases.len() as u64;
            t.unanswered += o
                .cases
                .iter()
                .filter(|c| c.delivery.error.is_some())
                .count() as u64;
        }
        t
    }

    pub fn probes(&self) -> u64 {
        self.pass + self.fail + self.warn + self.skip
    }

    /// 3 when the backend could not be reached at all (every callback sent went
    /// unanswered), 1 when a probe failed (or warned, under `strict`), else 0.
    pub fn code(&self, strict: bool) -> Code {
        if self.sent > 0 && self.unanswered == self.sent {
            Code::Transport
        } else if self.fail > 0 || (strict && self.warn > 0) {
            Code::CheckFailed
        } else {
            Code::Ok
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes() {
        let t = Tally {
            pass: 3,
            warn: 1,
            sent: 9,
            ..Tally::default()
        };
        assert_eq!(t.code(false), Code::Ok);
        assert_eq!(t.code(true), Code::CheckFailed);
        let t = Tally { fail: 1, ..t };
        assert_eq!(t.code(false), Code::CheckFailed);
        let t = Tally { unanswered: 9, ..t };
        assert_eq!(t.code(false), Code::Transport);
        assert_eq!(Tally::default().code(false), Code::Ok);
    }
}
