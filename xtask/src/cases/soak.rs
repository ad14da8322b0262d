//! Soak: `deskhook listen --save FILE` under sustained load for minutes (oha at a fixed rate;
//! `deskhook send --rate` in a smoke run without oha), its RSS sampled over time. Afterwards
//! every request that was answered 200 must be a whole, accepted line of the capture: 0 lost.

use std::time::Duration;

use anyhow::Result;

use super::{fmt, memory, row, Bound, Case, Measurement, On, Section, Target, Unit};
use crate::bench::Bench;
use crate::config::Config;
use crate::deskhook::Summary;
use crate::log;
use crate::proc::RssSampler;
use crate::results::Results;

pub struct Soak;

impl Case for Soak {
    fn name(&self) -> &'static str {
        "soak"
    }

    fn run(&self, b: &mut Bench) -> Result<()> {
        let (secs, rate, c) = (b.cfg.soak_s, b.cfg.soak_rate, b.cfg.c);
        if secs == 0 {
            log!("soak: skipped (BENCH_SOAK_S=0)");
            return Ok(());
        }
        let n = secs * rate;
        log!("soak: {n} requests at {rate}/s into deskhook listen --save ({secs} s)");
        // one signed URL serves the whole run: accept its RequestTime for longer than that
        let listener = b.listen("soak.listen", None, &["--tolerance", "24h"])?;
        let url = format!("{}desk/callback", listener.url);
        let signed = b.sign(&url)?;
        let sampler = RssSampler::start(listener.pid(), "deskhook", b.cfg.rss_every);
        let limit = Duration::from_secs(3 * secs + 60);
        let (answered, failed, load) = if b.oha.is_some() {
            let flags = format!("-n {n} -c {c} -q {rate}");
            let (report, t) = b.oha("soak.oha", &flags, &signed.url, &signed.body, limit)?;
            (report.ok, report.not_ok, t)
        } else {
            let line = format!("send SessionBegin --count {n} --concurrency {c} --rate {rate} --token T --to {url} --format json");
            let t = b.timed_with("soak.send", &b.dh(&line), limit, None)?;
            let s = Summary::read(&t.out)?;
            (s.ok, s.sent - s.ok, t)
        };
        let rss = sampler.finish();
        let body = b.oha.is_some().then_some(signed.body.as_str());
        let done = listener.finish(Duration::ZERO, body)?;
        std::fs::remove_file(&done.capture)?; // hundreds of MB, counted now
        let r = &mut b.results;
        r.put("soak.requests", n as f64);
        r.put("soak.answered", answered as f64);
        r.put("soak.failed", failed as f64);
        r.put("soak.lines", done.lines as f64);
        r.put("soak.lost", answered.saturating_sub(done.lines) as f64);
        r.put("soak.wall_s", load.wall_s);
        r.put("soak.listen_cpu_s", done.usage.cpu_s);
        r.put("soak.listen_rss_kb", done.usage.max_rss_kb);
        r.put(
            "other.soak",
            load.other_pct(load.usage.cpu_s + done.usage.cpu_s),
        );
        memory::put(r, "soak.listen", &rss);
        log!(
            "soak: {answered} answered, {} captured, max RSS {} kB",
            done.lines,
            done.usage.max_rss_kb
        );
        Ok(())
    }

    fn report(&self, r: &Results, cfg: &Config, _num: usize) -> Section {
        let (secs, rate, c) = (cfg.soak_s, cfg.soak_rate, cfg.c);
        let load = format!(
            "{} requests at {rate}/s, -c {c}, over {} s",
            fmt(r.median("soak.requests"), 0, ""),
            fmt(r.median("soak.wall_s"), 0, "")
        );
        let mut every_run = vec![
            row("soak: requests answered 200", "soak.answered", 0),
            row(
                "soak: requests not answered 200 (errors included)",
                "soak.failed",
                0,
            ),
            row("soak: whole accepted capture lines", "soak.lines", 0),
            row("soak: deskhook listen max RSS kB", "soak.listen_rss_kb", 0),
        ];
        every_run.extend(memory::every_run("soak: listen", "soak.listen"));
        Section {
            measurements: vec![
                Measurement {
                    title: "listen soak",
                    value: r.median("soak.lost"),
                    unit: Unit::Count(" lost"),
                    comparison: None,
                    ratio: None,
                    target: Target { goal: "0 answered callbacks missing from the capture", on: On::Value, bound: Bound::AtMost(0.0) },
                    detail: format!(
                        "(`listen --token T --save FILE` under {load}): {} answered 200, {} whole accepted lines in the capture → **{} lost**.",
                        fmt(r.median("soak.answered"), 0, ""),
                        fmt(r.median("soak.lines"), 0, ""),
                        fmt(r.median("soak.lost"), 0, ""),
                    ),
                },
                memory::measurement(r, "soak.listen", "listen memory over a long run", &format!("the soak: {load}"), cfg.rss_every.as_millis()),
            ],
            every_run,
            quiet: Some(("listen soak", "other.soak")),
            commands: Some((
                format!("listen soak ({secs} s at {rate} req/s; RSS of listen sampled every {} ms)", cfg.rss_every.as_millis()),
                vec![
                    "deskhook listen --port 0 --save FILE --token T --tolerance 24h > listen.out   # one signed URL for the whole run".into(),
                    format!("oha -n {} -c {c} -q {rate} -m POST -H 'Content-Type: application/json' -d \"$BODY\" --no-tui --output-format json 'http://127.0.0.1:PORT/desk/callback?<signed query>'", secs * rate),
                    "#   then SIGINT to listen: every request answered 200 must be a whole accepted line of FILE".into(),
                ],
            )),
            ..Section::default()
        }
    }
}
