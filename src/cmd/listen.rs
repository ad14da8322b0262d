//! `deskhook listen`: the built-in receiver, run in the foreground.
//!
//! Prints one ready line with its URL before accepting (scripts wait for it), then one line
//! per callback (time, event, session, verdict, status, latency); `-v` adds the bodies,
//! `--format json` prints JSON Lines. Ctrl-C (or `--max-requests`) stops accepting, lets
//! requests in flight finish, flushes the capture and prints a tally on stderr.

use crate::capture::{CaptureSink, Record};
use crate::cli::{Format, ListenArgs};
use crate::exit::{usage, Code};
use crate::http::{self, parse_target, Policy};
use crate::output::{note, write_violations, Out};
use crate::server::{self, Answers, Forward, OnExchange, Respond};
use anyhow::Result;
use colored::Colorize;
use serde_json::{Map, Value};
use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Notify;

pub fn run(args: ListenArgs) -> Result<Code> {
    if args.output.format == Format::Junit {
        return Err(usage("listen shows exchanges as they arrive: use --format human or json (JUnit reports are for send, flow and replay)"));
    }
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
        client: http::client(&policy, 64, base.scheme() == "https")?,
        base,
        timeout: args.timeout,
    }))
}

async fn serve(args: ListenArgs, answers: Answers) -> Result<Code> {
    let sink = args.save.as_deref().map(CaptureSink::open).transpose()?;
    let view = Arc::new(View::new(
        args.output.format,
        args.output.verbose,
        args.max_requests,
    ));
    let hook: OnExchange = {
        let view = view.clone();
        Arc::new(move |rec, line| view.show(&rec, line))
    };
    let cfg = server::Config {
        sdkappid: args.sdkappid.clone(),
        token: args.token.clone(),
        tolerance_s: args.tolerance.as_secs(),
        answers,
        delay: args.delay,
        max_body: args.max_body,
        forward: forward_of(&args)?,
        capture: sink.clone(),
        on_exchange: Some(hook),
        ..Default::default()
    };
    let server = server::start(&args.host, args.port, cfg).await?;
    // Install the handlers before the ready line: a script may send SIGINT right after it.
    let mut stop = Stop::install()?;
    ready_line(&server.url(), args.output.format)?;
    let period = Duration::from_millis(50);
    let flushers = [
        sink.clone().map(|s| tokio::spawn(s.flush_every(period))),
        Some(tokio::spawn(view.clone().flush_every(period))),
    ];
    tokio::select! {
        _ = stop.wait() => {}
        _ = view.done.notified() => {}
    }
    server.shutdown(Duration::from_secs(3)).await;
    flushers.into_iter().flatten().for_each(|f| f.abort());
    view.flush()?;
    if let Some(sink) = sink {
        let lines = sink.finish()?;
        let path = args
            .save
            .as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_default();
        note(format!("capture: {lines} line(s) appended to {path}"));
    }
    note(view.tally());
    Ok(if view.bad.load(Ordering::Relaxed) > 0 {
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

/// What `listen` shows: each exchange, written by the request's own task under the stdout
/// lock (buffered; a terminal gets every line at once, a pipe within 50 ms), and the tally.
struct View {
    format: Format,
    verbose: bool,
    max: Option<u64>,
    out: Mutex<Out>,
    total: AtomicU64,
    bad: AtomicU64,
    /// Signalled once `--max-requests` exchanges have been shown.
    done: Notify,
}

impl View {
    fn new(format: Format, verbose: bool, max: Option<u64>) -> View {
        View {
            format,
            verbose,
            max,
            out: Mutex::new(Out::new()),
            total: AtomicU64::new(0),
            bad: AtomicU64::new(0),
            done: Notify::new(),
        }
    }

    fn show(&self, r: &Record, line: Option<&str>) {
        if r.verdict != "accepted" {
            self.bad.fetch_add(1, Ordering::Relaxed);
        }
        {
            let mut out = self.out.lock().unwrap_or_else(|e| e.into_inner());
            // A closed stdout must not stop the receiver: the capture is what matters then.
            let _ = write_exchange(&mut out, r, line, self.format, self.verbose)
                .and_then(|()| out.tick());
        }
        let n = self.total.fetch_add(1, Ordering::Relaxed) + 1;
        if self.max.is_some_and(|m| n >= m) {
            self.done.notify_one();
        }
    }

    fn flush(&self) -> std::io::Result<()> {
        self.out.lock().unwrap_or_else(|e| e.into_inner()).flush()
    }

    async fn flush_every(self: Arc<Self>, period: Duration) {
        let mut tick = tokio::time::interval(period);
        loop {
            tick.tick().await;
            let _ = self.flush();
        }
    }

    fn tally(&self) -> String {
        let (total, bad) = (
            self.total.load(Ordering::Relaxed),
            self.bad.load(Ordering::Relaxed),
        );
        format!(
            "received {total} callback(s): {} accepted, {bad} refused or invalid",
            total - bad
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

/// One exchange: a JSON line (the capture line with `"type":"exchange"` first) or a human line.
fn write_exchange(
    out: &mut Out,
    r: &Record,
    line: Option<&str>,
    format: Format,
    verbose: bool,
) -> std::io::Result<()> {
    if format != Format::Human {
        let owned;
        let line = match line {
            Some(l) => l,
            None => {
                owned = r.to_line();
                &owned
            }
        };
        // A capture line is a JSON object: splice the type tag in after its `{`.
        out.write_all(b"{\"type\":\"exchange\",")?;
        out.write_all(&line.as_bytes()[1..])?;
        return out.write_all(b"\n");
    }
    let event = r.event.as_deref().unwrap_or("?");
    let session: String = r
        .session_id
        .as_deref()
        .unwrap_or_default()
        .chars()
        .take(8)
        .collect();
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
        session.dimmed(),
        r.status,
        format!("{:.1} ms", r.latency_ms).dimmed(),
    )?;
    write_violations(out, r.problems.iter().chain(&r.answer_problems))?;
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
    Ok(())
}
