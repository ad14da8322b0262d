//! [`Exchange`]: one request the receiver got and what it answered — built once per request,
//! then written to the capture (`listen --save`, one JSON line in the format of
//! `fixtures/capture.schema.json`), shown on the terminal, and read back by `replay`.

use crate::sign::SignProblem;
use crate::violation::Violation;
use anyhow::{Context, Result};
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// What the receiver made of a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExchangeVerdict {
    /// A well-formed, authentic callback of a known event, answered.
    Accepted,
    /// Answered, but the body breaks its event's schema (or the event is unknown).
    Invalid,
    /// Refused with a 4xx: malformed, unauthentic or foreign.
    Refused,
    /// With `--forward-to`: the backend did not answer (502).
    ForwardFailed,
    /// With `--forward-to`: the backend's answer breaks the documented envelope.
    InvalidAnswer,
    /// Answered 503 because the exchange could not be written to the capture file (so the
    /// platform delivers it again). Such an exchange is shown, never in a capture.
    NotCaptured,
}

impl ExchangeVerdict {
    pub fn as_str(self) -> &'static str {
        match self {
            ExchangeVerdict::Accepted => "accepted",
            ExchangeVerdict::Invalid => "invalid",
            ExchangeVerdict::Refused => "refused",
            ExchangeVerdict::ForwardFailed => "forward_failed",
            ExchangeVerdict::InvalidAnswer => "invalid_answer",
            ExchangeVerdict::NotCaptured => "not_captured",
        }
    }
}

/// One exchange. The body is kept exactly as received: `body` when it is UTF-8, else
/// `body_base64`. Header values that carry credentials are redacted; the query is raw.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Exchange {
    /// Format version of this line.
    pub v: u32,
    /// Sequence number within this `listen` run.
    pub seq: u64,
    /// When the request arrived / was answered, Unix milliseconds.
    pub received_at_ms: u64,
    pub answered_at_ms: u64,
    pub remote: String,
    pub method: String,
    pub path: String,
    /// The raw query string, as received.
    pub query: String,
    /// Request headers; secret-bearing values are redacted.
    pub headers: Vec<(String, String)>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_base64: Option<String>,
    /// The recognised event id, if any.
    pub event: Option<String>,
    /// The body's `SessionId`, when it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_id: Option<String>,
    pub provider: Option<String>,
    pub verdict: ExchangeVerdict,
    /// Problems of the request (schema violations, or why it was refused).
    pub problems: Vec<Violation>,
    /// The HTTP status and body deskhook (or the --forward-to backend) answered.
    pub status: u16,
    pub answer: String,
    pub latency_ms: f64,
    /// With --forward-to: problems found in the backend's answer.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub answer_problems: Vec<Violation>,
    /// How the credentials were checked (absent without a token, or when the request was
    /// refused before the check).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth: Option<AuthCheck>,
    /// The caller closed its side of the connection this long (ms) after the request arrived,
    /// while the answer was still being prepared (`--delay`, `--forward-to`): it gave up, or
    /// it half-closed and still waits. Absent when it did not (or nothing was waited for).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caller_closed_after_ms: Option<f64>,
}

/// The credential check of one callback, recorded so that it can be explained afterwards
/// (`listen --inspect`): what was checked, what the receiver's clock said, and which check
/// failed. It never holds the token, nor the `Sign` that would have been valid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthCheck {
    pub scheme: AuthScheme,
    pub outcome: AuthOutcome,
    /// Tencent: `RequestTime` as sent, when it is Unix seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_time: Option<u64>,
    /// Tencent: the receiver's clock at the check, Unix seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_time: Option<u64>,
    /// Tencent: the accepted difference between the two, seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tolerance_s: Option<u64>,
}

/// Which credential a callback carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthScheme {
    /// Tencent: `Sign` = sha256(token ‖ `RequestTime`) in the URL.
    Sign,
    /// Huawei CEC: `Authorization: Bearer <token>`.
    Bearer,
}

/// The result of the credential check: `ok`, or the first check that failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthOutcome {
    Ok,
    MissingSign,
    MissingRequestTime,
    /// `RequestTime` is not Unix seconds (often milliseconds).
    NotSeconds,
    /// The Sign is right for its `RequestTime`, but that time is too far from the clock.
    Stale,
    /// sha256(`RequestTime` ‖ token): the two inputs in the wrong order.
    Reversed,
    /// The Sign (or Bearer) is not made with the configured token.
    WrongToken,
    MissingHeader,
    /// `Authorization` without the `Bearer ` scheme word.
    NotBearer,
}

impl AuthCheck {
    /// The record of a Tencent `Sign`/`RequestTime` check made at `now` (seconds).
    pub fn sign(
        raw_time: Option<&str>,
        now: u64,
        tolerance_s: u64,
        result: &Result<u64, SignProblem>,
    ) -> AuthCheck {
        let outcome = match result {
            Ok(_) => AuthOutcome::Ok,
            Err(SignProblem::Missing("Sign")) => AuthOutcome::MissingSign,
            Err(SignProblem::Missing(_)) => AuthOutcome::MissingRequestTime,
            Err(SignProblem::NotSeconds(_)) => AuthOutcome::NotSeconds,
            Err(SignProblem::Stale { .. }) => AuthOutcome::Stale,
            Err(SignProblem::Reversed) => AuthOutcome::Reversed,
            Err(SignProblem::WrongToken { .. }) => AuthOutcome::WrongToken,
        };
        AuthCheck {
            scheme: AuthScheme::Sign,
            outcome,
            request_time: raw_time
                .filter(|t| t.len() <= 11)
                .and_then(|t| t.parse().ok()),
            server_time: Some(now),
            tolerance_s: Some(tolerance_s),
        }
    }

    /// The record of a CEC Bearer check.
    pub fn bearer(outcome: AuthOutcome) -> AuthCheck {
        AuthCheck {
            scheme: AuthScheme::Bearer,
            outcome,
            request_time: None,
            server_time: None,
            tolerance_s: None,
        }
    }
}

impl Exchange {
    /// The body bytes exactly as received.
    pub fn body_bytes(&self) -> Result<Vec<u8>> {
        body_bytes(self.body.clone(), self.body_base64.as_deref())
    }

    /// Store `bytes` as `body` (UTF-8) or `body_base64`.
    pub fn set_body(&mut self, bytes: &[u8]) {
        match std::str::from_utf8(bytes) {
            Ok(s) => self.body = Some(s.to_owned()),
            Err(_) => {
                self.body_base64 = Some(base64::engine::general_purpose::STANDARD.encode(bytes))
            }
        }
    }

    /// The capture line (without its newline): what `serde_json::to_string` writes for the
    /// record (a test checks it), written field by field, since `listen` writes one per
    /// request before answering it.
    pub fn to_line(&self) -> String {
        use crate::json_text::{field, key, opt_string, string, value};
        // Room for the body escaped (a quote becomes two bytes): the buffer is not grown
        // again and again.
        let body = self.body.as_ref().map_or(0, String::len)
            + self.body_base64.as_ref().map_or(0, String::len);
        let mut o = Vec::with_capacity(512 + body + body / 4 + self.query.len());
        o.push(b'{');
        key(&mut o, "v");
        value(&mut o, &self.v);
        field(&mut o, "seq");
        value(&mut o, &self.seq);
        field(&mut o, "received_at_ms");
        value(&mut o, &self.received_at_ms);
        field(&mut o, "answered_at_ms");
        value(&mut o, &self.answered_at_ms);
        field(&mut o, "remote");
        string(&mut o, &self.remote);
        field(&mut o, "method");
        string(&mut o, &self.method);
        field(&mut o, "path");
        string(&mut o, &self.path);
        field(&mut o, "query");
        string(&mut o, &self.query);
        field(&mut o, "headers");
        o.push(b'[');
        for (i, (name, v)) in self.headers.iter().enumerate() {
            if i > 0 {
                o.push(b',');
            }
            o.push(b'[');
            string(&mut o, name);
            o.push(b',');
            string(&mut o, v);
            o.push(b']');
        }
        o.push(b']');
        if let Some(b) = &self.body {
            field(&mut o, "body");
            string(&mut o, b);
        }
        if let Some(b) = &self.body_base64 {
            field(&mut o, "body_base64");
            string(&mut o, b);
        }
        field(&mut o, "event");
        opt_string(&mut o, self.event.as_deref());
        if let Some(id) = &self.session_id {
            field(&mut o, "session_id");
            string(&mut o, id);
        }
        field(&mut o, "provider");
        opt_string(&mut o, self.provider.as_deref());
        field(&mut o, "verdict");
        string(&mut o, self.verdict.as_str());
        field(&mut o, "problems");
        value(&mut o, &self.problems);
        field(&mut o, "status");
        value(&mut o, &self.status);
        field(&mut o, "answer");
        string(&mut o, &self.answer);
        field(&mut o, "latency_ms");
        value(&mut o, &self.latency_ms);
        if !self.answer_problems.is_empty() {
            field(&mut o, "answer_problems");
            value(&mut o, &self.answer_problems);
        }
        if let Some(auth) = &self.auth {
            field(&mut o, "auth");
            value(&mut o, auth);
        }
        if let Some(ms) = &self.caller_closed_after_ms {
            field(&mut o, "caller_closed_after_ms");
            value(&mut o, ms);
        }
        o.push(b'}');

        String::from_utf8(o).expect("JSON text written from strings is UTF-8")
    }

    /// The parsed body, when it is JSON.
    pub fn body_json(&self) -> Option<Value> {
        serde_json::from_slice(&self.body_bytes().ok()?).ok()
    }
}

/// The body bytes of a record: its `body` text, or its `body_base64` decoded.
pub fn body_bytes(body: Option<String>, body_base64: Option<&str>) -> Result<Vec<u8>> {
    match (body, body_base64) {
        (Some(text), _) => Ok(text.into_bytes()),
        (None, Some(b64)) => base64::engine::general_purpose::STANDARD
            .decode(b64)
            .context("body_base64 is not base64"),
        (None, None) => Ok(Vec::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::violation::Where;

    pub fn sample() -> Exchange {
        let mut r = Exchange {
            v: 1,
            seq: 1,
            received_at_ms: 1,
            answered_at_ms: 2,
            remote: "127.0.0.1:1".into(),
            method: "POST".into(),
            path: "/".into(),
            query: "a=b".into(),
            headers: vec![("authorization".into(), "Bearer (redacted)".into())],
            body: None,
            body_base64: None,
            event: Some("cec.read".into()),
            session_id: None,
            provider: Some("huawei".into()),
            verdict: ExchangeVerdict::Refused,
            problems: vec![Violation::new(Where::Request, "x", "y")],
            status: 401,
            answer: "{}".into(),
            latency_ms: 0.5,
            answer_problems: vec![],
            auth: Some(AuthCheck::bearer(AuthOutcome::WrongToken)),
            caller_closed_after_ms: Some(1000.0),
        };
        r.set_body(b"\xff\xfe not utf-8");
        r
    }

    #[test]
    fn the_line_matches_the_documented_schema_and_round_trips() {
        let schema: Value =
            serde_json::from_str(crate::assets::get("capture.schema.json").unwrap()).unwrap();
        let validator = jsonschema::validator_for(&schema).unwrap();
        let line = sample().to_line();
        let doc: Value = serde_json::from_str(&line).unwrap();
        let errors: Vec<String> = validator.iter_errors(&doc).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{errors:?}");
        let back: Exchange = serde_json::from_str(&line).unwrap();
        assert_eq!(back.body_bytes().unwrap(), b"\xff\xfe not utf-8");
        assert_eq!(back.verdict, ExchangeVerdict::Refused);
        assert_eq!(back.problems[0].at, Where::Request);
    }

    #[test]
    fn the_line_is_what_serde_writes_for_the_record() {
        let full = sample();
        let mut bare = sample();
        bare.body_base64 = None;
        bare.set_body("{\"SessionId\":\"s\",\"Text\":\"退款\\n\\\"🙏\"}\n\u{1}".as_bytes());
        bare.session_id = Some("s".into());
        bare.event = None;
        bare.provider = None;
        bare.problems.clear();
        bare.auth = Some(AuthCheck::sign(Some("1669872112"), 1669872113, 60, &Ok(1)));
        bare.caller_closed_after_ms = None;
        bare.latency_ms = f64::NAN;
        let mut forwarded = sample();
        forwarded.answer_problems = vec![Violation::new(Where::Backend, "a", "b")];
        forwarded.headers.clear();
        forwarded.auth = None;
        for ex in [full, bare, forwarded] {
            assert_eq!(ex.to_line(), serde_json::to_string(&ex).unwrap());
        }
        use ExchangeVerdict::*;
        for v in [
            Accepted,
            Invalid,
            Refused,
            ForwardFailed,
            InvalidAnswer,
            NotCaptured,
        ] {
            assert_eq!(
                format!("{:?}", v.as_str()),
                serde_json::to_string(&v).unwrap()
            );
        }
    }

    #[test]
    fn json_bodies_parse_and_others_do_not() {
        let mut e = sample();
        assert_eq!(e.body_json(), None);
        e.body_base64 = None;
        e.set_body(br#"{"a":1}"#);
        assert_eq!(e.body_json().unwrap()["a"], 1);
    }
}
