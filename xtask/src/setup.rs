//! Before measuring: the tools, the binary under test, and the facts the report states
//! about the machine and the versions.

use std::ffi::OsStr;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};

use crate::bench::{unix_now, utc_minute};
use crate::config::Config;
use crate::log;
use crate::proc;
use crate::results::Results;

/// Checks for the tools every run needs; returns nginx's path.
pub fn find_tools() -> Result<PathBuf> {
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
pub fn find_oha(cfg: &Config) -> Result<Option<PathBuf>> {
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
pub fn deskhook_binary(root: &Path) -> Result<PathBuf> {
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
fn first_line<S: AsRef<OsStr>>(
    program: impl AsRef<OsStr>,
    args: impl IntoIterator<Item = S>,
    fallback: &str,
) -> String {
    let Ok(out) = proc::quick(program, args) else {
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

pub fn load_average() -> String {
    let text = fs::read_to_string("/proc/loadavg").unwrap_or_default();
    text.split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

/// The machine and the versions, for the report.
pub fn record_facts(
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
    r.fact("meta.kernel", first_line("uname", ["-sr"], "?"));
    let os = fs::read_to_string("/etc/os-release").unwrap_or_default();
    r.fact(
        "meta.os",
        field(&os, "PRETTY_NAME=").map_or("", |v| v.trim_matches('"')),
    );

    let sha = first_line("sha256sum", [deskhook], "?");
    let mtime = fs::metadata(built)?
        .modified()?
        .duration_since(std::time::UNIX_EPOCH)?
        .as_secs();
    let version = first_line(deskhook, ["--version"], "deskhook ?");
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
            first_line(p, ["--version"], "?")
        }),
    );
    r.fact("ver.nginx", first_line(nginx, ["-v"], "?"));
    r.fact("ver.curl", first_line("curl", ["--version"], "?"));
    r.fact("ver.rustc", first_line("rustc", ["--version"], "unknown"));
    Ok(())
}

/// The rest of the first line of `text` that starts with `key`.
fn field<'a>(text: &'a str, key: &str) -> Option<&'a str> {
    text.lines()
        .find_map(|l| l.strip_prefix(key))
        .map(str::trim)
}
