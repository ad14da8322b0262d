//! Judging documents and answers against the documented envelopes.
//!
//! An answer is judged as the platform does: HTTP 200, a JSON body, the event's response
//! schema, then consistency (`ActionStatus` `OK` goes with `ErrorCode` 0, `FAIL` with a
//! non-zero code) and finally what the run expects ([`Expect`]). Tencent treats any status
//! other than 200 and any body that is not JSON as a failed callback; Huawei CEC counts a push
//! as delivered only on HTTP 200 with `resultCode` `"0"`.
//!
//! `--expect refused` judges the other way round ([`classify`]): a 4xx (any body) or a
//! failure envelope passes, a 5xx passes with a [`Warning`] (refused by crashing), and an
//! answer that accepts the callback fails.

use crate::catalogue::{Event, Side};
use crate::schema;
use crate::violation::{clip, describe, Violation, Where};
use serde::Deserialize;
use serde_json::Value;
use std::cell::RefCell;
use std::fmt;
use std::sync::Arc;

/// What the answers are expected to say.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Expect {
    /// A success envelope (`ActionStatus` OK / `resultCode` "0").
    #[default]
    Ok,
    /// A well-formed failure envelope (`ActionStatus` FAIL / `resultCode` not "0").
    Fail,
    /// A refusal: a 4xx (any body) or a failure envelope; a 5xx passes with a warning.
    Refused,
    /// Any well-formed envelope.
    Any,
}

/// How a backend took a callback, read from its answer alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reply {
    /// A 2xx that is not a failure envelope: the backend took the callback.
    Accepted,
    /// A 4xx, or a 2xx with a failure envelope.
    Refused,
    /// A 5xx: refused, but by crashing.
    Crashed,
    /// Anything else (1xx, 3xx): neither taken nor refused.
    Unclear,
}

/// How a backend took a callback: `status` and, when the answer is JSON, its body.
pub fn classify(event: &Event, status: u16, doc: Option<&Value>) -> Reply {
    match status {
        400..=499 => Reply::Refused,
        500..=599 => Reply::Crashed,
        200..=299 if doc.is_some_and(|d| is_failure(event, d)) => Reply::Refused,
        200..=299 => Reply::Accepted,
        _ => Reply::Unclear,
    }
}

/// Whether an answer says failure: `ActionStatus` FAIL or a non-zero `ErrorCode` (Tencent),
/// a `resultCode` other than "0" (CEC). A body with neither field says nothing.
pub fn is_failure(event: &Event, doc: &Value) -> bool {
    let zero = |v: &Value| match v {
        Value::Number(n) => n.as_f64() == Some(0.0),
        Value::String(s) => s.trim() == "0",
        _ => false,
    };
    if event.is_cec() {
        doc.get("resultCode").is_some_and(|c| !zero(c))
    } else {
        doc.get("ActionStatus").and_then(Value::as_str) == Some("FAIL")
            || doc.get("ErrorCode").is_some_and(|c| !zero(c))
    }
}

/// Something worth knowing about an answer that does not fail it: shown beside the
/// delivery, counted in the summary, never a failed check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Warning {
    /// A refusal answered with a 5xx: refused, but by crashing.
    RefusedByCrashing { status: u16 },
    /// A refusal whose failure envelope breaks the documented one.
    RefusalEnvelope(Violation),
}

impl Warning {
    /// A short kind for summaries and JSON: `refused by crashing`, `malformed refusal`.
    pub fn kind(&self) -> &'static str {
        match self {
            Warning::RefusedByCrashing { .. } => "refused by crashing",
            Warning::RefusalEnvelope(_) => "malformed refusal",
        }
    }
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Warning::RefusedByCrashing { status } => write!(
                f,
                "refused by crashing: HTTP {status}; a refusal is a 4xx (401, 403) or a failure envelope, a 5xx reads as an outage"
            ),
            Warning::RefusalEnvelope(v) => {
                write!(f, "the refusal's envelope is not the documented one: {v}")
            }
        }
    }
}

impl serde::Serialize for Warning {
    /// `{"kind": "refused by crashing", "message": "…"}`.
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("Warning", 2)?;
        st.serialize_field("kind", self.kind())?;
        st.serialize_field("message", &self.to_string())?;
        st.end()
    }
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
    /// The answer's body, when it is JSON (shared: a remembered answer is not copied).
    pub body: Option<Arc<Value>>,
    pub violations: Vec<Violation>,
    pub warnings: Vec<Warning>,
}

/// Judge an answer: status, JSON body, schema, consistency, then the run's expectation
/// (`Expect::Refused`: whether the backend refused, [`check_refusal`]).
///
/// A judgement depends on nothing but these four, and a backend under load gives the same
/// answer again and again: each thread remembers the last answer it found clean, and the
/// same bytes for the same event, status and expectation get the same judgement without
/// being parsed and validated again.
pub fn check_answer(event: &Event, status: u16, body: &[u8], expect: Expect) -> Judgement {
    thread_local! {
        static LAST_CLEAN: RefCell<Option<Clean>> = const { RefCell::new(None) };
    }
    let again = LAST_CLEAN.with_borrow(|last| {
        last.as_ref()
            .filter(|c| c.is(event, status, body, expect))
            .map(|c| c.doc.clone())
    });
    if let Some(doc) = again {
        return Judgement {
            body: Some(doc),
            ..Judgement::default()
        };
    }
    let j = judge(event, status, body, expect);
    if let (Some(doc), true, true) = (&j.body, j.violations.is_empty(), j.warnings.is_empty()) {
        LAST_CLEAN.set(Some(Clean {
            event: event as *const Event,
            event_id: event.id.clone(),
            status,
            expect,
            body: body.to_vec(),
            doc: doc.clone(),
        }));
    }
    j
}

/// An answer judged clean: no violation, no warning.
struct Clean {
    /// Compared by address and id: the same catalogue entry, not one that looks alike.
    event: *const Event,
    event_id: String,
    status: u16,
    expect: Expect,
    body: Vec<u8>,
    doc: Arc<Value>,
}

impl Clean {
    fn is(&self, event: &Event, status: u16, body: &[u8], expect: Expect) -> bool {
        std::ptr::eq(self.event, event)
            && self.status == status
            && self.expect == expect
            && self.body == body
            && self.event_id == event.id
    }
}

fn judge(event: &Event, status: u16, body: &[u8], expect: Expect) -> Judgement {
    if expect == Expect::Refused {
        return check_refusal(event, status, body);
    }
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
    j.body = Some(Arc::new(doc));
    j
}

/// Judge an answer that should be a refusal: a 4xx passes whatever its body; a 2xx passes
/// with a failure envelope (warned about when that envelope breaks the documented one); a
/// 5xx passes with a warning; anything that accepts the callback fails, saying so plainly.
pub fn check_refusal(event: &Event, status: u16, body: &[u8]) -> Judgement {
    let doc: Option<Value> = serde_json::from_slice(body).ok();
    let mut j = Judgement::default();
    let expected = if event.is_cec() {
        "a refusal: a 4xx status, or a resultCode other than \"0\""
    } else {
        "a refusal: a 4xx status, or ActionStatus \"FAIL\" with a non-zero ErrorCode"
    };
    match classify(event, status, doc.as_ref()) {
        Reply::Refused if (200..300).contains(&status) => {
            if let Some(d) = &doc {
                j.warnings.extend(
                    check_document(event, Side::Response, d)
                        .into_iter()
                        .map(Warning::RefusalEnvelope),
                );
            }
        }
        Reply::Refused => {}
        Reply::Crashed => j.warnings.push(Warning::RefusedByCrashing { status }),
        Reply::Accepted => {
            let what = if event.is_cec() { "push" } else { "callback" };
            let field = if event.is_cec() {
                "resultCode"
            } else {
                "ActionStatus"
            };
            let violation = match doc.as_ref().and_then(|d| d.get(field)) {
                Some(v) => Violation::new(
                    Where::pointer(format!("/{field}")),
                    expected,
                    format!("{}: the backend accepted the {what}", describe(v)),
                ),
                None => {
                    let body = if body.iter().all(u8::is_ascii_whitespace) {
                        "an empty body"
                    } else if doc.is_none() {
                        "a body that is not JSON"
                    } else {
                        "a JSON body without a failure envelope"
                    };
                    Violation::new(
                        Where::Status,
                        expected,
                        format!("{status} with {body}: the backend took the {what}"),
                    )
                }
            };
            j.violations.push(violation);
        }
        Reply::Unclear => j.violations.push(Violation::new(
            Where::Status,
            expected,
            format!("{status}, neither a refusal nor an acceptance"),
        )),
    }
    j.body = doc.map(Arc::new);
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
    // Only a violation needs these (every answer of a load test comes through here).
    let at = || Where::pointer(format!("/{field}"));
    let got = || doc.get(field).map(describe).unwrap_or_default();
    match expect {
        Expect::Ok if !ok => {
            let want = if event.is_cec() {
                "\"0\" (success)"
            } else {
                "\"OK\""
            };
            let detail = failure_detail(event, doc);
            vec![Violation::new(at(), want, format!("{}{detail}", got()))]
        }
        Expect::Fail if ok => {
            let want = if event.is_cec() {
                "a failure code (not \"0\")"
            } else {
                "\"FAIL\""
            };
            vec![Violation::new(at(), want, got())]
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
    fn a_remembered_answer_is_judged_as_a_fresh_one() {
        let begin = catalogue().find("SessionBegin").unwrap();
        let end = catalogue().find("SessionEnd").unwrap();
        let cec = catalogue().find("cec.read").unwrap();
        let ok: &[u8] = br#"{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0}"#;
        let fail: &[u8] = br#"{"ActionStatus":"FAIL","ErrorInfo":"x","ErrorCode":1}"#;
        let cases: [(&Event, u16, &[u8], Expect); 8] = [
            (begin, 200, ok, Expect::Ok),
            (begin, 200, ok, Expect::Ok),
            (begin, 500, ok, Expect::Ok),
            (begin, 200, ok, Expect::Fail),
            (begin, 200, ok, Expect::Refused),
            (end, 200, ok, Expect::Ok),
            (cec, 200, ok, Expect::Ok),
            (begin, 200, fail, Expect::Ok),
        ];
        let shown = |j: Judgement| format!("{:?} {:?} {:?}", j.body, j.violations, j.warnings);
        // Twice over, so that every case meets the one before it remembered.
        for (event, status, body, expect) in cases.iter().chain(cases.iter()) {
            assert_eq!(
                shown(check_answer(event, *status, body, *expect)),
                shown(judge(event, *status, body, *expect)),
                "{} {status} {expect:?}",
                event.id
            );
        }
    }

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
    fn inconsistency_is_named_beside_another_fields_violation() {
        // A schema violation elsewhere (ErrorInfo a number) does not hide that OK came with a
        // non-zero ErrorCode; only a violation at ErrorCode or ActionStatus itself does.
        let j = check_answer(
            ev("SessionEnd"),
            200,
            br#"{"ActionStatus":"OK","ErrorInfo":5,"ErrorCode":7}"#,
            Expect::Ok,
        );
        assert_eq!(paths(&j), ["/ErrorInfo", "/ErrorCode"]);
    }

    #[test]
    fn cec_answers_have_no_action_status_rules() {
        // ActionStatus and ErrorCode are Tencent's: in a CEC answer they are unknown fields,
        // with no rule tying them together.
        let j = check_answer(
            ev("cec.read"),
            200,
            br#"{"resultCode":"0","resultDesc":"ok","ActionStatus":"OK","ErrorCode":7}"#,
            Expect::Ok,
        );
        assert_eq!(paths(&j), Vec::<String>::new());
    }

    #[test]
    fn a_4xx_refusal_passes_whatever_its_body() {
        // Only a 2xx refusal is held to the failure envelope; a 401 may say anything.
        let j = check_refusal(ev("SessionBegin"), 401, br#"{"error":"bad signature"}"#);
        assert!(j.violations.is_empty() && j.warnings.is_empty(), "{j:?}");
        let j = check_refusal(ev("SessionBegin"), 200, br#"{"ActionStatus":"FAIL"}"#);
        assert!(j.violations.is_empty(), "{j:?}");
        assert!(
            !j.warnings.is_empty(),
            "a 200 refusal's envelope is checked: {j:?}"
        );
    }

    #[test]
    fn expect_fail_refuses_a_success() {
        let j = check_answer(
            ev("SessionEnd"),
            200,
            br#"{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0}"#,
            Expect::Fail,
        );
        assert_eq!(paths(&j), ["/ActionStatus"]);
        assert_eq!(j.violations[0].expected, "\"FAIL\"");
        let j = check_answer(
            ev("cec.read"),
            200,
            br#"{"resultCode":"0","resultDesc":"ok"}"#,
            Expect::Fail,
        );
        assert_eq!(paths(&j), ["/resultCode"]);
    }

    #[test]
    fn a_clip_keeps_most_of_a_long_word() {
        // A space early on is not worth losing most of the text for: cut inside the word.
        let s = format!("a {}", "x".repeat(50));
        assert_eq!(
            clip_between_words(&s, 20),
            format!("a {} … (32 more characters)", "x".repeat(18))
        );
        let s = format!("{} {}", "y".repeat(15), "z".repeat(20));
        assert_eq!(
            clip_between_words(&s, 20),
            format!("{} … (21 more characters)", "y".repeat(15))
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
    fn refused_passes_4xx_and_failure_envelopes_and_warns_on_5xx() {
        let r = |status: u16, body: &[u8]| {
            check_answer(ev("SessionBegin"), status, body, Expect::Refused)
        };
        for (status, body) in [
            (401, &b"<html>no</html>"[..]),
            (403, b""),
            (
                200,
                br#"{"ActionStatus":"FAIL","ErrorInfo":"bad sign","ErrorCode":401}"#,
            ),
        ] {
            let j = r(status, body);
            assert!(
                j.violations.is_empty() && j.warnings.is_empty(),
                "{status}: {j:?}"
            );
        }
        let j = r(500, b"");
        assert!(j.violations.is_empty());
        assert_eq!(j.warnings, [Warning::RefusedByCrashing { status: 500 }]);
        assert!(j.warnings[0]
            .to_string()
            .starts_with("refused by crashing: HTTP 500"));
        // A refusal in a broken envelope still refuses; the envelope is a warning.
        let j = r(200, br#"{"ActionStatus":"FAIL","ErrorCode":1}"#);
        assert!(j.violations.is_empty());
        assert_eq!(j.warnings.len(), 1, "{:?}", j.warnings);
        assert_eq!(j.warnings[0].kind(), "malformed refusal");
    }

    #[test]
    fn refused_fails_an_accepted_callback_plainly() {
        let j = check_answer(
            ev("SessionBegin"),
            200,
            br#"{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0}"#,
            Expect::Refused,
        );
        assert_eq!(paths(&j), ["/ActionStatus"]);
        assert!(
            j.violations[0]
                .got
                .contains("the backend accepted the callback"),
            "{}",
            j.violations[0]
        );
        let j = check_answer(ev("SessionBegin"), 200, b"", Expect::Refused);
        assert_eq!(paths(&j), ["HTTP status"]);
        assert!(
            j.violations[0].got.contains("an empty body"),
            "{}",
            j.violations[0]
        );
        let j = check_answer(
            ev("cec.read"),
            200,
            br#"{"resultCode":"0","resultDesc":"success."}"#,
            Expect::Refused,
        );
        assert!(
            j.violations[0].got.contains("accepted the push"),
            "{}",
            j.violations[0]
        );
        let j = check_answer(
            ev("cec.read"),
            200,
            br#"{"resultCode":"0401"}"#,
            Expect::Refused,
        );
        assert!(j.violations.is_empty());
        let j = check_answer(ev("SessionBegin"), 302, b"", Expect::Refused);
        assert_eq!(paths(&j), ["HTTP status"]);
    }

    #[test]
    fn classify_reads_status_then_envelope() {
        let e = ev("SessionBegin");
        let fail = serde_json::json!({"ActionStatus": "OK", "ErrorCode": 7});
        assert_eq!(classify(e, 200, Some(&fail)), Reply::Refused);
        assert_eq!(classify(e, 200, None), Reply::Accepted);
        assert_eq!(classify(e, 204, None), Reply::Accepted);
        assert_eq!(classify(e, 404, None), Reply::Refused);
        assert_eq!(classify(e, 503, None), Reply::Crashed);
        assert_eq!(classify(e, 301, None), Reply::Unclear);
        let ok = serde_json::json!({"ActionStatus": "OK", "ErrorCode": 0, "ErrorInfo": ""});
        assert_eq!(classify(e, 200, Some(&ok)), Reply::Accepted);
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
