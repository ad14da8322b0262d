//! The wire: building a callback request as the platform does, and delivering it.
//!
//! Tencent (PROTOCOL.md §1.2): POST to the configured URL with `SdkAppid`, `CallbackCommand`,
//! `contenttype=json`, `ClientIP`, `OptPlatform`, `RequestID` appended to any query it already
//! has, then `Sign` and `RequestTime` when a token is set. Huawei CEC (§4.2): POST to
//! `<base>/webhooks/v1/messages` with `Authorization: Bearer <token>`.

use crate::catalogue::Event;
use crate::cli::{Expect, QueryPair};
use crate::envelope::{check_answer, Violation};
use crate::exit::usage;
use crate::sign::{sign, Secret};
use anyhow::Result;
use bytes::Bytes;
use serde_json::Value;
use std::time::{Duration, Instant};
use url::Url;

/// The platform's identity on every request.
#[derive(Debug, Clone)]
pub struct Identity {
    pub sdkappid: String,
    pub token: Option<Secret>,
    pub client_ip: String,
    pub platform: String,
    pub extra_query: Vec<QueryPair>,
}

/// Parse and check a `--to` URL (http or https, as Tencent requires).
pub fn parse_target(raw: &str) -> Result<Url> {
    let url = Url::parse(raw).map_err(|e| usage(format!("--to {raw:?} is not a URL: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(usage(format!(
            "--to {raw:?}: the callback URL must start with http:// or https://"
        )));
    }
    Ok(url)
}

/// One request, ready to send (or to print under `--dry-run`).
#[derive(Debug, Clone)]
pub struct Prepared {
    pub event: &'static Event,
    /// Parsed once, when built: the client takes it as is, with no re-parse per request.
    pub url: Url,
    pub headers: Vec<(String, String)>,
    pub body: Bytes,
    pub request_id: Option<String>,
    pub session_id: Option<String>,
}

impl Prepared {
    /// Headers as they may be shown: any Authorization value is redacted.
    pub fn shown_headers(&self) -> Vec<(String, String)> {
        self.headers
            .iter()
            .map(|(k, v)| (k.clone(), redact_header(k, v)))
            .collect()
    }

    /// The URL as it may be shown: user info (`user:pass@`) is redacted.
    pub fn shown_url(&self) -> String {
        redact_url(self.url.as_str())
    }
}

/// Redact the value of a secret-bearing header, keeping its scheme word.
pub fn redact_header(name: &str, value: &str) -> String {
    let n = name.to_ascii_lowercase();
    if n == "authorization" || n == "proxy-authorization" || n == "x-app-key" || n == "cookie" {
        match value.split_once(' ') {
            Some((scheme, _)) => format!("{scheme} (redacted)"),
            None => "(redacted)".to_owned(),
        }
    } else {
        value.to_owned()
    }
}

/// Redact a password in a URL's user info.
pub fn redact_url(raw: &str) -> String {
    if !raw.contains('@') {
        return raw.to_owned();
    }
    match Url::parse(raw) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("redacted"));
            u.to_string()
        }
        _ => raw.to_owned(),
    }
}

/// Build the request for `event` with `body` to `base`. `request_time` is in seconds.
pub fn prepare(
    event: &'static Event,
    base: &Url,
    identity: &Identity,
    body: Bytes,
    request_id: String,
    request_time: u64,
    session_id: Option<String>,
) -> Prepared {
    let mut headers = vec![("Content-Type".to_owned(), "application/json".to_owned())];
    let url = if event.is_cec() {
        if let Some(token) = &identity.token {
            headers.push((
                "Authorization".to_owned(),
                format!("Bearer {}", token.expose()),
            ));
        }
        cec_url(base)
    } else {
        tencent_url(base, event, identity, &request_id, request_time)
    };
    let request_id = (!event.is_cec()).then_some(request_id);
    Prepared {
        event,
        url,
        headers,
        body,
        request_id,
        session_id,
    }
}

/// `<base>/webhooks/v1/messages`, keeping the base's query.
pub fn cec_url(base: &Url) -> Url {
    let mut u = base.clone();
    let path = format!("{}/webhooks/v1/messages", base.path().trim_end_matches('/'));
    u.set_path(&path);
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
    let time_value = id.token.as_ref().map(|_| request_time.to_string());
    let mut params: Vec<(&str, &str)> = vec![
        ("SdkAppid", &id.sdkappid),
        ("CallbackCommand", &event.command),
        ("contenttype", "json"),
        ("ClientIP", &id.client_ip),
        ("OptPlatform", &id.platform),
        ("RequestID", request_id),
    ];
    if let (Some(s), Some(t)) = (&sign_value, &time_value) {
        params.push(("Sign", s));
        params.push(("RequestTime", t));
    }
    for q in &id.extra_query {
        match params.iter_mut().find(|(k, _)| *k == q.key) {
            Some(slot) => slot.1 = &q.value,
            None => params.push((&q.key, &q.value)),
        }
    }
    append_query(base, &params)
}

/// `base` with `params` form-encoded after any query it has. The target was parsed once;
/// only the new query is checked here (this runs for every callback).
pub fn append_query(base: &Url, params: &[(&str, &str)]) -> Url {
    let mut query = String::with_capacity(320);
    if let Some(own) = base.query().filter(|q| !q.is_empty()) {
        query.push_str(own);
        query.push('&');
    }
    for (i, (k, v)) in params.iter().enumerate() {
        if i > 0 {
            query.push('&');
        }
        query.extend(url::form_urlencoded::byte_serialize(k.as_bytes()));
        query.push('=');
        query.extend(url::form_urlencoded::byte_serialize(v.as_bytes()));
    }
    let mut u = base.clone();
    u.set_query(Some(&query));
    u
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

/// How answers are judged and failures re-delivered.
#[derive(Debug, Clone)]
pub struct Policy {
    pub timeout: Duration,
    pub max_latency: Option<Duration>,
    pub retries: u32,
    pub backoff: Duration,
    pub expect: Expect,
}

/// What happened to one callback, all attempts included.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub prepared: Prepared,
    pub status: Option<u16>,
    pub latency: Duration,
    pub attempts: u32,
    pub violations: Vec<Violation>,
    /// A transport failure of the last attempt (`timeout: …`, `connection refused: …`).
    pub transport: Option<String>,
    pub answer_text: Option<String>,
    pub answer: Option<Value>,
    /// Where the callback belongs, e.g. `bot-to-human run 3 step 6` (flows).
    pub context: Option<String>,
}

/// The verdict of an outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Ok,
    Invalid,
    Transport,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Ok => "ok",
            Verdict::Invalid => "invalid",
            Verdict::Transport => "transport_error",
        }
    }
}

impl Outcome {
    pub fn verdict(&self) -> Verdict {
        if self.transport.is_some() {
            Verdict::Transport
        } else if self.violations.is_empty() {
            Verdict::Ok
        } else {
            Verdict::Invalid
        }
    }

    /// A short reason for summaries: `timeout`, `HTTP 500`, `invalid /ErrorCode`.
    pub fn reason(&self) -> Option<String> {
        if let Some(t) = &self.transport {
            return Some(t.split(':').next().unwrap_or(t).to_owned());
        }
        let first = self.violations.first()?;
        Some(match first.path.as_str() {
            "HTTP status" => format!("HTTP {}", first.got),
            "body" => "answer is not JSON".to_owned(),
            "latency" => "slower than --max-latency".to_owned(),
            p => format!("invalid {p}"),
        })
    }
}

/// A reqwest client set up like the platform's sender: keep-alive, no redirects.
///
/// For a plain `http://` target the TLS root store stays empty: loading the system's
/// certificates costs a few milliseconds of start-up (150 files read), which is most of a
/// single `send`, and without redirects such a client never reaches an https URL.
pub fn client(policy: &Policy, pool: usize, https: bool) -> Result<reqwest::Client> {
    let mut builder = reqwest::Client::builder()
        .timeout(policy.timeout)
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(pool)
        .tcp_nodelay(true)
        .user_agent(concat!("deskhook/", env!("CARGO_PKG_VERSION")));
    if !https {
        builder = builder.tls_certs_only([]);
    }
    builder
        .build()
        .map_err(|e| anyhow::anyhow!("cannot set up the HTTP client: {e}"))
}

/// Deliver one prepared callback, re-delivering failures up to `policy.retries` times.
pub async fn deliver(client: &reqwest::Client, policy: &Policy, p: Prepared) -> Outcome {
    let mut attempts = 0;
    loop {
        attempts += 1;
        let a = attempt(client, policy, &p).await;
        let ok = a.transport.is_none() && a.violations.is_empty();
        if ok || attempts > policy.retries {
            return Outcome {
                prepared: p,
                status: a.status,
                latency: a.latency,
                attempts,
                violations: a.violations,
                transport: a.transport,
                answer_text: a.raw.map(|b| String::from_utf8_lossy(&b).into_owned()),
                answer: a.answer,
                context: None,
            };
        }
        let wait = policy.backoff.saturating_mul(1 << (attempts - 1).min(16));
        tokio::time::sleep(wait).await;
    }
}

/// One attempt's result (the request itself stays with the caller: no copy per attempt).
struct Attempt {
    status: Option<u16>,
    latency: Duration,
    violations: Vec<Violation>,
    transport: Option<String>,
    raw: Option<Bytes>,
    answer: Option<Value>,
}

async fn attempt(client: &reqwest::Client, policy: &Policy, p: &Prepared) -> Attempt {
    let mut req = client.post(p.url.clone()).body(p.body.clone());
    for (k, v) in &p.headers {
        req = req.header(k, v);
    }
    let start = Instant::now();
    let result = async {
        let resp = req.send().await?;
        let status = resp.status().as_u16();
        let body = resp.bytes().await?;
        Ok::<_, reqwest::Error>((status, body))
    }
    .await;
    let latency = start.elapsed();
    let mut a = Attempt {
        status: None,
        latency,
        violations: Vec::new(),
        transport: None,
        raw: None,
        answer: None,
    };
    match result {
        Ok((status, body)) => {
            let j = check_answer(p.event, status, &body, policy.expect);
            a.status = Some(status);
            a.violations = j.violations;
            a.answer = j.body;
            a.raw = Some(body);
            if let Some(max) = policy.max_latency.filter(|m| latency > *m) {
                a.violations.push(Violation::new(
                    "latency",
                    format!("an answer within {}", fmt_duration(max)),
                    format!("one after {}", fmt_duration(latency)),
                ));
            }
        }
        Err(e) => a.transport = Some(describe_transport(&e, policy.timeout)),
    }
    a
}

/// `timeout: no answer within 2s`, `connection refused: …`, … for a reqwest error.
pub fn describe_transport(e: &reqwest::Error, timeout: Duration) -> String {
    if e.is_timeout() {
        return format!(
            "timeout: no answer within {} (the platform's limit is 2s)",
            fmt_duration(timeout)
        );
    }
    let mut src: Option<&dyn std::error::Error> = Some(e);
    while let Some(s) = src {
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            return match io.kind() {
                std::io::ErrorKind::ConnectionRefused => {
                    format!("connection refused: nothing listens at {}", host_of(e))
                }
                std::io::ErrorKind::TimedOut => format!("timeout: {io}"),
                std::io::ErrorKind::ConnectionReset | std::io::ErrorKind::UnexpectedEof => {
                    format!(
                        "connection closed: the server hung up without a complete answer ({io})"
                    )
                }
                _ => format!("connection error: {io}"),
            };
        }
        src = s.source();
    }
    let chain = error_chain(e);
    if e.is_connect() {
        format!("connection error: {chain}")
    } else {
        format!("connection closed: {chain}")
    }
}

fn host_of(e: &reqwest::Error) -> String {
    e.url()
        .map(|u| {
            format!(
                "{}:{}",
                u.host_str().unwrap_or("?"),
                u.port_or_known_default().unwrap_or(0)
            )
        })
        .unwrap_or_default()
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut parts = vec![e.to_string()];
    let mut src = e.source();
    while let Some(s) = src {
        let text = s.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        src = s.source();
    }
    parts.join(": ")
}

/// `2s`, `250 ms`, `1.5 ms` for messages.
pub fn fmt_duration(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1000.0;
    if ms >= 1000.0 && (ms % 1000.0) == 0.0 {
        format!("{}s", d.as_secs())
    } else if ms >= 1000.0 {
        format!("{:.2}s", ms / 1000.0)
    } else if ms >= 10.0 {
        format!("{ms:.0} ms")
    } else {
        format!("{ms:.1} ms")
    }
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
    fn extra_query_replaces_or_appends() {
        let ev = catalogue().find("SessionBegin").unwrap();
        let mut id = identity(None);
        id.extra_query = vec![
            "OptPlatform=Android".parse().unwrap(),
            "x=1".parse().unwrap(),
        ];
        let url = tencent_url(&Url::parse("http://h/").unwrap(), ev, &id, "r", 1);
        assert!(
            url.as_str().contains("OptPlatform=Android&RequestID=r&x=1"),
            "{url}"
        );
    }

    #[test]
    fn cec_path_and_bearer_redaction() {
        assert_eq!(
            cec_url(&Url::parse("https://h.example/base/").unwrap()).as_str(),
            "https://h.example/base/webhooks/v1/messages"
        );
        assert_eq!(
            cec_url(&Url::parse("http://h:8080").unwrap()).as_str(),
            "http://h:8080/webhooks/v1/messages"
        );
        assert_eq!(
            redact_header("Authorization", "Bearer s3cret"),
            "Bearer (redacted)"
        );
        assert_eq!(redact_url("http://u:pw@h/x"), "http://u:redacted@h/x");
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
}
