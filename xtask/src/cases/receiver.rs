//! Receiver throughput: `oha -n N -c C` into `deskhook listen --token T --save FILE` against
//! the same load into nginx, side by side in every run; every request must leave exactly one
//! whole, accepted capture line holding the very body sent.

use std::time::Duration;

use anyhow::Result;

use super::{
    fmt, per_req_us, ratio, row, Bound, Case, CpuRow, Measurement, On, Section, Target, Unit,
};
use crate::bench::{Bench, Timed};
use crate::config::Config;
use crate::deskhook::send_summary;
use crate::log;
use crate::results::{Results, Run};

pub struct Receiver;

/// How long a listener gets to stop by itself after its `--max-requests`.
pub const GRACE: Duration = Duration::from_secs(15);

impl Case for Receiver {
    fn name(&self) -> &'static str {
        "receiver"
    }

    fn run(&self, b: &mut Bench) -> Result<()> {
        log!(
            "receiver throughput: {} run(s) of {} requests into deskhook listen and nginx",
            b.cfg.runs,
            b.cfg.n
        );
        b.quiet_runs("receiver", |b, run, r| {
            let (mut dh, mut ng) = (None, None);
            let order = if r % 2 == 1 {
                ["dh", "nginx"]
            } else {
                ["nginx", "dh"]
            };
            for side in order {
                if side == "dh" {
                    let load = into_listen(b, run, &format!("recv{r}"), "recv.dh", &[])?;
                    run.other("other.recv", load.other_pct);
                    dh = load.rps;
                } else if b.oha.is_some() {
                    let signed = b.sign(&b.nginx.url)?;
                    let url = format!("http://127.0.0.1:{}{}", b.nginx.port, signed.path_query);
                    let (rps, t) = b.oha_n(&format!("recv{r}.ng.oha"), &url, &signed.body)?;
                    run.put("recv.ng.rps", rps);
                    run.put("recv.ng.oha_cpu_s", t.usage.cpu_s);
                    run.put("recv.ng.nginx_cpu_s", t.nginx_cpu_s);
                    run.other("other.recv", t.other_pct(t.usage.cpu_s + t.nginx_cpu_s));
                    ng = Some(rps);
                }
            }
            if let Some(x) = ratio(dh, ng) {
                run.put("recv.ratio", x);
            }
            Ok(())
        })
    }

    fn report(&self, r: &Results, cfg: &Config, _num: usize) -> Section {
        let (n, c) = (cfg.n, cfg.c);
        let (dh, ng) = (r.median("recv.dh.rps"), r.median("recv.ng.rps"));
        let x = ratio(dh, ng);
        let us = |key| per_req_us(r, key, n);
        let runs = if r.has("recv.dh.rps") {
            r.runs("recv.dh.rps")
        } else {
            r.runs("recv.dh.listen_cpu_s")
        };
        Section {
            measurements: vec![Measurement {
                title: "receiver throughput",
                value: dh,
                unit: Unit::ReqPerSec,
                comparison: ng,
                ratio: x,
                target: Target {
                    goal: "deskhook listen ≥ 0.85× nginx req/s",
                    on: On::Ratio,
                    bound: Bound::AtLeast(0.85),
                },
                detail: format!(
                    "(median of {} run(s), oha `-n {n} -c {c}`): into `deskhook listen --token T --save FILE` **{} req/s** against into nginx **{} req/s** → **{}**. Every capture had exactly {} whole JSON lines, each `accepted` with status 200.",
                    runs.len(),
                    fmt(dh, 0, ""),
                    fmt(ng, 0, ""),
                    fmt(x, 2, "×"),
                    fmt(Some(n as f64), 0, ""),
                ),
            }],
            every_run: vec![
                row("receiver: oha into deskhook listen req/s", "recv.dh.rps", 0),
                row("receiver: deskhook send into deskhook listen req/s (smoke without oha)", "recv.dh.send_rps", 0),
                row("receiver: oha into nginx req/s", "recv.ng.rps", 0),
                row("receiver: ratio listen/nginx within each run", "recv.ratio", 3),
                row("receiver: deskhook listen max RSS kB", "recv.dh.listen_rss_kb", 0),
            ],
            cpu: vec![
                CpuRow::new("oha → nginx (receiver baseline)", ng, us("recv.ng.oha_cpu_s"), us("recv.ng.nginx_cpu_s")),
                CpuRow::new("oha → deskhook listen --token T --save FILE", dh, us("recv.dh.oha_cpu_s"), us("recv.dh.listen_cpu_s")),
            ],
            quiet: Some(("receiver throughput", "other.recv")),
            discarded: Some(("receiver throughput", "discarded.recv")),
            commands: Some((
                format!("receiver throughput ({} run(s) each; body and URL signed right before each run)", cfg.runs),
                vec![
                    format!("deskhook listen --port 0 --save FILE --token T --max-requests {n} > listen.out   # wait for 'listening on http://127.0.0.1:PORT/'"),
                    format!("oha -n {n} -c {c} -m POST -H 'Content-Type: application/json' -d \"$BODY\" --no-tui --output-format json 'http://127.0.0.1:PORT/desk/callback?<signed query>'"),
                    format!("#   then: FILE must hold exactly {n} whole JSON lines, each parsed, verdict accepted, status 200"),
                    format!("oha -n {n} -c {c} -m POST -H 'Content-Type: application/json' -d \"$BODY\" --no-tui --output-format json 'URL?<signed query>'   # into nginx"),
                ],
            )),
            notes: vec![],
        }
    }
}

/// One load of N requests into a fresh `deskhook listen --max-requests N` (plus `flags`), its
/// capture checked. Records `{key}.rps` (oha's), `{key}.oha_cpu_s`, `{key}.listen_cpu_s`,
/// `{key}.listen_rss_kb`; without oha (smoke), `deskhook send` is the load and its rate goes to
/// `{key}.send_rps`.
pub fn into_listen(
    b: &Bench,
    run: &mut Run,
    name: &str,
    key: &str,
    flags: &[&str],
) -> Result<Load> {
    let (n, c) = (b.cfg.n, b.cfg.c);
    let listener = b.listen(&format!("{name}.listen"), Some(n), flags)?;
    // signed right before the load: RequestTime must be within the listener's tolerance
    let signed = b.sign(&format!("{}desk/callback", listener.url))?;
    let (rps, load, body): (Option<f64>, Timed, Option<&str>) = if b.oha.is_some() {
        let (rps, t) = b.oha_n(&format!("{name}.dh.oha"), &signed.url, &signed.body)?;
        run.put(&format!("{key}.rps"), rps);
        run.put(&format!("{key}.oha_cpu_s"), t.usage.cpu_s);
        (Some(rps), t, Some(&signed.body))
    } else {
        let to = format!("{}desk/callback", listener.url);
        let argv = b.dh(&format!(
            "send SessionBegin --count {n} --concurrency {c} --token T --to {to} --format json"
        ));
        let t = b.timed(&format!("{name}.dh.send"), &argv)?;
        send_summary(&t.out, n)?;
        run.put(&format!("{key}.send_rps"), t.rps(n));
        (None, t, None)
    };
    let done = listener.finish(GRACE, body)?;
    done.expect_lines(n)?;
    let usage = done.usage;
    run.put(&format!("{key}.listen_cpu_s"), usage.cpu_s);
    run.put(&format!("{key}.listen_rss_kb"), usage.max_rss_kb);
    Ok(Load {
        rps,
        // the listener's CPU covers its whole life (start-up and idle wait included)
        other_pct: load.other_pct(load.usage.cpu_s + usage.cpu_s),
    })
}

pub struct Load {
    /// oha's requests/s, if oha was the load
    pub rps: Option<f64>,
    /// the share of the CPUs other processes used meanwhile
    pub other_pct: f64,
}
