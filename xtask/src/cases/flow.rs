//! Flow sessions: `deskhook flow bot-to-human --count N -c C` into nginx, whole conversations
//! per second (each step's callback sent after the answer to the one before). No other tool
//! plays conversations, so nothing to compare with: the figure is tracked, not yet judged.

use anyhow::{ensure, Result};

use super::{fmt, per_req_us, row, Bound, Case, CpuRow, Measurement, On, Section, Target, Unit};
use crate::bench::Bench;
use crate::config::Config;
use crate::deskhook::Summary;
use crate::log;
use crate::results::Results;

pub struct Flow;

impl Case for Flow {
    fn name(&self) -> &'static str {
        "flow"
    }

    fn run(&self, b: &mut Bench) -> Result<()> {
        let (n, c) = (b.cfg.flow_count, b.cfg.c);
        log!(
            "flow sessions: {} run(s) of flow bot-to-human --count {n} -c {c}",
            b.cfg.runs
        );
        let url = b.nginx.url.clone();
        let flow = b.dh(&format!(
            "flow bot-to-human --count {n} --concurrency {c} --token T --to {url} --format json"
        ));
        b.quiet_runs("flow", |b, run, r| {
            let t = b.timed(&format!("flow{r}"), &flow)?;
            let s = Summary::read(&t.out)?;
            ensure!(
                s.sent >= n && s.ok == s.sent,
                "flow: {} callbacks sent, {} ok",
                s.sent,
                s.ok
            );
            run.put("flow.sessions_per_s", t.rps(n));
            run.put("flow.callbacks_per_s", t.rps(s.sent));
            run.put("flow.callbacks", s.sent as f64);
            run.put("flow.cpu_s", t.usage.cpu_s);
            run.put("flow.nginx_cpu_s", t.nginx_cpu_s);
            run.put("flow.rss_kb", t.usage.max_rss_kb);
            run.other("other.flow", t.other_pct(t.usage.cpu_s + t.nginx_cpu_s));
            Ok(())
        })
    }

    fn report(&self, r: &Results, cfg: &Config, _num: usize) -> Section {
        let (n, c) = (cfg.flow_count, cfg.c);
        let sessions = r.median("flow.sessions_per_s");
        let callbacks = r.median("flow.callbacks").map_or(0, |x| x as u64);
        let us = |key| per_req_us(r, key, callbacks);
        Section {
            measurements: vec![Measurement {
                title: "flow sessions",
                value: sessions,
                unit: Unit::SessionsPerSec,
                comparison: None,
                ratio: None,
                target: Target { goal: "measured (target to be set from a profile)", on: On::Value, bound: Bound::None },
                detail: format!(
                    "(median of {} run(s), `flow bot-to-human --count {n} -c {c}` into nginx, {} callbacks a run): **{}** ({} callbacks/s, N / wall time of the whole process).",
                    r.runs("flow.sessions_per_s").len(),
                    fmt(r.median("flow.callbacks"), 0, ""),
                    Unit::SessionsPerSec.show(sessions),
                    fmt(r.median("flow.callbacks_per_s"), 0, ""),
                ),
            }],
            every_run: vec![
                row("flow: sessions/s (N / wall)", "flow.sessions_per_s", 0),
                row("flow: callbacks/s", "flow.callbacks_per_s", 0),
                row("flow: deskhook max RSS kB", "flow.rss_kb", 0),
            ],
            cpu: vec![CpuRow::new(
                format!("deskhook flow bot-to-human -n {n} → nginx (per callback)"),
                r.median("flow.callbacks_per_s"),
                us("flow.cpu_s"),
                us("flow.nginx_cpu_s"),
            )],
            quiet: Some(("flow sessions", "other.flow")),
            discarded: Some(("flow sessions", "discarded.flow")),
            commands: Some((
                format!("flow sessions ({} run(s))", cfg.runs),
                vec![format!("deskhook flow bot-to-human --count {n} --concurrency {c} --token T --to URL --format json > out.jsonl   # summary = last line")],
            )),
            notes: vec![],
        }
    }
}
