//! oha as the neutral load generator.

use std::fs::File;
use std::io::BufReader;
use std::path::Path;
use std::time::Duration;

use anyhow::{ensure, Context, Result};
use serde_json::Value;

use crate::bench::{Argv, Bench, Timed};
use crate::config::STEP_LIMIT;

impl Bench {
    /// `oha FLAGS -m POST -H 'Content-Type: application/json' -d BODY --no-tui
    /// --output-format json URL`, timed, and its report.
    pub fn oha(
        &self,
        name: &str,
        flags: &str,
        url: &str,
        body: &str,
        limit: Duration,
    ) -> Result<(OhaReport, Timed)> {
        let oha = self.oha.as_ref().context("oha is not available")?;
        let argv = Argv::new(oha)
            .words(flags)
            .words("-m POST")
            .args(["-H", "Content-Type: application/json", "-d", body])
            .words("--no-tui --output-format json")
            .arg(url);
        let t = self.timed_with(name, &argv, limit, None)?;
        Ok((OhaReport::read(&t.out)?, t))
    }

    /// `oha -n N -c C` for a throughput comparison: fails unless all N got 200.
    /// Returns oha's own requests/s and the timed run.
    pub fn oha_n(&self, name: &str, url: &str, body: &str) -> Result<(f64, Timed)> {
        let (n, c) = (self.cfg.n, self.cfg.c);
        let (report, t) = self.oha(name, &format!("-n {n} -c {c}"), url, body, STEP_LIMIT)?;
        ensure!(
            report.ok == n && report.not_ok == 0,
            "oha: expected {n} x 200, got {}",
            report.outcomes
        );
        Ok((report.rps, t))
    }
}

/// What oha's JSON report says.
pub struct OhaReport {
    /// oha's own `requestsPerSec`
    pub rps: f64,
    /// answers with status 200
    pub ok: u64,
    /// other answers and errors
    pub not_ok: u64,
    /// status codes and errors, for messages
    pub outcomes: String,
}

impl OhaReport {
    pub fn read(path: &Path) -> Result<OhaReport> {
        let d: Value = serde_json::from_reader(BufReader::new(File::open(path)?))
            .with_context(|| format!("{}: not oha's JSON", path.display()))?;
        let count = |key: &str| -> (u64, u64) {
            let map = d[key].as_object().into_iter().flatten();
            map.fold((0, 0), |(ok, not), (k, v)| {
                match (k.as_str(), v.as_u64().unwrap_or(0)) {
                    ("200", x) if key == "statusCodeDistribution" => (ok + x, not),
                    (_, x) => (ok, not + x),
                }
            })
        };
        let ((ok, other), (_, errors)) =
            (count("statusCodeDistribution"), count("errorDistribution"));
        Ok(OhaReport {
            rps: d["summary"]["requestsPerSec"]
                .as_f64()
                .context("oha report without summary.requestsPerSec")?,
            ok,
            not_ok: other + errors,
            outcomes: format!(
                "status {} errors {}",
                d["statusCodeDistribution"], d["errorDistribution"]
            ),
        })
    }
}
