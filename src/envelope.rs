//! Judging documents and answers against the documented envelopes.
//!
//! Every problem becomes a [`Violation`] naming the JSON path (a JSON Pointer such as
//! `/AgentIdList/0`), what was expected and what came. An answer is judged as the platform
//! does (PROTOCOL.md §1.3, §4.2): HTTP 200, a JSON body, the event's response schema, then
//! consistency (`ActionStatus` OK goes with `ErrorCode` 0) and the run's expectation.

use crate::catalogue::{Event, Side};
use crate::cli::Expect;
use jsonschema::error::{TypeKind, ValidationErrorKind};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::fmt;

/// One reason a document or an answer is not what the documentation says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Violation {
    /// JSON Pointer into the body (`/ErrorCode`), or `HTTP status` / `body` for the transport envelope.
    pub path: String,
    pub expected: String,
    pub got: String,
}

impl Violation {
    pub fn new(
        path: impl Into<String>,
        expected: impl Into<String>,
        got: impl Into<String>,
    ) -> Self {
        Violation {
            path: path.into(),
            expected: expected.into(),
            got: got.into(),
        }
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: expected {}, got {}",
            self.path, self.expected, self.got
        )
    }
}

/// "a string", "an integer", … for messages.
pub fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "an integer",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// A value as it appears in a message: its kind and a short rendering.
pub fn describe(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Array(a) => format!("an array of {} item(s)", a.len()),
        Value::Object(_) => "an object".into(),
        other => format!("{} {}", json_kind(other), clip(&other.to_string(), 80)),
    }
}

/// At most `max` characters, with an ellipsis when cut.
pub fn clip(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_owned()
    } else {
        let mut out: String = s.chars().take(max).collect();
        out.push('…');
        out
    }
}

/// Check one document against an event's request or response schema (and, for a response,
/// the consistency rules).
pub fn check_document(event: &Event, side: Side, doc: &Value) -> Vec<Violation> {
    let mut out = schema_violations(event, side, doc);
    if side == Side::Response {
        out.extend(consistency(event, doc, &out));
    }
    out
}

/// Schema violations, in document order.
pub fn schema_violations(event: &Event, side: Side, doc: &Value) -> Vec<Violation> {
    validator_violations(event.validator(side), doc)
}

/// Violations of one compiled schema.
pub fn validator_violations(validator: &jsonschema::Validator, doc: &Value) -> Vec<Violation> {
    if validator.is_valid(doc) {
        return Vec::new();
    }
    let mut out: Vec<Violation> = validator
        .iter_errors(doc)
        .map(|e| from_schema_error(&e))
        .collect();
    out.dedup();
    out
}

fn from_schema_error(e: &jsonschema::ValidationError<'_>) -> Violation {
    let path = e.instance_path().to_string();
    let instance = e.instance();
    let got = describe(instance);
    match e.kind() {
        ValidationErrorKind::Required { property } => {
            let name = property.as_str().unwrap_or_default();
            Violation::new(
                format!("{path}/{name}"),
                "a required field",
                "nothing (the field is missing)",
            )
        }
        ValidationErrorKind::Type { kind } => Violation::new(path, type_name(kind), got),
        ValidationErrorKind::Enum { options } => Violation::new(path, one_of(options), got),
        ValidationErrorKind::Constant { expected_value } => {
            Violation::new(path, expected_value.to_string(), got)
        }
        ValidationErrorKind::Minimum { limit } => {
            Violation::new(path, format!("a number ≥ {limit}"), got)
        }
        ValidationErrorKind::Maximum { limit } => {
            Violation::new(path, format!("a number ≤ {limit}"), got)
        }
        ValidationErrorKind::MinLength { limit } => {
            Violation::new(path, format!("at least {limit} character(s)"), got)
        }
        ValidationErrorKind::MaxLength { limit } => {
            Violation::new(path, format!("at most {limit} characters"), got)
        }
        ValidationErrorKind::MinItems { limit } => {
            Violation::new(path, format!("at least {limit} item(s)"), got)
        }
        ValidationErrorKind::MaxItems { limit } => {
            Violation::new(path, format!("at most {limit} item(s)"), got)
        }
        ValidationErrorKind::Pattern { pattern } => {
            Violation::new(path, format!("a string matching {pattern}"), got)
        }
        ValidationErrorKind::Contains => Violation::new(path, "at most one TIMCustomElem", got),
        _ => Violation::new(path, clip(&e.to_string(), 160), got),
    }
}

fn type_name(kind: &TypeKind) -> String {
    let name = |t: &jsonschema::JsonType| match t.to_string().as_str() {
        "integer" => "an integer".to_owned(),
        "object" => "an object".to_owned(),
        "array" => "an array".to_owned(),
        "null" => "null".to_owned(),
        other => format!("a {other}"),
    };
    match kind {
        TypeKind::Single(t) => name(t),
        TypeKind::Multiple(set) => set
            .iter()
            .map(|t| name(&t))
            .collect::<Vec<_>>()
            .join(" or "),
    }
}

fn one_of(options: &Value) -> String {
    match options.as_array() {
        Some(items) => {
            let list: Vec<String> = items.iter().map(Value::to_string).collect();
            format!("one of {}", list.join(", "))
        }
        None => options.to_string(),
    }
}

/// Rules that the schema does not express: `OK` goes with `ErrorCode` 0 and `FAIL` with a
/// non-zero code. Skipped for fields the schema already flagged.
fn consistency(event: &Event, doc: &Value, already: &[Violation]) -> Vec<Violation> {
    if event.is_cec()
        || already
            .iter()
            .any(|v| v.path == "/ErrorCode" || v.path == "/ActionStatus")
    {
        return Vec::new();
    }
    let (Some(status), Some(code)) = (
        doc.get("ActionStatus").and_then(Value::as_str),
        doc.get("ErrorCode").and_then(Value::as_i64),
    ) else {
        return Vec::new();
    };
    match (status, code) {
        ("OK", c) if c != 0 => vec![Violation::new(
            "/ErrorCode",
            "0 because ActionStatus is \"OK\"",
            format!("{c}"),
        )],
        ("FAIL", 0) => vec![Violation::new(
            "/ErrorCode",
            "a non-zero code because ActionStatus is \"FAIL\"",
            "0",
        )],
        _ => Vec::new(),
    }
}

/// The result of judging one HTTP answer.
#[derive(Debug, Default)]
pub struct Judgement {
    pub body: Option<Value>,
    pub violations: Vec<Violation>,
}

/// Judge an answer: status, JSON body, schema, consistency, then the run's expectation.
pub fn check_answer(event: &Event, status: u16, body: &[u8], expect: Expect) -> Judgement {
    let mut j = Judgement::default();
    if status != 200 {
        j.violations
            .push(Violation::new("HTTP status", "200", status.to_string()));
    }
    let text = String::from_utf8_lossy(body);
    if text.trim().is_empty() {
        j.violations.push(Violation::new(
            "body",
            "a JSON object (the documented envelope)",
            "an empty body",
        ));
        return j;
    }
    let doc: Value = match serde_json::from_slice(body) {
        Ok(v) => v,
        Err(e) => {
            let got = format!("text that is not JSON ({e}): {}", clip(text.trim(), 60));
            j.violations.push(Violation::new(
                "body",
                "a JSON object (the documented envelope)",
                got,
            ));
            return j;
        }
    };
    j.violations
        .extend(check_document(event, Side::Response, &doc));
    if j.violations.iter().all(|v| v.path == "HTTP status") {
        j.violations.extend(expectation(event, &doc, expect));
    }
    j.body = Some(doc);
    j
}

/// Whether a well-formed answer is a success (`ActionStatus` OK / `resultCode` "0").
pub fn is_success(event: &Event, doc: &Value) -> bool {
    if event.is_cec() {
        doc.get("resultCode").and_then(Value::as_str) == Some("0")
    } else {
        doc.get("ActionStatus").and_then(Value::as_str) == Some("OK")
    }
}

fn expectation(event: &Event, doc: &Value, expect: Expect) -> Vec<Violation> {
    let ok = is_success(event, doc);
    let (path, field) = if event.is_cec() {
        ("/resultCode", "resultCode")
    } else {
        ("/ActionStatus", "ActionStatus")
    };
    let got = doc.get(field).map(describe).unwrap_or_default();
    let detail = failure_detail(event, doc);
    match expect {
        Expect::Ok if !ok => {
            let want = if event.is_cec() {
                "\"0\" (success)"
            } else {
                "\"OK\""
            };
            vec![Violation::new(path, want, format!("{got}{detail}"))]
        }
        Expect::Fail if ok => {
            let want = if event.is_cec() {
                "a failure code (not \"0\")"
            } else {
                "\"FAIL\""
            };
            vec![Violation::new(path, want, got)]
        }
        _ => Vec::new(),
    }
}

/// `(the backend refused: ErrorCode 1001, ErrorInfo "…")`.
fn failure_detail(event: &Event, doc: &Value) -> String {
    let info = |k: &str| {
        doc.get(k)
            .map(|v| clip(&v.to_string(), 80))
            .unwrap_or_else(|| "-".into())
    };
    if event.is_cec() {
        format!(
            " (the backend refused the push: resultDesc {})",
            info("resultDesc")
        )
    } else {
        format!(
            " (the backend refused the callback: ErrorCode {}, ErrorInfo {})",
            info("ErrorCode"),
            info("ErrorInfo")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::catalogue;

    fn ev(id: &str) -> &'static Event {
        catalogue().find(id).unwrap()
    }

    fn paths(j: &Judgement) -> Vec<String> {
        j.violations.iter().map(|v| v.path.clone()).collect()
    }

    #[test]
    fn good_answer_passes() {
        let j = check_answer(
            ev("SessionBegin"),
            200,
            br#"{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0}"#,
            Expect::Ok,
        );
        assert!(j.violations.is_empty(), "{:?}", j.violations);
    }

    #[test]
    fn error_code_as_string_names_the_field() {
        let j = check_answer(
            ev("SessionBegin"),
            200,
            br#"{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":"0"}"#,
            Expect::Ok,
        );
        assert_eq!(paths(&j), ["/ErrorCode"]);
        assert_eq!(j.violations[0].expected, "an integer");
        assert_eq!(j.violations[0].got, "a string \"0\"");
    }

    #[test]
    fn missing_lowercase_and_inconsistent() {
        let j = check_answer(
            ev("SessionEnd"),
            200,
            br#"{"ActionStatus":"OK","ErrorInfo":""}"#,
            Expect::Ok,
        );
        assert_eq!(paths(&j), ["/ErrorCode"]);
        assert!(j.violations[0].got.contains("missing"));
        let j = check_answer(
            ev("SessionEnd"),
            200,
            br#"{"ActionStatus":"ok","ErrorInfo":"","ErrorCode":0}"#,
            Expect::Ok,
        );
        assert_eq!(paths(&j), ["/ActionStatus"]);
        let j = check_answer(
            ev("SessionEnd"),
            200,
            br#"{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":7}"#,
            Expect::Ok,
        );
        assert_eq!(
            j.violations[0].to_string(),
            "/ErrorCode: expected 0 because ActionStatus is \"OK\", got 7"
        );
    }

    #[test]
    fn transport_envelope() {
        let j = check_answer(ev("SessionBegin"), 500, b"", Expect::Ok);
        assert_eq!(paths(&j), ["HTTP status", "body"]);
        let j = check_answer(
            ev("SessionBegin"),
            200,
            b"<html><body>hi</body></html>",
            Expect::Ok,
        );
        assert_eq!(paths(&j), ["body"]);
        assert!(j.violations[0].got.contains("<html>"));
    }

    #[test]
    fn assignment_and_cec_shapes() {
        let j = check_answer(
            ev("ChatBot.OnAssignHuman"),
            200,
            br#"{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0,"AgentIdList":"penn_svc"}"#,
            Expect::Ok,
        );
        assert_eq!(paths(&j), ["/AgentIdList"]);
        let j = check_answer(
            ev("cec.connected"),
            200,
            br#"{"resultCode":0,"resultDesc":"success."}"#,
            Expect::Ok,
        );
        assert_eq!(paths(&j), ["/resultCode"]);
        let j = check_answer(
            ev("cec.connected"),
            200,
            br#"{"resultCode":"0","resultDesc":"success."}"#,
            Expect::Ok,
        );
        assert!(j.violations.is_empty());
    }

    #[test]
    fn expectation_of_fail_answers() {
        let fail = br#"{"ActionStatus":"FAIL","ErrorInfo":"busy","ErrorCode":1001}"#;
        let j = check_answer(ev("SessionBegin"), 200, fail, Expect::Ok);
        assert_eq!(paths(&j), ["/ActionStatus"]);
        assert!(
            j.violations[0].got.contains("ErrorCode 1001"),
            "{}",
            j.violations[0]
        );
        assert!(check_answer(ev("SessionBegin"), 200, fail, Expect::Fail)
            .violations
            .is_empty());
        assert!(check_answer(ev("SessionBegin"), 200, fail, Expect::Any)
            .violations
            .is_empty());
        let j = check_answer(
            ev("SessionBegin"),
            200,
            br#"{"ActionStatus":"FAIL","ErrorInfo":"","ErrorCode":0}"#,
            Expect::Any,
        );
        assert_eq!(paths(&j), ["/ErrorCode"]);
    }
}
