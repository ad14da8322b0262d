//! The inspector's cost: the receiver measurement (load into `listen --token T --save FILE`)
//! with `--inspect` on and off, side by side in every run.
//!
//! A hook for the day `listen` has `--inspect`: until `deskhook listen --help` lists it, this
//! case runs nothing and adds nothing to the report.

use anyhow::Result;

use super::receiver::into_listen;
use super::{fmt, ratio, row, Bound, Case, Measurement, On, Section, Target, Unit};
use crate::bench::Bench;
use crate::config::Config;
use crate::log;
use crate::results::Results;

pub struct Inspect;

/// The flags that turn the inspector on.
const ON: &[&str] = &["--inspect"];

impl Case for Inspect {
    fn name(&self) -> &'static str {
        "inspect"
    }

    fn run(&self, b: &mut Bench) -> Result<()> {
        let help = crate::proc::quick(&b.deskhook, ["listen", "--help"])?;
        if !String::from_utf8_lossy(&help.stdout).contains("--inspect") {
            log!("inspect: deskhook listen has no --inspect yet: skipped");
            return Ok(());
        }
        log!(
            "inspect: {} run(s) of {} requests into listen with and without --inspect",
            b.cfg.runs,
            b.cfg.n
        );
        b.quiet_runs("inspect", |b, run, r| {
            let (mut on, mut off) = (None, None);
            for side in if r % 2 == 1 {
                ["on", "off"]
            } else {
                ["off", "on"]
            } {
                let flags = if side == "on" { ON } else { &[] };
                let load = into_listen(
                    b,
                    run,
                    &format!("inspect{r}.{side}"),
                    &format!("inspect.{side}"),
                    flags,
                )?;
                run.other("other.inspect", load.other_pct);
                if side == "on" {
                    on = load.rps;
                } else {
                    off = load.rps;
                }
            }
            if let Some(x) = ratio(on, off) {
                run.put("inspect.ratio", x);
            }
            Ok(())
        })
    }

    fn report(&self, r: &Results, cfg: &Config, _num: usize) -> Section {
        if !r.has("inspect.on.listen_cpu_s") {
            return Section::default();
        }
        let (n, c) = (cfg.n, cfg.c);
        let (on, off) = (r.median("inspect.on.rps"), r.median("inspect.off.rps"));
        Section {
            measurements: vec![Measurement {
                title: "listen with the inspector",
                value: on,
                unit: Unit::ReqPerSec,
                comparison: off,
                ratio: ratio(on, off),
                target: Target { goal: "measured: --inspect on against off", on: On::Ratio, bound: Bound::None },
                detail: format!(
                    "(median of {} run(s), oha `-n {n} -c {c}`): into `listen --token T --save FILE --inspect` **{} req/s** against without `--inspect` **{} req/s** → **{}**.",
                    r.runs("inspect.on.listen_cpu_s").len(),
                    fmt(on, 0, ""),
                    fmt(off, 0, ""),
                    fmt(ratio(on, off), 2, "×"),
                ),
            }],
            every_run: vec![
                row("inspect: oha into listen --inspect req/s", "inspect.on.rps", 0),
                row("inspect: oha into listen req/s", "inspect.off.rps", 0),
                row("inspect: ratio on/off within each run", "inspect.ratio", 3),
                row("inspect: listen --inspect max RSS kB", "inspect.on.listen_rss_kb", 0),
            ],
            quiet: Some(("listen with the inspector", "other.inspect")),
            discarded: Some(("listen with the inspector", "discarded.inspect")),
            commands: Some((
                format!("listen with the inspector ({} run(s) each, as the receiver throughput, with and without the flag)", cfg.runs),
                vec![format!("deskhook listen --port 0 --save FILE --token T --max-requests {n} --inspect > listen.out")],
            )),
            ..Section::default()
        }
    }
}
