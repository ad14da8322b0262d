//! Tencent Desk callbacks at the receiver: recognised by the `CallbackCommand` URL parameter
//! on any path; `SdkAppid` must be this app's (else 403); with a token, `Sign`/`RequestTime`
//! must verify within the tolerance (else 401); the body is validated against its event's
//! schema.

use super::{Checked, Config, Refusal};
use crate::catalogue::{catalogue, Side};
use crate::clock::now_ms;
use crate::envelope::check_document;
use crate::exchange::AuthCheck;
use crate::query;
use crate::sign::verify;
use crate::violation::{describe, Violation, Where};
use hyper::http::request::Parts;
use serde_json::Value;

/// Check a Tencent callback and recognise its event; `auth` records the signature check.
pub fn check(
    parts: &Parts,
    bytes: &[u8],
    cfg: &Config,
    auth: &mut Option<AuthCheck>,
) -> Result<Checked, Refusal> {
    let raw = parts.uri.query().unwrap_or_default();
    let [command, sdkappid, sign, time] =
        query::params(raw, ["CallbackCommand", "SdkAppid", "Sign", "RequestTime"]);
    let Some(command) = command else {
        return Err(Refusal::new(400, "missing URL parameter CallbackCommand (Tencent callbacks carry SdkAppid, CallbackCommand, contenttype, ClientIP, OptPlatform); CEC pushes go to /webhooks/v1/messages"));
    };
    if let Some(want) = &cfg.sdkappid {
        if sdkappid.as_deref() != Some(want.as_str()) {
            let got = sdkappid.map_or("nothing".to_owned(), |g| format!("{g:?}"));
            return Err(Refusal::new(
                403,
                format!("SdkAppid: expected {want:?} (this app), got {got}"),
            ));
        }
    }
    if let Some(token) = &cfg.token {
        let now = now_ms() / 1000;
        let (sign, time) = (sign.as_deref(), time.as_deref());
        let result = verify(token, sign, time, now, cfg.tolerance_s);
        *auth = Some(AuthCheck::sign(time, now, cfg.tolerance_s, &result));
        result.map_err(|p| Refusal::new(401, p.to_string()))?;
    }
    let doc = super::limits::json_object(bytes)?;
    let command = &*command;
    let event = catalogue().recognise_tencent(command, Some(&doc));
    let mut problems = match event {
        Some(ev) => check_document(ev, Side::Request, &doc),
        None => vec![unknown_callback(command, &doc)],
    };
    if let Some(body_cmd) = doc.get("CallbackCommand").and_then(Value::as_str) {
        if body_cmd != command {
            problems.push(Violation::new(
                Where::pointer("/CallbackCommand"),
                format!("{command:?} (the URL's CallbackCommand)"),
                format!("{body_cmd:?}"),
            ));
        }
    }
    let session_id = doc
        .get("SessionId")
        .and_then(Value::as_str)
        .map(str::to_owned);
    Ok(Checked {
        event,
        problems,
        session_id,
    })
}

fn unknown_callback(command: &str, doc: &Value) -> Violation {
    if command == "Desk.SessionEventNotify" {
        let got = doc
            .get("Event")
            .map(describe)
            .unwrap_or_else(|| "nothing (the field is missing)".into());
        Violation::new(
            Where::pointer("/Event"),
            "one of the 17 documented session events",
            got,
        )
    } else {
        Violation::new(
            Where::Param("CallbackCommand".into()),
            "a documented callback command (see `deskhook events`)",
            format!("{command:?}"),
        )
    }
}
