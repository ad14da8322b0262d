//! The measurements, in the order they run and appear in the report.
//!
//! A case runs its processes and records raw samples (one per run) in [`Results`]; then, from
//! those samples alone, it says what the report shows: its measurements (value, unit, what it
//! is compared with, the ratio, the target), its rows of the detail tables, and the commands
//! it ran. To add a measurement, write a [`Case`] and list it in [`all`].

use anyhow::Result;

use crate::bench::Bench;
use crate::config::Config;
use crate::results::Results;

mod flow;
mod inspect;
mod memory;
mod receiver;
mod replay;
mod send;
mod single;
mod soak;

pub trait Case {
    /// Short name, for log lines and the quiet-machine warning ("send", "receiver").
    fn name(&self) -> &'static str;
    /// Runs the measurement, recording samples in `b.results`.
    fn run(&self, b: &mut Bench) -> Result<()>;
    /// What the report shows, computed from the samples; `num` is the number the report gives
    /// the case's first measurement.
    fn report(&self, r: &Results, cfg: &Config, num: usize) -> Section;
}

pub fn all() -> Vec<Box<dyn Case>> {
    vec![
        Box::new(send::Send),
        Box::new(receiver::Receiver),
        Box::new(single::Single),
        Box::new(replay::Replay),
        Box::new(flow::Flow),
        Box::new(soak::Soak),
        Box::new(inspect::Inspect),
    ]
}

/// A case's part of the report.
#[derive(Debug, Default)]
pub struct Section {
    /// Rows of the results table; each also gets a numbered paragraph.
    pub measurements: Vec<Measurement>,
    /// Rows of "Every run" (shown when their key has samples).
    pub every_run: Vec<Row>,
    /// Rows of "Where the time goes".
    pub cpu: Vec<CpuRow>,
    /// Row of "How quiet the machine was": label and the key of the other-process samples.
    pub quiet: Option<(&'static str, &'static str)>,
    /// For runs discarded on a busy machine: the label of the note and the samples' key.
    pub discarded: Option<(&'static str, &'static str)>,
    /// Its part of the "Commands" block: a title and the command lines.
    pub commands: Option<(String, Vec<String>)>,
    /// Sentences for the paragraph under the "Commands" block.
    pub notes: Vec<String>,
}

/// One measured quantity: deskhook's value, what it is compared with, and its target.
#[derive(Debug)]
pub struct Measurement {
    /// "send throughput"
    pub title: &'static str,
    /// deskhook's figure (None: skipped, e.g. oha missing in a smoke run)
    pub value: Option<f64>,
    pub unit: Unit,
    /// the other tool's figure, in the same unit
    pub comparison: Option<f64>,
    pub ratio: Option<f64>,
    pub target: Target,
    /// the paragraph under the table, after "N. **title** "
    pub detail: String,
}

#[derive(Debug, Clone, Copy)]
pub enum Unit {
    ReqPerSec,
    SessionsPerSec,
    Ms,
    MiB,
    /// a count of things, named: `Count(" lost")` shows "0 lost"
    Count(&'static str),
}

impl Unit {
    pub fn show(self, x: Option<f64>) -> String {
        match self {
            Unit::ReqPerSec => fmt(x, 0, " req/s"),
            Unit::Ms => fmt(x, 2, " ms"),
            Unit::SessionsPerSec => fmt(x, 0, " sessions/s"),
            Unit::MiB => fmt(x, 1, " MiB"),
            Unit::Count(what) => fmt(x, 0, what),
        }
    }
}

/// What a measurement is checked against.
#[derive(Debug)]
pub struct Target {
    /// as the results table states it: "deskhook ≥ 0.7× oha req/s"
    pub goal: &'static str,
    /// whether the ratio or the value is checked
    pub on: On,
    pub bound: Bound,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum On {
    Ratio,
    Value,
}

#[derive(Debug, Clone, Copy)]
pub enum Bound {
    AtLeast(f64),
    AtMost(f64),
    /// measured, no target yet
    None,
}

impl Measurement {
    /// The checked figure: the ratio or the value.
    pub fn checked(&self) -> Option<f64> {
        match self.target.on {
            On::Ratio => self.ratio,
            On::Value => self.value,
        }
    }

    /// The checked figure as the results table shows it ("0.78×", "20.0 MiB").
    pub fn measured(&self) -> String {
        match self.target.on {
            On::Ratio => fmt(self.ratio, 2, "×"),
            On::Value => self.unit.show(self.value),
        }
    }

    pub fn verdict(&self) -> &'static str {
        match (self.checked(), self.target.bound) {
            (None, _) => "SKIPPED",
            (Some(_), Bound::None) => "MEASURED",
            (Some(x), Bound::AtLeast(b)) if x >= b => "PASS",
            (Some(x), Bound::AtMost(b)) if x <= b => "PASS",
            _ => "FAIL",
        }
    }
}

/// A row of "Every run": every sample under `key`, with `decimals`.
#[derive(Debug)]
pub struct Row {
    pub label: String,
    pub key: String,
    pub decimals: usize,
}

pub fn row(label: impl Into<String>, key: impl Into<String>, decimals: usize) -> Row {
    Row {
        label: label.into(),
        key: key.into(),
        decimals,
    }
}

/// A row of "Where the time goes": CPU µs per request of the client and the server.
#[derive(Debug)]
pub struct CpuRow {
    pub label: String,
    pub rps: Option<f64>,
    pub client_us: Option<f64>,
    pub server_us: Option<f64>,
}

impl CpuRow {
    pub fn new(
        label: impl Into<String>,
        rps: Option<f64>,
        client_us: Option<f64>,
        server_us: Option<f64>,
    ) -> CpuRow {
        CpuRow {
            label: label.into(),
            rps,
            client_us,
            server_us,
        }
    }
}

/// Median CPU seconds under `key` per request, in µs.
pub fn per_req_us(r: &Results, key: &str, n: u64) -> Option<f64> {
    r.median(key).filter(|_| n > 0).map(|s| s * 1e6 / n as f64)
}

/// `x` with `nd` decimals and thousands separators, then `unit`; "n/a" for None.
pub fn fmt(x: Option<f64>, nd: usize, unit: &str) -> String {
    let Some(x) = x else {
        return "n/a".into();
    };
    let s = format!("{:.*}", nd, x.abs());
    let (int, frac) = s.split_once('.').map_or((s.as_str(), ""), |(i, f)| (i, f));
    let mut out = String::new();
    for (i, ch) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    if !frac.is_empty() {
        out = format!("{out}.{frac}");
    }
    if x < 0.0 && s.bytes().any(|b| b.is_ascii_digit() && b != b'0') {
        out.insert(0, '-');
    }
    out + unit
}

/// Every sample under `key`, with `nd` decimals, comma-separated.
pub fn runs(r: &Results, key: &str, nd: usize) -> String {
    let xs = r.runs(key);
    if xs.is_empty() {
        return "n/a".into();
    }
    xs.iter()
        .map(|&x| fmt(Some(x), nd, ""))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Divides two optional figures.
pub fn ratio(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    Some(a? / b?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_like_the_report() {
        assert_eq!(fmt(Some(71407.4), 0, ""), "71,407");
        assert_eq!(fmt(Some(1234567.891), 2, " ms"), "1,234,567.89 ms");
        assert_eq!(fmt(Some(0.7812), 2, "×"), "0.78×");
        assert_eq!(fmt(Some(999.6), 0, ""), "1,000");
        assert_eq!(fmt(Some(-1234.0), 0, ""), "-1,234");
        assert_eq!(fmt(None, 1, " MiB"), "n/a");
    }
}
