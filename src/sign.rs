//! Tencent callback signing and its verification (docs/protocol.md, "Signing").
//!
//! With callback authentication on, the platform appends `Sign` and `RequestTime` to the
//! callback URL: `Sign = lowercase hex sha256(Token ‖ RequestTime)` (plain SHA-256 of the token
//! immediately followed by the decimal time, not an HMAC), `RequestTime` in Unix seconds; a
//! receiver refuses a `RequestTime` more than 60 s from its clock, in either direction.

use crate::secret::Secret;
use sha2::{Digest, Sha256};
use std::cell::RefCell;
use subtle::ConstantTimeEq;

/// `Sign` for a token and a RequestTime in seconds.
///
/// Every callback of one second carries the same `Sign`, and a run sends thousands a second:
/// each thread keeps the last one it computed.
pub fn sign(token: &Secret, request_time: u64) -> String {
    thread_local! {
        static LAST: RefCell<Option<(u64, Secret, String)>> = const { RefCell::new(None) };
    }
    LAST.with_borrow_mut(|last| match last {
        Some((time, tok, sign)) if *time == request_time && tok == token => sign.clone(),
        _ => {
            let sign = sign_text(token, &request_time.to_string());
            *last = Some((request_time, token.clone(), sign.clone()));
            sign
        }
    })
}

/// `Sign` over a RequestTime exactly as written in the URL (`audit` signs values a platform
/// never sends, such as milliseconds or an empty time, to see whether a backend takes them).
pub fn sign_text(token: &Secret, request_time: &str) -> String {
    let mut h = Sha256::new();
    h.update(token.expose().as_bytes());
    h.update(request_time.as_bytes());
    hex::encode(h.finalize())
}

/// Where `request_time` lies from `now`, both in seconds: `now`, `6 s ago`, `in 10 s`.
pub fn relative(request_time: u64, now: u64) -> String {
    let d = now.abs_diff(request_time);
    match request_time.cmp(&now) {
        std::cmp::Ordering::Equal => "now".to_owned(),
        std::cmp::Ordering::Less => format!("{d} s ago"),
        std::cmp::Ordering::Greater => format!("in {d} s"),
    }
}

/// Why a signature was refused; each message says what was expected and what came.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignProblem {
    #[error("missing URL parameter {0}")]
    Missing(&'static str),
    #[error("RequestTime {0:?} is not Unix seconds (expected a decimal number of seconds such as 1669872112{hint})", hint = if .0.len() == 13 { "; this looks like milliseconds" } else { "" })]
    NotSeconds(String),
    #[error("stale RequestTime {request_time}: {}, allowed ±{tolerance} s (now {now})", relative(*request_time, *now))]
    Stale {
        request_time: u64,
        now: u64,
        tolerance: u64,
    },
    #[error("wrong Sign: it is sha256(RequestTime + token), the reversed order; expected sha256(token + RequestTime)")]
    Reversed,
    #[error("wrong token: Sign {got} is not sha256(token + RequestTime) for the configured token")]
    WrongToken { got: String },
}

/// Check `Sign`/`RequestTime` the way a careful receiver does: both present, time in seconds
/// within `tolerance` of `now`, and the hash equal in constant time (hex case ignored, as
/// some receivers tolerate upper case).
pub fn verify(
    token: &Secret,
    sign_param: Option<&str>,
    time_param: Option<&str>,
    now: u64,
    tolerance: u64,
) -> Result<u64, SignProblem> {
    let got = sign_param.ok_or(SignProblem::Missing("Sign"))?;
    let raw_time = time_param.ok_or(SignProblem::Missing("RequestTime"))?;
    let request_time: u64 = raw_time
        .parse()
        .ok()
        .filter(|_| raw_time.len() <= 11)
        .ok_or_else(|| SignProblem::NotSeconds(raw_time.to_owned()))?;
    let expected = sign(token, request_time);
    let got_lower = got.to_ascii_lowercase();
    if !bool::from(expected.as_bytes().ct_eq(got_lower.as_bytes())) {
        let mut h = Sha256::new();
        h.update(raw_time.as_bytes());
        h.update(token.expose().as_bytes());
        if hex::encode(h.finalize()) == got_lower {
            return Err(SignProblem::Reversed);
        }
        return Err(SignProblem::WrongToken {
            got: got.to_owned(),
        });
    }
    if now.abs_diff(request_time) > tolerance {
        return Err(SignProblem::Stale {
            request_time,
            now,
            tolerance,
        });
    }
    Ok(request_time)
}

#[cfg(test)]
mod tests {
    use super::*;

    const VECTOR: &str = "17773bc39a671d7b9aa835458704d2a6db81360a5940292b587d6d760d484061";

    #[test]
    fn the_kept_sign_is_only_reused_for_the_same_token_and_second() {
        let (a, b) = (Secret::new("xxxxyyyy"), Secret::new("other"));
        assert_eq!(sign(&a, 1669872112), VECTOR);
        assert_eq!(sign(&a, 1669872112), VECTOR);
        assert_eq!(sign(&b, 1669872112), sign_text(&b, "1669872112"));
        assert_ne!(sign(&b, 1669872112), VECTOR);
        assert_eq!(sign(&a, 1669872113), sign_text(&a, "1669872113"));
        assert_eq!(sign(&a, 1669872112), VECTOR);
    }

    #[test]
    fn official_vector() {
        assert_eq!(sign(&Secret::new("xxxxyyyy"), 1669872112), VECTOR);
    }

    #[test]
    fn relative_times_read_as_said() {
        assert_eq!(relative(100, 106), "6 s ago");
        assert_eq!(relative(110, 100), "in 10 s");
        assert_eq!(relative(100, 100), "now");
        assert_eq!(sign_text(&Secret::new("xxxxyyyy"), "1669872112"), VECTOR);
    }

    #[test]
    fn english_doc_typo_gives_another_hash() {
        // The English overview page prints the token as `xxxyyy` beside the hash of `xxxxyyyy`.
        assert_ne!(sign(&Secret::new("xxxyyy"), 1669872112), VECTOR);
    }

    #[test]
    fn verify_accepts_the_vector_within_tolerance() {
        let t = Secret::new("xxxxyyyy");
        assert_eq!(
            verify(&t, Some(VECTOR), Some("1669872112"), 1669872150, 60),
            Ok(1669872112)
        );
        let upper = VECTOR.to_ascii_uppercase();
        assert!(verify(&t, Some(&upper), Some("1669872112"), 1669872112, 60).is_ok());
    }

    #[test]
    fn the_window_includes_its_edges() {
        // A RequestTime exactly `tolerance` seconds old, or ahead, is still inside the window;
        // one second more is not.
        let t = Secret::new("xxxxyyyy");
        let at = 1669872112;
        for now in [at + 60, at - 60] {
            assert_eq!(
                verify(&t, Some(VECTOR), Some("1669872112"), now, 60),
                Ok(at)
            );
        }
        for now in [at + 61, at - 61] {
            assert!(matches!(
                verify(&t, Some(VECTOR), Some("1669872112"), now, 60),
                Err(SignProblem::Stale { .. })
            ));
        }
    }

    #[test]
    fn verify_names_each_problem() {
        let t = Secret::new("xxxxyyyy");
        assert_eq!(
            verify(&t, None, Some("1"), 1, 60),
            Err(SignProblem::Missing("Sign"))
        );
        assert_eq!(
            verify(&t, Some(VECTOR), None, 1, 60),
            Err(SignProblem::Missing("RequestTime"))
        );
        let stale = verify(&t, Some(VECTOR), Some("1669872112"), 1669872112 + 61, 60).unwrap_err();
        assert!(
            stale.to_string().contains(": 61 s ago, allowed ±60 s"),
            "{stale}"
        );
        let ahead = verify(&t, Some(VECTOR), Some("1669872112"), 1669872112 - 70, 60).unwrap_err();
        assert!(ahead.to_string().contains(": in 70 s, allowed"), "{ahead}");
        let wrong = verify(
            &Secret::new("other"),
            Some(VECTOR),
            Some("1669872112"),
            1669872112,
            60,
        )
        .unwrap_err();
        assert!(matches!(wrong, SignProblem::WrongToken { .. }));
        let ms = verify(&t, Some(VECTOR), Some("1669872112000"), 1669872112, 60).unwrap_err();
        assert!(ms.to_string().contains("milliseconds"), "{ms}");
        let mut h = Sha256::new();
        h.update(b"1669872112xxxxyyyy");
        let reversed = hex::encode(h.finalize());
        assert_eq!(
            verify(&t, Some(&reversed), Some("1669872112"), 1669872112, 60),
            Err(SignProblem::Reversed)
        );
    }
}
