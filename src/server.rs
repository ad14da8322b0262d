//! The receiver: what `listen` runs and what `send`/`flow` start in-process when no `--to`
//! is given. Hyper on tokio, so every limit is ours to set.
//!
//! Each request is routed (Tencent callbacks on any path, recognised by `CallbackCommand`;
//! CEC pushes on `/webhooks/v1/messages`), verified (`SdkAppid` → 403, `Sign`/`RequestTime`
//! or Bearer → 401), validated against its event's schema, answered (the documented success
//! envelope, `--respond`, or the `--forward-to` backend's own answer) and recorded. Bad input
//! never gets a 5xx or a panic: a JSON 4xx says what is wrong, and header/body time-outs
//! keep slow clients from starving the others.

use crate::capture::{CaptureSink, Record};
use crate::catalogue::{catalogue, Event, Side};
use crate::cli::Expect;
use crate::envelope::{check_answer, check_document, describe, Violation};
use crate::http::{cec_url, describe_transport, redact_header, with_raw_query};
use crate::session::now_ms;
use crate::sign::{verify, Secret};
use anyhow::{Context, Result};
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use serde_json::{json, Map, Value};
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use subtle::ConstantTimeEq;
use tokio::net::TcpListener;
use tokio::sync::{watch, Notify};
use url::Url;

/// What the receiver answers when all checks pass.
#[derive(Debug, Clone)]
pub enum Respond {
    Ok,
    Fail,
    Fixed(Value),
}

/// The answers' contents.
#[derive(Debug, Clone)]
pub struct Answers {
    pub respond: Respond,
    pub agents: Vec<String>,
    pub group: Option<i64>,
    pub vars: Map<String, Value>,
}

impl Default for Answers {
    fn default() -> Self {
        Answers {
            respond: Respond::Ok,
            agents: Vec::new(),
            group: None,
            vars: Map::new(),
        }
    }
}

/// The documented answer for an event (PROTOCOL.md §1.4, §2.2, §2.3, §4.4).
pub fn answer_for(event: Option<&Event>, cec: bool, a: &Answers) -> Value {
    match (&a.respond, cec) {
        (Respond::Fixed(v), _) => v.clone(),
        (Respond::Ok, true) => json!({"resultCode": "0", "resultDesc": "success."}),
        (Respond::Fail, true) => {
            json!({"resultCode": "1", "resultDesc": "deskhook --respond fail"})
        }
        (Respond::Fail, false) => {
            json!({"ActionStatus": "FAIL", "ErrorInfo": "deskhook --respond fail", "ErrorCode": 1})
        }
        (Respond::Ok, false) => {
            let mut v = json!({"ActionStatus": "OK", "ErrorInfo": "", "ErrorCode": 0});
            match event.map(|e| e.command.as_str()) {
                Some("ChatBot.OnAssignAgent" | "ChatBot.OnAssignHuman") => {
                    v["AgentGroupId"] = json!(a.group.unwrap_or(6521));
                    // Only a group given: let the platform pick from it (no AgentIdList).
                    if !a.agents.is_empty() {
                        v["AgentIdList"] = json!(a.agents);
                    } else if a.group.is_none() {
                        v["AgentIdList"] =
                            json!(["lena.zhou@example.com", "kevin.chan@example.com"]);
                    }
                }
                Some("Chatbot.InterfaceInvocation") => {
                    v["Body"] = if a.vars.is_empty() {
                        json!({"testKey1": "value1", "testKey3": "10"})
                    } else {
                        Value::Object(a.vars.clone())
                    };
                }
                _ => {}
            }
            v
        }
    }
}

/// Relay to a real backend (`listen --forward-to`).
pub struct Forward {
    pub client: reqwest::Client,
    pub base: Url,
    pub timeout: Duration,
}

/// The per-exchange hook of [`Config`].
pub type OnExchange = Arc<dyn Fn(Record, Option<&str>) + Send + Sync>;

/// Everything the receiver needs.
pub struct Config {
    pub sdkappid: Option<String>,
    pub token: Option<Secret>,
    pub tolerance_s: u64,
    pub answers: Answers,
    pub delay: Option<Duration>,
    pub max_body: usize,
    pub body_timeout: Duration,
    pub header_timeout: Duration,
    pub forward: Option<Forward>,
    pub capture: Option<CaptureSink>,
    /// Called with each exchange (and its capture line, when there is a capture), on the
    /// request's own task: `listen` prints it there, with no hand-off per request.
    pub on_exchange: Option<OnExchange>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            sdkappid: None,
            token: None,
            tolerance_s: 60,
            answers: Answers::default(),
            delay: None,
            max_body: 1024 * 1024,
            body_timeout: Duration::from_secs(10),
            header_timeout: Duration::from_secs(10),
            forward: None,
            capture: None,
            on_exchange: None,
        }
    }
}

struct State {
    cfg: Config,
    seq: AtomicU64,
    inflight: AtomicUsize,
    idle: Notify,
}

/// A running receiver.
pub struct Server {
    pub addr: SocketAddr,
    state: Arc<State>,
    shutdown: watch::Sender<bool>,
    accept: tokio::task::JoinHandle<()>,
}

impl Server {
    /// The base URL, `http://127.0.0.1:PORT/`.
    pub fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }

    /// Stop accepting, let requests in flight finish (up to `grace`), close connections.
    pub async fn shutdown(self, grace: Duration) {
        let _ = self.shutdown.send(true);
        self.accept.abort();
        let deadline = Instant::now() + grace;
        while self.state.inflight.load(Ordering::SeqCst) > 0 && Instant::now() < deadline {
            let _ =
                tokio::time::timeout(Duration::from_millis(20), self.state.idle.notified()).await;
        }
    }
}

/// Bind `host:port` and start accepting.
pub async fn start(host: &str, port: u16, cfg: Config) -> Result<Server> {
    let listener = TcpListener::bind((host, port))
        .await
        .with_context(|| format!("cannot listen on {host}:{port}"))?;
    let addr = listener.local_addr()?;
    let state = Arc::new(State {
        cfg,
        seq: AtomicU64::new(0),
        inflight: AtomicUsize::new(0),
        idle: Notify::new(),
    });
    let (shutdown, rx) = watch::channel(false);
    let accept = tokio::spawn(accept_loop(listener, state.clone(), rx));
    Ok(Server {
        addr,
        state,
        shutdown,
        accept,
    })
}

async fn accept_loop(listener: TcpListener, state: Arc<State>, shutdown: watch::Receiver<bool>) {
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(c) => c,
            Err(_) => {
                // Out of file descriptors or similar: back off instead of spinning.
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let (state, mut shutdown) = (state.clone(), shutdown.clone());
        tokio::spawn(async move {
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder
                .timer(TokioTimer::new())
                .header_read_timeout(state.cfg.header_timeout)
                .max_buf_size(32 * 1024);
            let svc = hyper::service::service_fn(move |req| {
                let state = state.clone();
                async move { Ok::<_, Infallible>(handle(req, state, peer).await) }
            });
            let conn = builder.serve_connection(
                TokioIo::new(crate::json_errors::JsonErrors::new(stream)),
                svc,
            );
            tokio::pin!(conn);
            tokio::select! {
                _ = conn.as_mut() => {}
                _ = shutdown.changed() => {
                    conn.as_mut().graceful_shutdown();
                    let _ = conn.await;
                }
            }
        });
    }
}

/// Decrements the in-flight count however the handler ends.
struct InFlight(Arc<State>);

impl Drop for InFlight {
    fn drop(&mut self) {
        if self.0.inflight.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.0.idle.notify_waiters();
        }
    }
}

/// The outcome of processing one request.
struct Reply {
    status: u16,
    body: Bytes,
    verdict: &'static str,
    problems: Vec<Violation>,
    event: Option<&'static Event>,
    answer_problems: Vec<Violation>,
    session_id: Option<String>,
}

impl Reply {
    /// A refusal, boxed for `Result`s whose success is a small value.
    fn boxed(status: u16, cec: bool, msg: String) -> Box<Reply> {
        Box::new(Reply::refuse(status, cec, msg))
    }

    fn refuse(status: u16, cec: bool, msg: String) -> Reply {
        let body = if cec {
            json!({"resultCode": status.to_string(), "resultDesc": msg})
        } else {
            json!({"ActionStatus": "FAIL", "ErrorCode": status, "ErrorInfo": msg})
        };
        Reply {
            status,
            body: Bytes::from(body.to_string()),
            verdict: "refused",
            problems: vec![Violation::new(
                "request",
                "a well-formed, authentic callback",
                msg,
            )],
            event: None,
            answer_problems: Vec::new(),
            session_id: None,
        }
    }
}

async fn handle(
    req: Request<Incoming>,
    state: Arc<State>,
    peer: SocketAddr,
) -> Response<Full<Bytes>> {
    state.inflight.fetch_add(1, Ordering::SeqCst);
    let _guard = InFlight(state.clone());
    let started = Instant::now();
    let received_at_ms = now_ms();
    let (parts, body) = req.into_parts();
    let mut rec = Record {
        v: 1,
        seq: state.seq.fetch_add(1, Ordering::Relaxed) + 1,
        received_at_ms,
        answered_at_ms: 0,
        remote: peer.to_string(),
        method: parts.method.to_string(),
        path: parts.uri.path().to_owned(),
        query: parts.uri.query().unwrap_or_default().to_owned(),
        headers: parts
            .headers
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_owned(),
                    redact_header(k.as_str(), &String::from_utf8_lossy(v.as_bytes())),
                )
            })
            .collect(),
        body: None,
        body_base64: None,
        event: None,
        provider: None,
        verdict: String::new(),
        problems: Vec::new(),
        status: 0,
        answer: String::new(),
        latency_ms: 0.0,
        answer_problems: Vec::new(),
        session_id: None,
    };
    let reply = process(&parts, body, &state, &mut rec).await;
    if let Some(d) = state.cfg.delay {
        tokio::time::sleep(d).await;
    }
    rec.event = reply.event.map(|e| e.id.clone());
    rec.session_id = reply.session_id;
    rec.provider = reply.event.map(|e| e.provider.as_str().to_owned());
    rec.verdict = reply.verdict.to_owned();
    rec.problems = reply.problems;
    rec.answer_problems = reply.answer_problems;
    rec.status = reply.status;
    rec.answer = String::from_utf8_lossy(&reply.body).into_owned();
    rec.answered_at_ms = now_ms();
    rec.latency_ms = (started.elapsed().as_secs_f64() * 1_000_000.0).round() / 1000.0;
    let line = state.cfg.capture.as_ref().map(|c| {
        let line = rec.to_line();
        c.write(&line);
        line
    });
    if let Some(show) = &state.cfg.on_exchange {
        show(rec, line.as_deref());
    }
    let mut resp = Response::new(Full::new(reply.body));
    *resp.status_mut() = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::OK);
    resp.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/json"),
    );
    if reply.status == 405 {
        resp.headers_mut().insert(
            hyper::header::ALLOW,
            hyper::header::HeaderValue::from_static("POST"),
        );
    }
    resp
}

async fn process(
    parts: &hyper::http::request::Parts,
    body: Incoming,
    state: &State,
    rec: &mut Record,
) -> Reply {
    let cec = is_cec_path(parts.uri.path());
    if parts.method != hyper::Method::POST {
        return Reply::refuse(
            405,
            cec,
            format!("method {} not allowed: callbacks are POSTed", parts.method),
        );
    }
    if let Some(reply) = oversized_head(parts, cec) {
        return reply;
    }
    let bytes = match read_body(parts, body, cec, &state.cfg).await {
        Ok(b) => b,
        Err(reply) => return *reply,
    };
    rec.set_body(&bytes);
    if cec {
        process_cec(parts, &bytes, state).await
    } else {
        process_tencent(parts, &bytes, state).await
    }
}

/// Whether a path is the CEC push endpoint (`{baseUrl}/webhooks/v1/messages`).
fn is_cec_path(path: &str) -> bool {
    path.trim_end_matches('/')
        .ends_with("/webhooks/v1/messages")
}

/// Limits on the request head (the platform's URLs and headers are well under 2 KiB).
const MAX_URL: usize = 8 * 1024;
const MAX_HEADERS: usize = 16 * 1024;

/// A URL or header block larger than any platform sends: refused with a JSON body.
fn oversized_head(parts: &hyper::http::request::Parts, cec: bool) -> Option<Reply> {
    let url_len = parts.uri.to_string().len();
    if url_len > MAX_URL {
        let msg = format!("the URL is {url_len} bytes, over the {MAX_URL} byte limit");
        return Some(Reply::refuse(414, cec, msg));
    }
    let head: usize = parts
        .headers
        .iter()
        .map(|(k, v)| k.as_str().len() + v.len() + 4)
        .sum();
    if head > MAX_HEADERS {
        let msg = format!("the headers are {head} bytes, over the {MAX_HEADERS} byte limit");
        return Some(Reply::refuse(431, cec, msg));
    }
    None
}

async fn read_body(
    parts: &hyper::http::request::Parts,
    body: Incoming,
    cec: bool,
    cfg: &Config,
) -> Result<Bytes, Box<Reply>> {
    let declared = parts
        .headers
        .get(hyper::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > cfg.max_body as u64) {
        return Err(Reply::boxed(
            413,
            cec,
            format!(
                "body of {} bytes is over the {} byte limit",
                declared.unwrap_or(0),
                cfg.max_body
            ),
        ));
    }
    match tokio::time::timeout(cfg.body_timeout, Limited::new(body, cfg.max_body).collect()).await {
        Err(_) => Err(Reply::boxed(
            408,
            cec,
            format!(
                "the body did not arrive within {}s",
                cfg.body_timeout.as_secs()
            ),
        )),
        Ok(Err(e))
            if e.downcast_ref::<http_body_util::LengthLimitError>()
                .is_some() =>
        {
            Err(Reply::boxed(
                413,
                cec,
                format!("body is over the {} byte limit", cfg.max_body),
            ))
        }
        Ok(Err(e)) => Err(Reply::boxed(
            400,
            cec,
            format!("could not read the body: {e}"),
        )),
        Ok(Ok(collected)) => Ok(collected.to_bytes()),
    }
}

/// Parse a body as a JSON object, or say exactly why not.
fn parse_object(bytes: &[u8], cec: bool) -> Result<Value, Box<Reply>> {
    if let Err(e) = std::str::from_utf8(bytes) {
        return Err(Reply::boxed(
            400,
            cec,
            format!(
                "body is not UTF-8 (invalid byte at offset {})",
                e.valid_up_to()
            ),
        ));
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(Reply::boxed(
            400,
            cec,
            "empty body: expected a JSON object".into(),
        ));
    }
    match serde_json::from_slice::<Value>(bytes) {
        Ok(v @ Value::Object(_)) => Ok(v),
        Ok(other) => Err(Reply::boxed(
            400,
            cec,
            format!("body is {}; expected a JSON object", describe(&other)),
        )),
        Err(e) => Err(Reply::boxed(400, cec, format!("body is not JSON: {e}"))),
    }
}

fn query_param<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

async fn process_tencent(
    parts: &hyper::http::request::Parts,
    bytes: &[u8],
    state: &State,
) -> Reply {
    let cfg = &state.cfg;
    let pairs: Vec<(String, String)> =
        url::form_urlencoded::parse(parts.uri.query().unwrap_or_default().as_bytes())
            .into_owned()
            .collect();
    let Some(command) = query_param(&pairs, "CallbackCommand") else {
        return Reply::refuse(400, false, "missing URL parameter CallbackCommand (Tencent callbacks carry SdkAppid, CallbackCommand, contenttype, ClientIP, OptPlatform); CEC pushes go to /webhooks/v1/messages".into());
    };
    if let Some(want) = &cfg.sdkappid {
        let got = query_param(&pairs, "SdkAppid");
        if got != Some(want.as_str()) {
            let got = got.map_or("nothing".to_owned(), |g| format!("{g:?}"));
            return Reply::refuse(
                403,
                false,
                format!("SdkAppid: expected {want:?} (this app), got {got}"),
            );
        }
    }
    if let Some(token) = &cfg.token {
        let now = now_ms() / 1000;
        if let Err(p) = verify(
            token,
            query_param(&pairs, "Sign"),
            query_param(&pairs, "RequestTime"),
            now,
            cfg.tolerance_s,
        ) {
            return Reply::refuse(401, false, p.to_string());
        }
    }
    let doc = match parse_object(bytes, false) {
        Ok(d) => d,
        Err(r) => return *r,
    };
    let event = catalogue().recognise_tencent(command, Some(&doc));
    let mut problems = match event {
        Some(ev) => check_document(ev, Side::Request, &doc),
        None => vec![unknown_callback(command, &doc)],
    };
    if let Some(body_cmd) = doc.get("CallbackCommand").and_then(Value::as_str) {
        if body_cmd != command {
            problems.push(Violation::new(
                "/CallbackCommand",
                format!("{command:?} (the URL's CallbackCommand)"),
                format!("{body_cmd:?}"),
            ));
        }
    }
    let session_id = doc
        .get("SessionId")
        .and_then(Value::as_str)
        .map(str::to_owned);
    answer(parts, bytes, state, event, false, problems, session_id).await
}

fn unknown_callback(command: &str, doc: &Value) -> Violation {
    if command == "Desk.SessionEventNotify" {
        let got = doc
            .get("Event")
            .map(describe)
            .unwrap_or_else(|| "nothing (the field is missing)".into());
        Violation::new("/Event", "one of the 17 documented session events", got)
    } else {
        Violation::new(
            "CallbackCommand",
            "a documented callback command (see `deskhook events`)",
            format!("{command:?}"),
        )
    }
}

async fn process_cec(parts: &hyper::http::request::Parts, bytes: &[u8], state: &State) -> Reply {
    if let Some(token) = &state.cfg.token {
        if let Err(msg) = check_bearer(parts, token) {
            return Reply::refuse(401, true, msg);
        }
    }
    let doc = match parse_object(bytes, true) {
        Ok(d) => d,
        Err(r) => return *r,
    };
    match doc.get("messages") {
        Some(Value::Array(_)) => {}
        Some(other) => {
            return Reply::refuse(
                400,
                true,
                format!("messages: expected an array, got {}", describe(other)),
            )
        }
        None => {
            return Reply::refuse(
                400,
                true,
                "messages: expected an array, got nothing (the field is missing)".into(),
            )
        }
    }
    let event = catalogue().recognise_cec(&doc);
    let problems = crate::catalogue::family_violations("cec-push", &doc);
    answer(parts, bytes, state, event, true, problems, None).await
}

fn check_bearer(parts: &hyper::http::request::Parts, token: &Secret) -> Result<(), String> {
    let Some(raw) = parts.headers.get(hyper::header::AUTHORIZATION) else {
        return Err("missing Authorization header: expected Bearer <token>".into());
    };
    let value = raw.to_str().unwrap_or_default();
    let Some(got) = value.strip_prefix("Bearer ") else {
        // Never echo the value: without the scheme word it may be the token itself.
        return Err("Authorization: expected \"Bearer <token>\" (the Bearer scheme, one space), got a value without it".into());
    };
    if bool::from(got.as_bytes().ct_eq(token.expose().as_bytes())) {
        Ok(())
    } else {
        Err("Authorization: wrong Bearer token".into())
    }
}

async fn answer(
    parts: &hyper::http::request::Parts,
    bytes: &[u8],
    state: &State,
    event: Option<&'static Event>,
    cec: bool,
    problems: Vec<Violation>,
    session_id: Option<String>,
) -> Reply {
    let verdict = if problems.is_empty() {
        "accepted"
    } else {
        "invalid"
    };
    if let Some(fwd) = &state.cfg.forward {
        let mut r = forward(fwd, parts, bytes, event, cec, problems, verdict).await;
        r.session_id = session_id;
        return r;
    }
    let body = answer_for(event, cec, &state.cfg.answers);
    Reply {
        status: 200,
        body: Bytes::from(body.to_string()),
        verdict,
        problems,
        event,
        answer_problems: Vec::new(),
        session_id,
    }
}

async fn forward(
    fwd: &Forward,
    parts: &hyper::http::request::Parts,
    bytes: &[u8],
    event: Option<&'static Event>,
    cec: bool,
    problems: Vec<Violation>,
    verdict: &'static str,
) -> Reply {
    let base = if cec {
        cec_url(&fwd.base)
    } else {
        fwd.base.clone()
    };
    let url = with_raw_query(&base, parts.uri.query().unwrap_or_default());
    let mut req = fwd.client.post(url).body(bytes.to_vec());
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
    match sent {
        Ok((status, body)) => {
            let answer_problems = event
                .map(|ev| check_answer(ev, status, &body, Expect::Any).violations)
                .unwrap_or_default();
            let verdict = if answer_problems.is_empty() {
                verdict
            } else {
                "invalid_answer"
            };
            Reply {
                status,
                body,
                verdict,
                problems,
                event,
                answer_problems,
                session_id: None,
            }
        }
        Err(e) => {
            let msg = format!(
                "--forward-to backend: {}",
                describe_transport(&e, fwd.timeout)
            );
            let mut r = Reply::refuse(502, cec, msg);
            r.verdict = "forward_failed";
            r.event = event;
            r
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_problems_never_echo_the_value() {
        let req = hyper::Request::post("/webhooks/v1/messages")
            .header("authorization", "S3CRET x")
            .body(())
            .unwrap();
        let (parts, _) = req.into_parts();
        let msg = check_bearer(&parts, &Secret::new("other")).unwrap_err();
        assert!(!msg.contains("S3CRET"), "{msg}");
    }
}
