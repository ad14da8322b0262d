//! One delivery: a callback POSTed, re-delivered on failure as the platform does (same
//! `RequestID`, doubling back-off), and its answer judged.

use super::{Client, TransportError};
use crate::callback::Callback;
use crate::clock::fmt_duration;
use crate::envelope::{check_answer, Expect, Warning};
use crate::violation::{Violation, Where};
use bytes::Bytes;
use serde_json::Value;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How answers are judged and failures re-delivered.
#[derive(Debug, Clone)]
pub struct Policy {
    pub timeout: Duration,
    pub max_latency: Option<Duration>,
    pub retries: u32,
    pub backoff: Duration,
    pub expect: Expect,
}

/// What happened to one callback, all attempts included.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub callback: Callback,
    pub status: Option<u16>,
    pub latency: Duration,
    pub attempts: u32,
    pub violations: Vec<Violation>,
    /// What is worth knowing about the answer without failing it (a refusal by a 5xx, …).
    pub warnings: Vec<Warning>,
    /// What the answer was judged against.
    pub expect: Expect,
    /// Why the last attempt got no answer.
    pub error: Option<TransportError>,
    pub answer_text: Option<String>,
    pub answer: Option<Arc<Value>>,
    /// Where the callback belongs, e.g. `bot-to-human run 3 step 6` (flows).
    pub context: Option<String>,
}

/// The verdict on one delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Answered, and the answer is what was expected.
    Ok,
    /// Answered, but the answer breaks the envelope or the expectation.
    Invalid,
    /// No answer.
    Transport,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Ok => "ok",
            Verdict::Invalid => "invalid",
            Verdict::Transport => "transport_error",
        }
    }
}

impl Delivery {
    pub fn verdict(&self) -> Verdict {
        if self.error.is_some() {
            Verdict::Transport
        } else if self.violations.is_empty() {
            Verdict::Ok
        } else {
            Verdict::Invalid
        }
    }

    /// A short reason for summaries: `timeout`, `HTTP 500`, `invalid /ErrorCode`.
    pub fn reason(&self) -> Option<String> {
        if let Some(e) = &self.error {
            return Some(e.kind().to_owned());
        }
        let first = self.violations.first()?;
        Some(match &first.at {
            Where::Pointer(_) | Where::Status if self.expect == Expect::Refused => {
                format!("not refused: HTTP {}", self.status.unwrap_or_default())
            }
            Where::Status => format!("HTTP {}", first.got),
            Where::Body => "answer is not JSON".to_owned(),
            Where::Latency => "slower than --max-latency".to_owned(),
            other => format!("invalid {other}"),
        })
    }
}

/// Deliver one callback, re-delivering failures up to `policy.retries` times.
pub async fn deliver(client: &Client, policy: &Policy, callback: Callback) -> Delivery {
    let mut attempts = 0;
    loop {
        attempts += 1;
        let a = attempt(client, policy, &callback).await;
        let ok = a.error.is_none() && a.violations.is_empty();
        if ok || attempts > policy.retries {
            return Delivery {
                callback,
                status: a.status,
                latency: a.latency,
                attempts,
                violations: a.violations,
                warnings: a.warnings,
                expect: policy.expect,
                error: a.error,
                answer_text: a.raw.map(|b| String::from_utf8_lossy(&b).into_owned()),
                answer: a.answer,
                context: None,
            };
        }
        let wait = policy.backoff.saturating_mul(1 << (attempts - 1).min(16));
        tokio::time::sleep(wait).await;
    }
}

/// One attempt's result (the callback itself stays with the caller: no copy per attempt).
#[derive(Default)]
struct Attempt {
    status: Option<u16>,
    latency: Duration,
    violations: Vec<Violation>,
    warnings: Vec<Warning>,
    error: Option<TransportError>,
    raw: Option<Bytes>,
    answer: Option<Arc<Value>>,
}

async fn attempt(client: &Client, policy: &Policy, c: &Callback) -> Attempt {
    let start = Instant::now();
    let result = client.post(c).await;
    let latency = start.elapsed();
    match result {
        Ok((status, body)) => {
            let j = check_answer(c.event, status, &body, policy.expect);
            let mut violations = j.violations;
            if let Some(max) = policy.max_latency.filter(|m| latency > *m) {
                violations.push(Violation::new(
                    Where::Latency,
                    format!("an answer within {}", fmt_duration(max)),
                    format!("one after {}", fmt_duration(latency)),
                ));
            }
            Attempt {
                status: Some(status),
                latency,
                violations,
                warnings: j.warnings,
                raw: Some(body),
                answer: j.body,
                error: None,
            }
        }
        Err(e) => Attempt {
            latency,
            error: Some(e),
            ..Attempt::default()
        },
    }
}
