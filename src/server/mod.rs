//! The receiver: what `listen` runs, and what `send`/`flow` start in-process when no `--to`
//! is given ([`Embedded`]). Hyper on tokio, so every limit is ours to set.
//!
//! Each request goes through [`respond`]: the request as such ([`limits`]: method, head,
//! body, JSON), then its provider's checks ([`tencent`]: `SdkAppid` → 403, `Sign`/`RequestTime`
//! → 401; [`cec`]: Bearer → 401) and schema, then the answer ([`AnswerPolicy`], or the
//! `--forward-to` backend's own, [`Forward`]). Every request becomes one [`Exchange`], built
//! once, that is captured and shown. Bad input never gets a 5xx or a panic: a JSON 4xx says
//! what is wrong, and header and body time-outs keep slow clients from starving the others.

mod answer;
mod cec;
mod conn;
mod embedded;
mod forward;
mod json_errors;
mod limits;
mod tencent;

pub use answer::{AnswerPolicy, AnswerTexts, Respond};
pub use cec::is_push_path;
pub use embedded::Embedded;
pub use forward::Forward;

use crate::capture::CaptureSink;
use crate::catalogue::{catalogue, Event};
use crate::clock::{millis, now_ms};
use crate::exchange::{Exchange, ExchangeVerdict};
use crate::redact;
use crate::secret::Secret;
use crate::violation::{Violation, Where};
use anyhow::{Context, Result};
use bytes::Bytes;
use conn::Caller;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::http::request::Parts;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use serde_json::json;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::net::TcpListener;
use tokio::sync::{watch, Notify};

/// Called with each exchange (and its capture line, when there is a capture), on the
/// request's own task: `listen` shows it there, with no hand-off per request.
pub type OnExchange = Arc<dyn Fn(Exchange, Option<&str>) + Send + Sync>;

/// Everything the receiver needs.
pub struct Config {
    /// Refuse (403) callbacks whose `SdkAppid` is not this.
    pub sdkappid: Option<String>,
    /// Verify `Sign`/`RequestTime` (Tencent) and Bearer (CEC) against this.
    pub token: Option<Secret>,
    /// Accepted clock difference for `RequestTime`, in seconds.
    pub tolerance_s: u64,
    pub answers: AnswerPolicy,
    pub delay: Option<Duration>,
    pub max_body: usize,
    pub body_timeout: Duration,
    pub header_timeout: Duration,
    pub forward: Option<Forward>,
    pub capture: Option<CaptureSink>,
    pub on_exchange: Option<OnExchange>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            sdkappid: None,
            token: None,
            tolerance_s: 60,
            answers: AnswerPolicy::default(),
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

/// Why a request is refused: the status and a message that says exactly what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub status: u16,
    pub message: String,
}

impl Refusal {
    pub fn new(status: u16, message: impl Into<String>) -> Refusal {
        Refusal {
            status,
            message: message.into(),
        }
    }

    /// The refusal in its provider's envelope.
    fn body(&self, cec: bool) -> Bytes {
        let body = if cec {
            json!({"resultCode": self.status.to_string(), "resultDesc": self.message})
        } else {
            json!({"ActionStatus": "FAIL", "ErrorCode": self.status, "ErrorInfo": self.message})
        };
        Bytes::from(body.to_string())
    }
}

/// A callback that passed its provider's checks.
pub struct Checked {
    /// The recognised event, if any.
    pub event: Option<&'static Event>,
    /// Schema violations of the body (it is still answered).
    pub problems: Vec<Violation>,
    pub session_id: Option<String>,
}

struct State {
    cfg: Config,
    /// The answers of `cfg.answers`, written out once.
    answers: AnswerTexts,
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
        answers: AnswerTexts::new(&cfg.answers),
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
        tokio::spawn(serve_connection(
            stream,
            peer,
            state.clone(),
            shutdown.clone(),
        ));
    }
}

async fn serve_connection(
    stream: tokio::net::TcpStream,
    peer: SocketAddr,
    state: Arc<State>,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(state.cfg.header_timeout)
        // A client may send its whole request and shut down its write side while it waits
        // for the answer (legal in HTTP/1.1): it still gets the answer.
        .half_close(true)
        .max_buf_size(32 * 1024);
    let (io, caller) = conn::share(stream);
    // Written once per connection, not once per request on it.
    let peer: Arc<str> = peer.to_string().into();
    let svc = hyper::service::service_fn(move |req| {
        let (state, caller, peer) = (state.clone(), caller.clone(), peer.clone());
        async move { Ok::<_, Infallible>(handle(req, state, &peer, caller).await) }
    });
    let io = TokioIo::new(json_errors::JsonErrors::new(io));
    let conn = builder.serve_connection(io, svc);
    tokio::pin!(conn);
    tokio::select! {
        _ = conn.as_mut() => {}
        _ = shutdown.changed() => {
            conn.as_mut().graceful_shutdown();
            let _ = conn.await;
        }
    }
}

/// Decrements the in-flight count however the handler ends.
struct InFlight(Arc<State>);

impl InFlight {
    fn enter(state: &Arc<State>) -> InFlight {
        state.inflight.fetch_add(1, Ordering::SeqCst);
        InFlight(state.clone())
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        if self.0.inflight.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.0.idle.notify_waiters();
        }
    }
}

/// One request: checked, answered (after `--delay`), written to the capture, shown, and only
/// then answered, so an answered callback is always in the capture. A capture that cannot be
/// written turns the answer into a 503 saying why (the platform delivers the callback again).
async fn handle(
    req: Request<Incoming>,
    state: Arc<State>,
    peer: &str,
    caller: Caller,
) -> Response<Full<Bytes>> {
    let _guard = InFlight::enter(&state);
    let started = Instant::now();
    let (parts, body) = req.into_parts();
    let cfg = &state.cfg;
    let cec = cec::is_push_path(parts.uri.path());
    let seq = state.seq.fetch_add(1, Ordering::Relaxed) + 1;
    let mut ex = received(&parts, peer, seq);
    let checked = check(&parts, body, cfg, cec, &mut ex).await;
    let answering = async {
        let answer = match checked {
            Ok((checked, bytes)) => answer(&parts, checked, &bytes, &state, cec, &mut ex).await,
            Err(refusal) => {
                recognise_refused(&parts, &mut ex, cec);
                refuse(&mut ex, &refusal, cec)
            }
        };
        if let Some(d) = cfg.delay {
            tokio::time::sleep(d).await;
        }
        answer
    };
    // Waiting (a delay, a backend) is when a caller may give up: watch for it then.
    let waits = cfg.delay.is_some() || cfg.forward.is_some();
    let (mut answer, closed_after) = watching(answering, waits.then_some(&caller), started).await;
    ex.caller_closed_after_ms = closed_after.map(millis);
    ex.answered_at_ms = now_ms();
    ex.latency_ms = millis(started.elapsed());
    let mut line = None;
    if let Some(capture) = &cfg.capture {
        let text = ex.to_line();
        match capture.commit(&text).await {
            Ok(()) => line = Some(text),
            Err(why) => answer = not_captured(&mut ex, &why, cec),
        }
    }
    let status = ex.status;
    if let Some(show) = &cfg.on_exchange {
        show(ex, line.as_deref());
    }
    response(status, answer)
}

/// Run `fut`; meanwhile, when there is a `caller` to watch, note how long after `started` it
/// closed its side of the connection (if it did before `fut` finished).
async fn watching<F: std::future::Future>(
    fut: F,
    caller: Option<&Caller>,
    started: Instant,
) -> (F::Output, Option<Duration>) {
    let Some(caller) = caller else {
        return (fut.await, None);
    };
    tokio::pin!(fut);
    let closed = caller.closed();
    tokio::pin!(closed);
    let mut closed_after = None;
    loop {
        tokio::select! {
            out = &mut fut => return (out, closed_after),
            () = &mut closed, if closed_after.is_none() => closed_after = Some(started.elapsed()),
        }
    }
}

/// The exchange could not be captured: answer 503 with the reason, so the platform retries.
fn not_captured(ex: &mut Exchange, why: &str, cec: bool) -> Bytes {
    let refusal = Refusal::new(
        503,
        format!("deskhook could not record this callback, so it is not accepted (deliver it again): {why}"),
    );
    let body = refuse(ex, &refusal, cec);
    ex.verdict = ExchangeVerdict::NotCaptured;
    ex.problems = vec![Violation::new(
        Where::Request,
        "the exchange written to the capture file before the answer",
        why,
    )];
    body
}

/// The request side of an exchange, as it arrived.
fn received(parts: &Parts, peer: &str, seq: u64) -> Exchange {
    Exchange {
        v: 1,
        seq,
        received_at_ms: now_ms(),
        answered_at_ms: 0,
        remote: peer.to_owned(),
        method: parts.method.to_string(),
        path: parts.uri.path().to_owned(),
        query: parts.uri.query().unwrap_or_default().to_owned(),
        headers: parts
            .headers
            .iter()
            .map(|(k, v)| {
                let value = String::from_utf8_lossy(v.as_bytes());
                (k.as_str().to_owned(), redact::header(k.as_str(), &value))
            })
            .collect(),
        body: None,
        body_base64: None,
        event: None,
        session_id: None,
        provider: None,
        verdict: ExchangeVerdict::Refused,
        problems: Vec::new(),
        status: 0,
        answer: String::new(),
        latency_ms: 0.0,
        answer_problems: Vec::new(),
        auth: None,
        caller_closed_after_ms: None,
    }
}

/// Check one request (the request as such, then its provider's checks), keeping its body in
/// the exchange; the checked callback and its body, or why it is refused.
async fn check(
    parts: &Parts,
    body: Incoming,
    cfg: &Config,
    cec: bool,
    ex: &mut Exchange,
) -> Result<(Checked, Bytes), Refusal> {
    limits::method(parts)?;
    limits::head(parts)?;
    let bytes = limits::body(parts, body, cfg.max_body, cfg.body_timeout).await?;
    ex.set_body(&bytes);
    let checked = if cec {
        cec::check(parts, &bytes, cfg, &mut ex.auth)?
    } else {
        tencent::check(parts, &bytes, cfg, &mut ex.auth)?
    };
    Ok((checked, bytes))
}

/// Answer a checked callback (the policy's envelope, or the backend's answer), filling the
/// exchange; the answer's body.
async fn answer(
    parts: &Parts,
    checked: Checked,
    bytes: &[u8],
    state: &State,
    cec: bool,
    ex: &mut Exchange,
) -> Bytes {
    let cfg = &state.cfg;
    ex.event = checked.event.map(|e| e.id.clone());
    ex.provider = checked.event.map(|e| e.provider.as_str().to_owned());
    ex.session_id = checked.session_id;
    ex.verdict = if checked.problems.is_empty() {
        ExchangeVerdict::Accepted
    } else {
        ExchangeVerdict::Invalid
    };
    ex.problems = checked.problems;
    match &cfg.forward {
        None => {
            let answer = state.answers.get(checked.event, cec);
            ex.status = 200;
            ex.answer = String::from_utf8_lossy(&answer).into_owned();
            answer
        }
        Some(fwd) => match fwd.relay(parts, bytes, checked.event, cec).await {
            Ok(relayed) => {
                if !relayed.problems.is_empty() {
                    ex.verdict = ExchangeVerdict::InvalidAnswer;
                }
                ex.answer_problems = relayed.problems;
                ex.status = relayed.status;
                ex.answer = String::from_utf8_lossy(&relayed.body).into_owned();
                relayed.body
            }
            Err(e) => {
                // The backend is down or slow, not the callback at fault: the request keeps
                // its own verdict's problems and the failure is the backend's.
                let body = Refusal::new(502, format!("--forward-to backend: {e}")).body(cec);
                ex.status = 502;
                ex.verdict = ExchangeVerdict::ForwardFailed;
                ex.answer = String::from_utf8_lossy(&body).into_owned();
                ex.answer_problems = vec![Violation::new(
                    Where::Backend,
                    "an answer from the --forward-to backend",
                    format!("none, the backend is down or unreachable: {e}"),
                )];
                body
            }
        },
    }
}

/// Fill the exchange with a refusal; the refusal's body.
fn refuse(ex: &mut Exchange, refusal: &Refusal, cec: bool) -> Bytes {
    let body = refusal.body(cec);
    ex.status = refusal.status;
    ex.verdict = ExchangeVerdict::Refused;
    ex.problems = vec![Violation::new(
        Where::Request,
        "a well-formed, authentic callback",
        refusal.message.clone(),
    )];
    ex.answer = String::from_utf8_lossy(&body).into_owned();
    body
}

/// What a refused callback was, as far as its URL and body say (a wrong signature or app
/// id leaves them intact): its line and capture name the event, and `replay` can send it
/// again, re-signed.
fn recognise_refused(parts: &Parts, ex: &mut Exchange, cec: bool) {
    if parts.method != hyper::Method::POST {
        return;
    }
    let Some(doc) = ex.body_json() else {
        return;
    };
    let event = if cec {
        catalogue().recognise_cec(&doc)
    } else {
        crate::query::param(&ex.query, "CallbackCommand")
            .and_then(|command| catalogue().recognise_tencent(&command, Some(&doc)))
    };
    ex.event = event.map(|e| e.id.clone());
    ex.provider = event.map(|e| e.provider.as_str().to_owned());
    ex.session_id = doc
        .get("SessionId")
        .and_then(serde_json::Value::as_str)
        .map(str::to_owned);
}

fn response(status: u16, body: Bytes) -> Response<Full<Bytes>> {
    let mut resp = Response::new(Full::new(body));
    *resp.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    let headers = resp.headers_mut();
    headers.insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/json"),
    );
    if status == 405 {
        headers.insert(
            hyper::header::ALLOW,
            hyper::header::HeaderValue::from_static("POST"),
        );
    }
    resp
}
