//! The page's "Replay": one held exchange sent again, the way `deskhook replay` sends a
//! capture line ([`Replayer`]: the body byte for byte, the query re-signed with listen's
//! `--token` or kept as captured, a CEC Bearer from the token), to the `--forward-to` backend
//! or a URL typed in the page, and the answer judged as `send` judges one.

use super::view::{hide_sign, ViolationView};
use crate::catalogue::{catalogue, Event};
use crate::clock::{millis, Clock};
use crate::envelope::Expect;
use crate::exchange::Exchange;
use crate::redact;
use crate::replay::{Captured, Item, Replayer};
use crate::secret::Secret;
use crate::server::is_push_path;
use crate::transport::{self, Connection, Policy};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::sync::OnceLock;
use std::time::Duration;
use url::Url;

/// What the page asks for.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Request {
    /// The inspector id of the exchange.
    pub id: u64,
    pub to: Target,
    /// With `to: "url"`: where.
    #[serde(default)]
    pub url: Option<String>,
    pub sign: Signing,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Target {
    /// The `--forward-to` backend.
    Forward,
    /// A URL typed in the page.
    Url,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Signing {
    /// A fresh `Sign`/`RequestTime` from listen's `--token`.
    Fresh,
    /// The captured query untouched.
    AsIs,
}

/// What happened to the callback sent again.
#[derive(Debug, Serialize)]
pub struct Outcome {
    pub id: u64,
    pub event: String,
    /// The URL it went to; a fresh `Sign` reads `(hidden)`.
    pub url: String,
    /// `fresh`, `as_is` or `unsigned` (fresh asked, but listen has no token).
    pub signing: &'static str,
    pub note: Option<String>,
    pub status: Option<u16>,
    pub latency_ms: f64,
    /// `ok`, `invalid` or `transport_error`, as `send` says.
    pub verdict: &'static str,
    pub violations: Vec<ViolationView>,
    pub error: Option<String>,
    pub answer: Option<String>,
    pub answer_json: Option<Value>,
}

/// Sends exchanges again.
pub struct Resender {
    pub token: Option<Secret>,
    pub forward: Option<Url>,
    pub timeout: Duration,
    /// listen's `--header`, `--cacert`, `--insecure` (for a Replay to the backend).
    pub connection: Connection,
    plain: OnceLock<transport::Client>,
    tls: OnceLock<transport::Client>,
}

/// The catalogue event of an exchange: the one the receiver recognised, else recognised now
/// from its URL and body (a refused callback never got as far as recognition).
pub fn recognise(ex: &Exchange) -> Result<&'static Event, String> {
    if let Some(ev) = ex.event.as_deref().and_then(|id| catalogue().find(id).ok()) {
        return Ok(ev);
    }
    let body = ex.body_json();
    let found = if is_push_path(&ex.path) {
        body.as_ref().and_then(|b| catalogue().recognise_cec(b))
    } else {
        super::view::param(&ex.query, "CallbackCommand")
            .and_then(|cmd| catalogue().recognise_tencent(&cmd, body.as_ref()))
    };
    found.ok_or_else(|| {
        "not a callback of a known event (see `deskhook events`): there is nothing to replay".into()
    })
}

/// Whether Replay can send an exchange: a POST of a known event, with its body.
pub fn replayable(ex: &Exchange) -> Result<&'static Event, String> {
    if ex.method != "POST" {
        return Err(format!("callbacks are POSTs; this was a {}", ex.method));
    }
    recognise(ex)
}

impl Resender {
    pub fn new(
        token: Option<Secret>,
        forward: Option<Url>,
        timeout: Duration,
        connection: Connection,
    ) -> Resender {
        Resender {
            token,
            forward,
            timeout,
            connection,
            plain: OnceLock::new(),
            tls: OnceLock::new(),
        }
    }

    /// The client for a URL, made at first use (an https one loads the system's roots).
    fn client(&self, url: &Url) -> Result<transport::Client, String> {
        let https = url.scheme() == "https";
        let cell = if https { &self.tls } else { &self.plain };
        if let Some(c) = cell.get() {
            return Ok(c.clone());
        }
        let c = transport::client(self.timeout, 4, https, &self.connection)
            .map_err(|e| format!("{e:#}"))?;
        Ok(cell.get_or_init(|| c).clone())
    }

    /// Where a request goes: the backend, or a typed http(s) URL.
    fn target(&self, req: &Request) -> Result<Url, String> {
        match req.to {
            Target::Forward => self.forward.clone().ok_or_else(|| {
                "listen runs without --forward-to: type a URL to replay to".to_owned()
            }),
            Target::Url => {
                let raw = req.url.as_deref().unwrap_or_default().trim();
                let url = Url::parse(raw).map_err(|e| format!("not a URL ({e}): {raw:?}"))?;
                match url.scheme() {
                    "http" | "https" if url.host().is_some() => Ok(url),
                    _ => Err(format!("expected an http:// or https:// URL, got {raw:?}")),
                }
            }
        }
    }

    /// Send one exchange again; `Err` (a message for a 400) when it cannot be sent at all.
    pub async fn resend(&self, id: u64, ex: &Exchange, req: &Request) -> Result<Outcome, String> {
        let event = replayable(ex)?;
        let target = self.target(req)?;
        let as_is = req.sign == Signing::AsIs;
        let replayer = Replayer {
            target: target.clone(),
            token: self.token.clone(),
            as_is,
            clock: Clock::Real,
            only: vec![],
        };
        let item = Item {
            line: id,
            event,
            exchange: Captured::from(ex),
        };
        let callback = replayer.callback(item).map_err(|e| format!("{e:#}"))?;
        let (signing, note) = match (as_is, &self.token) {
            (true, _) => ("as_is", None),
            (false, Some(_)) => ("fresh", None),
            (false, None) => (
                "unsigned",
                Some(
                    "listen has no --token: sent without Sign/RequestTime (and without a Bearer)"
                        .to_owned(),
                ),
            ),
        };
        // A fresh Sign is valid, and a captured one may still be: neither is shown.
        let mut shown = callback.url.clone();
        if let Some(q) = callback.url.query() {
            shown.set_query(Some(&hide_sign(q)));
        }
        let url = redact::url(shown.as_str()).into_owned();
        let sign = callback
            .url
            .query()
            .and_then(|q| super::view::param(q, "Sign"))
            .filter(|s| !s.is_empty());
        let policy = Policy {
            timeout: self.timeout,
            max_latency: None,
            retries: 0,
            backoff: Duration::ZERO,
            expect: Expect::Any,
        };
        let client = self.client(&target)?;
        let d = transport::deliver(&client, &policy, callback).await;
        Ok(Outcome {
            id,
            event: event.id.clone(),
            url,
            signing,
            note,
            status: d.status,
            latency_ms: millis(d.latency),
            verdict: d.verdict().as_str(),
            violations: d.violations.iter().map(ViolationView::from).collect(),
            // reqwest's messages name the URL, query included.
            error: d.error.as_ref().map(|e| match &sign {
                Some(s) => e.to_string().replace(s.as_str(), super::view::HIDDEN),
                None => e.to_string(),
            }),
            answer: d.answer_text.clone(),
            answer_json: d.answer.as_deref().cloned(),
        })
    }
}
