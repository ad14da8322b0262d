//! [`TestServer`]: a recording HTTP/1 server on `127.0.0.1:<free port>` that answers with a
//! closure, and [`Recorded`], one request as it saw it.
//!
//! Like xh's test server, it fails the test that owns it, when it is dropped (unless the test
//! is already failing):
//! - when the answer closure panicked (an assertion inside it failed): the panic is caught on
//!   the server's thread, the request is answered 500, and the panic is raised again in the
//!   test, by [`TestServer::requests`] or on drop;
//! - when it was never hit. A test that expects no request (a dry run, a usage error) says
//!   so with [`TestServer::never_hit`], which in turn fails when a request does arrive.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::Value;
use std::any::Any;
use std::net::{SocketAddr, TcpListener};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Duration;

/// One request as the test server saw it.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    /// The path, without the query.
    pub path: String,
    /// The raw query string (empty when there is none).
    pub raw_query: String,
    /// Decoded query pairs, in order.
    pub query: Vec<(String, String)>,
    /// Headers, names lowercased, in order.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Recorded {
    /// The first value of a query parameter.
    pub fn query_param(&self, key: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The first value of a header (name case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The body as JSON, if it is JSON.
    pub fn json(&self) -> Option<Value> {
        serde_json::from_slice(&self.body).ok()
    }

    /// Whether this is a Huawei CEC push (`<base>/webhooks/v1/messages`).
    pub fn is_cec(&self) -> bool {
        self.path.ends_with("/webhooks/v1/messages")
    }
}

/// A short name for a received callback: the session `Event` for `Desk.SessionEventNotify`,
/// else the `CallbackCommand`, or `cec` for a Huawei push.
pub fn label(req: &Recorded) -> String {
    if req.is_cec() {
        return "cec".to_owned();
    }
    match req.query_param("CallbackCommand") {
        Some("Desk.SessionEventNotify") => req
            .json()
            .and_then(|b| b["Event"].as_str().map(str::to_owned))
            .unwrap_or_default(),
        other => other.unwrap_or_default().to_owned(),
    }
}

/// The labels of several requests, in order.
pub fn labels(reqs: &[Recorded]) -> Vec<String> {
    reqs.iter().map(label).collect()
}

/// What the server answers: HTTP status, body bytes, and an optional delay before answering.
pub type Answer = (u16, Vec<u8>, Option<Duration>);

type AnswerFn = dyn Fn(&Recorded) -> Answer + Send + Sync + 'static;

/// What the server thread shares with the test.
#[derive(Default)]
struct Shared {
    requests: Mutex<Vec<Recorded>>,
    /// The message of the first panic of the answer closure.
    panic: Mutex<Option<String>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// A recording HTTP/1 server on `127.0.0.1:<free port>`, running on its own thread with a
/// current-thread tokio runtime. It stops (cancelling any delayed answer) when dropped, and
/// then fails the test as described in the module documentation.
pub struct TestServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    /// `false` for [`TestServer::never_hit`].
    expect_requests: bool,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl TestServer {
    /// Start a server that answers every request with `answer(&request)`, and that must be
    /// hit at least once.
    pub fn start<F>(answer: F) -> TestServer
    where
        F: Fn(&Recorded) -> Answer + Send + Sync + 'static,
    {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        listener
            .set_nonblocking(true)
            .expect("set the listener non-blocking");
        let addr = listener.local_addr().expect("the listener has an address");
        let shared: Arc<Shared> = Arc::default();
        let answer: Arc<AnswerFn> = Arc::new(answer);
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let on_thread = shared.clone();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a tokio runtime for the test server");
            rt.block_on(serve(listener, on_thread, answer, rx));
            // Dropping the runtime here cancels open connections and pending delays.
        });
        TestServer {
            addr,
            shared,
            expect_requests: true,
            shutdown: Some(tx),
            thread: Some(thread),
        }
    }

    /// A server that answers every callback with its documented success envelope.
    pub fn documented() -> TestServer {
        TestServer::start(|r| (200, super::documented_success(r), None))
    }

    /// A server that answers every request with one fixed status and body.
    pub fn fixed(status: u16, body: &str) -> TestServer {
        let body = body.as_bytes().to_vec();
        TestServer::start(move |_| (status, body.clone(), None))
    }

    /// A server for a test that expects no request at all (a dry run, a usage error): it
    /// answers like [`TestServer::documented`], and fails the test if anything reaches it.
    pub fn never_hit() -> TestServer {
        let mut server = TestServer::documented();
        server.expect_requests = false;
        server
    }

    /// The base URL, `http://127.0.0.1:<port>/`.
    pub fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }

    /// Every request received so far, in arrival order. Panics (failing the test) if the
    /// answer closure has panicked.
    pub fn requests(&self) -> Vec<Recorded> {
        self.raise_closure_panic();
        lock(&self.shared.requests).clone()
    }

    #[track_caller]
    fn raise_closure_panic(&self) {
        if let Some(msg) = lock(&self.shared.panic).take() {
            panic!("the test server's answer closure panicked: {msg}");
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        if std::thread::panicking() {
            // The test is failing already; a second panic would abort the process.
            return;
        }
        self.raise_closure_panic();
        let n = lock(&self.shared.requests).len();
        if self.expect_requests {
            assert!(
                n > 0,
                "the test server at {} was never hit (a test that expects no request builds \
                 it with TestServer::never_hit())",
                self.url()
            );
        } else {
            assert_eq!(
                n,
                0,
                "the TestServer::never_hit() server at {} received {n} request(s)",
                self.url()
            );
        }
    }
}

fn panic_message(payload: &(dyn Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".to_owned())
}

async fn serve(
    listener: TcpListener,
    shared: Arc<Shared>,
    answer: Arc<AnswerFn>,
    mut shutdown: tokio::sync::oneshot::Receiver<()>,
) {
    let listener = tokio::net::TcpListener::from_std(listener).expect("hand the listener to tokio");
    loop {
        let stream = tokio::select! {
            _ = &mut shutdown => return,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(_) => continue,
            },
        };
        let (shared, answer) = (shared.clone(), answer.clone());
        tokio::spawn(async move {
            let svc = service_fn(move |req: Request<Incoming>| {
                let (shared, answer) = (shared.clone(), answer.clone());
                async move {
                    let rec = record(req).await;
                    let answered = catch_unwind(AssertUnwindSafe(|| answer(&rec)));
                    lock(&shared.requests).push(rec);
                    let (status, bytes, delay) = match answered {
                        Ok(a) => a,
                        Err(payload) => {
                            lock(&shared.panic).get_or_insert(panic_message(&*payload));
                            (
                                500,
                                b"{\"test server\":\"the answer closure panicked\"}".to_vec(),
                                None,
                            )
                        }
                    };
                    if let Some(d) = delay {
                        tokio::time::sleep(d).await;
                    }
                    let resp = Response::builder()
                        .status(status)
                        .header("content-type", "application/json")
                        .body(Full::new(Bytes::from(bytes)))
                        .expect("a valid response");
                    Ok::<_, std::convert::Infallible>(resp)
                }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), svc)
                .await;
        });
    }
}

async fn record(req: Request<Incoming>) -> Recorded {
    let (parts, body) = req.into_parts();
    let body = body
        .collect()
        .await
        .map(|b| b.to_bytes().to_vec())
        .unwrap_or_default();
    let raw_query = parts.uri.query().unwrap_or_default().to_owned();
    Recorded {
        method: parts.method.to_string(),
        path: parts.uri.path().to_owned(),
        query: url::form_urlencoded::parse(raw_query.as_bytes())
            .into_owned()
            .collect(),
        raw_query,
        headers: parts
            .headers
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_ascii_lowercase(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect(),
        body,
    }
}
