//! deskhook's benchmark harness. `scripts/bench.sh` installs the tools and runs it; see USAGE.
//!
//! Layout: `cases/` holds one file per measurement (what it runs, what it reports); `tools.rs`
//! drives nginx, oha and deskhook; `bench.rs` runs a measured process and keeps the settings;
//! `proc.rs` keeps every child bounded and reads /proc; `report.rs` writes BENCHMARKS.md.

mod bench;
mod cases;
mod proc;
mod report;
mod results;
mod tools;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Instant;

use anyhow::{bail, Context, Result};

use bench::{unix_now, utc_minute, Bench, Config, WorkDir};
use results::Results;
use tools::Nginx;

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
  BENCH_NGINX_WORKERS=N  nginx worker_processes (default 1; \"auto\" allowed)
  BENCH_OUT=FILE         where the report goes (default BENCHMARKS.md; smoke: printed only)
  BENCH_KEEP=1           keep the temp dir (logs, captures, oha JSON) for inspection
  BENCH_WAIT_QUIET=S     before measuring, wait up to S seconds for the machine to be idle
                         (other processes < 10% of the CPUs; full: 120, smoke: 0)
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
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (mut smoke, mut check) = (false, false);
    match args.first().map(String::as_str) {
        Some("bench") => {}
        Some("-h" | "--help" | "help") | None => {
            print!("{USAGE}");
            return Ok(ExitCode::SUCCESS);
        }
        Some(other) => bail!("unknown task {other} (try --help)"),
    }
    for arg in &args[1..] {
        match arg.as_str() {
            "--smoke" => smoke = true,
            "--check" => check = true,
            "-h" | "--help" => {
                print!("{USAGE}");
                return Ok(ExitCode::SUCCESS);
            }
            _ => bail!("unknown argument {arg} (try --help)"),
        }
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .context("xtask has no parent dir")?
        .to_path_buf();
    let cfg = Config::from_env(smoke, check, root)?;
    let nginx_bin = find_tools()?;
    let oha = find_oha(&cfg)?;
    let built = deskhook_binary(&cfg.root)?;

    let dir = WorkDir::create(cfg.keep)?;
    let deskhook = dir.file("deskhook");
    // a private copy: src/ may be rebuilt while this runs
    fs::copy(&built, &deskhook).with_context(|| format!("copy {}", built.display()))?;
    let mut results = Results::default();
    record_facts(&mut results, &deskhook, &built, oha.as_deref(), &nginx_bin)?;

    let nginx = Nginx::start(&nginx_bin, &dir, &cfg.nginx_workers)?;
    let mut b = Bench {
        cfg,
        deskhook,
        oha,
        nginx,
        results,
        dir,
    };
    b.wait_quiet()?;
    b.results.fact("meta.load_start", load_average());
    let t0 = Instant::now();
    let cases = cases::all();
    for case in &cases {
        case.run(&mut b)?;
    }
    b.results.fact("meta.load_end", load_average());
    b.results
        .fact("meta.total_s", format!("{:.0}", t0.elapsed().as_secs_f64()));

    let mut sections = Vec::new();
    let mut num = 1;
    for case in &cases {
        let section = case.report(&b.results, &b.cfg, num);
        let n = report::Numbered {
            name: case.name(),
            num,
            section,
        };
        num += n.section.measurements.len();
        sections.push(n);
    }
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
        // the smoke report lives in the temp dir, which goes away: show it here instead
        println!("{text}");
        "printed above (smoke run: no file kept)".to_string()
    } else {
        out.display().to_string()
    };
    print!(
        "{}",
        report::terminal(&b.cfg, &b.results, &sections, &shown)
    );
    let failed = sections
        .iter()
        .flat_map(|n| &n.section.measurements)
        .any(|m| m.verdict() == "FAIL");
    Ok(if b.cfg.check && failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// Checks for the tools every run needs; returns nginx's path.
fn find_tools() -> Result<PathBuf> {
    let nginx =
        on_path("nginx").or_else(|| Some(PathBuf::from("/usr/sbin/nginx")).filter(|p| p.exists()));
    let mut missing = Vec::new();
    if nginx.is_none() {
        missing.push("nginx");
    }
    if !Path::new("/usr/bin/time").exists() {
        missing.push("/usr/bin/time");
    }
    for tool in ["curl", "timeout", "sha256sum"] {
        if on_path(tool).is_none() {
            missing.push(tool);
        }
    }
    if !missing.is_empty() {
        bail!(
            "missing {} (scripts/bench.sh installs them)",
            missing.join(", ")
        );
    }
    Ok(nginx.unwrap_or_default())
}

/// oha, or None in a smoke run without it (the oha parts are then skipped).
fn find_oha(cfg: &Config) -> Result<Option<PathBuf>> {
    if cfg.smoke && std::env::var("BENCH_NO_OHA").is_ok_and(|v| v == "1") {
        log!("smoke run with BENCH_NO_OHA=1: the oha parts are skipped");
        return Ok(None);
    }
    let oha = std::env::var_os("OHA")
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
        .or_else(|| on_path("oha"));
    match oha {
        Some(p) if p.exists() => Ok(Some(p)),
        _ if cfg.smoke => {
            log!("oha is not installed: this smoke run skips the oha parts");
            Ok(None)
        }
        _ => bail!("oha is needed for a full run (scripts/bench.sh installs it, or set OHA=PATH)"),
    }
}

fn on_path(name: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

/// DESKHOOK_BIN, or the release binary `cargo build --release` makes of the repository.
fn deskhook_binary(root: &Path) -> Result<PathBuf> {
    if let Some(bin) = std::env::var_os("DESKHOOK_BIN").filter(|p| !p.is_empty()) {
        return Ok(bin.into());
    }
    log!("cargo build --release");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let out = Command::new(cargo)
        .args([
            "build",
            "--release",
            "--quiet",
            "--bin",
            "deskhook",
            "--message-format=json-render-diagnostics",
            "--manifest-path",
        ])
        .arg(root.join("Cargo.toml"))
        .stderr(std::process::Stdio::inherit())
        .output()
        .context("run cargo")?;
    if !out.status.success() {
        bail!("cargo build --release failed");
    }
    // cargo says where the binary is: the `executable` of the deskhook artifact
    for line in out.stdout.split(|&b| b == b'\n') {
        let msg: serde_json::Value = serde_json::from_slice(line).unwrap_or_default();
        if msg["reason"] == "compiler-artifact" && msg["target"]["name"] == "deskhook" {
            if let Some(exe) = msg["executable"].as_str() {
                return Ok(exe.into());
            }
        }
    }
    bail!("cargo build did not report the deskhook binary")
}

/// The first line of a command's output (stdout, else stderr), or `fallback`.
fn first_line(cmd: &mut Command, fallback: &str) -> String {
    let Ok(out) = cmd.output() else {
        return fallback.to_string();
    };
    let text = if out.stdout.is_empty() {
        out.stderr
    } else {
        out.stdout
    };
    String::from_utf8_lossy(&text)
        .lines()
        .next()
        .unwrap_or(fallback)
        .trim()
        .to_string()
}

fn load_average() -> String {
    let text = fs::read_to_string("/proc/loadavg").unwrap_or_default();
    text.split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

/// The machine and the versions, for the report.
fn record_facts(
    r: &mut Results,
    deskhook: &Path,
    built: &Path,
    oha: Option<&Path>,
    nginx: &Path,
) -> Result<()> {
    r.fact("meta.date", utc_minute(unix_now()));
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    r.fact("meta.nproc", cpus.to_string());
    let meminfo = fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let mem_kb =
        field(&meminfo, "MemTotal:").and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok());
    r.fact(
        "meta.mem",
        mem_kb.map_or("?".into(), |kb| format!("{:.1} GiB", kb / 1048576.0)),
    );
    let cpuinfo = fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    r.fact(
        "meta.cpu",
        field(&cpuinfo, "model name")
            .map(|v| v.trim_start_matches(':').trim())
            .unwrap_or("?"),
    );
    r.fact(
        "meta.kernel",
        first_line(Command::new("uname").arg("-sr"), "?"),
    );
    let os = fs::read_to_string("/etc/os-release").unwrap_or_default();
    r.fact(
        "meta.os",
        field(&os, "PRETTY_NAME=").map_or("", |v| v.trim_matches('"')),
    );

    let sha = first_line(Command::new("sha256sum").arg(deskhook), "?");
    let mtime = fs::metadata(built)?
        .modified()?
        .duration_since(std::time::UNIX_EPOCH)?
        .as_secs();
    let version = first_line(Command::new(deskhook).arg("--version"), "deskhook ?");
    r.fact(
        "ver.deskhook",
        format!(
            "{version} (binary sha256 {}, built {})",
            &sha[..16.min(sha.len())],
            utc_minute(mtime as i64)
        ),
    );
    r.fact(
        "ver.oha",
        oha.map_or("not installed (skipped)".into(), |p| {
            first_line(Command::new(p).arg("--version"), "?")
        }),
    );
    r.fact("ver.nginx", first_line(Command::new(nginx).arg("-v"), "?"));
    r.fact(
        "ver.curl",
        first_line(Command::new("curl").arg("--version"), "?"),
    );
    r.fact(
        "ver.rustc",
        first_line(Command::new("rustc").arg("--version"), "unknown"),
    );
    Ok(())
}

/// The rest of the first line of `text` that starts with `key`.
fn field<'a>(text: &'a str, key: &str) -> Option<&'a str> {
    text.lines()
        .find_map(|l| l.strip_prefix(key))
        .map(str::trim)
}
