//! Replay: `deskhook replay` of a generated capture of a million lines to nginx, side by side
//! with `deskhook send` of the same count. Measures replay's peak RSS (`/usr/bin/time -v`),
//! its rate against send's, and whether either's memory grows over the long run (RSS sampled).

use std::fs;
use std::process::Stdio;
use std::time::Duration;

use anyhow::{ensure, Result};

use super::receiver::GRACE;
use super::{
    fmt, memory, per_req_us, ratio, row, Bound, Case, CpuRow, Measurement, On, Section, Target,
    Unit,
};
use crate::bench::{words, Bench};
use crate::config::Config;
use crate::deskhook::send_summary;
use crate::log;
use crate::proc::Proc;
use crate::results::Results;

pub struct Replay;

/// Longest one replay (or send of the same count) may run.
const LIMIT: Duration = Duration::from_secs(1800);

impl Case for Replay {
    fn name(&self) -> &'static str {
        "replay"
    }

    fn run(&self, b: &mut Bench) -> Result<()> {
        let (lines, c) = (b.cfg.replay_lines, b.cfg.c);
        log!("replay: capturing a seed line, writing {lines} capture lines");
        let capture = b.dir.file("replay.jsonl");
        crate::deskhook::write_capture(&seed_capture(b)?, &capture, lines)?;
        b.results.put(
            "replay.file_mb",
            fs::metadata(&capture)?.len() as f64 / 1048576.0,
        );

        log!("replaying {lines} lines to nginx, and sending as many");
        let url = b.nginx.url.clone();
        let replay = b.dh("replay").arg(&capture).words(&format!(
            "--to {url} --token T --concurrency {c} --format json"
        ));
        let send = b.dh(&format!("send SessionBegin --count {lines} --concurrency {c} --token T --to {url} --format json"));
        let mut runs = usize::MAX;
        let mut r = 1;
        while r <= runs {
            for side in if r % 2 == 1 {
                ["replay", "send"]
            } else {
                ["send", "replay"]
            } {
                let argv = if side == "replay" { &replay } else { &send };
                // stdout to a file (about 0.5 kB per request), its last line the summary
                let t = b.timed_with(&format!("{side}{r}"), argv, LIMIT, Some(b.cfg.rss_every))?;
                b.results
                    .put("other.replay", t.other_pct(t.usage.cpu_s + t.nginx_cpu_s));
                send_summary(&t.out, lines)?;
                fs::remove_file(&t.out)?;
                let key = if side == "replay" {
                    "replay"
                } else {
                    "replay.send"
                };
                b.results.put(&format!("{key}.rss_kb"), t.usage.max_rss_kb);
                b.results.put(&format!("{key}.wall_s"), t.wall_s);
                b.results.put(&format!("{key}.cpu_s"), t.usage.cpu_s);
                b.results.put(&format!("{key}.rps"), t.rps(lines));
                b.results.put(&format!("{key}.cpu_pct"), t.usage.cpu_pct);
                memory::put(&mut b.results, key, &t.rss);
                log!(
                    "{side} run {r}: {:.3} s, max RSS {} kB",
                    t.wall_s,
                    t.usage.max_rss_kb
                );
                if r == 1 && side == "replay" {
                    // three runs when one is short enough, else one
                    runs = b
                        .cfg
                        .replay_runs
                        .unwrap_or(if !b.cfg.smoke && t.wall_s < 90.0 {
                            3
                        } else {
                            1
                        });
                }
            }
            r += 1;
        }
        fs::remove_file(&capture)?;
        Ok(())
    }

    fn report(&self, r: &Results, cfg: &Config, num: usize) -> Section {
        let (lines, c) = (cfg.replay_lines, cfg.c);
        let n_lines = fmt(Some(lines as f64), 0, "");
        let rss_mib = r.median("replay.rss_kb").map(|kb| kb / 1024.0);
        let (replay, send) = (r.median("replay.rps"), r.median("replay.send.rps"));
        let every_ms = cfg.rss_every.as_millis();
        let mut every_run = vec![
            row("replay: max RSS kB", "replay.rss_kb", 0),
            row("replay: wall s", "replay.wall_s", 2),
            row("replay: req/s", "replay.rps", 0),
            row("replay: CPU % (of one core)", "replay.cpu_pct", 0),
            row("replay: send of the same count req/s", "replay.send.rps", 0),
            row(
                "replay: send of the same count max RSS kB",
                "replay.send.rss_kb",
                0,
            ),
        ];
        every_run.extend(memory::every_run("replay", "replay"));
        every_run.extend(memory::every_run(
            "replay: send of the same count",
            "replay.send",
        ));
        Section {
            measurements: vec![
                Measurement {
                    title: "replay memory",
                    value: rss_mib,
                    unit: Unit::MiB,
                    comparison: None,
                    ratio: None,
                    target: Target { goal: "max RSS ≤ 16 MiB", on: On::Value, bound: Bound::AtMost(16.0) },
                    detail: format!(
                        "({n_lines}-line capture, {} MB; {} run(s)): maximum resident set size **{}** (median; runs: {} kB); wall time **{} s** ({} req/s), CPU {} s user+sys.",
                        fmt(r.median("replay.file_mb"), 0, ""),
                        r.runs("replay.rss_kb").len(),
                        fmt(rss_mib, 1, " MiB"),
                        super::runs(r, "replay.rss_kb", 0),
                        fmt(r.median("replay.wall_s"), 1, ""),
                        fmt(replay, 0, ""),
                        fmt(r.median("replay.cpu_s"), 1, ""),
                    ),
                },
                Measurement {
                    title: "replay throughput",
                    value: replay,
                    unit: Unit::ReqPerSec,
                    comparison: send,
                    ratio: ratio(replay, send),
                    target: Target { goal: "replay ≥ 1.0× send req/s, same count", on: On::Ratio, bound: Bound::AtLeast(1.0) },
                    detail: format!(
                        "(median of {} run(s) each, alternating, concurrency {c}): `replay` of the {n_lines}-line capture **{} req/s** against `send --count {lines}` **{} req/s** (both N / wall time of the whole process) → **{}**.",
                        r.runs("replay.send.rps").len(),
                        fmt(replay, 0, ""),
                        fmt(send, 0, ""),
                        fmt(ratio(replay, send), 2, "×"),
                    ),
                },
                memory::measurement(r, "replay.send", "send memory over a long run", &format!("`send --count {lines} -c {c}`"), every_ms),
                memory::measurement(r, "replay", "replay memory over a long run", &format!("`replay` of {n_lines} lines, -c {c}"), every_ms),
            ],
            every_run,
            cpu: vec![
                CpuRow::new(format!("deskhook replay ({n_lines} lines) → nginx"), replay, per_req_us(r, "replay.cpu_s", lines), None),
                CpuRow::new(format!("deskhook send --count {n_lines} → nginx"), send, per_req_us(r, "replay.send.cpu_s", lines), None),
            ],
            quiet: Some(("replay", "other.replay")),
            discarded: None,
            commands: Some((
                format!("replay memory: a {lines}-line capture = one `listen --save` line with seq 1..{lines}"),
                vec![
                    format!("/usr/bin/time -v deskhook replay FILE --to URL --token T --concurrency {c} --format json > out.jsonl   # summary = last line"),
                    format!("/usr/bin/time -v deskhook send SessionBegin --count {lines} --concurrency {c} --token T --to URL --format json > out.jsonl   # alternating with replay; RSS of both sampled every {every_ms} ms"),
                ],
            )),
            notes: vec![format!("MB in target {num} is read as MiB (kB / 1024).")],
        }
    }
}

/// A capture of three SessionBegin callbacks from a real `deskhook listen --save`.
fn seed_capture(b: &Bench) -> Result<std::path::PathBuf> {
    let listener = b.listen("seed.listen", Some(3), &[])?;
    let mut send = std::process::Command::new(&b.deskhook);
    send.args(words("send SessionBegin --count 3 --token T --to"))
        .arg(format!("{}desk/callback", listener.url))
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let status = Proc::spawn("seed send", &mut send)?.wait()?;
    ensure!(
        status.success(),
        "deskhook send into the seed listener failed ({status})"
    );
    let done = listener.finish(GRACE, None)?;
    done.expect_lines(3)?;
    Ok(done.capture)
}
