//! `deskhook listen`: the built-in receiver, run in the foreground.
//!
//! Prints one ready line with its URL before accepting (scripts wait for it), then one line
//! per callback (time, event, session, verdict, status, latency); `-v` adds the bodies,
//! `--format json` prints JSON Lines. Ctrl-C (or `--max-requests`) stops accepting, lets
//! requests in flight finish, flushes the capture and prints a tally on stderr.

use super::input::read_json;
use crate::capture::{CaptureSink, Durability};
use crate::cli::values::RespondArg;
use crate::cli::ListenArgs;
use crate::clock::fmt_duration;
use crate::error::usage;
use crate::exchange::{Exchange, ExchangeVerdict};
use crate::exit::Code;
use crate::inspect::{self, Inspector};
use crate::report::human::write_violations;
use crate::report::LineFormat;
use crate::server::{self, AnswerPolicy, Forward, OnExchange, Respond};
use crate::term::{note, warn, Out};
use crate::transport::{self, Connection};
use anyhow::Result;
use colored::Colorize;
use serde_json::Value;
use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Notify;

pub fn run(args: ListenArgs) -> Result<Code> {
    let answers = answer_policy(&args)?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(serve(args, answers))
}

/// `--respond`, `--agents`, `--group`, `--vars`.
fn answer_policy(args: &ListenArgs) -> Result<AnswerPolicy> {
    let respond = match &args.respond {
        RespondArg::Ok => Respond::Ok,
        RespondArg::Fail => Respond::Fail,
        RespondArg::File(path) => Respond::Fixed(read_json(path)?),
    };
    Ok(AnswerPolicy {
        respond,
        agents: args.agents.clone(),
        group: args.group,
        vars: args
            .vars
            .iter()
            .map(|q| (q.key.clone(), Value::String(q.value.clone())))
            .collect(),
    })
}

/// `--forward-to`, its `--timeout` and its connection flags (also the inspector's, for a
/// Replay to the backend).
fn forward(args: &ListenArgs) -> Result<Option<(Forward, Connection)>> {
    let c = &args.connection;
    let Some(base) = &args.forward_to else {
        if !c.headers.is_empty() || !c.cacert.is_empty() || c.insecure {
            return Err(usage(
                "--header, --cacert and --insecure are for the --forward-to backend: add --forward-to URL",
            ));
        }
        return Ok(None);
    };
    let connection = c.connection()?;
    if connection.adds("authorization") {
        note("--header Authorization is not sent with callbacks that carry their own Authorization (a CEC push with a Bearer): the platform's header is relayed as it came");
    }
    let forward = Forward {
        client: transport::reqwest_client(args.timeout, 64, base.scheme() == "https", &connection)?,
        base: base.clone(),
        timeout: args.timeout,
    };
    Ok(Some((forward, connection)))
}

async fn serve(args: ListenArgs, answers: AnswerPolicy) -> Result<Code> {
    // The inspector's hub exists only with --inspect: without it, the hook is the view alone.
    let hub = args
        .inspect
        .then(|| inspect::Hub::new(args.inspect_keep as usize));
    let history = match (&hub, &args.save) {
        (Some(hub), Some(path)) => inspect::load_history(hub, path, args.inspect_history)?,
        _ => inspect::Loaded::default(),
    };
    let durability = if args.fsync {
        Durability::Sync
    } else {
        Durability::Written
    };
    let sink = args
        .save
        .as_deref()
        .map(|p| CaptureSink::open(p, durability))
        .transpose()?;
    let view = Arc::new(View::new(args.format, args.verbose, args.max_requests));
    let hook: OnExchange = {
        let view = view.clone();
        match hub.clone() {
            None => Arc::new(move |ex, line| view.show(&ex, line)),
            Some(hub) => Arc::new(move |ex, line| {
                view.show(&ex, line);
                hub.record(ex);
            }),
        }
    };
    let (forward_to, connection) = match forward(&args)? {
        Some((f, c)) => (Some(f), c),
        None => (None, Connection::default()),
    };
    let cfg = server::Config {
        sdkappid: args.sdkappid.clone(),
        token: args.token.clone(),
        tolerance_s: args.tolerance.as_secs(),
        answers,
        delay: args.delay,
        max_body: usize::try_from(args.max_body).unwrap_or(usize::MAX),
        forward: forward_to,
        capture: sink.clone(),
        on_exchange: Some(hook),
        ..Default::default()
    };
    let server = server::start(&args.host, args.port, cfg).await?;
    let inspector = match hub {
        Some(hub) => Some(start_inspector(&args, hub, &server.url(), history, connection).await?),
        None => None,
    };
    // Install the handlers before the ready line: a script may send SIGINT right after it.
    let mut stop = Stop::install()?;
    ready_line(
        &server.url(),
        inspector.as_ref().map(Inspector::url).as_deref(),
        args.format,
    )?;
    let flusher = tokio::spawn(view.clone().flush_every(Duration::from_millis(50)));
    tokio::select! {
        _ = stop.wait() => {}
        _ = view.done.notified() => {}
    }
    server.shutdown(Duration::from_secs(3)).await;
    if let Some(inspector) = inspector {
        inspector.shutdown();
    }
    flusher.abort();
    view.flush()?;
    if let (Some(sink), Some(path)) = (sink, &args.save) {
        let lines = sink.finish()?;
        note(format!(
            "capture: {lines} line(s) appended to {}",
            path.display()
        ));
    }
    note(view.tally());
    Ok(if view.bad.load(Ordering::Relaxed) > 0 {
        Code::CheckFailed
    } else {
        Code::Ok
    })
}

/// `--inspect`: serve the inspector beside the receiver, warning when it is reachable from
/// other machines.
async fn start_inspector(
    args: &ListenArgs,
    hub: Arc<inspect::Hub>,
    listen_url: &str,
    history: inspect::Loaded,
    connection: Connection,
) -> Result<Inspector> {
    let opts = inspect::Options {
        host: args.host.clone(),
        port: args.inspect_port,
        listen: url::Url::parse(listen_url)?,
        token: args.token.clone(),
        forward: args.forward_to.clone(),
        timeout: args.timeout,
        history,
        connection,
    };
    let inspector = inspect::start(hub, opts).await?;
    if !inspect::is_loopback(&args.host) {
        warn(format!(
            "the inspector listens on {}, beyond this machine (--host {}): whoever reaches it with its URL (key included) can read every callback and send it anywhere",
            inspector.addr, args.host
        ));
    }
    if history.malformed > 0 {
        note(format!(
            "inspector: skipped {} line(s) of the capture that are not capture records",
            history.malformed
        ));
    }
    Ok(inspector)
}

fn ready_line(url: &str, inspector: Option<&str>, format: LineFormat) -> Result<()> {
    let mut out = crate::term::stdout();
    match (format, inspector) {
        (LineFormat::Json, None) => {
            writeln!(out, "{}", serde_json::json!({"type": "ready", "url": url}))?
        }
        (LineFormat::Json, Some(inspector)) => writeln!(
            out,
            "{}",
            serde_json::json!({"type": "ready", "url": url, "inspector": inspector})
        )?,
        (LineFormat::Human, None) => writeln!(
            out,
            "deskhook listening on {url} (Tencent callbacks on any path, CEC pushes on /webhooks/v1/messages; Ctrl-C stops)"
        )?,
        (LineFormat::Human, Some(inspector)) => writeln!(
            out,
            "deskhook listening on {url} (Tencent callbacks on any path, CEC pushes on /webhooks/v1/messages; Ctrl-C stops); inspector on {inspector}"
        )?,
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
    format: LineFormat,
    verbose: bool,
    max: Option<u64>,
    out: Mutex<Out>,
    total: AtomicU64,
    bad: AtomicU64,
    /// Signalled once `--max-requests` exchanges have been shown.
    done: Notify,
}

impl View {
    fn new(format: LineFormat, verbose: bool, max: Option<u64>) -> View {
        View {
            format,
            verbose,
            max,
            out: Mutex::new(match format {
                LineFormat::Human => Out::new(),
                LineFormat::Json => Out::plain(),
            }),
            total: AtomicU64::new(0),
            bad: AtomicU64::new(0),
            done: Notify::new(),
        }
    }

    fn show(&self, ex: &Exchange, line: Option<&str>) {
        if ex.verdict != ExchangeVerdict::Accepted {
            self.bad.fetch_add(1, Ordering::Relaxed);
        }
        {
            let mut out = self.out.lock().unwrap_or_else(|e| e.into_inner());
            // A closed stdout must not stop the receiver: the capture is what matters then.
            let _ = write_exchange(&mut out, ex, line, self.format, self.verbose)
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
        let total = self.total.load(Ordering::Relaxed);
        let bad = self.bad.load(Ordering::Relaxed);
        format!(
            "received {total} callback(s): {} accepted, {bad} refused or invalid",
            total - bad
        )
    }
}

/// `HH:MM:SS.mmm` (UTC) of a Unix millisecond time.
struct ClockTime(u64);

impl std::fmt::Display for ClockTime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let day = self.0 % 86_400_000;
        write!(
            f,
            "{:02}:{:02}:{:02}.{:03}",
            day / 3_600_000,
            day / 60_000 % 60,
            day / 1000 % 60,
            day % 1000
        )
    }
}

/// What a line calls an exchange: its event, or for a request that is not a recognised
/// callback, what it claims to be (`CallbackCommand=Desk.Nope`) or its method and path.
fn label(ex: &Exchange) -> std::borrow::Cow<'_, str> {
    if let Some(event) = &ex.event {
        return event.into();
    }
    let command = crate::query::param(&ex.query, "CallbackCommand");
    match command {
        Some(c) if ex.method == "POST" => format!("CallbackCommand={c}").into(),
        _ => format!("{} {}", ex.method, ex.path).into(),
    }
}

/// One exchange: a JSON line (the capture line with `"type":"exchange"` first) or a human line.
fn write_exchange(
    out: &mut Out,
    ex: &Exchange,
    line: Option<&str>,
    format: LineFormat,
    verbose: bool,
) -> std::io::Result<()> {
    if format == LineFormat::Json {
        let owned;
        let line = match line {
            Some(l) => l,
            None => {
                owned = ex.to_line();
                &owned
            }
        };
        // A capture line is a JSON object: splice the type tag in after its `{`.
        out.write_all(b"{\"type\":\"exchange\",")?;
        out.write_all(&line.as_bytes()[1..])?;
        return out.write_all(b"\n");
    }
    let event = label(ex);
    let session = ex.session_id.as_deref().map_or("", |id| {
        // The first 8 characters.
        id.char_indices().nth(8).map_or(id, |(at, _)| &id[..at])
    });
    let accepted = ex.verdict == ExchangeVerdict::Accepted;
    let clock = ClockTime(ex.received_at_ms);
    // Styling is most of this line's cost: skipped when the codes would be stripped anyway.
    if !out.colours() {
        let mark = if accepted { "✓" } else { "✗" };
        writeln!(
            out,
            "{clock} ← {event} {session} {mark} {} {} {:.1} ms",
            ex.verdict.as_str(),
            ex.status,
            ex.latency_ms,
        )?;
    } else {
        let (mark, verdict) = if accepted {
            ("✓".green().bold(), ex.verdict.as_str().green())
        } else {
            ("✗".red().bold(), ex.verdict.as_str().red())
        };
        writeln!(
            out,
            "{} ← {} {} {mark} {verdict} {} {}",
            clock.to_string().dimmed(),
            event.bold(),
            session.dimmed(),
            ex.status,
            format!("{:.1} ms", ex.latency_ms).dimmed(),
        )?;
    }
    write_violations(out, ex.problems.iter().chain(&ex.answer_problems))?;
    if let Some(ms) = ex.caller_closed_after_ms {
        writeln!(
            out,
            "    {} caller closed its side before the answer, after {} (it gave up, or half-closed and still waits)",
            "!".yellow().bold(),
            fmt_duration(Duration::try_from_secs_f64(ms / 1000.0).unwrap_or_default()),
        )?;
    }
    if verbose {
        let body = ex
            .body_json()
            .map(|b| serde_json::to_string_pretty(&b).unwrap_or_default())
            .or_else(|| ex.body.clone())
            .unwrap_or_default();
        writeln!(
            out,
            "    {} {} {}?{}",
            "→".dimmed(),
            ex.method,
            ex.path,
            ex.query
        )?;
        for line in body.lines() {
            writeln!(out, "      {line}")?;
        }
        writeln!(out, "    {} {}", "← answer".dimmed(), ex.answer)?;
    }
    Ok(())
}
