//! The harness's settings: the command line and the `BENCH_*` environment.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Result};

/// Settings from the command line and the `BENCH_*` environment (see `scripts/bench.sh --help`).
#[derive(Debug, Clone)]
pub struct Config {
    pub smoke: bool,
    /// exit 1 when a target FAILs
    pub check: bool,
    /// requests per throughput run
    pub n: u64,
    /// concurrency of every load
    pub c: u64,
    /// kept runs per side-by-side comparison
    pub runs: usize,
    /// deskhook/curl pairs of the single-send comparison
    pub pairs: usize,
    pub replay_lines: u64,
    /// replay runs; None: 3 when the first takes < 90 s (full run), else 1
    pub replay_runs: Option<usize>,
    /// `flow bot-to-human --count N`
    pub flow_count: u64,
    /// seconds of sustained load on `listen --save` (0: no soak)
    pub soak_s: u64,
    /// requests per second of that load
    pub soak_rate: u64,
    /// how often RSS is sampled over a long run
    pub rss_every: Duration,
    pub nginx_workers: String,
    /// seconds to wait for the machine to be idle before measuring
    pub wait_quiet: u64,
    /// a run during which other processes used more than this % of the CPUs is repeated
    pub quiet_max: f64,
    /// the report; None: BENCHMARKS.md (full run) or printed only (smoke)
    pub out: Option<PathBuf>,
    pub keep: bool,
    /// the repository
    pub root: PathBuf,
}

/// Longest any one measured process may run.
pub const STEP_LIMIT: Duration = Duration::from_secs(600);

/// `value` parsed, or `default` when unset or empty.
fn parse<T: std::str::FromStr>(name: &str, value: Option<String>, default: T) -> Result<T> {
    match value.filter(|v| !v.is_empty()) {
        None => Ok(default),
        Some(v) => v
            .parse()
            .map_err(|_| anyhow::anyhow!("{name}={v} is not a number")),
    }
}

impl Config {
    /// The settings, given the `BENCH_*` variables as `var` returns them.
    pub fn new(
        smoke: bool,
        check: bool,
        root: PathBuf,
        var: impl Fn(&str) -> Option<String>,
    ) -> Result<Config> {
        let num = |name: &str, full: u64, smoke_run: u64| {
            parse(name, var(name), if smoke { smoke_run } else { full })
        };
        let cfg = Config {
            smoke,
            check,
            n: if smoke { 500 } else { 20_000 },
            c: 32,
            runs: num("BENCH_RUNS", 5, 1)? as usize,
            pairs: num("BENCH_PAIRS", 21, 3)? as usize,
            replay_lines: num("BENCH_REPLAY_LINES", 1_000_000, 1000)?,
            // 0 (unset): decided by the first run's length
            replay_runs: Some(parse("BENCH_REPLAY_RUNS", var("BENCH_REPLAY_RUNS"), 0)?)
                .filter(|&r| r > 0),
            flow_count: num("BENCH_FLOW_COUNT", 10_000, 50)?,
            soak_s: num("BENCH_SOAK_S", 180, 2)?,
            soak_rate: num("BENCH_SOAK_RATE", 2000, 250)?,
            rss_every: Duration::from_millis(num("BENCH_RSS_EVERY_MS", 250, 20)?),
            nginx_workers: var("BENCH_NGINX_WORKERS")
                .filter(|v| !v.is_empty())
                .unwrap_or("1".into()),
            wait_quiet: num("BENCH_WAIT_QUIET", 120, 0)?,
            quiet_max: parse("BENCH_QUIET_MAX", var("BENCH_QUIET_MAX"), 15.0)?,
            out: var("BENCH_OUT")
                .filter(|v| !v.is_empty())
                .map(PathBuf::from),
            keep: var("BENCH_KEEP").is_some_and(|v| v == "1"),
            root,
        };
        if !smoke && cfg.runs < 3 {
            bail!("BENCH_RUNS must be >= 3 for a full run");
        }
        if !smoke && cfg.pairs < 15 {
            bail!("BENCH_PAIRS must be >= 15 for a full run");
        }
        if [
            cfg.runs as u64,
            cfg.pairs as u64,
            cfg.replay_lines,
            cfg.flow_count,
            cfg.soak_rate,
        ]
        .contains(&0)
            || cfg.rss_every.is_zero()
        {
            bail!("BENCH_RUNS, _PAIRS, _REPLAY_LINES, _FLOW_COUNT, _SOAK_RATE and _RSS_EVERY_MS must be at least 1");
        }
        Ok(cfg)
    }

    /// Attempts allowed to get `runs` quiet runs (a smoke run never repeats one).
    pub fn max_attempts(&self) -> usize {
        if self.smoke {
            self.runs
        } else {
            3 * self.runs
        }
    }
}
