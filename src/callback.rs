//! A callback as the platform sends it: the body, addressed and signed.
//!
//! Tencent: POST to the configured URL with `SdkAppid`, `CallbackCommand`, `contenttype=json`,
//! `ClientIP`, `OptPlatform` and `RequestID` appended to any query it already has, then `Sign`
//! and `RequestTime` when a token is set. Huawei CEC: POST to `<base>/webhooks/v1/messages`
//! (a URL that already ends with that path is used as given) with `Authorization: Bearer
//! <token>`.

use crate::catalogue::Event;
use crate::clock::Clock;
use crate::payload;
use crate::redact;
use crate::secret::Secret;
use crate::session::{uuid_v4, Session};
use crate::sign::sign;
use bytes::Bytes;
use serde_json::Value;
use std::cell::RefCell;
use url::Url;

/// The platform's identity on every callback.
#[derive(Debug, Clone)]
pub struct Identity {
    pub sdkappid: String,
    pub token: Option<Secret>,
    pub client_ip: String,
    pub platform: String,
    /// `--query KEY=VALUE`: replaces a parameter of the same name, or is appended.
    pub extra_query: Vec<(String, String)>,
}

/// One callback, ready to send (or to print under `--dry-run`).
#[derive(Debug, Clone)]
pub struct Callback {
    pub event: &'static Event,
    /// Parsed once, when built: the client takes it as is, with no re-parse per request.
    pub url: Url,
    pub headers: Vec<(String, String)>,
    pub body: Bytes,
    pub request_id: Option<String>,
    pub session_id: Option<String>,
}

impl Callback {
    /// Address and sign `body` for `event`; `request_time` is in seconds.
    pub fn new(
        event: &'static Event,
        target: &Url,
        identity: &Identity,
        body: Bytes,
        request_id: String,
        request_time: u64,
        session_id: Option<String>,
    ) -> Callback {
        let mut headers = vec![("Content-Type".to_owned(), "application/json".to_owned())];
        let url = if event.is_cec() {
            if let Some(token) = &identity.token {
                headers.push(bearer(token));
            }
            cec_url(target)
        } else {
            tencent_url(target, event, identity, &request_id, request_time)
        };
        Callback {
            event,
            url,
            headers,
            body,
            request_id: (!event.is_cec()).then_some(request_id),
            session_id,
        }
    }

    /// The callback carrying `body` in `session`: a fresh `RequestID` from the session,
    /// `RequestTime` now (by `clock`).
    pub fn from_body(
        event: &'static Event,
        body: &Value,
        session: &mut Session,
        target: &Url,
        identity: &Identity,
        clock: Clock,
    ) -> Callback {
        let session_id = payload::session_id(body);
        let bytes = Bytes::from(serde_json::to_vec(body).expect("a JSON value always serialises"));
        Callback::from_bytes(event, bytes, session_id, session, target, identity, clock)
    }

    /// [`Callback::from_body`] for a body already written as JSON, whose `SessionId` is
    /// `session_id`.
    pub fn from_bytes(
        event: &'static Event,
        body: Bytes,
        session_id: Option<String>,
        session: &mut Session,
        target: &Url,
        identity: &Identity,
        clock: Clock,
    ) -> Callback {
        let request_id = uuid_v4(session.rng());
        Callback::new(
            event,
            target,
            identity,
            body,
            request_id,
            clock.now_ms() / 1000,
            session_id,
        )
    }

    /// Headers as they may be shown: credentials redacted.
    pub fn shown_headers(&self) -> Vec<(String, String)> {
        self.headers
            .iter()
            .map(|(k, v)| (k.clone(), redact::header(k, v)))
            .collect()
    }

    /// The URL as it may be shown: user info (`user:pass@`) redacted.
    pub fn shown_url(&self) -> std::borrow::Cow<'_, str> {
        redact::url(self.url.as_str())
    }
}

/// `Authorization: Bearer <token>`, the header of a CEC push.
pub fn bearer(token: &Secret) -> (String, String) {
    (
        "Authorization".to_owned(),
        format!("Bearer {}", token.expose()),
    )
}

/// The path CEC pushes to, under the base URL the admin enters in AICC.
pub const CEC_PUSH_PATH: &str = "/webhooks/v1/messages";

/// `<base>/webhooks/v1/messages`, keeping the base's query. A URL that already ends with the
/// push path (pasted whole from a configuration) is taken as given, never doubled.
pub fn cec_url(base: &Url) -> Url {
    let trimmed = base.path().trim_end_matches('/');
    if trimmed.ends_with(CEC_PUSH_PATH) {
        return base.clone();
    }
    let mut u = base.clone();
    u.set_path(&format!("{trimmed}{CEC_PUSH_PATH}"));
    u
}

/// The configured URL with the platform's parameters, in the documented order.
pub fn tencent_url(
    base: &Url,
    event: &Event,
    id: &Identity,
    request_id: &str,
    request_time: u64,
) -> Url {
    let sign_value = id.token.as_ref().map(|t| sign(t, request_time));
    let time_value = request_time.to_string();
    // (key, value, whether the value changes from one callback to the next)
    let mut params: Vec<(&str, &str, bool)> = vec![
        ("SdkAppid", &id.sdkappid, false),
        ("CallbackCommand", &event.command, false),
        ("contenttype", "json", false),
        ("ClientIP", &id.client_ip, false),
        ("OptPlatform", &id.platform, false),
        ("RequestID", request_id, true),
    ];
    if let Some(s) = &sign_value {
        params.push(("Sign", s, true));
        params.push(("RequestTime", &time_value, true));
    }
    for (key, value) in &id.extra_query {
        match params.iter_mut().find(|(k, _, _)| k == key) {
            Some(slot) => *slot = (slot.0, value, false),
            None => params.push((key, value, false)),
        }
    }
    let fixed = params.iter().take_while(|p| !p.2).count();
    let (head, tail) = params.split_at(fixed);
    let mut url = with_fixed_params(base, head);
    if !tail.is_empty() {
        url.query_pairs_mut()
            .extend_pairs(tail.iter().map(|(k, v, _)| (k, v)));
    }
    url
}

/// `base` with `params` form-encoded after any query it already has. Every callback of a run
/// starts with the same parameters, so each thread keeps the last such URL it made and
/// encodes only what follows them.
fn with_fixed_params(base: &Url, params: &[(&str, &str, bool)]) -> Url {
    /// The base, the parameters, and the URL they make.
    type Made = (String, Vec<(String, String)>, Url);
    thread_local! {
        static LAST: RefCell<Option<Made>> = const { RefCell::new(None) };
    }
    LAST.with_borrow_mut(|last| {
        let same = |(b, ps, _): &&Made| {
            b == base.as_str()
                && ps.len() == params.len()
                && ps
                    .iter()
                    .zip(params)
                    .all(|((k, v), (k2, v2, _))| k == k2 && v == v2)
        };
        if let Some((_, _, url)) = last.as_ref().filter(same) {
            return url.clone();
        }
        let mut url = base.clone();
        url.query_pairs_mut()
            .extend_pairs(params.iter().map(|(k, v, _)| (k, v)));
        let owned = params
            .iter()
            .map(|(k, v, _)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        *last = Some((base.as_str().to_owned(), owned, url.clone()));
        url
    })
}

/// `url` with a raw, already encoded query appended after its own, untouched (relaying and
/// `replay --as-is` must not re-encode what was captured).
pub fn with_raw_query(url: &Url, raw: &str) -> Url {
    let mut u = url.clone();
    if raw.is_empty() {
        return u;
    }
    match url.query().filter(|own| !own.is_empty()) {
        Some(own) => u.set_query(Some(&format!("{own}&{raw}"))),
        None => u.set_query(Some(raw)),
    }
    u
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::catalogue;

    fn identity(token: Option<&str>) -> Identity {
        Identity {
            sdkappid: "888888".into(),
            token: token.map(Secret::new),
            client_ip: "127.0.0.1".into(),
            platform: "RESTAPI".into(),
            extra_query: vec![],
        }
    }

    #[test]
    fn tencent_parameters_in_documented_order_after_existing_query() {
        let ev = catalogue().find("SessionBegin").unwrap();
        let base = Url::parse("https://www.example.com/cb?tenant=a").unwrap();
        let url = tencent_url(&base, ev, &identity(Some("xxxxyyyy")), "rid-1", 1669872112);
        assert_eq!(
            url.as_str(),
            "https://www.example.com/cb?tenant=a&SdkAppid=888888&CallbackCommand=Desk.SessionEventNotify&contenttype=json\
             &ClientIP=127.0.0.1&OptPlatform=RESTAPI&RequestID=rid-1\
             &Sign=17773bc39a671d7b9aa835458704d2a6db81360a5940292b587d6d760d484061&RequestTime=1669872112"
        );
        let unsigned = tencent_url(&base, ev, &identity(None), "rid-1", 1);
        let unsigned = unsigned.as_str();
        assert!(!unsigned.contains("Sign=") && !unsigned.contains("RequestTime="));
    }

    #[test]
    fn urls_made_one_after_another_keep_their_own_parameters() {
        let begin = catalogue().find("SessionBegin").unwrap();
        let end = catalogue().find("SessionEnd").unwrap();
        let mut other = identity(Some("t2"));
        other.sdkappid = "1400000001".into();
        let mut fixed_id = identity(None);
        fixed_id.extra_query = vec![("RequestID".into(), "mine".into())];
        let bases = [
            Url::parse("http://h/cb").unwrap(),
            Url::parse("http://h/cb?x=1#f").unwrap(),
        ];
        let ids = [identity(Some("t")), other, identity(None), fixed_id];
        // Every combination, twice over: each call meets what the one before it kept.
        let mut seen = Vec::new();
        for round in 0..2 {
            for base in &bases {
                for ev in [begin, end] {
                    for (n, id) in ids.iter().enumerate() {
                        let rid = format!("r{round}{n}");
                        let url = tencent_url(base, ev, id, &rid, 1_700_000_000 + round);
                        let mut expected = base.clone();
                        let sign = id.token.as_ref().map(|t| sign(t, 1_700_000_000 + round));
                        let time = (1_700_000_000 + round).to_string();
                        let mut pairs = vec![
                            ("SdkAppid", id.sdkappid.as_str()),
                            ("CallbackCommand", &ev.command),
                            ("contenttype", "json"),
                            ("ClientIP", &id.client_ip),
                            ("OptPlatform", &id.platform),
                            ("RequestID", &rid),
                        ];
                        if let Some(s) = &sign {
                            pairs.push(("Sign", s));
                            pairs.push(("RequestTime", &time));
                        }
                        for (k, v) in &id.extra_query {
                            match pairs.iter_mut().find(|(pk, _)| pk == k) {
                                Some(p) => p.1 = v,
                                None => pairs.push((k, v)),
                            }
                        }
                        expected.query_pairs_mut().extend_pairs(pairs);
                        assert_eq!(url, expected);
                        seen.push(url);
                    }
                }
            }
        }
        assert!(seen.iter().any(|u| u.as_str().contains("RequestID=mine")));
    }

    #[test]
    fn extra_query_replaces_or_appends() {
        let ev = catalogue().find("SessionBegin").unwrap();
        let mut id = identity(None);
        id.extra_query = vec![
            ("OptPlatform".into(), "Android".into()),
            ("x".into(), "1 2".into()),
        ];
        let url = tencent_url(&Url::parse("http://h/").unwrap(), ev, &id, "r", 1);
        assert!(
            url.as_str()
                .contains("OptPlatform=Android&RequestID=r&x=1+2"),
            "{url}"
        );
    }

    #[test]
    fn cec_path_keeps_the_base() {
        assert_eq!(
            cec_url(&Url::parse("https://h.example/base/").unwrap()).as_str(),
            "https://h.example/base/webhooks/v1/messages"
        );
        assert_eq!(
            cec_url(&Url::parse("http://h:8080").unwrap()).as_str(),
            "http://h:8080/webhooks/v1/messages"
        );
        for whole in [
            "http://h:8787/webhooks/v1/messages",
            "http://h:8787/base/webhooks/v1/messages/",
            "http://h:8787/webhooks/v1/messages?tenant=1",
        ] {
            let url = Url::parse(whole).unwrap();
            assert_eq!(cec_url(&url), url, "{whole} is taken as given");
        }
        let base = Url::parse("http://h/cb?own=1#frag").unwrap();
        assert_eq!(
            with_raw_query(&base, "a=%20b").as_str(),
            "http://h/cb?own=1&a=%20b#frag"
        );
        assert_eq!(
            with_raw_query(&Url::parse("http://h/").unwrap(), "").as_str(),
            "http://h/"
        );
    }

    #[test]
    fn cec_callbacks_carry_a_bearer_and_no_request_id() {
        let ev = catalogue().find("cec.read").unwrap();
        let base = Url::parse("http://h/").unwrap();
        let c = Callback::new(
            ev,
            &base,
            &identity(Some("tok")),
            Bytes::new(),
            "r".into(),
            1,
            None,
        );
        assert_eq!(c.request_id, None);
        assert!(c
            .headers
            .contains(&("Authorization".into(), "Bearer tok".into())));
        assert_eq!(
            c.shown_headers()[1],
            ("Authorization".into(), "Bearer (redacted)".into())
        );
    }
}
