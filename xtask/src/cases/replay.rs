//! Replay memory: `deskhook replay` of a generated capture of a million lines to nginx,
//! its peak RSS from `/usr/bin/time -v`.

use std::fs;
use std::process::Stdio;
use std::time::Duration;

use anyhow::{ensure, Result};

use super::receiver::GRACE;
use super::{fmt, per_req_us, row, Bound, Case, CpuRow, Measurement, On, Section, Target, Unit};
use crate::bench::{words, Bench};
use crate::config::Config;
use crate::deskhook::{send_summary, write_capture};
use crate::log;
use crate::proc::Proc;
use crate::results::Results;

pub struct Replay;

impl Case for Replay {
    fn name(&self) -> &'static str {
        "replay"
    }

    fn run(&self, b: &mut Bench) -> Result<()> {
        let lines = b.cfg.replay_lines;
        log!("replay memory: capturing a seed line, writing {lines} capture lines");
        let capture = b.dir.file("replay.jsonl");
        write_capture(&seed_capture(b)?, &capture, lines)?;
        b.results.put(
            "replay.file_mb",
            fs::metadata(&capture)?.len() as f64 / 1048576.0,
        );

        log!("replaying {lines} lines to nginx");
        let mut r = 1;
        let mut runs = usize::MAX;
        while r <= runs {
            let argv = b.dh("replay").arg(&capture).words(&format!(
                "--to {} --token T --concurrency {} --format json",
                b.nginx.url, b.cfg.c
            ));
            // stdout to a file (about 0.5 kB per request), its last line the summary
            let t = b.timed_with(&format!("replay{r}"), &argv, Duration::from_secs(1800))?;
            b.results
                .put("other.replay", t.other_pct(t.usage.cpu_s + t.nginx_cpu_s));
            send_summary(&t.out, lines)?;
            fs::remove_file(&t.out)?;
            b.results.put("replay.rss_kb", t.usage.max_rss_kb);
            b.results.put("replay.wall_s", t.wall_s);
            b.results.put("replay.cpu_s", t.usage.cpu_s);
            b.results.put("replay.rps", t.rps(lines));
            b.results.put("replay.cpu_pct", t.usage.cpu_pct);
            log!(
                "replay run {r}: {:.3} s, max RSS {} kB",
                t.wall_s,
                t.usage.max_rss_kb
            );
            if r == 1 {
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
            r += 1;
        }
        fs::remove_file(&capture)?;
        Ok(())
    }

    fn report(&self, r: &Results, cfg: &Config, num: usize) -> Section {
        let (lines, c) = (cfg.replay_lines, cfg.c);
        let rss_mib = r.median("replay.rss_kb").map(|kb| kb / 1024.0);
        Section {
            measurements: vec![Measurement {
                title: "replay memory",
                value: rss_mib,
                unit: Unit::MiB,
                comparison: None,
                ratio: None,
                target: Target {
                    goal: "max RSS ≤ 64 MB (MiB)",
                    on: On::Value,
                    bound: Bound::AtMost(64.0),
                },
                detail: format!(
                    "({}-line capture, {} MB; {} run(s)): maximum resident set size **{}** (median; runs: {} kB); wall time **{} s** ({} req/s), CPU {} s user+sys.",
                    fmt(Some(lines as f64), 0, ""),
                    fmt(r.median("replay.file_mb"), 0, ""),
                    r.runs("replay.rss_kb").len(),
                    fmt(rss_mib, 1, " MiB"),
                    super::runs(r, "replay.rss_kb", 0),
                    fmt(r.median("replay.wall_s"), 1, ""),
                    fmt(r.median("replay.rps"), 0, ""),
                    fmt(r.median("replay.cpu_s"), 1, ""),
                ),
            }],
            every_run: vec![
                row("replay: max RSS kB", "replay.rss_kb", 0),
                row("replay: wall s", "replay.wall_s", 2),
                row("replay: req/s", "replay.rps", 0),
                row("replay: CPU % (of one core)", "replay.cpu_pct", 0),
            ],
            cpu: vec![CpuRow::new(format!("deskhook replay ({} lines) → nginx", fmt(Some(lines as f64), 0, "")), r.median("replay.rps"), per_req_us(r, "replay.cpu_s", lines), None)],
            quiet: Some(("replay", "other.replay")),
            discarded: None,
            commands: Some((
                format!("replay memory: a {lines}-line capture = one `listen --save` line with seq 1..{lines}"),
                vec![format!("/usr/bin/time -v deskhook replay FILE --to URL --token T --concurrency {c} --format json > out.jsonl   # summary = last line")],
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
