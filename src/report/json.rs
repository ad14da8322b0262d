//! JSON Lines records (`type`: `request` | `result` | `summary`), in the format of
//! `fixtures/output.schema.json`.

use super::Summary;
use crate::callback::Callback;
use crate::clock::millis;
use crate::envelope::Warning;
use crate::transport::Delivery;
use crate::violation::Violation;
use serde_json::{json, Value};

/// The record of one callback under `--dry-run`.
pub fn request_record(c: &Callback) -> Value {
    let headers: serde_json::Map<String, Value> = c
        .shown_headers()
        .into_iter()
        .map(|(k, v)| (k, json!(v)))
        .collect();
    let body: Value = serde_json::from_slice(&c.body).unwrap_or(Value::Null);
    json!({
        "type": "request", "event": c.event.id, "method": "POST", "url": c.shown_url(),
        "headers": headers, "body": body,
    })
}

/// The record of one delivered callback; a struct, not a `Value`, because it is written once
/// per callback.
#[derive(Debug, serde::Serialize)]
pub struct ResultRecord<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    index: u64,
    event: &'a str,
    provider: &'static str,
    command: &'a str,
    url: std::borrow::Cow<'a, str>,
    request_id: Option<&'a str>,
    session_id: Option<&'a str>,
    status: Option<u16>,
    latency_ms: f64,
    attempts: u32,
    verdict: &'static str,
    violations: &'a [Violation],
    warnings: &'a [Warning],
    error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    context: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    request: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    answer: Option<Value>,
}

impl ResultRecord<'_> {
    /// The record as one JSON line (no newline): what `serde_json` writes for it (a test
    /// checks it), written field by field since a run writes one per callback.
    pub fn write(&self, o: &mut Vec<u8>) {
        use crate::json_text::{field, key, opt_string, string, value};
        o.push(b'{');
        key(o, "type");
        string(o, self.kind);
        field(o, "index");
        value(o, &self.index);
        field(o, "event");
        string(o, self.event);
        field(o, "provider");
        string(o, self.provider);
        field(o, "command");
        string(o, self.command);
        field(o, "url");
        string(o, &self.url);
        field(o, "request_id");
        opt_string(o, self.request_id);
        field(o, "session_id");
        opt_string(o, self.session_id);
        field(o, "status");
        value(o, &self.status);
        field(o, "latency_ms");
        value(o, &self.latency_ms);
        field(o, "attempts");
        value(o, &self.attempts);
        field(o, "verdict");
        string(o, self.verdict);
        field(o, "violations");
        value(o, self.violations);
        field(o, "warnings");
        value(o, self.warnings);
        field(o, "error");
        opt_string(o, self.error.as_deref());
        if let Some(context) = self.context {
            field(o, "context");
            string(o, context);
        }
        if let Some(request) = &self.request {
            field(o, "request");
            value(o, request);
        }
        if let Some(answer) = &self.answer {
            field(o, "answer");
            value(o, answer);
        }
        o.push(b'}');
    }
}

/// The record of one delivery; `verbose` adds the request and answer bodies.
pub fn result_record(index: u64, d: &Delivery, verbose: bool) -> ResultRecord<'_> {
    let c = &d.callback;
    let answer = || {
        d.answer
            .as_deref()
            .cloned()
            .unwrap_or_else(|| d.answer_text.clone().map_or(Value::Null, Value::String))
    };
    ResultRecord {
        kind: "result",
        index,
        event: &c.event.id,
        provider: c.event.provider.as_str(),
        command: &c.event.command,
        url: c.shown_url(),
        request_id: c.request_id.as_deref(),
        session_id: c.session_id.as_deref(),
        status: d.status,
        latency_ms: millis(d.latency),
        attempts: d.attempts,
        verdict: d.verdict().as_str(),
        violations: &d.violations,
        warnings: &d.warnings,
        error: d.error.as_ref().map(ToString::to_string),
        context: d.context.as_deref(),
        request: verbose.then(|| serde_json::from_slice(&c.body).unwrap_or(Value::Null)),
        answer: verbose.then(answer),
    }
}

/// The closing record of a run.
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
        "warnings": s.warnings,
        "latency_ms": lat,
        "interrupted": s.interrupted.is_some(),
        "first_requests": s.latencies.first_requests().map(|(n, p50, max)| {
            json!({"count": n, "p50_ms": p50, "max_ms": max})
        }),
    })
}
