//! Memory over a long run: does a process's resident set stay flat, or grow with the run?
//!
//! From RSS samples taken at a fixed interval over one run: the peak of the first quarter of
//! the samples against the peak of the last quarter. A case that samples a long run records
//! it with [`put`] and reports it with [`measurement`] and [`every_run`].

use super::{fmt, row, Bound, Measurement, On, Row, Target, Unit};
use crate::results::Results;

/// Growth above which a run's memory is not flat.
const FLAT_KB: f64 = 1024.0;

/// Records one run's samples ((seconds, kB), in time order) under `{key}.rss_*_kb`.
pub fn put(r: &mut Results, key: &str, samples: &[(f64, f64)]) {
    let kb: Vec<f64> = samples.iter().map(|s| s.1).collect();
    if kb.len() < 4 {
        return; // too short a run to tell
    }
    let quarter = kb.len() / 4;
    let peak = |xs: &[f64]| xs.iter().copied().fold(f64::MIN, f64::max);
    let (first, last) = (peak(&kb[..quarter]), peak(&kb[kb.len() - quarter..]));
    r.put(&format!("{key}.rss_first_kb"), first);
    r.put(&format!("{key}.rss_last_kb"), last);
    r.put(&format!("{key}.rss_growth_kb"), last - first);
    r.put(&format!("{key}.rss_peak_kb"), peak(&kb));
    r.put(&format!("{key}.rss_samples"), kb.len() as f64);
}

/// "`title`: flat" as a measurement: the growth in MiB (median over runs), ≤ 1 MiB to pass.
/// `what` says which run was sampled.
pub fn measurement(
    r: &Results,
    key: &str,
    title: &'static str,
    what: &str,
    every_ms: u128,
) -> Measurement {
    let mib = |k: &str| r.median(&format!("{key}.{k}")).map(|kb| kb / 1024.0);
    let growth = mib("rss_growth_kb");
    Measurement {
        title,
        value: growth,
        unit: Unit::MiB,
        comparison: None,
        ratio: None,
        target: Target {
            goal: "flat: the last quarter's peak RSS ≤ the first quarter's + 1 MiB",
            on: On::Value,
            bound: Bound::AtMost(FLAT_KB / 1024.0),
        },
        detail: format!(
            "({what}; RSS sampled every {every_ms} ms, {} samples; median of {} run(s)): peak of the first quarter **{}**, of the last quarter **{}**, of the whole run {} → grows **{}**.",
            fmt(r.median(&format!("{key}.rss_samples")), 0, ""),
            r.runs(&format!("{key}.rss_growth_kb")).len(),
            fmt(mib("rss_first_kb"), 1, " MiB"),
            fmt(mib("rss_last_kb"), 1, " MiB"),
            fmt(mib("rss_peak_kb"), 1, " MiB"),
            fmt(growth, 1, " MiB"),
        ),
    }
}

/// Rows of "Every run" for the samples under `key`.
pub fn every_run(label: &str, key: &str) -> Vec<Row> {
    [
        ("first quarter", "rss_first_kb"),
        ("last quarter", "rss_last_kb"),
        ("growth", "rss_growth_kb"),
    ]
    .into_iter()
    .map(|(what, k)| {
        row(
            format!("{label}: RSS kB, {what} (sampled)"),
            format!("{key}.{k}"),
            0,
        )
    })
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn growth_is_last_quarter_peak_minus_first() {
        let mut r = Results::default();
        let samples: Vec<(f64, f64)> = (0..8)
            .map(|i| (i as f64, 1000.0 + 100.0 * i as f64))
            .collect();
        put(&mut r, "x", &samples);
        assert_eq!(r.median("x.rss_first_kb"), Some(1100.0));
        assert_eq!(r.median("x.rss_last_kb"), Some(1700.0));
        assert_eq!(r.median("x.rss_growth_kb"), Some(600.0));
        put(&mut r, "short", &samples[..3]);
        assert!(!r.has("short.rss_growth_kb"));
    }
}
