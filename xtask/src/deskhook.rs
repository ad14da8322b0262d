//! Driving deskhook itself: a signed request, its summary line, a listener and its capture.

use std::fs::{self, File};
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Context, Result};
use serde_json::Value;

use crate::bench::{bounded, tail, Argv, Bench};
use crate::config::STEP_LIMIT;
use crate::log;
use crate::proc::{self, Proc, Usage};

/// A freshly signed SessionBegin as `deskhook send --dry-run` prints it.
pub struct Signed {
    /// the full signed URL
    pub url: String,
    /// the exact bytes deskhook sends: compact JSON, key order kept
    pub body: String,
    /// path and query of `url`
    pub path_query: String,
}

impl Bench {
    /// `deskhook` (the copy under test) with the words of `line`.
    pub fn dh(&self, line: &str) -> Argv {
        Argv::new(&self.deskhook).words(line)
    }

    /// Signs a SessionBegin for `base` (`deskhook send SessionBegin --dry-run --format json`).
    pub fn sign(&self, base: &str) -> Result<Signed> {
        let line = [
            "send",
            "SessionBegin",
            "--dry-run",
            "--format",
            "json",
            "--token",
            "T",
            "--to",
            base,
        ];
        let out = proc::quick(&self.deskhook, line)?;
        ensure!(
            out.status.success(),
            "deskhook send --dry-run failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let first = out.stdout.split(|&b| b == b'\n').next().unwrap_or_default();
        let d: Value = serde_json::from_slice(first).context("deskhook --dry-run output")?;
        ensure!(
            d["type"] == "request" && d["method"] == "POST",
            "unexpected dry run: {d}"
        );
        let url = d["url"]
            .as_str()
            .context("dry run without url")?
            .to_string();
        let path_query = url
            .splitn(4, '/')
            .nth(3)
            .map(|rest| format!("/{rest}"))
            .context("dry-run url without a path")?;
        Ok(Signed {
            body: serde_json::to_string(&d["body"])?,
            url,
            path_query,
        })
    }
}

/// deskhook's `--format json` summary: the last line of its stdout.
pub struct Summary {
    pub sent: u64,
    pub ok: u64,
    pub p50_ms: f64,
    pub p99_ms: f64,
}

impl Summary {
    pub fn read(out: &Path) -> Result<Summary> {
        let mut f = File::open(out)?;
        let len = f.seek(SeekFrom::End(0))?;
        f.seek(SeekFrom::Start(len.saturating_sub(4096)))?;
        let mut tail = String::new();
        f.read_to_string(&mut tail).ok();
        let last = tail.trim().lines().last().unwrap_or_default();
        let s: Value = serde_json::from_str(last).unwrap_or_default();
        ensure!(
            s["type"] == "summary",
            "no deskhook summary at the end of {}: {last}",
            out.display()
        );
        let lat = |k: &str| s["latency_ms"][k].as_f64().unwrap_or(f64::NAN);
        Ok(Summary {
            sent: s["sent"].as_u64().unwrap_or(0),
            ok: s["ok"].as_u64().unwrap_or(0),
            p50_ms: lat("p50"),
            p99_ms: lat("p99"),
        })
    }
}

/// The summary of a run that must have sent `n` requests, all answered OK.
pub fn send_summary(out: &Path, n: u64) -> Result<Summary> {
    let s = Summary::read(out)?;
    ensure!(
        s.sent == n && s.ok == n,
        "deskhook summary is not {n} sent / {n} ok: {} sent, {} ok",
        s.sent,
        s.ok
    );
    Ok(s)
}

/// A running `deskhook listen --port 0 --save FILE --token T`.
pub struct Listener {
    /// `http://127.0.0.1:PORT/`
    pub url: String,
    pub capture: PathBuf,
    name: String,
    time: PathBuf,
    err: PathBuf,
    proc: Proc,
}

impl Bench {
    /// Starts a listener (after `--max-requests N` it stops by itself) and waits for its ready
    /// line. `extra` are further flags, e.g. a feature under measurement.
    pub fn listen(
        &self,
        name: &str,
        max_requests: Option<u64>,
        extra: &[&str],
    ) -> Result<Listener> {
        let capture = self.dir.file(&format!("{name}.cap.jsonl"));
        let _ = fs::remove_file(&capture);
        let mut argv = Argv::new(&self.deskhook)
            .words("listen --port 0 --save")
            .arg(&capture)
            .words("--token T");
        if let Some(n) = max_requests {
            argv = argv.words(&format!("--max-requests {n}"));
        }
        let argv = argv.args(extra);
        // on time-out the listener gets SIGINT, so it still writes out its capture
        let mut cmd = bounded(&self.dir, name, STEP_LIMIT, "INT", &argv)?;
        let mut proc = Proc::spawn(name, &mut cmd)?;
        let out = self.dir.file(&format!("{name}.out"));
        let err = self.dir.file(&format!("{name}.err"));
        let t0 = Instant::now();
        let url = loop {
            let text = fs::read_to_string(&out).unwrap_or_default();
            if let Some(url) = ready_url(&text) {
                break url;
            }
            if proc.try_wait()?.is_some() {
                bail!("deskhook listen exited early: {}", tail(&err, 5));
            }
            ensure!(
                t0.elapsed() < Duration::from_secs(10),
                "deskhook listen printed no ready line in 10 s"
            );
            proc::sleep(Duration::from_millis(20))?;
        };
        Ok(Listener {
            url,
            capture,
            name: name.to_string(),
            time: self.dir.file(&format!("{name}.time")),
            err,
            proc,
        })
    }
}

/// `http://127.0.0.1:PORT/` from a line `... listening on http://127.0.0.1:PORT/ ...`.
fn ready_url(text: &str) -> Option<String> {
    let at = text.find("listening on http://127.0.0.1:")? + "listening on ".len();
    let rest = &text[at + "http://127.0.0.1:".len()..];
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    (digits > 0 && rest[digits..].starts_with('/'))
        .then(|| text[at..at + "http://127.0.0.1:".len() + digits + 1].to_string())
}

impl Listener {
    pub fn pid(&self) -> u32 {
        self.proc.pid()
    }

    /// Lets the listener stop by itself within `grace` (after its `--max-requests`), else
    /// stops it with SIGINT; then reads its capture: every line must be whole, an accepted
    /// exchange with status 200 (and, given `body`, hold that very body).
    pub fn finish(mut self, grace: Duration, body: Option<&str>) -> Result<Finished> {
        if self.proc.wait_for(grace)?.is_none() {
            if !grace.is_zero() {
                log!(
                    "listener still running {} s after the load: sending SIGINT",
                    grace.as_secs()
                );
            }
            // `timeout` passes SIGINT on to the listener
            self.proc.signal(libc::SIGINT);
            if self.proc.wait_for(Duration::from_secs(5))?.is_none() {
                self.proc.stop();
            }
        }
        let status = self.proc.wait()?;
        ensure!(
            status.success(),
            "deskhook listen exited with {status}: {}",
            tail(&self.err, 5)
        );
        let lines = count_capture(&self.capture, body)
            .with_context(|| format!("capture check failed for {}", self.name))?;
        Ok(Finished {
            usage: Usage::read(&self.time)?,
            lines,
            capture: self.capture,
        })
    }
}

/// A stopped listener: its resource use over its whole life, and its capture.
pub struct Finished {
    pub usage: Usage,
    /// whole, accepted lines in the capture
    pub lines: u64,
    pub capture: PathBuf,
}

impl Finished {
    pub fn expect_lines(&self, n: u64) -> Result<()> {
        ensure!(
            self.lines == n,
            "{}: {} lines, expected exactly {n}",
            self.capture.display(),
            self.lines
        );
        Ok(())
    }
}

/// See [`Listener::finish`]; the number of lines.
fn count_capture(path: &Path, body: Option<&str>) -> Result<u64> {
    let mut file = BufReader::new(
        File::open(path).with_context(|| format!("{}: no capture", path.display()))?,
    );
    let (mut line, mut count) = (Vec::new(), 0u64);
    while file.read_until(b'\n', &mut line)? > 0 {
        count += 1;
        let at = || format!("{}:{count}", path.display());
        ensure!(line.ends_with(b"\n"), "{}: last line is not whole", at());
        let rec: Value =
            serde_json::from_slice(&line).with_context(|| format!("{}: not JSON", at()))?;
        if rec["v"] != 1 || rec["verdict"] != "accepted" || rec["status"] != 200 {
            let head = String::from_utf8_lossy(&line[..line.len().min(300)]).into_owned();
            bail!("{}: not an accepted exchange: {head}", at());
        }
        if body.is_some_and(|b| rec["body"].as_str() != Some(b)) {
            bail!("{}: the body received is not the body sent", at());
        }
        line.clear();
    }
    Ok(count)
}

/// Writes a capture of `lines` lines: the `seed` capture's first line with seq 1..=lines.
pub fn write_capture(seed: &Path, out: &Path, lines: u64) -> Result<()> {
    let first = BufReader::new(File::open(seed)?)
        .lines()
        .next()
        .context("empty seed capture")??;
    let rec: Value = serde_json::from_str(&first)?;
    let key = format!(
        "\"seq\":{}",
        rec["seq"].as_u64().context("seed line without seq")?
    );
    // the first occurrence is the top-level key: inside "body" quotes are escaped (\")
    let at = first.find(&key).context("seq not found in the seed line")?;
    let (pre, post) = (&first[..at + "\"seq\":".len()], &first[at + key.len()..]);
    let probe: Value = serde_json::from_str(&format!("{pre}7{post}"))?;
    ensure!(probe["seq"] == 7, "cannot rewrite seq in the seed line");
    let mut w = std::io::BufWriter::with_capacity(1 << 20, File::create(out)?);
    for k in 1..=lines {
        writeln!(w, "{pre}{k}{post}")?;
        if k % 100_000 == 0 {
            proc::check_interrupted()?;
        }
    }
    w.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ready_line() {
        let line =
            "deskhook listening on http://127.0.0.1:35109/ (Tencent callbacks on any path)\n";
        assert_eq!(ready_url(line).as_deref(), Some("http://127.0.0.1:35109/"));
        assert_eq!(ready_url("deskhook listening on http://127.0.0.1:"), None);
        assert_eq!(ready_url(""), None);
    }
}
