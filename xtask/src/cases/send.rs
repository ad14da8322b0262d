//! Send throughput: `deskhook send --count N -c C` against `oha -n N -c C` posting a
//! same-size signed body, both into nginx, side by side in every run; then diagnostic variants
//! of `send` (no signing, human output, one connection) that show where its time goes.

use anyhow::Result;

use super::{
    fmt, per_req_us, ratio, row, Bound, Case, CpuRow, Measurement, On, Section, Target, Unit,
};
use crate::bench::{Argv, Bench};
use crate::config::Config;
use crate::deskhook::send_summary;
use crate::log;
use crate::results::Results;

pub struct Send;

impl Case for Send {
    fn name(&self) -> &'static str {
        "send"
    }

    fn run(&self, b: &mut Bench) -> Result<()> {
        let (n, c) = (b.cfg.n, b.cfg.c);
        log!(
            "send throughput: {} run(s) of {n} requests, concurrency {c}",
            b.cfg.runs
        );
        b.quiet_runs("send", |b, run, r| {
            let signed = b.sign(&b.nginx.url)?;
            let (mut dh, mut oha) = (None, None);
            // alternate which side goes first
            let order = if r % 2 == 1 {
                ["oha", "dh"]
            } else {
                ["dh", "oha"]
            };
            for side in order {
                if side == "oha" {
                    if b.oha.is_none() {
                        continue;
                    }
                    let (rps, t) = b.oha_n(&format!("send{r}.oha"), &signed.url, &signed.body)?;
                    run.put("send.oha.rps", rps);
                    run.put("send.oha.wall_rps", t.rps(n));
                    run.put("send.oha.cpu_s", t.usage.cpu_s);
                    run.put("send.oha.nginx_cpu_s", t.nginx_cpu_s);
                    run.other("other.send", t.other_pct(t.usage.cpu_s + t.nginx_cpu_s));
                    oha = Some(rps);
                } else {
                    let t = b.timed(
                        &format!("send{r}.dh"),
                        &send(b, n, c, "--token T --format json"),
                    )?;
                    let summary = send_summary(&t.out, n)?;
                    run.put("send.dh.rps", t.rps(n));
                    run.put("send.dh.wall_s", t.wall_s);
                    run.put("send.dh.cpu_s", t.usage.cpu_s);
                    run.put("send.dh.rss_kb", t.usage.max_rss_kb);
                    run.put("send.dh.nginx_cpu_s", t.nginx_cpu_s);
                    run.other("other.send", t.other_pct(t.usage.cpu_s + t.nginx_cpu_s));
                    run.put("send.dh.p50_ms", summary.p50_ms);
                    run.put("send.dh.p99_ms", summary.p99_ms);
                    dh = Some(t.rps(n));
                }
            }
            if let Some(x) = ratio(dh, oha) {
                run.put("send.ratio", x);
            }
            Ok(())
        })?;
        diagnostics(b)
    }

    fn report(&self, r: &Results, cfg: &Config, _num: usize) -> Section {
        let (n, c) = (cfg.n, cfg.c);
        let (dh, oha) = (r.median("send.dh.rps"), r.median("send.oha.rps"));
        let x = ratio(dh, oha);
        let us = |key| per_req_us(r, key, n);
        Section {
            measurements: vec![Measurement {
                title: "send throughput",
                value: dh,
                unit: Unit::ReqPerSec,
                comparison: oha,
                ratio: x,
                target: Target {
                    goal: "deskhook ≥ 1.0× oha req/s",
                    on: On::Ratio,
                    bound: Bound::AtLeast(1.0),
                },
                detail: format!(
                    "(median of {} run(s), {} requests, concurrency {c}): deskhook **{} req/s** ({n} / wall time of the whole process) against oha **{} req/s** (oha's own `requestsPerSec`) → **{}**.",
                    r.runs("send.dh.rps").len(),
                    fmt(Some(n as f64), 0, ""),
                    fmt(dh, 0, ""),
                    fmt(oha, 0, ""),
                    fmt(x, 2, "×"),
                ),
            }],
            every_run: vec![
                row("send: deskhook req/s (N / wall)", "send.dh.rps", 0),
                row("send: oha req/s (oha's requestsPerSec)", "send.oha.rps", 0),
                row("send: oha req/s (N / wall of the oha process)", "send.oha.wall_rps", 0),
                row("send: ratio deskhook/oha within each run", "send.ratio", 3),
                row("send: deskhook p50 latency ms (its summary)", "send.dh.p50_ms", 3),
                row("send: deskhook p99 latency ms (its summary)", "send.dh.p99_ms", 3),
                row("send: deskhook max RSS kB", "send.dh.rss_kb", 0),
            ],
            cpu: vec![
                CpuRow::new("oha → nginx (send baseline)", oha, us("send.oha.cpu_s"), us("send.oha.nginx_cpu_s")),
                CpuRow::new("deskhook send --token T --format json → nginx", dh, us("send.dh.cpu_s"), us("send.dh.nginx_cpu_s")),
                CpuRow::new("deskhook send (no --token) --format json → nginx", r.median("diag.notoken.rps"), us("diag.notoken.cpu_s"), us("diag.notoken.nginx_cpu_s")),
                CpuRow::new("deskhook send --token T --format human >/dev/null → nginx", r.median("diag.human.rps"), us("diag.human.cpu_s"), None),
                CpuRow::new(format!("deskhook send --token T -c 1 -n {} → nginx", n / 10), r.median("diag.c1.rps"), per_req_us(r, "diag.c1.cpu_s", n / 10), None),
            ],
            quiet: Some(("send throughput", "other.send")),
            discarded: Some(("send throughput", "discarded.send")),
            commands: Some((
                format!("send throughput ({} run(s) each)", cfg.runs),
                vec![
                    format!("deskhook send SessionBegin --count {n} --concurrency {c} --token T --to URL --format json > out.jsonl   # wall time around the process; summary = last line"),
                    format!("oha -n {n} -c {c} -m POST -H 'Content-Type: application/json' -d \"$BODY\" --no-tui --output-format json 'URL?<signed query>'"),
                ],
            )),
            notes: vec!["Req/s for deskhook send is N / wall time of the whole process (start-up included); for oha it is oha's own `requestsPerSec` (start-up excluded), which is the stricter comparison; oha's N / wall is in the table above too.".into()],
        }
    }
}

/// `deskhook send SessionBegin --count N --concurrency C --to nginx FLAGS`
fn send(b: &Bench, n: u64, c: u64, flags: &str) -> Argv {
    let url = &b.nginx.url;
    b.dh(&format!(
        "send SessionBegin --count {n} --concurrency {c} --to {url} {flags}"
    ))
}

/// Where send's time goes: without signing, with human output, with one connection.
fn diagnostics(b: &mut Bench) -> Result<()> {
    let (n, c) = (b.cfg.n, b.cfg.c);
    log!("diagnostics: deskhook send without --token, with human output, and with -c 1");
    for r in 1..=b.cfg.runs {
        let t = b.timed(&format!("diag{r}.notoken"), &send(b, n, c, "--format json"))?;
        send_summary(&t.out, n)?;
        b.results.put("diag.notoken.rps", t.rps(n));
        b.results.put("diag.notoken.cpu_s", t.usage.cpu_s);
        b.results.put("diag.notoken.nginx_cpu_s", t.nginx_cpu_s);

        let t = b.timed(
            &format!("diag{r}.human"),
            &send(b, n, c, "--token T --format human"),
        )?;
        b.results.put("diag.human.rps", t.rps(n));
        b.results.put("diag.human.cpu_s", t.usage.cpu_s);

        let t = b.timed(
            &format!("diag{r}.c1"),
            &send(b, n / 10, 1, "--token T --format json"),
        )?;
        send_summary(&t.out, n / 10)?;
        b.results.put("diag.c1.rps", t.rps(n / 10));
        b.results.put("diag.c1.cpu_s", t.usage.cpu_s);
    }
    Ok(())
}
