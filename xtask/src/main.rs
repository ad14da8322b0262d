//! deskhook's benchmark harness. `scripts/bench.sh` installs the tools and runs it; see USAGE.
//!
//! Layout: `cases/` holds one file per measurement (what it runs, what it reports);
//! `nginx.rs`, `oha.rs` and `deskhook.rs` drive those programs; `bench.rs` runs a measured
//! process; `proc.rs` keeps every child bounded and reads /proc; `config.rs` holds the
//! settings, `setup.rs` finds the tools and the binary; `report.rs` writes BENCHMARKS.md.

mod bench;
mod cases;
mod config;
mod deskhook;
mod nginx;
mod oha;
mod proc;
mod report;
mod results;
mod setup;

use std::fs;
use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{bail, Context, Result};

use bench::{Bench, WorkDir};
use config::Config;
use nginx::Nginx;
use results::Results;

const USAGE: &str = "\
deskhook benchmark: deskhook against oha, curl and nginx on loopback.

usage: cargo xtask bench [--smoke] [--check]     (scripts/bench.sh installs the tools first)

  (no flag)   full run (several minutes); rewrites BENCHMARKS.md (its section \"What was
              changed to get there\" is kept)
  --smoke     seconds-long check that the benchmark still works (CI): tiny counts, one run
              each, the oha parts skipped without oha; prints its report, writes no file
  --check     exit 1 when a target FAILs

Needs nginx, oha (not for --smoke), curl, /usr/bin/time and coreutils' timeout; builds
deskhook with `cargo build --release` and benchmarks a copy of the binary. Everything runs on
127.0.0.1; every process it starts is bounded and stopped when it exits.

Environment (all optional):
  DESKHOOK_BIN=PATH      benchmark this binary instead of building (it is copied first)
  OHA=PATH               use this oha (default: oha on the PATH)
  BENCH_NO_OHA=1         smoke mode: skip the oha parts even when oha is installed
  BENCH_RUNS=N           runs per throughput measurement (full: 5, smoke: 1; full needs >= 3)
  BENCH_PAIRS=N          deskhook/curl pairs for the single-send test (full: 21, smoke: 3)
  BENCH_REPLAY_LINES=N   capture lines to replay (full: 1000000, smoke: 1000)
  BENCH_REPLAY_RUNS=N    replay runs (default: 3 when the first run takes < 90 s, else 1)
  BENCH_FLOW_COUNT=N     sessions of `flow bot-to-human` (full: 10000, smoke: 50)
  BENCH_SOAK_S=S         seconds of sustained load on `listen --save` (full: 180, smoke: 2;
                         0 skips the soak)
  BENCH_SOAK_RATE=R      requests per second of that load (full: 2000, smoke: 250)
  BENCH_RSS_EVERY_MS=MS  RSS sampling interval over long runs (full: 250, smoke: 20)
  BENCH_NGINX_WORKERS=N  nginx worker_processes (default 1; \"auto\" allowed)
  BENCH_OUT=FILE         where the report goes (default BENCHMARKS.md; smoke: printed only)
  BENCH_KEEP=1           keep the temp dir (logs, captures, oha JSON) for inspection
  BENCH_WAIT_QUIET=S     before a full run, wait up to S seconds for the machine to be idle
                         (other processes < 10% of the CPUs; default 120)
  BENCH_QUIET_MAX=P      a throughput run during which other processes used more than P% of
                         the CPUs is discarded and repeated, up to 3x BENCH_RUNS attempts in
                         all (default 15; full mode only)
";

fn main() -> ExitCode {
    proc::stop_children_on_signals();
    match run() {
        Ok(code) => code,
        Err(e) if e.is::<proc::Interrupted>() => {
            log!("interrupted: every process stopped");
            ExitCode::from(130)
        }
        Err(e) => {
            log!("ERROR: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<ExitCode> {
    let Some((smoke, check)) = parse_args()? else {
        print!("{USAGE}");
        return Ok(ExitCode::SUCCESS);
    };
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .context("xtask has no parent dir")?;
    let cfg = Config::new(smoke, check, root.to_path_buf(), |v| std::env::var(v).ok())?;
    let nginx = setup::find_tools()?;
    let oha = setup::find_oha(&cfg)?;
    let built = setup::deskhook_binary(&cfg.root)?;

    let dir = WorkDir::create(cfg.keep)?;
    let deskhook = dir.file("deskhook");
    // a private copy: src/ may be rebuilt while this runs
    fs::copy(&built, &deskhook).with_context(|| format!("copy {}", built.display()))?;
    let mut results = Results::default();
    setup::record_facts(&mut results, &deskhook, &built, oha.as_deref(), &nginx)?;
    let nginx = Nginx::start(&nginx, &dir, &cfg.nginx_workers)?;
    let mut b = Bench {
        cfg,
        deskhook,
        oha,
        nginx,
        results,
        dir,
    };

    if !b.cfg.smoke {
        // a smoke run's numbers mean nothing: no point waiting for, or warning about, load
        b.wait_quiet()?;
    }
    b.results.fact("meta.load_start", setup::load_average());
    let t0 = Instant::now();
    let cases = cases::all();
    for case in &cases {
        case.run(&mut b)?;
    }
    b.results.fact("meta.load_end", setup::load_average());
    b.results
        .fact("meta.total_s", format!("{:.0}", t0.elapsed().as_secs_f64()));

    let failed = write_report(&b, &cases)?;
    Ok(if b.cfg.check && failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// `bench [--smoke] [--check]` → Some((smoke, check)); None for help.
fn parse_args() -> Result<Option<(bool, bool)>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("bench") => {}
        Some("-h" | "--help" | "help") | None => return Ok(None),
        Some(other) => bail!("unknown task {other} (try --help)"),
    }
    let (mut smoke, mut check) = (false, false);
    for arg in &args[1..] {
        match arg.as_str() {
            "--smoke" => smoke = true,
            "--check" => check = true,
            "-h" | "--help" => return Ok(None),
            _ => bail!("unknown argument {arg} (try --help)"),
        }
    }
    Ok(Some((smoke, check)))
}

/// Writes the report (a smoke run's is printed, its file goes with the temp dir) and prints
/// the summary; true when a target FAILed.
fn write_report(b: &Bench, cases: &[Box<dyn cases::Case>]) -> Result<bool> {
    let sections = report::number(cases, &b.results, &b.cfg);
    let out = match &b.cfg.out {
        Some(p) => p.clone(),
        None if b.cfg.smoke => b.dir.file("BENCHMARKS.smoke.md"),
        None => b.cfg.root.join("BENCHMARKS.md"),
    };
    let kept = fs::read_to_string(&out)
        .ok()
        .and_then(|t| report::kept_section(&t));
    let text = report::markdown(&b.cfg, &b.results, &sections, kept.as_deref());
    if let Some(parent) = out.parent() {
        fs::create_dir_all(parent)?;
    }
    fs::write(&out, &text).with_context(|| format!("write {}", out.display()))?;
    let shown = if b.cfg.smoke && b.cfg.out.is_none() {
        println!("{text}");
        "printed above (smoke run: no file kept)".to_string()
    } else {
        out.display().to_string()
    };
    print!(
        "{}",
        report::terminal(&b.cfg, &b.results, &sections, &shown)
    );
    Ok(sections
        .iter()
        .flat_map(|n| &n.section.measurements)
        .any(|m| m.verdict() == "FAIL"))
}
