//! Human output: one line per callback (`✓ SessionBegin → 200 in 1.2 ms valid`), violations
//! indented under it, bodies with `-v`, and the one-line summary.

use super::Summary;
use crate::callback::Callback;
use crate::clock::fmt_duration;
use crate::envelope::{Expect, Warning};
use crate::transport::{Delivery, Verdict};
use crate::violation::Violation;
use colored::Colorize;
use serde_json::Value;
use std::io::{self, Write};

/// Violations under a human line: `    /ErrorCode: expected an integer, got a string "0"`.
pub fn write_violations<'a>(
    out: &mut impl Write,
    violations: impl IntoIterator<Item = &'a Violation>,
) -> io::Result<()> {
    for v in violations {
        let at = format!("{}:", v.at);
        writeln!(
            out,
            "    {} expected {}, got {}",
            at.yellow(),
            v.expected,
            v.got
        )?;
    }
    Ok(())
}

/// Warnings under a human line: `    warning: refused by crashing: HTTP 500; …`.
pub fn write_warnings<'a>(
    out: &mut impl Write,
    warnings: impl IntoIterator<Item = &'a Warning>,
) -> io::Result<()> {
    for w in warnings {
        writeln!(out, "    {} {w}", "warning:".yellow())?;
    }
    Ok(())
}

/// A request under `--dry-run`: method and URL, headers, the body pretty-printed.
pub fn write_request(out: &mut impl Write, c: &Callback) -> io::Result<()> {
    writeln!(out, "{} {}", "POST".bold(), c.shown_url())?;
    for (k, v) in c.shown_headers() {
        writeln!(out, "{}: {v}", k.dimmed())?;
    }
    writeln!(out)?;
    writeln!(out, "{}", pretty(&c.body))?;
    writeln!(out)
}

/// One delivered callback.
pub fn write_delivery(out: &mut impl Write, d: &Delivery, verbose: bool) -> io::Result<()> {
    let c = &d.callback;
    let mark = match d.verdict() {
        Verdict::Ok if !d.warnings.is_empty() => "!".yellow().bold(),
        Verdict::Ok => "✓".green().bold(),
        _ => "✗".red().bold(),
    };
    let attempts = if d.attempts > 1 {
        format!(" ({} attempts)", d.attempts)
    } else {
        String::new()
    };
    if let Some(context) = &d.context {
        write!(out, "{} ", format!("[{context}]").dimmed())?;
    }
    let latency = fmt_duration(d.latency);
    match (&d.error, d.status) {
        (Some(err), _) => writeln!(
            out,
            "{mark} {} → {} after {latency}{attempts}",
            c.event.id.bold(),
            err.to_string().red()
        )?,
        (None, Some(status)) => {
            let status = if status == 200 {
                status.to_string().green()
            } else {
                status.to_string().red()
            };
            let verdict = match (d.violations.is_empty(), d.expect) {
                (true, Expect::Refused) => "refused, as expected".green(),
                (true, _) => "valid".green(),
                (false, Expect::Refused) => "not refused".red(),
                (false, _) => "invalid answer".red(),
            };
            writeln!(
                out,
                "{mark} {} → {status} in {} {verdict}{attempts}",
                c.event.id.bold(),
                latency.dimmed()
            )?;
        }
        (None, None) => writeln!(out, "{mark} {}", c.event.id.bold())?,
    }
    write_violations(out, &d.violations)?;
    write_warnings(out, &d.warnings)?;
    if verbose {
        writeln!(out, "    {} {}", "→ POST".dimmed(), c.shown_url())?;
        writeln!(out, "{}", indent(&pretty(&c.body)))?;
        if let Some(text) = &d.answer_text {
            writeln!(out, "    {}", "← answer".dimmed())?;
            let shown = d
                .answer
                .as_deref()
                .and_then(|v| serde_json::to_string_pretty(v).ok())
                .unwrap_or_else(|| text.clone());
            writeln!(out, "{}", indent(&shown))?;
        }
    }
    Ok(())
}

/// `20 sent · 18 ok · 2 failed (timeout: 2) · 22 attempts · latency p50 … max …`, after
/// `interrupted (Ctrl-C) after 20 of 100 callbacks · ` when Ctrl-C ended the run.
pub fn summary_line(s: &mut Summary) -> String {
    let mut line = String::new();
    if let Some(i) = &s.interrupted {
        line.push_str(&format!("{} · ", i.to_string().red().bold()));
    }
    line.push_str(&format!(
        "{} sent · {} ok",
        s.sent,
        s.ok.to_string().green()
    ));
    if s.failed() > 0 {
        let reasons: Vec<String> = s.reasons.iter().map(|(r, n)| format!("{r}: {n}")).collect();
        line.push_str(&format!(
            " · {} failed ({})",
            s.failed().to_string().red(),
            reasons.join(", ")
        ));
    }
    if s.warned() > 0 {
        let kinds: Vec<String> = s
            .warnings
            .iter()
            .map(|(k, n)| format!("{k}: {n}"))
            .collect();
        line.push_str(&format!(
            " · {} warning{} ({})",
            s.warned().to_string().yellow(),
            if s.warned() == 1 { "" } else { "s" },
            kinds.join(", ")
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
    if let Some((n, p50, max)) = s.latencies.first_requests() {
        line.push_str(&format!(
            " (without the {n} first request(s) of a connection, which set it up: p50 {p50:.2} ms, max {max:.2} ms)"
        ));
    }
    line
}

/// A JSON body pretty-printed (or as it is, when it is not JSON).
pub fn pretty(body: &[u8]) -> String {
    let v: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    serde_json::to_string_pretty(&v).unwrap_or_default()
}

fn indent(s: &str) -> String {
    s.lines()
        .map(|l| format!("      {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}
