//! Helpers shared by the integration tests (`mod support;` in each test file).
//!
//! - [`deskhook`]: the binary under test, with a clean environment; [`run`] runs it to the
//!   end and keeps exit code and output ([`Run`], [`assert_code`]).
//! - [`TestServer`]: a tiny recording HTTP/1 server on `127.0.0.1:0`, answering with a closure.
//! - [`closed_port`]: a loopback URL where nothing listens.
//! - [`documented_success`]: the success envelope the documentation tells a backend to return.
//! - [`docs_check`]: an independent receiver written from `shared/spec/PROTOCOL.md` §1–§4 and the
//!   seed documents alone. It never calls deskhook's library code: hashes with `sha2`, parses
//!   UUIDs with `uuid`, validates with `jsonschema` against `fixtures/schemas/*.json` read from disk.
//!
//! Nothing here touches the network beyond the loopback interface.

#![allow(dead_code)]

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

// ---------------------------------------------------------------------------------------------
// The binary
// ---------------------------------------------------------------------------------------------

/// `deskhook` as built by cargo, without any `DESKHOOK_*` variable of the caller's environment
/// and without colour, so that outputs are plain text.
pub fn deskhook() -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::cargo_bin("deskhook").expect("the deskhook binary is built");
    for (k, _) in std::env::vars_os() {
        if k.to_string_lossy().starts_with("DESKHOOK_") {
            cmd.env_remove(k);
        }
    }
    cmd.env("NO_COLOR", "1").env_remove("CLICOLOR_FORCE");
    cmd
}

/// The crate root (where `fixtures/` and `completions/` live).
pub fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A JSON file of the repository, parsed.
pub fn read_json(path: impl AsRef<Path>) -> Value {
    let path = manifest_dir().join(path);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}

/// Milliseconds since the Unix epoch, now.
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("the clock is after 1970")
        .as_millis() as u64
}

/// Lowercase hex SHA-256 of a string.
pub fn sha256_hex(s: &str) -> String {
    hex::encode(Sha256::digest(s.as_bytes()))
}

// ---------------------------------------------------------------------------------------------
// The recording test server
// ---------------------------------------------------------------------------------------------

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
        TestServer::start(|r| (200, documented_success(r), None))
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

/// A loopback URL (`http://127.0.0.1:<port>/`) where nothing listens: the port was bound
/// and released, so connecting to it is refused.
pub fn closed_port() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    let port = listener.local_addr().expect("an address").port();
    drop(listener);
    format!("http://127.0.0.1:{port}/")
}

// ---------------------------------------------------------------------------------------------
// What a backend written from the documentation answers
// ---------------------------------------------------------------------------------------------

/// The documented success answer for a received callback (PROTOCOL.md §1.4, §2.2, §2.3, §4.4):
/// CEC `{"resultCode":"0",...}`; assignment with `AgentGroupId`/`AgentIdList`;
/// `Chatbot.InterfaceInvocation` with a `Body` map; every other Tencent callback the plain ack.
pub fn documented_success(req: &Recorded) -> Vec<u8> {
    let v = if req.is_cec() {
        json!({"resultCode": "0", "resultDesc": "success."})
    } else {
        match req.query_param("CallbackCommand").unwrap_or_default() {
            "ChatBot.OnAssignAgent" | "ChatBot.OnAssignHuman" => json!({
                "ActionStatus": "OK", "ErrorInfo": "", "ErrorCode": 0,
                "AgentGroupId": 6521, "AgentIdList": ["penn_svc", "dramon_svc"],
            }),
            "Chatbot.InterfaceInvocation" => json!({
                "ActionStatus": "OK", "ErrorInfo": "", "ErrorCode": 0,
                "Body": {"testKey1": "value1", "testKey3": "10"},
            }),
            _ => json!({"ActionStatus": "OK", "ErrorInfo": "", "ErrorCode": 0}),
        }
    };
    serde_json::to_vec(&v).expect("JSON serialises")
}

// ---------------------------------------------------------------------------------------------
// An independent receiver, written from the documentation alone
// ---------------------------------------------------------------------------------------------

/// The 17 documented `Event` values of `Desk.SessionEventNotify` (PROTOCOL.md §2.1).
pub const SESSION_EVENTS: [&str; 17] = [
    "SessionBegin",
    "ChatBot.UserSendMsg",
    "ChatBot.RobotSendMsg",
    "Human.UserSendMsg",
    "Human.AgentSendMsg",
    "TransferringToHuman",
    "TransferringToHumanWait",
    "TransferToHumanSuccess",
    "NoAgentOnline",
    "AgentForward",
    "SatisfactionSelected",
    "SessionUserEnd",
    "SessionAgentEnd",
    "SessionUserTimeoutEnd",
    "SessionAgentTimeoutEnd",
    "SessionPendingAutoFinishEnd",
    "SessionEnd",
];

/// The TIM message element types (PROTOCOL.md §3).
pub const MSG_TYPES: [&str; 9] = [
    "TIMTextElem",
    "TIMLocationElem",
    "TIMFaceElem",
    "TIMCustomElem",
    "TIMSoundElem",
    "TIMImageElem",
    "TIMFileElem",
    "TIMVideoFileElem",
    "TIMRelayElem",
];

/// The family schema (file in `fixtures/schemas/`, without `.json`) of a Tencent callback,
/// picked by its `CallbackCommand`.
pub fn tencent_family(command: &str) -> Option<&'static str> {
    Some(match command {
        "Desk.SessionEventNotify" => "desk-session-event",
        "ChatBot.OnAssignAgent" | "ChatBot.OnAssignHuman" => "desk-assign",
        "Chatbot.InterfaceInvocation" => "desk-interface-invocation",
        "Member.EventNotify" => "desk-member-event",
        "Chatbot.TaskFlowEventNotify" => "desk-taskflow-event",
        _ => return None,
    })
}

/// Errors of `doc` against `fixtures/schemas/<name>.json`, checked with the jsonschema crate.
pub fn schema_file_errors(name: &str, doc: &Value) -> Vec<String> {
    let schema = read_json(format!("fixtures/schemas/{name}.json"));
    schema_errors(&schema, doc)
}

/// Errors of `doc` against a JSON Schema (draft 2020-12), `"<pointer>: <message>"` each.
pub fn schema_errors(schema: &Value, doc: &Value) -> Vec<String> {
    let validator = jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .build(schema)
        .unwrap_or_else(|e| panic!("the schema does not compile: {e}"));
    validator
        .iter_errors(doc)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect()
}

/// Check a received callback the way a backend written from PROTOCOL.md and the seeds would.
/// `token` is the callback token the backend was configured with (`None`: authentication off).
/// Returns one line per problem; empty when the callback is as documented.
pub fn docs_check(req: &Recorded, token: Option<&str>) -> Vec<String> {
    let mut p = Vec::new();
    if req.method != "POST" {
        p.push(format!("method: expected POST, got {}", req.method));
    }
    match req.header("content-type") {
        Some(ct) if ct.starts_with("application/json") => {}
        other => p.push(format!(
            "Content-Type: expected application/json, got {other:?}"
        )),
    }
    let body = match serde_json::from_slice::<Value>(&req.body) {
        Ok(v @ Value::Object(_)) => v,
        Ok(other) => {
            p.push(format!("body: expected a JSON object, got {other}"));
            return p;
        }
        Err(e) => {
            p.push(format!("body: not JSON: {e}"));
            return p;
        }
    };
    if req.is_cec() {
        check_cec(req, &body, token, &mut p);
    } else {
        check_tencent(req, &body, token, &mut p);
    }
    p
}

fn check_tencent(req: &Recorded, body: &Value, token: Option<&str>, p: &mut Vec<String>) {
    let now_s = now_ms() / 1000;
    // §1.2: the query parameters added by the platform.
    for key in [
        "SdkAppid",
        "CallbackCommand",
        "contenttype",
        "ClientIP",
        "OptPlatform",
        "RequestID",
    ] {
        match req.query_param(key) {
            Some(v) if !v.is_empty() => {}
            _ => p.push(format!("query: missing or empty {key}")),
        }
    }
    if let Some(id) = req.query_param("SdkAppid") {
        if !id.bytes().all(|b| b.is_ascii_digit()) {
            p.push(format!(
                "query SdkAppid: expected a numeric string, got {id:?}"
            ));
        }
    }
    if req.query_param("contenttype") != Some("json") {
        p.push(format!(
            "query contenttype: expected json, got {:?}",
            req.query_param("contenttype")
        ));
    }
    // §1.1: Sign = lowercase hex sha256(token + RequestTime), RequestTime in seconds, ±60 s.
    match token {
        Some(token) => {
            let time = req.query_param("RequestTime").unwrap_or_default();
            let sign = req.query_param("Sign").unwrap_or_default();
            if time.len() != 10 || !time.bytes().all(|b| b.is_ascii_digit()) {
                p.push(format!(
                    "query RequestTime: expected 10-digit Unix seconds, got {time:?}"
                ));
            } else {
                let t: u64 = time.parse().expect("digits");
                if t.abs_diff(now_s) > 60 {
                    p.push(format!(
                        "query RequestTime: {t} is more than 60 s from now ({now_s})"
                    ));
                }
            }
            let expected = sha256_hex(&format!("{token}{time}"));
            if sign != expected {
                p.push(format!(
                    "query Sign: expected {expected} (sha256(token + RequestTime)), got {sign:?}"
                ));
            }
        }
        None => {
            for key in ["Sign", "RequestTime"] {
                if req.query_param(key).is_some() {
                    p.push(format!("query: {key} sent although no token is configured"));
                }
            }
        }
    }
    // The body agrees with the query.
    let command = req.query_param("CallbackCommand").unwrap_or_default();
    if body.get("CallbackCommand").and_then(Value::as_str) != Some(command) {
        p.push(format!(
            "body CallbackCommand: expected {command:?} (the query's), got {:?}",
            body.get("CallbackCommand")
        ));
    }
    // EventTime: integer milliseconds (13 digits), within a day of now.
    match body.get("EventTime").and_then(Value::as_u64) {
        Some(t) if t.to_string().len() == 13 => {
            if t.abs_diff(now_ms()) > 24 * 3600 * 1000 {
                p.push(format!("EventTime: {t} is more than a day from now"));
            }
        }
        _ => p.push(format!(
            "EventTime: expected an integer of 13 digits (ms), got {:?}",
            body.get("EventTime")
        )),
    }
    if command == "Desk.SessionEventNotify" {
        check_session_event(body, p);
    }
    if let Some(v) = body.get("SatisfactionSelected") {
        if !v.as_i64().is_some_and(|n| (1..=5).contains(&n)) {
            p.push(format!(
                "SatisfactionSelected: expected an integer 1..=5, got {v}"
            ));
        }
    }
    for key in ["AgentId", "MemberId"] {
        if let Some(v) = body.get(key) {
            if !v.as_str().is_some_and(looks_like_email) {
                p.push(format!("{key}: expected an e-mail style agent id, got {v}"));
            }
        }
    }
    // The family schema, chosen by CallbackCommand.
    match tencent_family(command) {
        Some(family) => p.extend(
            schema_file_errors(family, body)
                .into_iter()
                .map(|e| format!("schema {family}: {e}")),
        ),
        None => p.push(format!(
            "CallbackCommand {command:?} is not a documented Desk callback"
        )),
    }
}

fn check_session_event(body: &Value, p: &mut Vec<String>) {
    match body.get("SessionId").and_then(Value::as_str) {
        Some(s) if is_v4_uuid(s) => {}
        other => p.push(format!("SessionId: expected a v4 UUID, got {other:?}")),
    }
    let event = body
        .get("Event")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if !SESSION_EVENTS.contains(&event) {
        p.push(format!(
            "Event: expected one of the 17 documented names, got {event:?}"
        ));
    }
    if event.ends_with("SendMsg") {
        match body.get("MsgKey").and_then(Value::as_str) {
            Some(k) if is_msg_key(k) => {}
            other => p.push(format!(
                "MsgKey: expected <seq>_<10-digit seconds>_<7 lowercase alnum>, got {other:?}"
            )),
        }
        match body.get("MsgBody").and_then(Value::as_array) {
            Some(items) if !items.is_empty() => {
                for (i, el) in items.iter().enumerate() {
                    let ty = el
                        .get("MsgType")
                        .and_then(Value::as_str)
                        .unwrap_or_default();
                    if !MSG_TYPES.contains(&ty) {
                        p.push(format!("MsgBody/{i}/MsgType: unknown {ty:?}"));
                    }
                    if !el.get("MsgContent").is_some_and(Value::is_object) {
                        p.push(format!("MsgBody/{i}/MsgContent: expected an object"));
                    }
                }
            }
            other => p.push(format!(
                "MsgBody: expected a non-empty array, got {other:?}"
            )),
        }
    }
}

fn check_cec(req: &Recorded, body: &Value, token: Option<&str>, p: &mut Vec<String>) {
    // §4.1: Bearer form, one space after Bearer.
    let auth = req.header("authorization");
    match token {
        Some(t) => {
            let want = format!("Bearer {t}");
            if auth != Some(want.as_str()) {
                p.push(format!(
                    "Authorization: expected \"Bearer <token>\", got {auth:?}"
                ));
            }
        }
        None => {
            if auth.is_some() {
                p.push("Authorization sent although no token is configured".to_owned());
            }
        }
    }
    // §4.3: {timestamp, messages: [DownLinkMsg, ...]}.
    if !body.get("timestamp").is_some_and(|t| t.is_u64()) {
        p.push(format!(
            "timestamp: expected an integer, got {:?}",
            body.get("timestamp")
        ));
    }
    match body.get("messages").and_then(Value::as_array) {
        Some(msgs) if !msgs.is_empty() => {
            for (i, m) in msgs.iter().enumerate() {
                for key in [
                    "channel",
                    "from",
                    "to",
                    "controlType",
                    "sourceType",
                    "timestamp",
                ] {
                    if m.get(key).is_none_or(Value::is_null) {
                        p.push(format!("messages/{i}: missing {key}"));
                    }
                }
            }
        }
        other => p.push(format!(
            "messages: expected a non-empty array, got {other:?}"
        )),
    }
    p.extend(
        schema_file_errors("cec-push", body)
            .into_iter()
            .map(|e| format!("schema cec-push: {e}")),
    );
}

/// RFC 4122 version-4 UUID, hyphenated.
pub fn is_v4_uuid(s: &str) -> bool {
    s.len() == 36
        && uuid::Uuid::parse_str(s)
            .is_ok_and(|u| u.get_version_num() == 4 && u.get_variant() == uuid::Variant::RFC4122)
}

/// `^\d+_\d{10}_[a-z0-9]{7}$`, e.g. `152_1600012345_abcdefg`.
pub fn is_msg_key(s: &str) -> bool {
    let parts: Vec<&str> = s.split('_').collect();
    matches!(parts.as_slice(), [seq, secs, rand]
        if !seq.is_empty() && seq.bytes().all(|b| b.is_ascii_digit())
            && secs.len() == 10 && secs.bytes().all(|b| b.is_ascii_digit())
            && rand.len() == 7 && rand.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()))
}

/// `local@domain.tld`, loosely.
pub fn looks_like_email(s: &str) -> bool {
    match s.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && !domain.contains('@')
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !s.contains(char::is_whitespace)
        }
        None => false,
    }
}

/// What one run of the binary left behind.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Both streams, for assertion messages.
    pub fn dump(&self) -> String {
        format!("stdout:\n{}\nstderr:\n{}", self.stdout, self.stderr)
    }

    /// Every stdout line parsed as JSON (for `--format json`).
    pub fn json_lines(&self) -> Vec<Value> {
        self.stdout
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l:?}")))
            .collect()
    }
}

/// Run the binary with `args` to the end (a generous safety time-out, not an assertion).
pub fn run(args: &[&str]) -> Run {
    let out = deskhook()
        .args(args)
        .timeout(Duration::from_secs(180))
        .output()
        .expect("deskhook runs");
    Run {
        code: out.status.code().expect("deskhook exits with a code"),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// The exit code, with both streams in the failure message.
#[track_caller]
pub fn assert_code(r: &Run, code: i32) {
    assert_eq!(r.code, code, "expected exit {code}\n{}", r.dump());
}
