//! What the page reads of an exchange: the list row ([`summary`]) and the whole of it
//! ([`detail`]): parameters, headers, the body parsed, each violation with its kind, the
//! credential check explained, the answer, and commands that reproduce the callback.
//!
//! Nothing here shows a token, and no `Sign` that may be valid leaves the inspector: the
//! received one is shown only when the check proved it was not made with listen's token
//! ([`sign_is_shown`]); elsewhere it reads `(hidden)`.

use super::commands;
use super::conversation::{self, Talk};
use super::hub::Entry;
use crate::exchange::{AuthCheck, AuthOutcome, AuthScheme, Exchange, ExchangeVerdict};
use crate::server::is_push_path;
use crate::violation::{clip, Violation, Where};
use serde::Serialize;
use serde_json::Value;
use url::Url;

/// What the views need to know about the run.
pub struct Context {
    /// The receiver's URL: copied commands send there.
    pub listen: Url,
    /// Whether listen checks credentials (`--token`).
    pub token_set: bool,
    /// `--forward-to`, as it may be shown.
    pub forward: Option<String>,
}

/// What replaces a `Sign` that may be valid.
pub const HIDDEN: &str = "(hidden)";

/// Longest body excerpt a list row carries for the free-text filter.
const SNIPPET: usize = 600;

/// A list row.
#[derive(Serialize)]
pub struct Summary<'a> {
    pub id: u64,
    pub seq: u64,
    pub at_ms: u64,
    pub provider: Option<&'a str>,
    pub event: Option<&'a str>,
    /// Tencent's `CallbackCommand` URL parameter.
    pub command: Option<String>,
    /// The conversation: `SessionId`, or `cec:<user>` for a CEC push.
    pub session: Option<String>,
    pub verdict: &'static str,
    /// Why it is not accepted, in one line.
    pub reason: Option<String>,
    pub status: u16,
    pub latency_ms: f64,
    pub method: &'a str,
    pub path: &'a str,
    pub history: bool,
    pub talk: Option<Talk>,
    /// The start of the body, for the free-text filter.
    pub snippet: String,
}

/// One violation, with the kind of place it is at (`pointer` paths are into the body).
#[derive(Debug, Serialize)]
pub struct ViolationView {
    pub path: String,
    pub kind: &'static str,
    pub expected: String,
    pub got: String,
}

impl From<&Violation> for ViolationView {
    fn from(v: &Violation) -> ViolationView {
        let kind = match &v.at {
            Where::Pointer(_) => "pointer",
            Where::Param(_) => "param",
            Where::Status => "status",
            Where::Body => "body",
            Where::Latency => "latency",
            Where::Request => "request",
            Where::Backend => "backend",
        };
        ViolationView {
            path: v.at.to_string(),
            kind,
            expected: v.expected.clone(),
            got: v.got.clone(),
        }
    }
}

pub fn is_cec(ex: &Exchange) -> bool {
    ex.provider.as_deref() == Some("huawei") || is_push_path(&ex.path)
}

/// The list row of an entry.
pub fn summary<'a>(entry: &'a Entry, _ctx: &Context) -> Summary<'a> {
    let ex = &entry.ex;
    let cec = is_cec(ex);
    let body = ex.body_json();
    let talk = body.as_ref().and_then(|b| conversation::talk(cec, b));
    // A refused callback was never recognised by the receiver: name it for the list anyway.
    let recognised = match ex.event {
        None => super::resend::recognise(ex).ok(),
        Some(_) => None,
    };
    let snippet = ex
        .body
        .as_deref()
        .map(|b| clip(b, SNIPPET))
        .unwrap_or_default();
    Summary {
        id: entry.id,
        seq: ex.seq,
        at_ms: ex.received_at_ms,
        provider: ex
            .provider
            .as_deref()
            .or(recognised.map(|e| e.provider.as_str())),
        event: ex.event.as_deref().or(recognised.map(|e| e.id.as_str())),
        command: param(&ex.query, "CallbackCommand"),
        session: conversation::key(ex.session_id.as_deref(), cec, body.as_ref()),
        verdict: ex.verdict.as_str(),
        reason: reason(ex),
        status: ex.status,
        latency_ms: ex.latency_ms,
        method: &ex.method,
        path: &ex.path,
        history: entry.from_history,
        talk,
        snippet,
    }
}

/// Why an exchange is not accepted, in one line.
fn reason(ex: &Exchange) -> Option<String> {
    let problems = match ex.verdict {
        ExchangeVerdict::Accepted => return None,
        ExchangeVerdict::InvalidAnswer => &ex.answer_problems,
        _ => &ex.problems,
    };
    let first = problems.first()?;
    let one = match (ex.verdict, &first.at) {
        // A refusal's message is the whole story.
        (ExchangeVerdict::Refused | ExchangeVerdict::ForwardFailed, Where::Request) => {
            first.got.clone()
        }
        _ => first.to_string(),
    };
    Some(match problems.len() {
        1 => one,
        n => format!("{one} (+{} more)", n - 1),
    })
}

/// The first value of a query parameter, decoded.
pub fn param(query: &str, name: &str) -> Option<String> {
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// Whether the received `Sign` may be shown: only when the check proved that listen's token
/// did not make it (so it is no credential here). A `Sign` that verified, a stale one (right,
/// but late) and one nobody checked stay hidden.
pub fn sign_is_shown(ex: &Exchange) -> bool {
    matches!(
        ex.auth.as_ref().map(|a| a.outcome),
        Some(AuthOutcome::WrongToken | AuthOutcome::Reversed)
    )
}

/// The raw query with a `Sign` that may be valid replaced by [`HIDDEN`], every other byte kept.
pub fn shown_query(ex: &Exchange) -> String {
    if sign_is_shown(ex) {
        return ex.query.clone();
    }
    hide_sign(&ex.query)
}

/// The raw query with each `Sign` value replaced by [`HIDDEN`] (percent-encoded).
pub fn hide_sign(query: &str) -> String {
    query
        .split('&')
        .map(|seg| {
            let key = seg.split('=').next().unwrap_or_default();
            if decoded(key) == "Sign" {
                format!("{key}=%28hidden%29")
            } else {
                seg.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("&")
}

fn decoded(s: &str) -> String {
    url::form_urlencoded::parse(s.as_bytes())
        .next()
        .map(|(k, _)| k.into_owned())
        .unwrap_or_default()
}

/// An exchange whole.
#[derive(Serialize)]
pub struct Detail<'a> {
    #[serde(flatten)]
    pub summary: Summary<'a>,
    pub received_at_ms: u64,
    pub answered_at_ms: u64,
    pub remote: &'a str,
    pub query: String,
    pub params: Vec<(String, String)>,
    pub headers: &'a [(String, String)],
    pub body: BodyView,
    pub problems: Vec<ViolationView>,
    pub auth: AuthView,
    pub answer: AnswerView,
    pub commands: commands::Commands,
    /// Why Replay cannot send this exchange, when it cannot.
    pub not_replayable: Option<String>,
}

/// The request body: parsed when it is JSON, else its text, else its size.
#[derive(Serialize)]
pub struct BodyView {
    pub json: Option<Value>,
    pub text: Option<String>,
    /// Bytes of a body that is not UTF-8 (kept as base64 in the capture).
    pub binary_bytes: Option<usize>,
}

/// The answer given to the caller, and who gave it.
#[derive(Serialize)]
pub struct AnswerView {
    /// `deskhook`, `backend` (the `--forward-to` backend), or unknown (a capture of another run).
    pub by: Option<&'static str>,
    pub backend: Option<String>,
    pub status: u16,
    pub json: Option<Value>,
    pub text: String,
    pub problems: Vec<ViolationView>,
}

/// The whole of an entry.
pub fn detail<'a>(entry: &'a Entry, ctx: &Context) -> Detail<'a> {
    let ex = &entry.ex;
    let query = shown_query(ex);
    let params = url::form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    let body = match (&ex.body, ex.body_json()) {
        (_, Some(json)) => BodyView {
            json: Some(json),
            text: None,
            binary_bytes: None,
        },
        (Some(text), None) => BodyView {
            json: None,
            text: Some(text.clone()),
            binary_bytes: None,
        },
        (None, None) => BodyView {
            json: None,
            text: None,
            binary_bytes: ex.body_bytes().ok().map(|b| b.len()),
        },
    };
    Detail {
        summary: summary(entry, ctx),
        received_at_ms: ex.received_at_ms,
        answered_at_ms: ex.answered_at_ms,
        remote: &ex.remote,
        query,
        params,
        headers: &ex.headers,
        body,
        problems: ex.problems.iter().map(ViolationView::from).collect(),
        auth: auth_view(entry, ctx),
        answer: answer_view(entry, ctx),
        commands: commands::commands(ex, &ctx.listen),
        not_replayable: super::resend::replayable(ex).err(),
    }
}

fn answer_view(entry: &Entry, ctx: &Context) -> AnswerView {
    let ex = &entry.ex;
    let by = if entry.from_history {
        None
    } else if ctx.forward.is_some()
        && !matches!(
            ex.verdict,
            ExchangeVerdict::Refused | ExchangeVerdict::ForwardFailed
        )
    {
        Some("backend")
    } else {
        Some("deskhook")
    };
    AnswerView {
        by,
        backend: ctx.forward.clone().filter(|_| by == Some("backend")),
        status: ex.status,
        json: serde_json::from_str(&ex.answer).ok(),
        text: ex.answer.clone(),
        problems: ex.answer_problems.iter().map(ViolationView::from).collect(),
    }
}

/// The credential check, explained.
#[derive(Serialize, Default)]
pub struct AuthView {
    /// `sign`, `bearer`, or none when no credential applies or none was checked.
    pub scheme: Option<AuthScheme>,
    /// `ok`, `failed`, `not_checked` (no token), `not_reached` (refused before the check),
    /// `not_recorded` (a capture line without the record).
    pub state: &'static str,
    pub outcome: Option<AuthOutcome>,
    /// One sentence: what happened.
    pub headline: String,
    /// What a right credential is (never the value itself).
    pub expected: String,
    /// What came (a `Sign` only when it is proven wrong).
    pub came: String,
    pub request_time: Option<u64>,
    pub server_time: Option<u64>,
    /// `RequestTime` minus the receiver's clock, seconds: negative is old, positive is ahead.
    pub skew_s: Option<i64>,
    pub tolerance_s: Option<u64>,
    /// Each check in the order the receiver makes them.
    pub steps: Vec<Step>,
}

/// One check of the credential.
#[derive(Serialize)]
pub struct Step {
    pub check: String,
    /// `ok`, `failed` or `not_reached`.
    pub result: &'static str,
    pub detail: String,
}

fn step(check: impl Into<String>, result: &'static str, detail: impl Into<String>) -> Step {
    Step {
        check: check.into(),
        result,
        detail: detail.into(),
    }
}

fn auth_view(entry: &Entry, ctx: &Context) -> AuthView {
    let ex = &entry.ex;
    match &ex.auth {
        Some(a) if a.scheme == AuthScheme::Sign => sign_view(ex, a),
        Some(a) => bearer_view(ex, a),
        None => unchecked_view(entry, ctx),
    }
}

fn unchecked_view(entry: &Entry, ctx: &Context) -> AuthView {
    let ex = &entry.ex;
    let (state, headline) = if entry.from_history {
        (
            "not_recorded",
            "not recorded: this capture line has no record of a credential check (listen had no --token, or the request was refused before it)",
        )
    } else if !ctx.token_set {
        (
            "not_checked",
            "not checked: listen runs without --token, so Sign/RequestTime and Bearer are not verified",
        )
    } else {
        (
            "not_reached",
            "not reached: the request was refused before the credential check",
        )
    };
    let came = if is_cec(ex) {
        header(ex, "authorization").map_or("no Authorization header".to_owned(), |v| {
            format!("Authorization: {v}")
        })
    } else {
        came_sign(ex, None)
    };
    AuthView {
        state,
        headline: headline.to_owned(),
        came,
        ..AuthView::default()
    }
}

fn header<'a>(ex: &'a Exchange, name: &str) -> Option<&'a str> {
    ex.headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// What came of `Sign`/`RequestTime`, the `Sign` hidden unless proven wrong.
fn came_sign(ex: &Exchange, a: Option<&AuthCheck>) -> String {
    let sign = match param(&ex.query, "Sign") {
        None => "no Sign".to_owned(),
        Some(s) if sign_is_shown(ex) => format!("Sign {s}"),
        Some(s) => format!("Sign {HIDDEN} ({} characters)", s.chars().count()),
    };
    let time = match param(&ex.query, "RequestTime") {
        None => "no RequestTime".to_owned(),
        Some(t) => match a.and_then(|a| a.request_time) {
            Some(_) => format!("RequestTime {t}"),
            None if a.is_some() => format!("RequestTime {t:?} (not Unix seconds)"),
            None => format!("RequestTime {t}"),
        },
    };
    format!("{sign}, {time}")
}

/// `N s old` / `N s in the future` / `on time`.
fn skew_words(skew: i64) -> String {
    match skew {
        0 => "exactly on the receiver's clock".to_owned(),
        s if s < 0 => format!("{} s behind the receiver's clock (old)", -s),
        s => format!("{s} s ahead of the receiver's clock (in the future)"),
    }
}

fn sign_view(ex: &Exchange, a: &AuthCheck) -> AuthView {
    let tol = a.tolerance_s.unwrap_or(60);
    let skew = match (a.request_time, a.server_time) {
        (Some(r), Some(n)) => Some(r as i64 - n as i64),
        _ => None,
    };
    let has = |name| param(&ex.query, name).is_some();
    let reached = |o: &[AuthOutcome]| !o.contains(&a.outcome);
    use AuthOutcome::*;
    let present = |name: &'static str, failed: AuthOutcome, earlier: &[AuthOutcome]| {
        let result = if !reached(earlier) {
            "not_reached"
        } else if a.outcome == failed || !has(name) {
            "failed"
        } else {
            "ok"
        };
        step(format!("{name} is in the URL"), result, "")
    };
    let seconds = match a.outcome {
        MissingSign | MissingRequestTime => step("RequestTime is Unix seconds", "not_reached", ""),
        NotSeconds => step(
            "RequestTime is Unix seconds",
            "failed",
            "a decimal number of seconds such as 1669872112 (13 digits are milliseconds)",
        ),
        _ => step("RequestTime is Unix seconds", "ok", ""),
    };
    let hash = match a.outcome {
        Ok | Stale => step(
            "Sign = sha256(token ‖ RequestTime) for listen's --token",
            "ok",
            "made with the configured token",
        ),
        Reversed => step(
            "Sign = sha256(token ‖ RequestTime) for listen's --token",
            "failed",
            "it is sha256(RequestTime ‖ token): the two inputs in the wrong order",
        ),
        WrongToken => step(
            "Sign = sha256(token ‖ RequestTime) for listen's --token",
            "failed",
            "another token made it (or another RequestTime)",
        ),
        _ => step(
            "Sign = sha256(token ‖ RequestTime) for listen's --token",
            "not_reached",
            "",
        ),
    };
    let clock_check = format!("RequestTime within ±{tol} s of the receiver's clock");
    let clock = match skew {
        Some(s) if s.unsigned_abs() <= tol => step(clock_check, "ok", skew_words(s)),
        Some(s) => step(clock_check, "failed", skew_words(s)),
        None => step(clock_check, "not_reached", ""),
    };
    let headline = match a.outcome {
        Ok => format!(
            "verified: the Sign is made with listen's token, and RequestTime is {}",
            skew.map_or("within the tolerance".to_owned(), skew_words)
        ),
        MissingSign => "refused: the URL has no Sign parameter".to_owned(),
        MissingRequestTime => "refused: the URL has no RequestTime parameter".to_owned(),
        NotSeconds => "refused: RequestTime is not Unix seconds".to_owned(),
        Stale => format!(
            "refused: the Sign is right, but RequestTime is {} (allowed ±{tol} s)",
            skew.map_or("out of tolerance".to_owned(), skew_words)
        ),
        Reversed => {
            "refused: the Sign is sha256(RequestTime ‖ token), the inputs reversed".to_owned()
        }
        WrongToken => {
            "refused: the Sign is not sha256(token ‖ RequestTime) for listen's token".to_owned()
        }
        MissingHeader | NotBearer => "refused".to_owned(),
    };
    AuthView {
        scheme: Some(AuthScheme::Sign),
        state: if a.outcome == Ok { "ok" } else { "failed" },
        outcome: Some(a.outcome),
        headline,
        expected: format!(
            "Sign = lowercase hex sha256(token ‖ RequestTime) with listen's --token (the value is never shown), RequestTime in Unix seconds within ±{tol} s of the receiver's clock{}",
            a.server_time.map_or(String::new(), |n| format!(" ({n} at the check)"))
        ),
        came: came_sign(ex, Some(a)),
        request_time: a.request_time,
        server_time: a.server_time,
        skew_s: skew,
        tolerance_s: Some(tol),
        steps: vec![
            present("Sign", MissingSign, &[]),
            present("RequestTime", MissingRequestTime, &[MissingSign]),
            seconds,
            hash,
            clock,
        ],
    }
}

fn bearer_view(ex: &Exchange, a: &AuthCheck) -> AuthView {
    use AuthOutcome::*;
    let result = |failed: AuthOutcome, earlier: &[AuthOutcome]| {
        if earlier.contains(&a.outcome) {
            "not_reached"
        } else if a.outcome == failed {
            "failed"
        } else {
            "ok"
        }
    };
    let headline = match a.outcome {
        Ok => "verified: Authorization: Bearer carries listen's token",
        MissingHeader => "refused: no Authorization header",
        NotBearer => "refused: Authorization does not use the Bearer scheme",
        WrongToken => "refused: the Bearer value is not listen's token",
        _ => "refused",
    };
    AuthView {
        scheme: Some(AuthScheme::Bearer),
        state: if a.outcome == Ok { "ok" } else { "failed" },
        outcome: Some(a.outcome),
        headline: headline.to_owned(),
        expected: "Authorization: Bearer <listen's --token> (the value is never shown)".to_owned(),
        came: header(ex, "authorization").map_or("no Authorization header".to_owned(), |v| {
            format!("Authorization: {v}")
        }),
        steps: vec![
            step(
                "Authorization header present",
                result(MissingHeader, &[]),
                "",
            ),
            step(
                "the Bearer scheme (\"Bearer <token>\")",
                result(NotBearer, &[MissingHeader]),
                "",
            ),
            step(
                "the value is listen's --token",
                result(WrongToken, &[MissingHeader, NotBearer]),
                "compared in constant time",
            ),
        ],
        ..AuthView::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sign_is_hidden_unless_proven_wrong() {
        let q = "SdkAppid=1&Sign=abc&RequestTime=5&x=%53ign";
        assert_eq!(
            hide_sign(q),
            "SdkAppid=1&Sign=%28hidden%29&RequestTime=5&x=%53ign"
        );
        assert_eq!(hide_sign("%53ign=abc"), "%53ign=%28hidden%29");
        assert_eq!(hide_sign(""), "");
    }

    #[test]
    fn skew_reads_in_words() {
        assert_eq!(skew_words(-75), "75 s behind the receiver's clock (old)");
        assert!(skew_words(3).contains("ahead"));
    }
}
