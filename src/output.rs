//! What the user sees: colour decided once, one line per request (human), JSON Lines
//! (`type`: `request` | `result` | `summary`), or a JUnit report; and the run's summary.
//!
//! Results go to stdout; chatter (`note:` lines, progress) goes to stderr. No token or Bearer
//! value reaches any of them: requests are only ever shown through `Prepared::shown_*`.

use crate::cli::{ColorChoice, Format};
use crate::exit::Code;
use crate::http::{fmt_duration, Outcome, Prepared, Verdict};
use colored::Colorize;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::io::{self, IsTerminal, Write};
use std::time::Duration;

/// Decide colour once for the whole process (STYLE.md habit 9).
pub fn init_color(choice: ColorChoice) {
    let on = match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::env::var("TERM").map_or(true, |t| t != "dumb")
                && io::stdout().is_terminal()
        }
    };
    colored::control::set_override(on);
}

/// Violations under a human line: `    /ErrorCode: expected an integer, got a string "0"`.
pub fn write_violations<'a>(
    out: &mut impl Write,
    violations: impl IntoIterator<Item = &'a crate::envelope::Violation>,
) -> io::Result<()> {
    for v in violations {
        let path = format!("{}:", v.path);
        writeln!(
            out,
            "    {} expected {}, got {}",
            path.yellow(),
            v.expected,
            v.got
        )?;
    }
    Ok(())
}

/// A diagnostic on stderr.
pub fn note(msg: impl AsRef<str>) {
    let _ = writeln!(io::stderr(), "{} {}", "note:".cyan(), msg.as_ref());
}

/// Counts and latencies of a run.
#[derive(Debug, Default, Clone)]
pub struct Summary {
    pub sent: u64,
    pub ok: u64,
    pub invalid: u64,
    pub transport: u64,
    pub attempts: u64,
    pub reasons: BTreeMap<String, u64>,
    latencies_us: Vec<u32>,
}

impl Summary {
    pub fn add(&mut self, o: &Outcome) {
        self.sent += 1;
        self.attempts += u64::from(o.attempts);
        match o.verdict() {
            Verdict::Ok => self.ok += 1,
            Verdict::Invalid => self.invalid += 1,
            Verdict::Transport => self.transport += 1,
        }
        if let Some(r) = o.reason() {
            *self.reasons.entry(r).or_default() += 1;
        }
        if o.status.is_some() {
            self.latencies_us
                .push(o.latency.as_micros().min(u128::from(u32::MAX)) as u32);
        }
    }

    pub fn failed(&self) -> u64 {
        self.invalid + self.transport
    }

    /// The exit code: transport errors outrank failed checks (CLI.md, "Exit codes").
    pub fn code(&self) -> Code {
        if self.transport > 0 {
            Code::Transport
        } else if self.invalid > 0 {
            Code::CheckFailed
        } else {
            Code::Ok
        }
    }

    /// p50/p95/p99/max in ms, or `None` before any answer.
    pub fn percentiles(&mut self) -> Option<[f64; 4]> {
        if self.latencies_us.is_empty() {
            return None;
        }
        self.latencies_us.sort_unstable();
        let v = &self.latencies_us;
        let at = |p: f64| {
            let rank = ((p / 100.0) * v.len() as f64).ceil() as usize;
            f64::from(v[rank.clamp(1, v.len()) - 1]) / 1000.0
        };
        Some([
            at(50.0),
            at(95.0),
            at(99.0),
            f64::from(v[v.len() - 1]) / 1000.0,
        ])
    }
}

/// Writes results as they arrive, and the report at the end.
pub struct Reporter {
    format: Format,
    verbose: bool,
    out: Out,
    junit: Vec<quick_junit::TestCase>,
    index: u64,
}

/// Stdout, buffered: flushed after every record when a person watches (a terminal), else
/// at most every 50 ms and at the end, so a 20,000-line run is not 20,000 write calls.
pub struct Out {
    buf: io::BufWriter<io::Stdout>,
    live: bool,
    last_flush: std::time::Instant,
}

impl Out {
    pub fn new() -> Out {
        Out {
            buf: io::BufWriter::with_capacity(64 * 1024, io::stdout()),
            live: io::stdout().is_terminal(),
            last_flush: std::time::Instant::now(),
        }
    }

    /// Flush if a person is watching or the last flush is 50 ms old.
    pub fn tick(&mut self) -> io::Result<()> {
        if self.live || self.last_flush.elapsed() >= Duration::from_millis(50) {
            self.last_flush = std::time::Instant::now();
            self.buf.flush()?;
        }
        Ok(())
    }
}

impl Default for Out {
    fn default() -> Self {
        Out::new()
    }
}

impl Write for Out {
    fn write(&mut self, b: &[u8]) -> io::Result<usize> {
        self.buf.write(b)
    }

    fn write_all(&mut self, b: &[u8]) -> io::Result<()> {
        self.buf.write_all(b)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.buf.flush()
    }
}

impl Reporter {
    pub fn new(format: Format, verbose: bool) -> Reporter {
        Reporter {
            format,
            verbose,
            out: Out::new(),
            junit: Vec::new(),
            index: 0,
        }
    }

    /// One request shown under `--dry-run`.
    pub fn dry_run(&mut self, p: &Prepared) -> io::Result<()> {
        let body: Value = serde_json::from_slice(&p.body).unwrap_or(Value::Null);
        let out = &mut self.out;
        if self.format == Format::Human {
            writeln!(out, "{} {}", "POST".bold(), p.shown_url())?;
            for (k, v) in p.shown_headers() {
                writeln!(out, "{}: {v}", k.dimmed())?;
            }
            writeln!(out)?;
            writeln!(
                out,
                "{}",
                serde_json::to_string_pretty(&body).unwrap_or_default()
            )?;
            writeln!(out)?;
            out.tick()
        } else {
            let headers: serde_json::Map<String, Value> = p
                .shown_headers()
                .into_iter()
                .map(|(k, v)| (k, json!(v)))
                .collect();
            let rec = json!({
                "type": "request", "event": p.event.id, "method": "POST", "url": p.shown_url(),
                "headers": headers, "body": body,
            });
            writeln!(out, "{rec}")?;
            out.tick()
        }
    }

    /// One finished callback.
    pub fn outcome(&mut self, o: &Outcome) -> io::Result<()> {
        let i = self.index;
        self.index += 1;
        match self.format {
            Format::Human => self.human(o),
            Format::Json => {
                let out = &mut self.out;
                serde_json::to_writer(&mut *out, &result_record(i, o, self.verbose))?;
                out.write_all(b"\n")?;
                out.tick()
            }
            Format::Junit => {
                self.junit.push(junit_case(i, o));
                Ok(())
            }
        }
    }

    fn human(&mut self, o: &Outcome) -> io::Result<()> {
        let out = &mut self.out;
        let p = &o.prepared;
        let mark = match o.verdict() {
            Verdict::Ok => "✓".green().bold(),
            _ => "✗".red().bold(),
        };
        let attempts = if o.attempts > 1 {
            format!(" ({} attempts)", o.attempts)
        } else {
            String::new()
        };
        if let Some(c) = &o.context {
            write!(out, "{} ", format!("[{c}]").dimmed())?;
        }
        let latency = fmt_duration(o.latency);
        match (&o.transport, o.status) {
            (Some(err), _) => writeln!(
                out,
                "{mark} {} → {} after {latency}{attempts}",
                p.event.id.bold(),
                err.red()
            )?,
            (None, Some(status)) => {
                let status = if status == 200 {
                    status.to_string().green()
                } else {
                    status.to_string().red()
                };
                let verdict = if o.violations.is_empty() {
                    "valid".green()
                } else {
                    "invalid answer".red()
                };
                writeln!(
                    out,
                    "{mark} {} → {status} in {} {verdict}{attempts}",
                    p.event.id.bold(),
                    latency.dimmed()
                )?;
            }
            (None, None) => writeln!(out, "{mark} {}", p.event.id.bold())?,
        }
        write_violations(out, &o.violations)?;
        if self.verbose {
            writeln!(out, "    {} {}", "→ POST".dimmed(), p.shown_url())?;
            let body: Value = serde_json::from_slice(&p.body).unwrap_or(Value::Null);
            writeln!(
                out,
                "{}",
                indent(&serde_json::to_string_pretty(&body).unwrap_or_default())
            )?;
            if let Some(text) = &o.answer_text {
                writeln!(out, "    {}", "← answer".dimmed())?;
                let shown = o
                    .answer
                    .as_ref()
                    .and_then(|v| serde_json::to_string_pretty(v).ok())
                    .unwrap_or_else(|| text.clone());
                writeln!(out, "{}", indent(&shown))?;
            }
        }
        out.tick()
    }

    /// The summary (human: when more than one request; JSON: always), or the JUnit report.
    pub fn finish(&mut self, summary: &mut Summary, title: &str) -> io::Result<()> {
        let out = &mut self.out;
        match self.format {
            Format::Human if summary.sent > 1 || summary.attempts > summary.sent => {
                writeln!(out, "{}", human_summary(summary))?;
            }
            Format::Human => {}
            Format::Json => writeln!(out, "{}", summary_record(summary))?,
            Format::Junit => {
                let mut report = quick_junit::Report::new("deskhook");
                let mut suite = quick_junit::TestSuite::new(title);
                suite.add_test_cases(std::mem::take(&mut self.junit));
                report.add_test_suite(suite);
                let xml = report.to_string().map_err(io::Error::other)?;
                writeln!(out, "{xml}")?;
            }
        }
        out.flush()
    }
}

fn indent(s: &str) -> String {
    s.lines()
        .map(|l| format!("      {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 1_000_000.0).round() / 1000.0
}

/// The JSON Lines record of one callback (schema: fixtures/output.schema.json); a struct,
/// not a `Value`, because it is written once per callback.
#[derive(Debug, serde::Serialize)]
pub struct ResultRecord<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    index: u64,
    event: &'a str,
    provider: &'static str,
    command: &'a str,
    url: String,
    request_id: Option<&'a str>,
    session_id: Option<&'a str>,
    status: Option<u16>,
    latency_ms: f64,
    attempts: u32,
    verdict: &'static str,
    violations: &'a [crate::envelope::Violation],
    error: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    context: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    request: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    answer: Option<Value>,
}

/// The record of one callback; `verbose` adds the request and answer bodies.
pub fn result_record(index: u64, o: &Outcome, verbose: bool) -> ResultRecord<'_> {
    let p = &o.prepared;
    let answer = || {
        o.answer
            .clone()
            .unwrap_or_else(|| o.answer_text.clone().map_or(Value::Null, Value::String))
    };
    ResultRecord {
        kind: "result",
        index,
        event: &p.event.id,
        provider: p.event.provider.as_str(),
        command: &p.event.command,
        url: p.shown_url(),
        request_id: p.request_id.as_deref(),
        session_id: p.session_id.as_deref(),
        status: o.status,
        latency_ms: ms(o.latency),
        attempts: o.attempts,
        verdict: o.verdict().as_str(),
        violations: &o.violations,
        error: o.transport.as_deref(),
        context: o.context.as_deref(),
        request: verbose.then(|| serde_json::from_slice(&p.body).unwrap_or(Value::Null)),
        answer: verbose.then(answer),
    }
}

/// The closing JSON record.
pub fn summary_record(s: &mut Summary) -> Value {
    let lat = s
        .percentiles()
        .map(|[p50, p95, p99, max]| json!({"p50": p50, "p95": p95, "p99": p99, "max": max}));
    json!({
        "type": "summary",
        "sent": s.sent,
        "ok": s.ok,
        "failed": s.failed(),
        "invalid": s.invalid,
        "transport_errors": s.transport,
        "attempts": s.attempts,
        "failures": s.reasons,
        "latency_ms": lat,
    })
}

/// `20 sent · 18 ok · 2 failed (timeout: 2) · 22 attempts · p50 1.2 ms p95 … max …`.
pub fn human_summary(s: &mut Summary) -> String {
    let mut line = format!("{} sent · {} ok", s.sent, s.ok.to_string().green());
    if s.failed() > 0 {
        let reasons: Vec<String> = s.reasons.iter().map(|(r, n)| format!("{r}: {n}")).collect();
        line.push_str(&format!(
            " · {} failed ({})",
            s.failed().to_string().red(),
            reasons.join(", ")
        ));
    }
    if s.attempts != s.sent {
        line.push_str(&format!(" · {} attempts", s.attempts));
    }
    if let Some([p50, p95, p99, max]) = s.percentiles() {
        line.push_str(&format!(
            " · latency p50 {p50:.2} ms, p95 {p95:.2} ms, p99 {p99:.2} ms, max {max:.2} ms"
        ));
    }
    line
}

fn junit_case(index: u64, o: &Outcome) -> quick_junit::TestCase {
    use quick_junit::{NonSuccessKind, TestCase, TestCaseStatus};
    let p = &o.prepared;
    let status = match o.verdict() {
        Verdict::Ok => TestCaseStatus::success(),
        Verdict::Invalid => {
            let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
            let lines: Vec<String> = o.violations.iter().map(ToString::to_string).collect();
            s.set_message(lines.join("; "));
            s.set_type("invalid answer");
            s.set_description(lines.join("\n"));
            s
        }
        Verdict::Transport => {
            let mut s = TestCaseStatus::non_success(NonSuccessKind::Error);
            s.set_message(o.transport.clone().unwrap_or_default());
            s.set_type("transport error");
            s
        }
    };
    let name = match &o.context {
        Some(c) => format!("{index} {c} {}", p.event.id),
        None => format!("{index} {}", p.event.id),
    };
    let mut case = TestCase::new(name, status);
    case.set_classname(format!(
        "deskhook.{}.{}",
        p.event.provider.as_str(),
        p.event.command
    ));
    case.set_time(o.latency);
    case
}

/// A progress bar on stderr, only when a person is watching (STYLE.md habit 10).
pub fn progress(total: Option<u64>, enabled: bool) -> indicatif::ProgressBar {
    if !enabled || !io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = match total {
        Some(n) => indicatif::ProgressBar::new(n),
        None => indicatif::ProgressBar::new_spinner(),
    };
    let style = indicatif::ProgressStyle::with_template(
        "{spinner} {pos}/{len} callbacks {wide_bar} {per_sec} eta {eta}",
    )
    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
    bar.set_style(style);
    bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
    bar
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_records_match_the_documented_schema() {
        use crate::catalogue::catalogue;
        let schema: Value =
            serde_json::from_str(crate::assets::get("output.schema.json").unwrap()).unwrap();
        let validator = jsonschema::validator_for(&schema).unwrap();
        let event = catalogue().find("SessionBegin").unwrap();
        let url = url::Url::parse("http://127.0.0.1:1/").unwrap();
        let id = crate::http::Identity {
            sdkappid: "1".into(),
            token: None,
            client_ip: "127.0.0.1".into(),
            platform: "RESTAPI".into(),
            extra_query: vec![],
        };
        let p = crate::http::prepare(
            event,
            &url,
            &id,
            bytes::Bytes::from_static(b"{}"),
            "r".into(),
            1,
            None,
        );
        let o = Outcome {
            prepared: p,
            status: Some(500),
            latency: Duration::from_millis(3),
            attempts: 3,
            violations: vec![crate::envelope::Violation::new("HTTP status", "200", "500")],
            transport: None,
            answer_text: Some("oops".into()),
            answer: None,
            context: Some("flow run 1 step 1".into()),
        };
        let mut s = Summary::default();
        s.add(&o);
        for rec in [
            serde_json::to_value(result_record(0, &o, true)).unwrap(),
            serde_json::to_value(result_record(1, &o, false)).unwrap(),
            summary_record(&mut s),
        ] {
            let errors: Vec<String> = validator.iter_errors(&rec).map(|e| e.to_string()).collect();
            assert!(errors.is_empty(), "{rec}: {errors:?}");
        }
    }

    #[test]
    fn percentiles_use_nearest_rank() {
        let mut s = Summary {
            latencies_us: (1..=100).map(|i| i * 1000).collect(),
            ..Default::default()
        };
        assert_eq!(s.percentiles().unwrap(), [50.0, 95.0, 99.0, 100.0]);
    }
}
