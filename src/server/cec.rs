//! Huawei CEC pushes at the receiver: on `<base>/webhooks/v1/messages`, with
//! `Authorization: Bearer <token>` when a token is set (else 401), a body with a `messages`
//! array validated against the push schema, and the kind recognised from its first message.

use super::{Checked, Config, Refusal};
use crate::catalogue::catalogue;
use crate::exchange::{AuthCheck, AuthOutcome};
use crate::schema;
use crate::secret::Secret;
use crate::violation::describe;
use hyper::http::request::Parts;
use serde_json::Value;
use subtle::ConstantTimeEq;

/// Whether a path is the CEC push endpoint (`{baseUrl}/webhooks/v1/messages`).
pub fn is_push_path(path: &str) -> bool {
    path.trim_end_matches('/')
        .ends_with("/webhooks/v1/messages")
}

/// Check a CEC push and recognise its kind; `auth` records the Bearer check.
pub fn check(
    parts: &Parts,
    bytes: &[u8],
    cfg: &Config,
    auth: &mut Option<AuthCheck>,
) -> Result<Checked, Refusal> {
    if let Some(token) = &cfg.token {
        let result = bearer(parts, token);
        let outcome = result
            .as_ref()
            .map_or_else(|(o, _)| *o, |()| AuthOutcome::Ok);
        *auth = Some(AuthCheck::bearer(outcome));
        result.map_err(|(_, msg)| Refusal::new(401, msg))?;
    }
    let doc = super::limits::json_object(bytes)?;
    match doc.get("messages") {
        Some(Value::Array(_)) => {}
        Some(other) => {
            return Err(Refusal::new(
                400,
                format!("messages: expected an array, got {}", describe(other)),
            ))
        }
        None => {
            return Err(Refusal::new(
                400,
                "messages: expected an array, got nothing (the field is missing)",
            ))
        }
    }
    Ok(Checked {
        event: catalogue().recognise_cec(&doc),
        problems: schema::violations(schema::family_validator("cec-push"), &doc),
        session_id: None,
    })
}

/// `Authorization: Bearer <token>`, compared in constant time. Messages never echo the value:
/// without the scheme word it may be the token itself.
fn bearer(parts: &Parts, token: &Secret) -> Result<(), (AuthOutcome, String)> {
    let Some(raw) = parts.headers.get(hyper::header::AUTHORIZATION) else {
        return Err((
            AuthOutcome::MissingHeader,
            "missing Authorization header: expected Bearer <token>".into(),
        ));
    };
    let value = raw.to_str().unwrap_or_default();
    let Some(got) = value.strip_prefix("Bearer ") else {
        return Err((AuthOutcome::NotBearer, "Authorization: expected \"Bearer <token>\" (the Bearer scheme, one space), got a value without it".into()));
    };
    if bool::from(got.as_bytes().ct_eq(token.expose().as_bytes())) {
        Ok(())
    } else {
        Err((
            AuthOutcome::WrongToken,
            "Authorization: wrong Bearer token".into(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(auth: Option<&str>) -> Parts {
        let mut req = hyper::Request::post("/webhooks/v1/messages");
        if let Some(a) = auth {
            req = req.header("authorization", a);
        }
        req.body(()).unwrap().into_parts().0
    }

    #[test]
    fn bearer_problems_never_echo_the_value() {
        let (outcome, msg) = bearer(&parts(Some("S3CRET x")), &Secret::new("other")).unwrap_err();
        assert!(!msg.contains("S3CRET"), "{msg}");
        assert_eq!(outcome, AuthOutcome::NotBearer);
        let (outcome, msg) =
            bearer(&parts(Some("Bearer S3CRET")), &Secret::new("other")).unwrap_err();
        assert_eq!(msg, "Authorization: wrong Bearer token");
        assert_eq!(outcome, AuthOutcome::WrongToken);
        let (outcome, msg) = bearer(&parts(None), &Secret::new("t")).unwrap_err();
        assert!(msg.contains("missing"));
        assert_eq!(outcome, AuthOutcome::MissingHeader);
        assert!(bearer(&parts(Some("Bearer t")), &Secret::new("t")).is_ok());
    }

    #[test]
    fn push_path_with_or_without_a_base() {
        assert!(is_push_path("/webhooks/v1/messages"));
        assert!(is_push_path("/base/webhooks/v1/messages/"));
        assert!(!is_push_path("/webhooks/v1"));
    }
}
