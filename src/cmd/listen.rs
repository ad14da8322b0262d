//! `deskhook listen`: the built-in receiver, run in the foreground.
//!
//! Prints one ready line with its URL before accepting (scripts wait for it), then one line
//! per callback (time, event, session, verdict, status, latency); `-v` adds the bodies,
//! `--format json` prints JSON Lines. Ctrl-C (or `--max-requests`) stops accepting, lets
//! requests in flight finish, flushes the capture and prints a tally on stderr.

use crate::capture::{self, Record};
use crate::cli::{Format, ListenArgs};
use crate::exit::{usage, Code};
use crate::http::{self, parse_target, Policy};
use crate::output::note;
use crate::server::{self, Answers, Forward, Respond};
use anyhow::Result;
use colored::Colorize;
use serde_json::{Map, Value};
use std::io::Write;
use std::time::Duration;

pub fn run(args: ListenArgs) -> Result<Code> {
    let answers = answers_of(&args)?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(serve(args, answers))
}

fn answers_of(args: &ListenArgs) -> Result<Answers> {
    let respond = match args.respond.as_str() {
        "ok" => Respond::Ok,
        "fail" => Respond::Fail,
        file => Respond::Fixed(super::read_json(std::path::Path::new(file))?),
    };
    let vars: Map<String, Value> = args
        .vars
        .iter()
        .map(|q| (q.key.clone(), Value::String(q.value.clone())))
        .collect();
    Ok(Answers {
        respond,
        agents: args.agents.clone(),
        group: args.group,
        vars,
    })
}

fn forward_of(args: &ListenArgs) -> Result<Option<Forward>> {
    let Some(raw) = &args.forward_to else {
        return Ok(None);
    };
    let base = parse_target(raw).map_err(|_| {
        usage(format!(
            "--forward-to {raw:?}: expected an http:// or https:// URL"
        ))
    })?;
    let policy = Policy {
        timeout: args.timeout,
        max_latency: None,
        retries: 0,
        backoff: Duration::ZERO,
        expect: crate::cli::Expect::Any,
    };
    Ok(Some(Forward {
        client: http::client(&policy, 64)?,
        base,
        timeout: args.timeout,
    }))
}

async fn serve(args: ListenArgs, answers: Answers) -> Result<Code> {
    let (sink, writer) = match &args.save {
        Some(path) => {
            let (s, w) = capture::start(path)?;
            (Some(s), Some(w))
        }
        None => (None, None),
    };
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let cfg = server::Config {
        sdkappid: args.sdkappid.clone(),
        token: args.token.clone(),
        tolerance_s: args.tolerance.as_secs(),
        answers,
        delay: args.delay,
        max_body: args.max_body,
        forward: forward_of(&args)?,
        capture: sink.clone(),
        display: Some(tx),
        ..Default::default()
    };
    let server = server::start(&args.host, args.port, cfg).await?;
    // Install the handlers before the ready line: a script may send SIGINT right after it.
    let mut stop = Stop::install()?;
    ready_line(&server.url(), args.output.format)?;
    let mut tally = Tally::default();
    loop {
        tokio::select! {
            rec = rx.recv() => {
                let Some(rec) = rec else { break };
                tally.add(&rec);
                show(&rec, args.output.format, args.output.verbose)?;
                if args.max_requests.is_some_and(|n| tally.total >= n) {
                    break;
                }
            }
            _ = stop.wait() => break,
        }
    }
    server.shutdown(Duration::from_secs(3)).await;
    while let Ok(rec) = rx.try_recv() {
        tally.add(&rec);
        show(&rec, args.output.format, args.output.verbose)?;
    }
    if let (Some(sink), Some(writer)) = (sink, writer) {
        sink.finish();
        let lines = writer.await??;
        note(format!(
            "capture: {lines} line(s) appended to {}",
            args.save
                .as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_default()
        ));
    }
    note(tally.line());
    Ok(if tally.bad > 0 {
        Code::CheckFailed
    } else {
        Code::Ok
    })
}

fn ready_line(url: &str, format: Format) -> Result<()> {
    let mut out = std::io::stdout().lock();
    if format == Format::Json {
        writeln!(out, "{}", serde_json::json!({"type": "ready", "url": url}))?;
    } else {
        writeln!(
            out,
            "deskhook listening on {url} (Tencent callbacks on any path, CEC pushes on /webhooks/v1/messages; Ctrl-C stops)"
        )?;
    }
    out.flush()?;
    Ok(())
}

/// Ctrl-C (SIGINT) and SIGTERM, registered at once (not on first poll).
struct Stop {
    #[cfg(unix)]
    int: tokio::signal::unix::Signal,
    #[cfg(unix)]
    term: tokio::signal::unix::Signal,
}

impl Stop {
    fn install() -> Result<Stop> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            Ok(Stop {
                int: signal(SignalKind::interrupt())?,
                term: signal(SignalKind::terminate())?,
            })
        }
        #[cfg(not(unix))]
        Ok(Stop {})
    }

    async fn wait(&mut self) {
        #[cfg(unix)]
        tokio::select! {
            _ = self.int.recv() => {}
            _ = self.term.recv() => {}
        }
        #[cfg(not(unix))]
        let _ = tokio::signal::ctrl_c().await;
    }
}

#[derive(Default)]
struct Tally {
    total: u64,
    accepted: u64,
    bad: u64,
}

impl Tally {
    fn add(&mut self, r: &Record) {
        self.total += 1;
        if r.verdict == "accepted" {
            self.accepted += 1;
        } else {
            self.bad += 1;
        }
    }

    fn line(&self) -> String {
        format!(
            "received {} callback(s): {} accepted, {} refused or invalid",
            self.total, self.accepted, self.bad
        )
    }
}

/// `HH:MM:SS.mmm` (UTC) of a Unix millisecond time.
fn clock(ms: u64) -> String {
    let day = ms % 86_400_000;
    format!(
        "{:02}:{:02}:{:02}.{:03}",
        day / 3_600_000,
        day / 60_000 % 60,
        day / 1000 % 60,
        day % 1000
    )
}

fn show(r: &Record, format: Format, verbose: bool) -> Result<()> {
    let mut out = std::io::stdout().lock();
    if format != Format::Human {
        let mut v = serde_json::to_value(r)?;
        v.as_object_mut()
            .expect("a record is an object")
            .insert("type".into(), "exchange".into());
        writeln!(out, "{v}")?;
        return Ok(out.flush()?);
    }
    let event = r.event.clone().unwrap_or_else(|| "?".into());
    let session = r.body_json().and_then(|b| {
        b.get("SessionId")
            .and_then(Value::as_str)
            .map(|s| s.chars().take(8).collect::<String>())
    });
    let mark = if r.verdict == "accepted" {
        "✓".green().bold()
    } else {
        "✗".red().bold()
    };
    let verdict = if r.verdict == "accepted" {
        r.verdict.green()
    } else {
        r.verdict.red()
    };
    writeln!(
        out,
        "{} ← {} {} {mark} {verdict} {} {}",
        clock(r.received_at_ms).dimmed(),
        event.bold(),
        session.unwrap_or_default().dimmed(),
        r.status,
        format!("{:.1} ms", r.latency_ms).dimmed(),
    )?;
    for v in r.problems.iter().chain(&r.answer_problems) {
        writeln!(
            out,
            "    {} expected {}, got {}",
            format!("{}:", v.path).yellow(),
            v.expected,
            v.got
        )?;
    }
    if verbose {
        let body = r
            .body_json()
            .map(|b| serde_json::to_string_pretty(&b).unwrap_or_default())
            .or_else(|| r.body.clone())
            .unwrap_or_default();
        writeln!(
            out,
            "    {} {} {}?{}",
            "→".dimmed(),
            r.method,
            r.path,
            r.query
        )?;
        for line in body.lines() {
            writeln!(out, "      {line}")?;
        }
        writeln!(out, "    {} {}", "← answer".dimmed(), r.answer)?;
    }
    Ok(out.flush()?)
}
