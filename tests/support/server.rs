//! [`TestServer`]: a recording HTTP/1 server on `127.0.0.1:<free port>` that answers with a
//! closure, and [`Recorded`], one request as it saw it.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::Value;
use std::net::{SocketAddr, TcpListener};
use std::sync::{Arc, Mutex};
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

/// A recording HTTP/1 server on `127.0.0.1:<free port>`, running on its own thread with a
/// current-thread tokio runtime. It stops (cancelling any delayed answer) when dropped.
pub struct TestServer {
    addr: SocketAddr,
    requests: Arc<Mutex<Vec<Recorded>>>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl TestServer {
    /// Start a server that answers every request with `answer(&request)`.
    pub fn start<F>(answer: F) -> TestServer
    where
        F: Fn(&Recorded) -> Answer + Send + Sync + 'static,
    {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        listener
            .set_nonblocking(true)
            .expect("set the listener non-blocking");
        let addr = listener.local_addr().expect("the listener has an address");
        let requests: Arc<Mutex<Vec<Recorded>>> = Arc::default();
        let answer: Arc<AnswerFn> = Arc::new(answer);
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let recorded = requests.clone();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a tokio runtime for the test server");
            rt.block_on(serve(listener, recorded, answer, rx));
            // Dropping the runtime here cancels open connections and pending delays.
        });
        TestServer {
            addr,
            requests,
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

    /// The base URL, `http://127.0.0.1:<port>/`.
    pub fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }

    /// Every request received so far, in arrival order.
    pub fn requests(&self) -> Vec<Recorded> {
        self.requests
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
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
    }
}

async fn serve(
    listener: TcpListener,
    requests: Arc<Mutex<Vec<Recorded>>>,
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
        let (requests, answer) = (requests.clone(), answer.clone());
        tokio::spawn(async move {
            let svc = service_fn(move |req: Request<Incoming>| {
                let (requests, answer) = (requests.clone(), answer.clone());
                async move {
                    let (parts, body) = req.into_parts();
                    let body = body
                        .collect()
                        .await
                        .map(|b| b.to_bytes().to_vec())
                        .unwrap_or_default();
                    let raw_query = parts.uri.query().unwrap_or_default().to_owned();
                    let rec = Recorded {
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
                    };
                    let (status, bytes, delay) = answer(&rec);
                    requests.lock().unwrap_or_else(|e| e.into_inner()).push(rec);
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
