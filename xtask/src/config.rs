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

fn env_num<T: std::str::FromStr>(name: &str, default: T) -> Result<T> {
    match std::env::var(name) {
        Ok(v) if !v.is_empty() => v
            .parse()
            .map_err(|_| anyhow::anyhow!("{name}={v} is not a number")),
        _ => Ok(default),
    }
}

impl Config {
    pub fn from_env(smoke: bool, check: bool, root: PathBuf) -> Result<Config> {
        let cfg = Config {
            smoke,
            check,
            n: if smoke { 500 } else { 20_000 },
            c: 32,
            runs: env_num("BENCH_RUNS", if smoke { 1 } else { 5 })?,
            pairs: env_num("BENCH_PAIRS", if smoke { 3 } else { 21 })?,
            replay_lines: env_num("BENCH_REPLAY_LINES", if smoke { 1000 } else { 1_000_000 })?,
            replay_runs: match std::env::var("BENCH_REPLAY_RUNS") {
                Ok(v) if !v.is_empty() => Some(env_num("BENCH_REPLAY_RUNS", 1)?),
                _ => None,
            },
            flow_count: env_num("BENCH_FLOW_COUNT", if smoke { 50 } else { 10_000 })?,
            soak_s: env_num("BENCH_SOAK_S", if smoke { 2 } else { 180 })?,
            soak_rate: env_num("BENCH_SOAK_RATE", if smoke { 250 } else { 2000 })?,
            rss_every: Duration::from_millis(env_num(
                "BENCH_RSS_EVERY_MS",
                if smoke { 20 } else { 250 },
            )?),
            nginx_workers: std::env::var("BENCH_NGINX_WORKERS").unwrap_or_else(|_| "1".into()),
            wait_quiet: env_num("BENCH_WAIT_QUIET", if smoke { 0 } else { 120 })?,
            quiet_max: env_num("BENCH_QUIET_MAX", 15.0)?,
            out: std::env::var_os("BENCH_OUT")
                .filter(|v| !v.is_empty())
                .map(PathBuf::from),
            keep: std::env::var("BENCH_KEEP").is_ok_and(|v| v == "1"),
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
