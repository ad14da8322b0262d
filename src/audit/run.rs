//! Running an audit: each selected probe in table order, its callbacks built just before they
//! go (so `RequestTime` is now), delivered like any `send` (`transport::deliver`, no
//! retries), and judged.
//!
//! How a callback was taken is read from its answer alone ([`classify`]): accepted (a 2xx
//! that is not a failure envelope), refused (a 4xx or a failure envelope), crashed (a 5xx), or
//! no answer. Each probe kind turns that into a verdict:
//!
//! | kind | pass | warn | fail |
//! | --- | --- | --- | --- |
//! | must refuse | refused | crashed, no answer, a 3xx | accepted |
//! | must accept | accepted (baseline: with the documented envelope) | — | anything else |
//! | tolerance | accepted | anything else | — |
//! | robustness | refused | anything else | — |
//!
//! A refusal proves something only if the backend accepts the valid callback: when the
//! baseline was refused, a must-refuse probe that "passed" is reported as skipped.

use super::probes::{Builder, Planned};
use super::{Case, Kind, Outcome, Probe, Verdict};
use crate::callback::Identity;
use crate::catalogue::Provider;
use crate::clock::fmt_duration;
use crate::envelope::{classify, Expect, Reply};
use crate::transport::{self, deliver, Connection, Delivery, Policy, TransportError};
use crate::violation::clip;
use anyhow::Result;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::io;
use std::time::Duration;
use url::Url;

/// One audit: where, as which platform, with which identity, and which probes.
pub struct Audit {
    pub target: Url,
    pub provider: Provider,
    pub identity: Identity,
    /// Give up on an answer after this (the platform's limit is 2 s).
    pub timeout: Duration,
    /// The probes to run, in table order.
    pub probes: Vec<&'static Probe>,
    /// Trusted roots, certificate checks and added headers (`--cacert`, `--insecure`,
    /// `--header`), as for send.
    pub connection: Connection,
}

/// Run every probe of `audit`, handing each outcome to `emit` as soon as it is judged.
pub fn run(
    audit: &Audit,
    mut emit: impl FnMut(&Outcome) -> io::Result<()>,
) -> Result<Vec<Outcome>> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let client = transport::client(
        audit.timeout,
        64,
        audit.target.scheme() == "https",
        &audit.connection,
    )?;
    let builder = Builder {
        target: &audit.target,
        identity: &audit.identity,
        provider: audit.provider,
    };
    let mut outcomes = Vec::new();
    let mut baseline_refused = false;
    let mut unreachable: Option<String> = None;
    for &probe in &audit.probes {
        let outcome = if let Some(why) = &unreachable {
            skipped(probe, format!("not run: {why}"))
        } else if probe.needs_token && audit.identity.token.is_none() {
            skipped(probe, no_token(audit.provider).to_owned())
        } else {
            let built = builder.build(probe)?;
            let together = probe.id == "burst";
            let cases = rt.block_on(send(&client, audit.timeout, built.planned, together));
            let outcome = judge(probe, &built.sent, cases);
            if baseline_refused
                && probe.kind == Kind::MustRefuse
                && outcome.verdict == Verdict::Pass
            {
                inconclusive(outcome)
            } else {
                outcome
            }
        };
        if probe.id == "baseline" {
            baseline_refused = outcome
                .cases
                .first()
                .is_some_and(|c| reply(&c.delivery) != Some(Reply::Accepted));
        }
        if unreachable.is_none() {
            unreachable = cannot_connect(&outcome.cases, probe.id == "baseline");
        }
        emit(&outcome)?;
        outcomes.push(outcome);
    }
    Ok(outcomes)
}

fn no_token(provider: Provider) -> &'static str {
    match provider {
        Provider::Tencent => "no --token: the signature probes need the backend's callback token (pass --token or set DESKHOOK_TOKEN); without it they cannot tell a refusal of a forgery from a backend that signs nothing",
        Provider::Huawei => "no --token: the Bearer probes need the token the backend expects (pass --token or set DESKHOOK_TOKEN)",
    }
}

fn skipped(probe: &'static Probe, why: String) -> Outcome {
    Outcome {
        probe,
        verdict: Verdict::Skip,
        sent: probe.sends.to_owned(),
        got: "nothing sent".to_owned(),
        advice: Some(why),
        cases: Vec::new(),
    }
}

fn inconclusive(mut o: Outcome) -> Outcome {
    o.verdict = Verdict::Skip;
    o.advice = Some(
        "inconclusive: the backend refused the valid baseline callback too, so this refusal proves nothing; make the baseline pass first (--to, --sdkappid, --token)"
            .to_owned(),
    );
    o
}

/// Why no further probe is worth sending: every callback of `cases` failed to connect, or
/// (`baseline`) none of the valid ones got any answer, time-outs included.
fn cannot_connect(cases: &[Case], baseline: bool) -> Option<String> {
    let first = cases.first()?.delivery.error.as_ref()?;
    let unanswered = |c: &Case| match &c.delivery.error {
        Some(TransportError::Refused { .. } | TransportError::Connect { .. }) => true,
        Some(_) => baseline,
        None => false,
    };
    cases
        .iter()
        .all(unanswered)
        .then(|| format!("the backend cannot be reached ({first})"))
}

/// Deliver a probe's callbacks one after the other, or all at once.
async fn send(
    client: &transport::Client,
    timeout: Duration,
    planned: Vec<Planned>,
    together: bool,
) -> Vec<Case> {
    let policy = |expect: Expect| Policy {
        timeout,
        max_latency: None,
        retries: 0,
        backoff: Duration::ZERO,
        expect,
    };
    let one = |p: Planned| async move {
        let delivery = deliver(client, &policy(p.expect), p.callback).await;
        Case {
            label: p.label,
            delivery,
            verdict: Verdict::Pass,
        }
    };
    if together {
        futures_util::future::join_all(planned.into_iter().map(one)).await
    } else {
        let mut cases = Vec::with_capacity(planned.len());
        for p in planned {
            cases.push(one(p).await);
        }
        cases
    }
}

/// How the backend took a delivered callback; `None` without an answer.
pub fn reply(d: &Delivery) -> Option<Reply> {
    d.status
        .map(|s| classify(d.callback.event, s, d.answer.as_deref()))
}

fn case_verdict(probe: &Probe, d: &Delivery) -> Verdict {
    let r = reply(d);
    match probe.kind {
        Kind::MustRefuse => match r {
            Some(Reply::Refused) => Verdict::Pass,
            Some(Reply::Accepted) => Verdict::Fail,
            _ => Verdict::Warn,
        },
        Kind::MustAccept => match r {
            Some(Reply::Accepted) if probe.id != "baseline" || d.violations.is_empty() => {
                Verdict::Pass
            }
            _ => Verdict::Fail,
        },
        Kind::Tolerance if r == Some(Reply::Accepted) => Verdict::Pass,
        Kind::Robustness if r == Some(Reply::Refused) => Verdict::Pass,
        Kind::Tolerance | Kind::Robustness => Verdict::Warn,
    }
}

/// The verdict on a probe: the worst of its callbacks', then what it means.
fn judge(probe: &'static Probe, sent: &str, mut cases: Vec<Case>) -> Outcome {
    for c in &mut cases {
        c.verdict = case_verdict(probe, &c.delivery);
    }
    let mut verdict = cases
        .iter()
        .map(|c| c.verdict)
        .max()
        .unwrap_or(Verdict::Pass);
    let mut advice = None;
    if probe.id == "duplicate" && verdict == Verdict::Pass {
        if let [first, second] = &mut cases[..] {
            let (a, b) = (answered(&first.delivery), answered(&second.delivery));
            if a != b || first.delivery.answer != second.delivery.answer {
                verdict = Verdict::Warn;
                second.verdict = Verdict::Warn;
                advice = Some(format!(
                    "the second delivery got {} where the first got {}: answer a duplicate as you answered the first, or a re-delivered decision (an agent assignment, an API call) is decided twice",
                    shown_answer(&second.delivery), shown_answer(&first.delivery)
                ));
            }
        }
    }
    let got = got(probe, &cases);
    if advice.is_none() && verdict >= Verdict::Warn {
        advice = Some(advise(probe, sent, verdict, &cases, &got));
    }
    Outcome {
        probe,
        verdict,
        sent: sent.to_owned(),
        got,
        advice,
        cases,
    }
}

/// What came back, in short: `401`, `200 "OK"`, `200 "FAIL" (ErrorCode 401)`,
/// `200 resultCode "0"`, `200, empty body`, `no answer (timeout)`.
pub fn answered(d: &Delivery) -> String {
    if let Some(e) = &d.error {
        return format!("no answer ({})", e.kind());
    }
    let Some(status) = d.status else {
        return "no answer".to_owned();
    };
    if !(200..300).contains(&status) {
        return status.to_string();
    }
    let doc = d.answer.as_deref();
    let word = if d.callback.event.is_cec() {
        doc.and_then(|a| a.get("resultCode"))
            .map(|c| format!("resultCode {c}"))
    } else {
        doc.and_then(|a| a.get("ActionStatus")).map(|s| {
            match doc.and_then(|a| a.get("ErrorCode")) {
                Some(code) if *code != json!(0) => format!("{s} (ErrorCode {code})"),
                _ => s.to_string(),
            }
        })
    };
    match word {
        Some(w) => format!("{status} {w}"),
        None if d.answer_text.as_deref().is_none_or(|t| t.trim().is_empty()) => {
            format!("{status}, empty body")
        }
        None if doc.is_none() => format!("{status}, not JSON"),
        None => format!("{status}, no envelope"),
    }
}

/// An answer for a message: its short form, and its body when that is what differs.
fn shown_answer(d: &Delivery) -> String {
    match d.answer.as_deref() {
        Some(v @ Value::Object(_)) if d.status == Some(200) => clip(&v.to_string(), 120),
        _ => answered(d),
    }
}

fn got(probe: &Probe, cases: &[Case]) -> String {
    match cases {
        [] => "nothing sent".to_owned(),
        [c] => format!(
            "{} in {}",
            answered(&c.delivery),
            fmt_duration(c.delivery.latency)
        ),
        _ if probe.id == "burst" => {
            let slowest = cases
                .iter()
                .map(|c| c.delivery.latency)
                .max()
                .unwrap_or_default();
            let mut others: BTreeMap<String, usize> = BTreeMap::new();
            for c in cases.iter().filter(|c| c.verdict != Verdict::Pass) {
                *others.entry(answered(&c.delivery)).or_default() += 1;
            }
            let accepted = cases.len() - others.values().sum::<usize>();
            let mut s = format!(
                "{accepted}/{} accepted, slowest in {}",
                cases.len(),
                fmt_duration(slowest)
            );
            if !others.is_empty() {
                let list: Vec<String> = others.iter().map(|(a, n)| format!("{n}× {a}")).collect();
                s.push_str(&format!("; {}", list.join(", ")));
            }
            s
        }
        _ => {
            let answers: Vec<String> = cases.iter().map(|c| answered(&c.delivery)).collect();
            if answers.iter().all(|a| *a == answers[0]) && answers.len() == 2 {
                format!("both: {}", answers[0])
            } else if answers.iter().all(|a| *a == answers[0]) {
                format!("all {}: {}", answers.len(), answers[0])
            } else {
                cases
                    .iter()
                    .zip(&answers)
                    .map(|(c, a)| format!("{} → {a}", c.label))
                    .collect::<Vec<_>>()
                    .join("; ")
            }
        }
    }
}

/// What a failed or warned probe means, and what the backend should do.
fn advise(probe: &Probe, sent: &str, verdict: Verdict, cases: &[Case], got: &str) -> String {
    let bad: Vec<&Case> = cases.iter().filter(|c| c.verdict == verdict).collect();
    let listed = || -> String {
        if probe.id == "burst" || cases.len() == 1 {
            return got.to_owned();
        }
        bad.iter()
            .map(|c| format!("{} → {}", c.label, answered(&c.delivery)))
            .collect::<Vec<_>>()
            .join("; ")
    };
    match (probe.kind, verdict) {
        (Kind::MustRefuse, Verdict::Fail) => format!("accepted {sent}: {}", probe.advice),
        (Kind::MustRefuse, _) => {
            let d = &bad[0].delivery;
            match (reply(d), &d.error) {
                (Some(Reply::Crashed), _) => format!(
                    "refused by crashing (HTTP {}): refuse with a 4xx (401, 403) or a failure envelope; a 5xx reads as an outage to monitoring",
                    d.status.unwrap_or_default()
                ),
                (_, Some(e)) => format!(
                    "no answer ({e}): cannot tell whether the backend refuses this callback"
                ),
                _ => format!(
                    "answered HTTP {}, neither a refusal nor an acceptance: refuse with a 4xx (401, 403)",
                    d.status.unwrap_or_default()
                ),
            }
        }
        (Kind::MustAccept, _) if probe.id == "baseline" => {
            let first = bad
                .iter()
                .find_map(|c| {
                    c.delivery
                        .violations
                        .first()
                        .map(|v| format!("{}: {v}", c.label))
                })
                .map(|v| format!(" ({v})"))
                .unwrap_or_default();
            format!("{}{first}: {}", listed(), probe.advice)
        }
        _ => format!("{}: {}", listed(), probe.advice),
    }
}
