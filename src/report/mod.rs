//! What a run of `send`, `flow` or `replay` shows: one line per callback (human), JSON Lines,
//! or a JUnit report, then the summary. Results go to stdout; notes and the progress bar to
//! stderr. No token or Bearer value reaches any of them: callbacks are only ever shown through
//! `Callback::shown_*`.

pub mod human;
pub mod json;
pub mod junit;
mod summary;

pub use summary::Summary;

use crate::callback::Callback;
use crate::engine::{Interrupted, Sink};
use crate::term::{progress, Out};
use crate::transport::Delivery;
use std::io::{self, Write};

/// How results are shown (`send`, `flow`, `replay`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// One line per request on stdout.
    Human,
    /// JSON Lines, one object per request, then a summary object.
    Json,
    /// A JUnit XML report, one test case per request.
    Junit,
}

/// How a stream of records is shown where a report makes no sense (`listen`, `validate`,
/// `events`, `flows`, `sign`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum LineFormat {
    /// Lines for people.
    #[default]
    Human,
    /// JSON Lines.
    Json,
}

/// How far a run got before Ctrl-C ended it, in the run's own unit of work.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interruption {
    /// Units taken up (callbacks, scenario runs, captured callbacks).
    pub started: u64,
    /// Units planned, when known.
    pub planned: Option<u64>,
    /// `callbacks`, `runs`.
    pub unit: &'static str,
    /// Units still in flight when the grace ran out.
    pub abandoned: u64,
}

impl std::fmt::Display for Interruption {
    /// `interrupted (Ctrl-C) after 401 of 10000000 callbacks, 2 in flight abandoned`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "interrupted (Ctrl-C) after {}", self.started)?;
        if let Some(planned) = self.planned {
            write!(f, " of {planned}")?;
        }
        write!(f, " {}", self.unit)?;
        if self.abandoned > 0 {
            write!(f, ", {} in flight abandoned", self.abandoned)?;
        }
        Ok(())
    }
}

/// Writes results as they arrive, and the report at the end.
pub struct Reporter {
    format: Format,
    verbose: bool,
    out: Out,
    junit: Vec<quick_junit::TestCase>,
    index: u64,
    /// One JSON line, written here whole and then to `out` in one call.
    line: Vec<u8>,
}

impl Reporter {
    pub fn new(format: Format, verbose: bool) -> Reporter {
        Reporter {
            format,
            verbose,
            out: match format {
                Format::Human => Out::new(),
                Format::Json | Format::Junit => Out::plain(),
            },
            junit: Vec::new(),
            index: 0,
            line: Vec::new(),
        }
    }

    /// One callback shown under `--dry-run` (human or JSON; a dry run has no results).
    pub fn request(&mut self, c: &Callback) -> io::Result<()> {
        match self.format {
            Format::Human => human::write_request(&mut self.out, c)?,
            Format::Json | Format::Junit => writeln!(self.out, "{}", json::request_record(c))?,
        }
        self.out.tick()
    }

    /// One delivered callback.
    pub fn delivery(&mut self, d: &Delivery) -> io::Result<()> {
        let i = self.index;
        self.index += 1;
        match self.format {
            Format::Human => human::write_delivery(&mut self.out, d, self.verbose)?,
            Format::Json => {
                self.line.clear();
                json::result_record(i, d, self.verbose).write(&mut self.line);
                self.line.push(b'\n');
                self.out.write_all(&self.line)?;
            }
            Format::Junit => {
                self.junit.push(junit::case(i, d));
                return Ok(());
            }
        }
        self.out.tick()
    }

    /// The one-line summary (human), the summary record (JSON), or the JUnit report.
    pub fn finish(&mut self, summary: &mut Summary, title: &str) -> io::Result<()> {
        match self.format {
            // Every run that sent something ends with the one line (one callback included);
            // a run that sent nothing has nothing to sum up, unless Ctrl-C cut it.
            Format::Human if summary.sent > 0 || summary.interrupted.is_some() => {
                writeln!(self.out, "{}", human::summary_line(summary))?;
            }
            Format::Human => {}
            Format::Json => writeln!(self.out, "{}", json::summary_record(summary))?,
            Format::Junit => {
                let mut cases = std::mem::take(&mut self.junit);
                if let Some(i) = &summary.interrupted {
                    cases.push(junit::interrupted_case(i));
                }
                let xml = junit::report(title, cases).map_err(io::Error::other)?;
                writeln!(self.out, "{xml}")?;
            }
        }
        self.out.flush()
    }
}

/// A run's report: every delivery counted, shown and ticked on the progress bar.
pub struct RunReport {
    reporter: Reporter,
    summary: Summary,
    bar: indicatif::ProgressBar,
    title: String,
    /// The work planned and its unit, for an interruption's summary.
    planned: Option<u64>,
    unit: &'static str,
}

impl RunReport {
    /// `total` deliveries expected (for the bar), shown as `format`.
    pub fn new(format: Format, verbose: bool, total: Option<u64>, title: &str) -> RunReport {
        RunReport {
            reporter: Reporter::new(format, verbose),
            summary: Summary::default(),
            bar: progress(total, total.is_none_or(|t| t > 1)),
            title: title.to_owned(),
            planned: total,
            unit: "callbacks",
        }
    }

    /// The run's unit of work when it is not one callback (a scenario run), and how many are
    /// planned: what an interrupted run's summary counts.
    pub fn counting(mut self, planned: Option<u64>, unit: &'static str) -> RunReport {
        self.planned = planned;
        self.unit = unit;
        self
    }

    /// Clear the bar, print the summary or report, and give the summary back.
    pub fn finish(mut self) -> io::Result<Summary> {
        self.bar.finish_and_clear();
        self.reporter.finish(&mut self.summary, &self.title)?;
        Ok(self.summary)
    }
}

impl Sink for RunReport {
    fn record(&mut self, d: &Delivery) -> io::Result<()> {
        self.summary.add(d);
        let (reporter, bar) = (&mut self.reporter, &self.bar);
        bar.suspend(|| reporter.delivery(d))?;
        bar.inc(1);
        Ok(())
    }

    fn interrupted(&mut self, how: Interrupted) {
        // Counted in callbacks, a run got as far as what was sent and what was in flight (an
        // item still waiting for its --rate slot was never sent).
        let started = if self.unit == "callbacks" {
            self.summary.sent + how.abandoned
        } else {
            how.started
        };
        self.summary.interrupted = Some(Interruption {
            started,
            planned: self.planned,
            unit: self.unit,
            abandoned: how.abandoned,
        });
    }

    fn latencies(&mut self, latencies: crate::latency::Latencies) {
        self.summary.latencies = latencies;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::callback::Identity;
    use crate::catalogue::catalogue;
    use crate::violation::{Violation, Where};
    use serde_json::Value;
    use std::time::Duration;

    #[test]
    fn json_records_match_the_documented_schema() {
        let schema: Value =
            serde_json::from_str(crate::assets::get("output.schema.json").unwrap()).unwrap();
        let validator = jsonschema::validator_for(&schema).unwrap();
        let event = catalogue().find("SessionBegin").unwrap();
        let url = url::Url::parse("http://127.0.0.1:1/").unwrap();
        let id = Identity {
            sdkappid: "1".into(),
            token: None,
            client_ip: "127.0.0.1".into(),
            platform: "RESTAPI".into(),
            extra_query: vec![],
        };
        let c = Callback::new(
            event,
            &url,
            &id,
            bytes::Bytes::from_static(b"{}"),
            "r".into(),
            1,
            None,
        );
        let d = Delivery {
            callback: c.clone(),
            status: Some(500),
            latency: Duration::from_millis(3),
            attempts: 3,
            violations: vec![Violation::new(Where::Status, "200", "500")],
            warnings: vec![crate::envelope::Warning::RefusedByCrashing { status: 500 }],
            expect: crate::envelope::Expect::Ok,
            error: None,
            answer_text: Some("oops".into()),
            answer: None,
            context: Some("flow run 1 step 1".into()),
        };
        let mut s = Summary::default();
        s.add(&d);
        s.latencies.record(d.latency, true);
        s.latencies.record(d.latency, false);
        let mut ok = d.clone();
        ok.violations.clear();
        ok.warnings.clear();
        ok.context = None;
        ok.status = None;
        ok.callback.session_id = Some("s\"1".into());
        for (i, d) in [&d, &ok].into_iter().enumerate() {
            for verbose in [true, false] {
                let record = json::result_record(i as u64, d, verbose);
                let mut line = Vec::new();
                record.write(&mut line);
                assert_eq!(
                    String::from_utf8(line).unwrap(),
                    serde_json::to_string(&record).unwrap()
                );
            }
        }
        for rec in [
            serde_json::to_value(json::result_record(0, &d, true)).unwrap(),
            serde_json::to_value(json::result_record(1, &d, false)).unwrap(),
            json::summary_record(&mut s),
            json::request_record(&c),
        ] {
            let errors: Vec<String> = validator.iter_errors(&rec).map(|e| e.to_string()).collect();
            assert!(errors.is_empty(), "{rec}: {errors:?}");
        }
    }
}
