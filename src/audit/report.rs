//! What an audit shows: one line per probe (human), one JSON record per probe and a summary
//! (JSON Lines, `fixtures/audit.schema.json`), or a JUnit report with one test case per
//! probe; and the probe table of `--list`. Callbacks are shown only through
//! `Callback::shown_*`, so no token or Bearer value reaches any of them.

use super::run::answered;
use super::{Outcome, Probe, Tally, Verdict};
use crate::catalogue::Provider;
use crate::clock::{fmt_duration, millis};
use crate::report::human::{write_violations, write_warnings};
use crate::report::Format;
use crate::term::Out;
use colored::Colorize;
use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};
use serde_json::{json, Value};
use std::io::{self, Write};
use std::time::Duration;

/// Writes outcomes as they come, and the summary (or the JUnit report) at the end.
pub struct Reporter {
    format: Format,
    verbose: bool,
    strict: bool,
    out: Out,
    junit: Vec<TestCase>,
}

impl Reporter {
    pub fn new(format: Format, verbose: bool, strict: bool) -> Reporter {
        Reporter {
            format,
            verbose,
            strict,
            out: Out::new(),
            junit: Vec::new(),
        }
    }

    pub fn outcome(&mut self, o: &Outcome) -> io::Result<()> {
        match self.format {
            Format::Human => write_outcome(&mut self.out, o, self.verbose)?,
            Format::Json => writeln!(self.out, "{}", probe_record(o, self.verbose))?,
            Format::Junit => self.junit.push(junit_case(o, self.strict)),
        }
        self.out.flush()
    }

    /// The summary line or record, or the whole JUnit report.
    pub fn finish(
        &mut self,
        outcomes: &[Outcome],
        target: &str,
        provider: Provider,
    ) -> io::Result<()> {
        let t = Tally::of(outcomes);
        match self.format {
            Format::Human => writeln!(self.out, "{}", summary_line(&t, self.strict))?,
            Format::Json => writeln!(
                self.out,
                "{}",
                summary_record(&t, target, provider, self.strict)
            )?,
            Format::Junit => {
                let mut report = Report::new("deskhook");
                let mut suite = TestSuite::new(format!("deskhook audit ({})", provider.as_str()));
                suite.add_test_cases(std::mem::take(&mut self.junit));
                report.add_test_suite(suite);
                let xml = report.to_string().map_err(io::Error::other)?;
                writeln!(self.out, "{xml}")?;
            }
        }
        self.out.flush()
    }
}

fn mark(v: Verdict) -> colored::ColoredString {
    match v {
        Verdict::Pass => "✓ pass".green().bold(),
        Verdict::Fail => "✗ FAIL".red().bold(),
        Verdict::Warn => "! warn".yellow().bold(),
        Verdict::Skip => "- skip".dimmed(),
    }
}

/// `✗ FAIL time-future       sent … · expected … · got …`, the advice indented under it,
/// and with `-v` every callback of the probe.
pub fn write_outcome(out: &mut impl Write, o: &Outcome, verbose: bool) -> io::Result<()> {
    writeln!(
        out,
        "{} {} sent {} · expected {} · got {}",
        mark(o.verdict),
        format!("{:<16}", o.probe.id).bold(),
        o.sent,
        o.probe.kind.expected(),
        o.got
    )?;
    if let Some(advice) = &o.advice {
        let text = match o.verdict {
            Verdict::Fail => advice.red().to_string(),
            Verdict::Warn => advice.yellow().to_string(),
            _ => advice.dimmed().to_string(),
        };
        writeln!(out, "    {text}")?;
    }
    if verbose {
        for c in &o.cases {
            let d = &c.delivery;
            writeln!(
                out,
                "    {} {}: POST {} → {} in {}",
                c.verdict.as_str().dimmed(),
                c.label,
                d.callback.shown_url(),
                answered(d),
                fmt_duration(d.latency)
            )?;
            for (k, v) in d.callback.shown_headers() {
                if k.eq_ignore_ascii_case("authorization") {
                    writeln!(out, "      {}: {v}", k.dimmed())?;
                }
            }
            write_violations(out, &d.violations)?;
            write_warnings(out, &d.warnings)?;
        }
    }
    Ok(())
}

/// `21 probes · 15 pass · 1 fail · 2 warn · 3 skipped`.
pub fn summary_line(t: &Tally, strict: bool) -> String {
    let mut line = format!(
        "{} probes · {} pass",
        t.probes(),
        t.pass.to_string().green()
    );
    let fail = if t.fail > 0 {
        t.fail.to_string().red()
    } else {
        t.fail.to_string().normal()
    };
    line.push_str(&format!(" · {fail} fail"));
    let warn = if t.warn > 0 {
        t.warn.to_string().yellow()
    } else {
        t.warn.to_string().normal()
    };
    line.push_str(&format!(" · {warn} warn"));
    if strict && t.warn > 0 {
        line.push_str(" (failing: --strict)");
    }
    line.push_str(&format!(" · {} skipped", t.skip));
    line
}

/// `{"type":"probe","id":…,"verdict":…}`: one probe, its callbacks in `cases`.
pub fn probe_record(o: &Outcome, verbose: bool) -> Value {
    let cases: Vec<Value> =
        o.cases
            .iter()
            .map(|c| {
                let d = &c.delivery;
                let mut rec = json!({
                    "label": c.label,
                    "event": d.callback.event.id,
                    "verdict": c.verdict.as_str(),
                    "status": d.status,
                    "answer": answered(d),
                    "latency_ms": millis(d.latency),
                    "error": d.error.as_ref().map(ToString::to_string),
                    "violations": d.violations,
                    "warnings": d.warnings,
                });
                if verbose {
                    rec["url"] = json!(d.callback.shown_url());
                    rec["headers"] = Value::Object(
                        d.callback
                            .shown_headers()
                            .into_iter()
                            .map(|(k, v)| (k, Value::String(v)))
                            .collect(),
                    );
                    rec["answer_body"] = d.answer.as_deref().cloned().unwrap_or_else(|| {
                        d.answer_text.clone().map_or(Value::Null, Value::String)
                    });
                }
                rec
            })
            .collect();
    json!({
        "type": "probe",
        "id": o.probe.id,
        "kind": o.probe.kind.as_str(),
        "verdict": o.verdict.as_str(),
        "sent": o.sent,
        "expected": o.probe.kind.expected(),
        "got": o.got,
        "advice": o.advice,
        "rule": o.probe.rule,
        "cases": cases,
    })
}

/// The closing record.
pub fn summary_record(t: &Tally, target: &str, provider: Provider, strict: bool) -> Value {
    json!({
        "type": "summary",
        "target": target,
        "provider": provider.as_str(),
        "probes": t.probes(),
        "pass": t.pass,
        "fail": t.fail,
        "warn": t.warn,
        "skip": t.skip,
        "strict": strict,
        "exit_code": t.code(strict) as u8,
    })
}

/// One test case per probe: a failure (or, under `--strict`, a warning) fails it; a warning
/// otherwise passes with the warning in its output; a skip is skipped with its reason.
pub fn junit_case(o: &Outcome, strict: bool) -> TestCase {
    let advice = o.advice.clone().unwrap_or_default();
    let failure = |kind: &str| {
        let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
        s.set_message(advice.clone());
        s.set_type(kind.to_owned());
        s.set_description(format!(
            "sent {}\nexpected {}\ngot {}",
            o.sent,
            o.probe.kind.expected(),
            o.got
        ));
        s
    };
    let status = match o.verdict {
        Verdict::Pass => TestCaseStatus::success(),
        Verdict::Fail => failure(o.probe.kind.as_str()),
        Verdict::Warn if strict => failure("warning (--strict)"),
        Verdict::Warn => TestCaseStatus::success(),
        Verdict::Skip => {
            let mut s = TestCaseStatus::skipped();
            s.set_message(advice.clone());
            s
        }
    };
    let mut case = TestCase::new(o.probe.id, status);
    case.set_classname(format!("deskhook.audit.{}", o.probe.kind.as_str()));
    case.set_time(o.cases.iter().map(|c| c.delivery.latency).sum::<Duration>());
    let mut out = format!("sent {}\ngot {}", o.sent, o.got);
    if o.verdict == Verdict::Warn {
        out.push_str(&format!("\nwarning: {advice}"));
    }
    case.set_system_out(out);
    case
}

/// Which providers a probe is for, in words.
fn providers(p: &Probe) -> &'static str {
    p.provider.map_or("both", Provider::as_str)
}

/// `--list`: every probe, the attack or tolerance it covers, and the rule it rests on.
pub fn write_list(out: &mut impl Write, probes: &[&Probe]) -> io::Result<()> {
    for p in probes {
        let token = if p.needs_token { ", needs --token" } else { "" };
        writeln!(
            out,
            "{} {}",
            format!("{:<16}", p.id).bold(),
            format!("{} · {}{token}", p.kind.as_str(), providers(p)).dimmed()
        )?;
        writeln!(out, "    {}", p.covers)?;
        writeln!(out, "    {} {}", "rule:".dimmed(), p.rule)?;
    }
    Ok(())
}

/// `--list --format json`: one record per probe.
pub fn list_record(p: &Probe) -> Value {
    json!({
        "type": "listing",
        "id": p.id,
        "kind": p.kind.as_str(),
        "provider": providers(p),
        "needs_token": p.needs_token,
        "sends": p.sends,
        "covers": p.covers,
        "rule": p.rule,
    })
}
