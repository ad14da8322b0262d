//! `listen --forward-to`: relay a callback unchanged (query and body, `Content-Type` and
//! `Authorization`) to a real backend, and judge the backend's answer as `send` would.

use crate::callback::{cec_url, with_raw_query};
use crate::catalogue::{catalogue, Event};
use crate::envelope::{check_answer, Expect};
use crate::transport::TransportError;
use crate::violation::Violation;
use bytes::Bytes;
use hyper::http::request::Parts;
use std::time::Duration;
use url::Url;

/// The backend callbacks are relayed to.
pub struct Forward {
    pub client: reqwest::Client,
    pub base: Url,
    pub timeout: Duration,
}

/// The backend's answer.
pub struct Relayed {
    pub status: u16,
    pub body: Bytes,
    /// What breaks the documented envelope in it.
    pub problems: Vec<Violation>,
}

impl Forward {
    /// Relay one callback and judge the answer (any well-formed envelope passes).
    pub async fn relay(
        &self,
        parts: &Parts,
        bytes: &[u8],
        event: Option<&Event>,
        cec: bool,
    ) -> Result<Relayed, TransportError> {
        let base = if cec {
            cec_url(&self.base)
        } else {
            self.base.clone()
        };
        let url = with_raw_query(&base, parts.uri.query().unwrap_or_default());
        let mut req = self.client.post(url).body(bytes.to_vec());
        for name in [hyper::header::CONTENT_TYPE, hyper::header::AUTHORIZATION] {
            if let Some(v) = parts.headers.get(&name) {
                req = req.header(name.as_str(), v.as_bytes());
            }
        }
        let sent = async {
            let resp = req.send().await?;
            let status = resp.status().as_u16();
            Ok::<_, reqwest::Error>((status, resp.bytes().await?))
        }
        .await;
        let (status, body) = sent.map_err(|e| TransportError::from_reqwest(&e, self.timeout))?;
        // An unrecognised callback's answer is still judged, by its provider's envelope: an
        // answer that breaks it must never pass as accepted.
        let judge = event.or_else(|| any_event_of(cec));
        let problems = judge
            .map(|ev| check_answer(ev, status, &body, Expect::Any).violations)
            .unwrap_or_default();
        Ok(Relayed {
            status,
            body,
            problems,
        })
    }
}

/// An event whose answer is the provider's bare envelope (Tencent's `ActionStatus`/
/// `ErrorCode`/`ErrorInfo`, CEC's `resultCode`/`resultDesc`), to judge any answer of it by.
fn any_event_of(cec: bool) -> Option<&'static Event> {
    let family = if cec { "cec-answer" } else { "tencent-ack" };
    catalogue()
        .events
        .iter()
        .find(|e| e.response_schema == family)
}
