//! Judging documents and answers against the documented envelopes.
//!
//! An answer is judged as the platform does: HTTP 200, a JSON body, the event's response
//! schema, then consistency (`ActionStatus` `OK` goes with `ErrorCode` 0, `FAIL` with a
//! non-zero code) and finally what the run expects ([`Expect`]). Tencent treats any status
//! other than 200 and any body that is not JSON as a failed callback; Huawei CEC counts a push
//! as delivered only on HTTP 200 with `resultCode` `"0"`.

use crate::catalogue::{Event, Side};
use crate::schema;
use crate::violation::{clip, describe, Violation, Where};
use serde::Deserialize;
use serde_json::Value;

/// What the answers are expected to say.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Expect {
    /// A success envelope (`ActionStatus` OK / `resultCode` "0").
    #[default]
    Ok,
    /// A well-formed failure envelope (`ActionStatus` FAIL / `resultCode` not "0").
    Fail,
    /// Any well-formed envelope.
    Any,
}

/// Check one document against an event's request or response schema (and, for a response,
/// the consistency rules).
pub fn check_document(event: &Event, side: Side, doc: &Value) -> Vec<Violation> {
    let mut out = schema::violations(event.validator(side), doc);
    if side == Side::Response {
        out.extend(consistency(event, doc, &out));
    }
    out
}

/// Rules that the schema does not express: `OK` goes with `ErrorCode` 0 and `FAIL` with a
/// non-zero code. Skipped for fields the schema already flagged.
fn consistency(event: &Event, doc: &Value, already: &[Violation]) -> Vec<Violation> {
    let flagged = |p: &str| already.iter().any(|v| v.at == Where::pointer(p));
    if event.is_cec() || flagged("/ErrorCode") || flagged("/ActionStatus") {
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
            Where::pointer("/ErrorCode"),
            "0 because ActionStatus is \"OK\"",
            format!("{c}"),
        )],
        ("FAIL", 0) => vec![Violation::new(
            Where::pointer("/ErrorCode"),
            "a non-zero code because ActionStatus is \"FAIL\"",
            "0",
        )],
        _ => Vec::new(),
    }
}

/// The result of judging one HTTP answer.
#[derive(Debug, Default)]
pub struct Judgement {
    /// The answer's body, when it is JSON.
    pub body: Option<Value>,
    pub violations: Vec<Violation>,
}

/// Judge an answer: status, JSON body, schema, consistency, then the run's expectation.
pub fn check_answer(event: &Event, status: u16, body: &[u8], expect: Expect) -> Judgement {
    let mut j = Judgement::default();
    if status != 200 {
        j.violations
            .push(Violation::new(Where::Status, "200", status.to_string()));
    }
    let text = String::from_utf8_lossy(body);
    if text.trim().is_empty() {
        j.violations.push(Violation::new(
            Where::Body,
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
                Where::Body,
                "a JSON object (the documented envelope)",
                got,
            ));
            return j;
        }
    };
    j.violations
        .extend(check_document(event, Side::Response, &doc));
    if j.violations.iter().all(|v| v.at == Where::Status) {
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
    let field = if event.is_cec() {
        "resultCode"
    } else {
        "ActionStatus"
    };
    let at = Where::pointer(format!("/{field}"));
    let got = doc.get(field).map(describe).unwrap_or_default();
    match expect {
        Expect::Ok if !ok => {
            let want = if event.is_cec() {
                "\"0\" (success)"
            } else {
                "\"OK\""
            };
            let detail = failure_detail(event, doc);
            vec![Violation::new(at, want, format!("{got}{detail}"))]
        }
        Expect::Fail if ok => {
            let want = if event.is_cec() {
                "a failure code (not \"0\")"
            } else {
                "\"FAIL\""
            };
            vec![Violation::new(at, want, got)]
        }
        _ => Vec::new(),
    }
}

/// The longest `ErrorInfo`/`resultDesc` shown whole: a backend's own words are what a developer
/// needs, so they are cut only when absurdly long, and then between words.
const MAX_DETAIL: usize = 1000;

/// `(the backend refused: ErrorCode 1001, ErrorInfo "…")`, the backend's text whole.
fn failure_detail(event: &Event, doc: &Value) -> String {
    let info = |k: &str| {
        doc.get(k)
            .map(|v| clip_between_words(&v.to_string(), MAX_DETAIL))
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

/// At most about `max` characters, cut at a space (never inside a word), saying how much is
/// left out.
fn clip_between_words(s: &str, max: usize) -> String {
    let total = s.chars().count();
    if total <= max {
        return s.to_owned();
    }
    let head: String = s.chars().take(max).collect();
    let head = match head.rfind(char::is_whitespace) {
        Some(i) if i > max / 2 => head[..i].trim_end().to_owned(),
        _ => head,
    };
    let left = total - head.chars().count();
    format!("{head} … ({left} more characters)")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::catalogue;

    #[test]
    fn a_backend_error_info_is_shown_whole() {
        let info = "the order service rejected session 9f1c: customer profile incomplete, retry after the CRM sync finishes";
        let body =
            serde_json::json!({"ActionStatus": "FAIL", "ErrorCode": 1001, "ErrorInfo": info});
        let j = check_answer(
            ev("SessionBegin"),
            200,
            body.to_string().as_bytes(),
            Expect::Ok,
        );
        assert!(j.violations[0].got.contains(info), "{}", j.violations[0]);
        let long = "word ".repeat(400);
        let cut = clip_between_words(&long, MAX_DETAIL);
        assert!(cut.ends_with("more characters)"), "{cut}");
        assert!(cut.contains("word …"), "cut between words: {cut}");
    }

    fn ev(id: &str) -> &'static Event {
        catalogue().find(id).unwrap()
    }

    fn paths(j: &Judgement) -> Vec<String> {
        j.violations.iter().map(|v| v.at.to_string()).collect()
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
