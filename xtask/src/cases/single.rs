//! Single send: one `deskhook send` process against one `curl` process posting the same
//! signed body to nginx, in alternating pairs; the wall time around each whole process.

use std::fs;
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{ensure, Result};

use super::{fmt, row, Bound, Case, Measurement, On, Section, Target, Unit};
use crate::bench::{other_pct, Bench};
use crate::config::Config;
use crate::log;
use crate::proc::{self, Proc};
use crate::results::Results;

pub struct Single;

impl Case for Single {
    fn name(&self) -> &'static str {
        "single"
    }

    fn run(&self, b: &mut Bench) -> Result<()> {
        let pairs = b.cfg.pairs;
        log!("single send: {pairs} pairs of one deskhook send process against one curl process");
        let signed = b.sign(&b.nginx.url)?;
        let body = b.dir.file("single.body");
        fs::write(&body, &signed.body)?;
        let mut dh = Command::new(&b.deskhook);
        dh.args(["send", "SessionBegin", "--to", &b.nginx.url]);
        let mut curl = Command::new("curl");
        curl.args([
            "-s",
            "-X",
            "POST",
            "-H",
            "Content-Type: application/json",
            "--data-binary",
        ])
        .arg(format!("@{}", body.display()))
        .args(["--max-time", "5", &signed.url]);
        for cmd in [&mut dh, &mut curl] {
            cmd.stdout(Stdio::null()).stderr(Stdio::null());
        }
        // warm-up, not counted
        wall_ms("deskhook send", &mut dh)?;
        wall_ms("curl", &mut curl)?;

        let busy0 = proc::machine_busy_ticks();
        let own0 = proc::own_and_children_cpu_s() + b.nginx.cpu_s();
        let t0 = Instant::now();
        for p in 1..=pairs {
            let (dh_ms, curl_ms) = if p % 2 == 1 {
                let d = wall_ms("deskhook send", &mut dh)?;
                (d, wall_ms("curl", &mut curl)?)
            } else {
                let c = wall_ms("curl", &mut curl)?;
                (wall_ms("deskhook send", &mut dh)?, c)
            };
            b.results.put("single.dh_ms", dh_ms);
            b.results.put("single.curl_ms", curl_ms);
            b.results.put("single.ratio", dh_ms / curl_ms);
        }
        let wall_s = t0.elapsed().as_secs_f64();
        // our own CPU here: the harness and the timed processes, and nginx
        let own = proc::own_and_children_cpu_s() + b.nginx.cpu_s() - own0;
        b.results.put(
            "other.single",
            other_pct(proc::machine_busy_ticks() - busy0, own, wall_s),
        );
        Ok(())
    }

    fn report(&self, r: &Results, cfg: &Config, _num: usize) -> Section {
        let (dh, curl, x) = (
            r.median("single.dh_ms"),
            r.median("single.curl_ms"),
            r.median("single.ratio"),
        );
        Section {
            measurements: vec![Measurement {
                title: "single send",
                value: dh,
                unit: Unit::Ms,
                comparison: curl,
                ratio: x,
                target: Target {
                    goal: "median deskhook/curl time ≤ 0.7",
                    on: On::Ratio,
                    bound: Bound::AtMost(0.7),
                },
                detail: format!(
                    "(median of {} alternating pair(s)): one `deskhook send` process **{}** against one `curl` process **{}**; median per-pair ratio **{}**.",
                    r.runs("single.ratio").len(),
                    fmt(dh, 2, " ms"),
                    fmt(curl, 2, " ms"),
                    fmt(x, 2, "×"),
                ),
            }],
            every_run: vec![
                row("single: deskhook ms", "single.dh_ms", 2),
                row("single: curl ms", "single.curl_ms", 2),
                row("single: ratio deskhook/curl", "single.ratio", 3),
            ],
            quiet: Some(("single send", "other.single")),
            commands: Some((
                format!("single send ({} pairs, alternating order; wall time around each process)", cfg.pairs),
                vec![
                    "deskhook send SessionBegin --to URL".into(),
                    "curl -s -X POST -H 'Content-Type: application/json' --data-binary @body --max-time 5 'URL?<signed query>'".into(),
                ],
            )),
            ..Section::default()
        }
    }
}

/// Runs `cmd` once; the wall time from spawn to exit in ms. Fails unless it exits 0.
fn wall_ms(what: &str, cmd: &mut Command) -> Result<f64> {
    let t0 = Instant::now();
    let status = Proc::spawn(what, cmd)?.wait()?;
    let ms = t0.elapsed().as_secs_f64() * 1e3;
    ensure!(status.success(), "{what} to nginx failed ({status})");
    Ok(ms)
}
