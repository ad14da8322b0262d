//! End-to-end tests of `deskhook listen`.
//!
//! Every test starts its own `deskhook listen --port 0 ...` child process, waits for the ready
//! line, talks to it over loopback with hand-written HTTP/1.1 on `std::net::TcpStream` (so that
//! malformed requests can be sent byte for byte), then stops it: `--max-requests N` where the
//! number of callbacks is known, else SIGINT (Ctrl-C must flush the capture), and waits for the
//! process to exit.
//!
//! No test asserts on speed. Socket and exit timeouts below are safety nets that turn a hang
//! into a failure naming what hung.

use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

const TOKEN: &str = "T";
const APP: &str = "1400187352";
/// Safety net for every socket read/write: a hang becomes an error, never a stuck suite.
const IO_SAFETY: Duration = Duration::from_secs(25);
/// Safety net for the ready line and for the process to exit.
const PROCESS_SAFETY: Duration = Duration::from_secs(40);

// ---------------------------------------------------------------------------------------------
// fixtures, time, signing
// ---------------------------------------------------------------------------------------------

fn seed(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/seeds")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

fn seed_json(name: &str) -> Value {
    serde_json::from_slice(&seed(name)).expect("seed is JSON")
}

const SESSION_SEED: &str = "000-session-event.request.json";
const INTERFACE_SEED: &str = "001-interface-invocation.request.json";
const ASSIGN_SEED: &str = "002-assign-agent.request.json";
const CEC_SEED: &str = "004-cec-push.request.json";
const CEC_PATH: &str = "/webhooks/v1/messages";

fn now_s() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs()
}

/// lowercase hex sha256(token + RequestTime), computed here independently of the crate.
fn sign(token: &str, time: u64) -> String {
    let mut h = Sha256::new();
    h.update(token.as_bytes());
    h.update(time.to_string().as_bytes());
    hex::encode(h.finalize())
}

/// The query Tencent sends, signed with `token` at `time`.
fn tencent_query_with(token: &str, app: &str, command: &str, time: u64) -> String {
    format!(
        "SdkAppid={app}&CallbackCommand={command}&contenttype=json&ClientIP=127.0.0.1&OptPlatform=RESTAPI&Sign={}&RequestTime={time}",
        sign(token, time)
    )
}

/// A correctly signed query for TOKEN/APP, now.
fn tencent_query(command: &str) -> String {
    tencent_query_with(TOKEN, APP, command, now_s())
}

/// A callback target: a path plus a correctly signed query plus `extra` (e.g. `&RequestID=x`).
fn target(command: &str, extra: &str) -> String {
    format!("/desk/callback?{}{extra}", tencent_query(command))
}

// ---------------------------------------------------------------------------------------------
// the child process
// ---------------------------------------------------------------------------------------------

#[allow(deprecated)]
fn bin() -> PathBuf {
    assert_cmd::cargo::cargo_bin("deskhook")
}

/// A running `deskhook listen`.
struct Listen {
    child: Child,
    /// `127.0.0.1:PORT`, parsed from the ready line.
    addr: String,
    /// The ready line itself.
    ready: String,
    stdout: Option<JoinHandle<Vec<String>>>,
    stderr: Option<JoinHandle<String>>,
}

/// What a stopped `listen` left behind.
#[derive(Debug)]
struct Finished {
    status: ExitStatus,
    stdout: Vec<String>,
    stderr: String,
}

impl Finished {
    /// The process ended by itself (exit code), not by a signal's default action.
    fn assert_exited(&self, why: &str) {
        assert!(
            self.status.code().is_some(),
            "{why}: listen did not exit cleanly ({:?}); stderr:\n{}",
            self.status,
            self.stderr
        );
        assert!(
            !self.stderr.contains("panicked"),
            "{why}: listen panicked; stderr:\n{}",
            self.stderr
        );
    }

    /// Every stdout line of a `--format json` run parsed; the exchange lines only.
    fn exchanges(&self) -> Vec<Value> {
        let mut out = Vec::new();
        for (i, line) in self.stdout.iter().enumerate() {
            let v: Value = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("stdout line {} is not JSON ({e}): {line:?}", i + 1));
            assert!(
                v.is_object(),
                "stdout line {} is not an object: {line}",
                i + 1
            );
            if v["type"] == "exchange" {
                out.push(v);
            }
        }
        out
    }

    /// The one exchange whose query has `RequestID=id`.
    fn exchange_with(&self, id: &str) -> Value {
        let all: Vec<Value> = self
            .exchanges()
            .into_iter()
            .filter(|e| e["query"].as_str().and_then(request_id) == Some(id))
            .collect();
        assert_eq!(
            all.len(),
            1,
            "expected exactly one exchange with RequestID={id}; stdout:\n{}",
            self.stdout.join("\n")
        );
        all.into_iter().next().unwrap()
    }
}

/// The `RequestID` parameter of a raw query.
fn request_id(query: &str) -> Option<&str> {
    query
        .split('&')
        .find_map(|kv| kv.strip_prefix("RequestID="))
}

/// `127.0.0.1:PORT` from a ready line (human: `listening on http://127.0.0.1:PORT/ ...`,
/// json: `{"type":"ready","url":"http://127.0.0.1:PORT/"}`).
fn ready_addr(line: &str) -> Option<String> {
    let i = line.find("http://127.0.0.1:")?;
    let rest = &line[i + "http://".len()..];
    let end = rest.find('/')?;
    let addr = &rest[..end];
    addr["127.0.0.1:".len()..].parse::<u16>().ok()?;
    Some(addr.to_owned())
}

impl Listen {
    /// `deskhook listen --port 0 ARGS...`, waiting for the ready line.
    fn start(args: &[&str]) -> Listen {
        let mut child = Command::new(bin())
            .args(["--color", "never", "listen", "--port", "0"])
            .args(args)
            .env_remove("DESKHOOK_TOKEN")
            .env_remove("DESKHOOK_SDKAPPID")
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn deskhook listen");
        let out = child.stdout.take().expect("piped stdout");
        let err = child.stderr.take().expect("piped stderr");
        let (tx, rx) = mpsc::channel::<(String, String)>();
        let stdout = thread::spawn(move || {
            let mut tx = Some(tx);
            let mut lines = Vec::new();
            for line in BufReader::new(out).lines() {
                let Ok(line) = line else { break };
                if let Some(addr) = tx.as_ref().and(ready_addr(&line)) {
                    let _ = tx.take().expect("once").send((addr, line.clone()));
                }
                lines.push(line);
            }
            lines
        });
        let stderr = thread::spawn(move || {
            let mut s = String::new();
            let _ = BufReader::new(err).read_to_string(&mut s);
            s
        });
        match rx.recv_timeout(PROCESS_SAFETY) {
            Ok((addr, ready)) => Listen {
                child,
                addr,
                ready,
                stdout: Some(stdout),
                stderr: Some(stderr),
            },
            Err(e) => {
                let _ = child.kill();
                let status = child.wait();
                let out = stdout.join().unwrap_or_default();
                let err = stderr.join().unwrap_or_default();
                panic!(
                    "deskhook listen {args:?} printed no ready line ({e}); status {status:?}\nstdout: {out:?}\nstderr: {err}"
                );
            }
        }
    }

    /// Ctrl-C: SIGINT, then wait for the process to exit by itself.
    fn interrupt(self) -> Finished {
        let pid = self.child.id() as libc::pid_t;
        // SAFETY: plain kill(2) on our own child's pid.
        let rc = unsafe { libc::kill(pid, libc::SIGINT) };
        assert_eq!(rc, 0, "kill -INT {pid} failed");
        self.wait_exit("after SIGINT")
    }

    /// Wait for the process to exit by itself (for example after `--max-requests`).
    fn wait_exit(mut self, why: &str) -> Finished {
        let deadline = Instant::now() + PROCESS_SAFETY;
        let status = loop {
            if let Some(s) = self.child.try_wait().expect("try_wait") {
                break s;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                let out = self.stdout.take().map(|h| h.join().unwrap_or_default());
                let err = self.stderr.take().map(|h| h.join().unwrap_or_default());
                panic!(
                    "listen did not exit {why} (safety net hit)\nstdout: {out:?}\nstderr: {err:?}"
                );
            }
            thread::sleep(Duration::from_millis(20));
        };
        Finished {
            status,
            stdout: self
                .stdout
                .take()
                .expect("once")
                .join()
                .expect("stdout reader"),
            stderr: self
                .stderr
                .take()
                .expect("once")
                .join()
                .expect("stderr reader"),
        }
    }
}

impl Drop for Listen {
    fn drop(&mut self) {
        // Only reached with the child still running when a test panicked early.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// ---------------------------------------------------------------------------------------------
// a tiny HTTP/1.1 client
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone)]
struct Resp {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Resp {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("answer is not JSON ({e}): {self:?} {:?}", self.text()))
    }
}

fn connect(addr: &str) -> TcpStream {
    let s = TcpStream::connect(addr).unwrap_or_else(|e| panic!("connect {addr}: {e}"));
    s.set_read_timeout(Some(IO_SAFETY)).unwrap();
    s.set_write_timeout(Some(IO_SAFETY)).unwrap();
    let _ = s.set_nodelay(true);
    s
}

/// Read one response (Content-Length, chunked, or until close).
fn read_response(r: &mut impl BufRead) -> io::Result<Resp> {
    let mut line = Vec::new();
    if r.read_until(b'\n', &mut line)? == 0 {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "connection closed without an answer",
        ));
    }
    let status_line = String::from_utf8_lossy(&line).trim_end().to_owned();
    let mut parts = status_line.split(' ');
    let version = parts.next().unwrap_or_default();
    let status: u16 = parts
        .next()
        .and_then(|s| s.parse().ok())
        .filter(|_| version.starts_with("HTTP/1."))
        .ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("not an HTTP status line: {status_line:?}"),
            )
        })?;
    let mut headers = Vec::new();
    loop {
        line.clear();
        if r.read_until(b'\n', &mut line)? == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "connection closed inside the answer's headers",
            ));
        }
        let l = String::from_utf8_lossy(&line).trim_end().to_owned();
        if l.is_empty() {
            break;
        }
        if let Some((k, v)) = l.split_once(':') {
            headers.push((k.trim().to_owned(), v.trim().to_owned()));
        }
    }
    let mut resp = Resp {
        status,
        headers,
        body: Vec::new(),
    };
    if let Some(n) = resp.header("content-length") {
        let n: usize = n.parse().map_err(|_| {
            io::Error::new(io::ErrorKind::InvalidData, "bad Content-Length in answer")
        })?;
        resp.body = vec![0; n];
        r.read_exact(&mut resp.body)?;
    } else if resp
        .header("transfer-encoding")
        .is_some_and(|v| v.to_ascii_lowercase().contains("chunked"))
    {
        loop {
            line.clear();
            r.read_until(b'\n', &mut line)?;
            let size = String::from_utf8_lossy(&line);
            let size = usize::from_str_radix(size.trim().split(';').next().unwrap_or(""), 16)
                .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "bad chunk size"))?;
            if size == 0 {
                line.clear();
                r.read_until(b'\n', &mut line)?;
                break;
            }
            let mut chunk = vec![0; size + 2];
            r.read_exact(&mut chunk)?;
            resp.body.extend_from_slice(&chunk[..size]);
        }
    } else if status >= 200 && status != 204 && status != 304 {
        r.read_to_end(&mut resp.body)?;
    }
    Ok(resp)
}

/// An HTTP/1.1 request; adds Host, `Connection: close` (unless `keep_alive`) and
/// Content-Length (unless the caller set Content-Length or Transfer-Encoding).
fn request_bytes(
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: &[u8],
    keep_alive: bool,
) -> Vec<u8> {
    let mut s = format!("{method} {target} HTTP/1.1\r\nHost: 127.0.0.1\r\n");
    if !keep_alive {
        s.push_str("Connection: close\r\n");
    }
    for (k, v) in headers {
        s.push_str(&format!("{k}: {v}\r\n"));
    }
    let framed = headers.iter().any(|(k, _)| {
        k.eq_ignore_ascii_case("content-length") || k.eq_ignore_ascii_case("transfer-encoding")
    });
    if !framed {
        s.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    s.push_str("\r\n");
    let mut v = s.into_bytes();
    v.extend_from_slice(body);
    v
}

/// Write `raw` (from a second thread, so a server that answers early and closes cannot
/// deadlock a large upload), optionally half-close, and read one answer.
fn roundtrip_opts(addr: &str, raw: Vec<u8>, half_close: bool) -> io::Result<Resp> {
    let stream = connect(addr);
    let mut w = stream.try_clone()?;
    let writer = thread::spawn(move || {
        let r = w.write_all(&raw).and_then(|_| w.flush());
        if half_close {
            let _ = w.shutdown(Shutdown::Write);
        }
        r
    });
    let mut reader = BufReader::new(stream);
    let resp = read_response(&mut reader);
    let _ = writer.join();
    resp
}

fn roundtrip(addr: &str, raw: Vec<u8>) -> io::Result<Resp> {
    roundtrip_opts(addr, raw, false)
}

/// POST a JSON body.
fn post(addr: &str, target: &str, headers: &[(&str, &str)], body: &[u8]) -> io::Result<Resp> {
    let mut h = vec![("Content-Type", "application/json")];
    h.extend_from_slice(headers);
    roundtrip(addr, request_bytes("POST", target, &h, body, false))
}

fn post_ok(addr: &str, target: &str, headers: &[(&str, &str)], body: &[u8]) -> Resp {
    post(addr, target, headers, body).unwrap_or_else(|e| panic!("POST {target}: no answer: {e}"))
}

/// A correct, signed session event; used after every bad input.
fn good_request(addr: &str, id: &str) -> io::Result<Resp> {
    post(
        addr,
        &target("Desk.SessionEventNotify", &format!("&RequestID={id}")),
        &[],
        &seed(SESSION_SEED),
    )
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

/// The human-readable reason inside a refusal body (Tencent `ErrorInfo`, CEC `resultDesc`).
fn reason(body: &Value) -> Option<&str> {
    body.get("ErrorInfo")
        .or_else(|| body.get("resultDesc"))
        .and_then(Value::as_str)
}

fn ok_envelope() -> Value {
    json!({"ActionStatus": "OK", "ErrorInfo": "", "ErrorCode": 0})
}

// ---------------------------------------------------------------------------------------------
// 1. seed samples, answers
// ---------------------------------------------------------------------------------------------

#[test]
fn seed_samples_are_accepted_with_the_documented_envelopes() {
    let l = Listen::start(&[
        "--token",
        TOKEN,
        "--sdkappid",
        APP,
        "--format",
        "json",
        "--max-requests",
        "5",
    ]);

    let r = post_ok(
        &l.addr,
        &target("Desk.SessionEventNotify", "&RequestID=seed-000"),
        &[],
        &seed(SESSION_SEED),
    );
    assert_eq!(r.status, 200, "000 session event: {r:?} {}", r.text());
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.json(), ok_envelope(), "000 session event answer");

    let r = post_ok(
        &l.addr,
        &target("Chatbot.InterfaceInvocation", "&RequestID=seed-001"),
        &[],
        &seed(INTERFACE_SEED),
    );
    assert_eq!(r.status, 200, "001 interface invocation: {}", r.text());
    let a = r.json();
    assert_eq!(a["ActionStatus"], "OK", "{a}");
    assert_eq!(a["ErrorInfo"], "", "{a}");
    assert_eq!(a["ErrorCode"], 0, "{a}");
    assert!(
        a["Body"].is_object(),
        "InterfaceInvocation answer needs a Body object: {a}"
    );

    let r = post_ok(
        &l.addr,
        &target("ChatBot.OnAssignAgent", "&RequestID=seed-002"),
        &[],
        &seed(ASSIGN_SEED),
    );
    assert_eq!(r.status, 200, "002 assign agent: {}", r.text());
    let a = r.json();
    assert_eq!(a["ActionStatus"], "OK", "{a}");
    assert_eq!(a["ErrorCode"], 0, "{a}");
    assert!(
        a["AgentGroupId"].is_i64(),
        "assignment answer needs AgentGroupId: {a}"
    );
    let agents = a["AgentIdList"].as_array().expect("AgentIdList array");
    assert!(
        !agents.is_empty() && agents.iter().all(Value::is_string),
        "{a}"
    );

    // OnAssignHuman (the newer name) answers the same way.
    let mut human = seed_json(ASSIGN_SEED);
    human["CallbackCommand"] = json!("ChatBot.OnAssignHuman");
    let r = post_ok(
        &l.addr,
        &target("ChatBot.OnAssignHuman", "&RequestID=seed-002h"),
        &[],
        human.to_string().as_bytes(),
    );
    assert_eq!(r.status, 200, "OnAssignHuman: {}", r.text());
    assert!(r.json()["AgentGroupId"].is_i64(), "{}", r.text());

    let auth = bearer(TOKEN);
    let r = post_ok(
        &l.addr,
        &format!("{CEC_PATH}?RequestID=seed-004"),
        &[("Authorization", &auth)],
        &seed(CEC_SEED),
    );
    assert_eq!(r.status, 200, "004 CEC push: {}", r.text());
    let a = r.json();
    assert_eq!(a["resultCode"], "0", "{a}");
    assert!(a["resultDesc"].is_string(), "{a}");

    // --max-requests 5: the process stops by itself.
    let fin = l.wait_exit("after --max-requests 5");
    fin.assert_exited("max-requests");
    assert_eq!(
        fin.status.code(),
        Some(0),
        "all accepted → exit 0; stderr: {}",
        fin.stderr
    );
    for (id, event) in [
        ("seed-000", "ChatBot.UserSendMsg"),
        ("seed-001", "Chatbot.InterfaceInvocation"),
        ("seed-002", "ChatBot.OnAssignAgent"),
        ("seed-002h", "ChatBot.OnAssignHuman"),
        ("seed-004", "cec.connected"),
    ] {
        let e = fin.exchange_with(id);
        assert_eq!(e["verdict"], "accepted", "{id}: {e}");
        assert_eq!(e["event"], event, "{id}: {e}");
        assert_eq!(e["status"], 200, "{id}: {e}");
    }
}

#[test]
fn agents_group_and_vars_show_up_in_the_answers() {
    let l = Listen::start(&[
        "--token",
        TOKEN,
        "--sdkappid",
        APP,
        "--agents",
        "a@x.com,b@x.com",
        "--group",
        "7",
        "--vars",
        "k=v",
        "--max-requests",
        "2",
    ]);
    assert!(
        l.ready.contains("listening on http://127.0.0.1:"),
        "human ready line: {:?}",
        l.ready
    );
    let r = post_ok(
        &l.addr,
        &target("ChatBot.OnAssignAgent", ""),
        &[],
        &seed(ASSIGN_SEED),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let a = r.json();
    assert_eq!(a["ActionStatus"], "OK", "{a}");
    assert_eq!(a["ErrorCode"], 0, "{a}");
    assert_eq!(a["AgentGroupId"], 7, "{a}");
    assert_eq!(a["AgentIdList"], json!(["a@x.com", "b@x.com"]), "{a}");

    let r = post_ok(
        &l.addr,
        &target("Chatbot.InterfaceInvocation", ""),
        &[],
        &seed(INTERFACE_SEED),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let a = r.json();
    assert_eq!(a["ActionStatus"], "OK", "{a}");
    assert_eq!(a["Body"], json!({"k": "v"}), "{a}");
    l.wait_exit("after --max-requests 2")
        .assert_exited("max-requests");
}

#[test]
fn respond_fail_gives_the_fail_envelope() {
    let l = Listen::start(&[
        "--token",
        TOKEN,
        "--sdkappid",
        APP,
        "--respond",
        "fail",
        "--max-requests",
        "3",
    ]);
    for (command, body) in [
        ("Desk.SessionEventNotify", seed(SESSION_SEED)),
        ("ChatBot.OnAssignAgent", seed(ASSIGN_SEED)),
    ] {
        let r = post_ok(&l.addr, &target(command, ""), &[], &body);
        assert_eq!(r.status, 200, "{command}: {}", r.text());
        let a = r.json();
        assert_eq!(a["ActionStatus"], "FAIL", "{command}: {a}");
        assert!(
            a["ErrorCode"].as_i64().is_some_and(|c| c != 0),
            "{command}: {a}"
        );
        assert!(a["ErrorInfo"].is_string(), "{command}: {a}");
    }
    let auth = bearer(TOKEN);
    let r = post_ok(
        &l.addr,
        CEC_PATH,
        &[("Authorization", &auth)],
        &seed(CEC_SEED),
    );
    assert_eq!(r.status, 200, "CEC: {}", r.text());
    let a = r.json();
    assert!(
        a["resultCode"].as_str().is_some_and(|c| c != "0"),
        "CEC fail: {a}"
    );
    l.wait_exit("after --max-requests 3")
        .assert_exited("max-requests");
}

// ---------------------------------------------------------------------------------------------
// 2. refusals
// ---------------------------------------------------------------------------------------------

#[test]
fn refusals_say_why_in_json() {
    let l = Listen::start(&["--token", TOKEN, "--sdkappid", APP, "--format", "json"]);
    let now = now_s();
    let cmd = "Desk.SessionEventNotify";
    let session = seed(SESSION_SEED);
    let cec = seed(CEC_SEED);
    let wrong_bearer = bearer("not-the-token");
    let right_bearer = bearer(TOKEN);
    let no_sign = format!(
        "/cb?SdkAppid={APP}&CallbackCommand={cmd}&contenttype=json&RequestTime={now}&RequestID=ref-nosign"
    );
    let no_time = format!(
        "/cb?SdkAppid={APP}&CallbackCommand={cmd}&contenttype=json&Sign={}&RequestID=ref-notime",
        sign(TOKEN, now)
    );
    let no_app = format!(
        "/cb?CallbackCommand={cmd}&Sign={}&RequestTime={now}&RequestID=ref-noapp",
        sign(TOKEN, now)
    );
    type Case<'a> = (
        &'a str,
        String,
        Vec<(&'a str, &'a str)>,
        &'a [u8],
        u16,
        &'a str,
    );
    let cases: Vec<Case> = vec![
        (
            "wrong Sign",
            format!(
                "/cb?{}&RequestID=ref-wrong",
                tencent_query_with("other", APP, cmd, now)
            ),
            vec![],
            &session,
            401,
            "wrong token",
        ),
        (
            "stale RequestTime",
            format!(
                "/cb?{}&RequestID=ref-stale",
                tencent_query_with(TOKEN, APP, cmd, now - 3600)
            ),
            vec![],
            &session,
            401,
            "stale",
        ),
        (
            "RequestTime in the future",
            format!(
                "/cb?{}&RequestID=ref-future",
                tencent_query_with(TOKEN, APP, cmd, now + 3600)
            ),
            vec![],
            &session,
            401,
            "stale",
        ),
        ("missing Sign", no_sign, vec![], &session, 401, "Sign"),
        (
            "missing RequestTime",
            no_time,
            vec![],
            &session,
            401,
            "RequestTime",
        ),
        (
            "wrong SdkAppid",
            format!(
                "/cb?{}&RequestID=ref-app",
                tencent_query_with(TOKEN, "1400000000", cmd, now)
            ),
            vec![],
            &session,
            403,
            "SdkAppid",
        ),
        (
            "missing SdkAppid",
            no_app,
            vec![],
            &session,
            403,
            "SdkAppid",
        ),
        (
            "CEC wrong Bearer",
            format!("{CEC_PATH}?RequestID=ref-cec-wrong"),
            vec![("Authorization", wrong_bearer.as_str())],
            &cec,
            401,
            "Bearer",
        ),
        (
            "CEC without Authorization",
            format!("{CEC_PATH}?RequestID=ref-cec-none"),
            vec![],
            &cec,
            401,
            "Authorization",
        ),
        (
            "CEC Basic scheme",
            format!("{CEC_PATH}?RequestID=ref-cec-basic"),
            vec![("Authorization", "Basic dXNlcjpwYXNz")],
            &cec,
            401,
            "Bearer",
        ),
    ];
    let n = cases.len();
    for (name, tgt, headers, body, status, mention) in cases {
        let r = post(&l.addr, &tgt, &headers, body)
            .unwrap_or_else(|e| panic!("{name}: no answer: {e}"));
        assert_eq!(r.status, status, "{name}: {r:?} {}", r.text());
        let a: Value = serde_json::from_slice(&r.body)
            .unwrap_or_else(|e| panic!("{name}: refusal body is not JSON ({e}): {}", r.text()));
        let why = reason(&a).unwrap_or_else(|| panic!("{name}: no reason in {a}"));
        assert!(
            why.to_lowercase().contains(&mention.to_lowercase()),
            "{name}: reason should mention {mention:?}: {why}"
        );
        if tgt.starts_with(CEC_PATH) {
            assert!(
                a["resultCode"].as_str().is_some_and(|c| c != "0"),
                "{name}: {a}"
            );
        } else {
            assert_eq!(a["ActionStatus"], "FAIL", "{name}: {a}");
            assert!(
                a["ErrorCode"].as_i64().is_some_and(|c| c != 0),
                "{name}: {a}"
            );
        }
    }
    // A right Bearer and a right Sign still pass afterwards.
    let r = post_ok(
        &l.addr,
        &format!("{CEC_PATH}?RequestID=ref-cec-ok"),
        &[("Authorization", &right_bearer)],
        &cec,
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let r = good_request(&l.addr, "ref-ok").expect("good request");
    assert_eq!(r.status, 200, "{}", r.text());

    let fin = l.interrupt();
    fin.assert_exited("SIGINT");
    let ex = fin.exchanges();
    assert_eq!(
        ex.len(),
        n + 2,
        "one exchange line per request:\n{}",
        fin.stdout.join("\n")
    );
    let refused = ex.iter().filter(|e| e["verdict"] == "refused").count();
    assert_eq!(
        refused,
        n,
        "every refusal has verdict refused:\n{}",
        fin.stdout.join("\n")
    );
    assert_eq!(
        fin.status.code(),
        Some(1),
        "refusals → exit 1 (check failed)"
    );
}

// ---------------------------------------------------------------------------------------------
// 3. bad input: each case has its own listener; every failure names the case
// ---------------------------------------------------------------------------------------------

/// What a bad input must be answered with.
#[derive(Clone, Copy, Debug)]
enum Want {
    /// Exactly this 4xx, with a JSON body whose reason is non-empty.
    Status(u16),
    /// Any 4xx, with a JSON body whose reason is non-empty.
    Any4xx,
    /// 200 with the generic OK envelope (the callback is answered, the verdict says the rest).
    Answered,
}

/// Start a listener (token, SdkAppid, `--format json`, plus `extra`), send one bad input with
/// `send`, check the answer against `want` (and `mentions`, case-insensitive), then check that a
/// good signed request still gets 200, then Ctrl-C. All problems are collected and reported
/// together under the case's name.
fn bad_case(
    name: &str,
    extra: &[&str],
    want: Want,
    mentions: &[&str],
    send: impl FnOnce(&Listen) -> io::Result<Resp>,
) -> Finished {
    let mut args = vec!["--token", TOKEN, "--sdkappid", APP, "--format", "json"];
    args.extend_from_slice(extra);
    let l = Listen::start(&args);
    let mut fails: Vec<String> = Vec::new();
    match send(&l) {
        Err(e) => fails.push(format!("no answer to the bad input: {e}")),
        Ok(r) => check_bad_answer(&r, want, mentions, &mut fails),
    }
    match good_request(&l.addr, "good-after") {
        Ok(r)
            if r.status == 200
                && serde_json::from_slice::<Value>(&r.body).ok() == Some(ok_envelope()) => {}
        Ok(r) => fails.push(format!(
            "a good signed request afterwards got {} {}",
            r.status,
            r.text()
        )),
        Err(e) => fails.push(format!(
            "a good signed request afterwards got no answer: {e}"
        )),
    }
    let fin = l.interrupt();
    if fin.status.code().is_none() {
        fails.push(format!(
            "listen did not exit cleanly after SIGINT: {:?}",
            fin.status
        ));
    }
    if fin.stderr.contains("panicked") {
        fails.push(format!("listen panicked: {}", fin.stderr));
    }
    for (i, line) in fin.stdout.iter().enumerate() {
        if serde_json::from_str::<Value>(line).is_err() {
            fails.push(format!("stdout line {} is not JSON: {line:?}", i + 1));
        }
    }
    assert!(
        fails.is_empty(),
        "bad input case `{name}`:\n  - {}\nstdout:\n{}\nstderr:\n{}",
        fails.join("\n  - "),
        fin.stdout.join("\n"),
        fin.stderr
    );
    fin
}

fn check_bad_answer(r: &Resp, want: Want, mentions: &[&str], fails: &mut Vec<String>) {
    let shown = format!("{} {:?} body {:?}", r.status, r.headers, r.text());
    if r.status >= 500 {
        fails.push(format!("answered with a 5xx: {shown}"));
    }
    match want {
        Want::Status(s) if r.status != s => fails.push(format!("expected status {s}, got {shown}")),
        Want::Any4xx if !(400..500).contains(&r.status) => {
            fails.push(format!("expected a 4xx, got {shown}"))
        }
        Want::Answered if r.status != 200 => fails.push(format!("expected 200, got {shown}")),
        _ => {}
    }
    let body: Option<Value> = serde_json::from_slice(&r.body).ok();
    let Some(body) = body.filter(Value::is_object) else {
        fails.push(format!("the answer body is not a JSON object: {shown}"));
        return;
    };
    if let Want::Answered = want {
        if body != ok_envelope() {
            fails.push(format!("expected the OK envelope, got {body}"));
        }
        return;
    }
    match reason(&body) {
        Some(why) if !why.trim().is_empty() => {
            for m in mentions {
                if !why.to_lowercase().contains(&m.to_lowercase()) {
                    fails.push(format!("the reason should mention {m:?}: {why:?}"));
                }
            }
        }
        _ => fails.push(format!(
            "the JSON body says nothing about what is wrong: {body}"
        )),
    }
}

/// POST `body` to a signed session-event target marked `RequestID=bad`.
fn post_session(l: &Listen, body: &[u8]) -> io::Result<Resp> {
    post(
        &l.addr,
        &target("Desk.SessionEventNotify", "&RequestID=bad"),
        &[],
        body,
    )
}

/// POST `body` as a CEC push with the right Bearer.
fn post_cec(l: &Listen, body: &[u8]) -> io::Result<Resp> {
    let auth = bearer(TOKEN);
    post(
        &l.addr,
        &format!("{CEC_PATH}?RequestID=bad"),
        &[("Authorization", &auth)],
        body,
    )
}

/// Headers of a signed session-event POST with the given framing headers (no body).
fn session_head(framing: &str) -> Vec<u8> {
    format!(
        "POST {} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nConnection: close\r\n{framing}\r\n",
        target("Desk.SessionEventNotify", "&RequestID=bad")
    )
    .into_bytes()
}

fn chunked(body: &[u8], chunk: usize) -> Vec<u8> {
    let mut out = Vec::new();
    for c in body.chunks(chunk) {
        out.extend_from_slice(format!("{:x}\r\n", c.len()).as_bytes());
        out.extend_from_slice(c);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"0\r\n\r\n");
    out
}

#[test]
fn bad_malformed_json() {
    bad_case("malformed JSON", &[], Want::Status(400), &["JSON"], |l| {
        post_session(
            l,
            br#"{"CallbackCommand": "Desk.SessionEventNotify", "Event": "#,
        )
    });
}

#[test]
fn bad_empty_body() {
    bad_case("empty body", &[], Want::Status(400), &["empty"], |l| {
        post_session(l, b"")
    });
}

#[test]
fn bad_json_array_body() {
    bad_case(
        "JSON array body",
        &[],
        Want::Status(400),
        &["array", "object"],
        |l| post_session(l, b"[1, 2, 3]"),
    );
}

#[test]
fn bad_json_string_body() {
    bad_case(
        "JSON string body",
        &[],
        Want::Status(400),
        &["object"],
        |l| post_session(l, br#""Desk.SessionEventNotify""#),
    );
}

#[test]
fn bad_json_number_body() {
    bad_case(
        "JSON number body",
        &[],
        Want::Status(400),
        &["object"],
        |l| post_session(l, b"42"),
    );
}

#[test]
fn bad_json_null_body() {
    bad_case(
        "JSON null body",
        &[],
        Want::Status(400),
        &["null", "object"],
        |l| post_session(l, b"null"),
    );
}

#[test]
fn bad_non_utf8_body() {
    bad_case("non-UTF-8 body", &[], Want::Status(400), &["UTF-8"], |l| {
        post_session(l, b"{\"Event\": \"\xff\xfe\xc3\x28\"}")
    });
}

#[test]
fn bad_body_over_max_body_1024() {
    // The good request afterwards (the 563-byte seed) is under the limit.
    bad_case(
        "body over --max-body 1024",
        &["--max-body", "1024"],
        Want::Status(413),
        &["limit"],
        |l| {
            let mut doc = seed_json(SESSION_SEED);
            doc["CloudCustomData"] = json!("x".repeat(2000));
            post_session(l, doc.to_string().as_bytes())
        },
    );
}

#[test]
fn bad_body_over_default_limit() {
    bad_case(
        "2 MiB body, default 1 MiB limit",
        &[],
        Want::Status(413),
        &["limit"],
        |l| {
            let mut doc = seed_json(SESSION_SEED);
            doc["CloudCustomData"] = json!("x".repeat(2 * 1024 * 1024));
            post_session(l, doc.to_string().as_bytes())
        },
    );
}

#[test]
fn bad_chunked_body_over_default_limit() {
    // No Content-Length to refuse up front: the limit must hold while reading.
    bad_case(
        "2 MiB chunked body, default limit",
        &[],
        Want::Status(413),
        &["limit"],
        |l| {
            let mut doc = seed_json(SESSION_SEED);
            doc["CloudCustomData"] = json!("x".repeat(2 * 1024 * 1024));
            let mut raw = session_head("Transfer-Encoding: chunked\r\n");
            raw.extend(chunked(doc.to_string().as_bytes(), 64 * 1024));
            roundtrip(&l.addr, raw)
        },
    );
}

fn method_case(method: &str) {
    let name = format!("{method} instead of POST");
    bad_case(&name, &[], Want::Status(405), &[method], |l| {
        let raw = request_bytes(
            method,
            &target("Desk.SessionEventNotify", "&RequestID=bad"),
            &[],
            b"",
            false,
        );
        let r = roundtrip(&l.addr, raw)?;
        assert_eq!(
            r.header("allow"),
            Some("POST"),
            "{name}: 405 needs Allow: POST: {r:?}"
        );
        Ok(r)
    });
}

#[test]
fn bad_method_get() {
    method_case("GET");
}

#[test]
fn bad_method_put() {
    method_case("PUT");
}

#[test]
fn bad_method_delete() {
    method_case("DELETE");
}

/// The receiver sets a 64 KiB head buffer; a 100 KB header value must be refused (431 or
/// another 4xx) with a JSON reason. (Currently answered 200: see the bug report.)
#[test]
fn bad_oversized_header() {
    bad_case("100 KB header value", &[], Want::Any4xx, &[], |l| {
        let big = "a".repeat(100 * 1024);
        post(
            &l.addr,
            &target("Desk.SessionEventNotify", "&RequestID=bad"),
            &[("X-Big", &big)],
            &seed(SESSION_SEED),
        )
    });
}

/// A 100 KB query: a 4xx with a JSON reason. (Currently hyper's bare 414, empty body.)
#[test]
fn bad_oversized_url() {
    bad_case("100 KB query", &[], Want::Any4xx, &[], |l| {
        let pad = "p".repeat(100 * 1024);
        post(
            &l.addr,
            &target(
                "Desk.SessionEventNotify",
                &format!("&RequestID=bad&Pad={pad}"),
            ),
            &[],
            &seed(SESSION_SEED),
        )
    });
}

#[test]
fn bad_deeply_nested_arrays() {
    bad_case(
        "[[[…]]] 100000 deep",
        &[],
        Want::Status(400),
        &["JSON"],
        |l| {
            let depth = 100_000;
            let body = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
            post_session(l, body.as_bytes())
        },
    );
}

#[test]
fn bad_deeply_nested_objects() {
    bad_case(
        "{\"a\":{\"a\":…}} 100000 deep",
        &[],
        Want::Status(400),
        &["JSON"],
        |l| {
            let depth = 100_000;
            let body = format!("{}1{}", "{\"a\":".repeat(depth), "}".repeat(depth));
            post_session(l, body.as_bytes())
        },
    );
}

#[test]
fn bad_chunk_size() {
    bad_case("invalid chunk size", &[], Want::Status(400), &[], |l| {
        let mut raw = session_head("Transfer-Encoding: chunked\r\n");
        raw.extend_from_slice(b"zz\r\n{\"a\":1}\r\n0\r\n\r\n");
        roundtrip(&l.addr, raw)
    });
}

#[test]
fn bad_truncated_chunked_body() {
    bad_case(
        "truncated chunked body, then close",
        &[],
        Want::Status(400),
        &[],
        |l| {
            let mut raw = session_head("Transfer-Encoding: chunked\r\n");
            raw.extend_from_slice(b"100\r\n{\"CallbackCommand\":");
            roundtrip_opts(&l.addr, raw, true)
        },
    );
}

#[test]
fn bad_content_length_larger_than_body() {
    bad_case(
        "Content-Length larger than the body, then close",
        &[],
        Want::Status(400),
        &[],
        |l| {
            let body = seed(SESSION_SEED);
            let mut raw = session_head(&format!("Content-Length: {}\r\n", body.len() + 100));
            raw.extend_from_slice(&body);
            roundtrip_opts(&l.addr, raw, true)
        },
    );
}

#[test]
fn bad_content_length_smaller_than_body() {
    bad_case(
        "Content-Length smaller than the body",
        &[],
        Want::Status(400),
        &["JSON"],
        |l| {
            let body = seed(SESSION_SEED);
            let mut raw = session_head(&format!("Content-Length: {}\r\n", body.len() - 10));
            raw.extend_from_slice(&body);
            roundtrip(&l.addr, raw)
        },
    );
}

#[test]
fn bad_cec_messages_is_a_string() {
    bad_case(
        "CEC messages is a string",
        &[],
        Want::Status(400),
        &["messages"],
        |l| post_cec(l, br#"{"timestamp": 1625898453913, "messages": "hello"}"#),
    );
}

#[test]
fn bad_cec_messages_is_an_object() {
    bad_case(
        "CEC messages is an object",
        &[],
        Want::Status(400),
        &["messages"],
        |l| {
            post_cec(
                l,
                br#"{"timestamp": 1625898453913, "messages": {"from": "x"}}"#,
            )
        },
    );
}

#[test]
fn bad_cec_messages_missing() {
    bad_case(
        "CEC messages missing",
        &[],
        Want::Status(400),
        &["messages"],
        |l| post_cec(l, br#"{"timestamp": 1625898453913}"#),
    );
}

#[test]
fn bad_cec_not_json() {
    bad_case(
        "CEC body not JSON",
        &[],
        Want::Status(400),
        &["JSON"],
        |l| post_cec(l, b"timestamp=1625898453913&messages=hello"),
    );
}

#[test]
fn bad_missing_callback_command() {
    bad_case(
        "missing CallbackCommand",
        &[],
        Want::Status(400),
        &["CallbackCommand"],
        |l| {
            let t = now_s();
            let tgt = format!(
                "/cb?SdkAppid={APP}&contenttype=json&Sign={}&RequestTime={t}&RequestID=bad",
                sign(TOKEN, t)
            );
            post(&l.addr, &tgt, &[], &seed(SESSION_SEED))
        },
    );
}

/// An unknown CallbackCommand is answered 200 with the generic OK envelope (the platform may
/// add commands; the receiver does not refuse them) and recorded with verdict `invalid` and a
/// problem at path `CallbackCommand`.
#[test]
fn bad_unknown_callback_command() {
    let fin = bad_case("unknown CallbackCommand", &[], Want::Answered, &[], |l| {
        let body = json!({"CallbackCommand": "Desk.NoSuchCallback", "EventTime": 1725540020017u64});
        post(
            &l.addr,
            &target("Desk.NoSuchCallback", "&RequestID=bad"),
            &[],
            body.to_string().as_bytes(),
        )
    });
    let e = fin.exchange_with("bad");
    assert_eq!(e["verdict"], "invalid", "{e}");
    assert_eq!(e["status"], 200, "{e}");
    assert!(e["event"].is_null(), "{e}");
    let paths: Vec<&str> = e["problems"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["path"].as_str())
        .collect();
    assert!(paths.contains(&"CallbackCommand"), "{e}");
}

#[test]
fn bad_unknown_session_event() {
    let fin = bad_case(
        "session event with unknown Event",
        &[],
        Want::Answered,
        &[],
        |l| {
            let mut doc = seed_json(SESSION_SEED);
            doc["Event"] = json!("ChatBot.UserTeleported");
            post_session(l, doc.to_string().as_bytes())
        },
    );
    let e = fin.exchange_with("bad");
    assert_eq!(e["verdict"], "invalid", "{e}");
    let paths: Vec<&str> = e["problems"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["path"].as_str())
        .collect();
    assert!(paths.contains(&"/Event"), "{e}");
}

/// The session-event schema types EventTime as an integer (ms), so a string is answered but
/// judged invalid.
#[test]
fn bad_event_time_as_string() {
    let fin = bad_case("EventTime as a string", &[], Want::Answered, &[], |l| {
        let mut doc = seed_json(SESSION_SEED);
        doc["EventTime"] = json!("1725540020017");
        post_session(l, doc.to_string().as_bytes())
    });
    let e = fin.exchange_with("bad");
    assert_eq!(e["verdict"], "invalid", "{e}");
    assert_eq!(e["event"], "ChatBot.UserSendMsg", "{e}");
    let paths: Vec<&str> = e["problems"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["path"].as_str())
        .collect();
    assert!(paths.iter().any(|p| p.contains("EventTime")), "{e}");
}

/// Headers complete, body never comes: others are answered meanwhile, and the slow client
/// itself eventually gets a 4xx (408) instead of a socket held forever.
#[test]
fn bad_slow_client_body_never_comes() {
    bad_case(
        "slow client: headers then nothing",
        &[],
        Want::Status(408),
        &[],
        |l| {
            let mut slow = connect(&l.addr);
            let mut raw = session_head("Content-Length: 500\r\n");
            raw.extend_from_slice(b"{\"CallbackCommand\":");
            slow.write_all(&raw)?;
            for i in 0..3 {
                let r = good_request(&l.addr, &format!("meanwhile-{i}"))?;
                assert_eq!(
                    r.status, 200,
                    "slow client: a good request meanwhile got {r:?}"
                );
            }
            read_response(&mut BufReader::new(slow))
        },
    );
}

/// An idle connection (nothing sent) and one with half-sent headers: others are answered
/// meanwhile; the server eventually closes the half-sent one (or answers it with a 4xx).
#[test]
fn bad_idle_connections() {
    bad_case("idle open connection", &[], Want::Answered, &[], |l| {
        let idle = connect(&l.addr);
        let mut half = connect(&l.addr);
        half.write_all(b"POST /cb?CallbackCommand=Desk.SessionEventNotify HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")?;
        let r = good_request(&l.addr, "meanwhile")?;
        assert_eq!(r.status, 200, "idle connection: a good request meanwhile got {r:?}");
        match read_response(&mut BufReader::new(half)) {
            Ok(r) => assert!((400..500).contains(&r.status), "half-sent headers got {r:?}"),
            Err(e) => assert!(
                !matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut),
                "half-sent headers: the connection was held open past the safety net ({e})"
            ),
        }
        drop(idle);
        Ok(r)
    })
    .assert_exited("SIGINT");
}

/// Bytes that are not HTTP (a TLS ClientHello shape): a 4xx with a JSON reason.
/// (Currently hyper's bare 400, empty body, no exchange recorded.)
#[test]
fn bad_garbage_instead_of_http() {
    bad_case(
        "garbage bytes instead of HTTP",
        &[],
        Want::Any4xx,
        &[],
        |l| {
            roundtrip(
                &l.addr,
                b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03 not http at all \xff\xfe\r\n\r\n"
                    .to_vec(),
            )
        },
    );
}

/// A line of text that is not an HTTP request line: a 4xx with a JSON reason.
#[test]
fn bad_text_garbage_instead_of_http() {
    bad_case(
        "a line of text instead of HTTP",
        &[],
        Want::Any4xx,
        &[],
        |l| roundtrip(&l.addr, b"HELLO SERVER, ARE YOU THERE?\r\n\r\n".to_vec()),
    );
}

/// HTTP/1.0 is old but legal: a correct, signed callback over it is answered 200.
#[test]
fn http_1_0_request_is_answered() {
    bad_case("HTTP/1.0 request", &[], Want::Answered, &[], |l| {
        let body = seed(SESSION_SEED);
        let mut raw = format!(
            "POST {} HTTP/1.0\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            target("Desk.SessionEventNotify", "&RequestID=bad"),
            body.len()
        )
        .into_bytes();
        raw.extend_from_slice(&body);
        let r = roundtrip(&l.addr, raw)?;
        Ok(r)
    });
}

/// `Transfer-Encoding: chunked` and `Content-Length` together (a request-smuggling shape).
/// RFC 9112 §6.1 lets a server either refuse it or decode it by Transfer-Encoding alone, and in
/// both cases close the connection after answering. deskhook (hyper) does the latter: the body
/// is the chunked-decoded seed (never the 5 bytes Content-Length claims), the callback is
/// answered 200, and the answer says `Connection: close`.
#[test]
fn chunked_and_content_length_together_is_decoded_as_chunked_and_closed() {
    let name = "Transfer-Encoding: chunked AND Content-Length";
    let fin = bad_case(name, &[], Want::Answered, &[], |l| {
        let mut raw = session_head("Transfer-Encoding: chunked\r\nContent-Length: 5\r\n");
        raw.extend(chunked(&seed(SESSION_SEED), 100));
        let r = roundtrip(&l.addr, raw)?;
        assert_eq!(
            r.header("connection")
                .map(str::to_ascii_lowercase)
                .as_deref(),
            Some("close"),
            "{name}: the connection must be closed after the answer: {r:?}"
        );
        Ok(r)
    });
    let e = fin.exchange_with("bad");
    assert_eq!(e["verdict"], "accepted", "{name}: {e}");
    assert!(
        e["body"].as_str().map(str::as_bytes) == Some(seed(SESSION_SEED).as_slice()),
        "{name}: the body is the chunked-decoded seed: {e}"
    );
}

/// A CEC push to `/webhooks/v1/messages/` (trailing slash) is routed as CEC, so every refusal on
/// it, 413 included, should use the CEC envelope (`resultCode`/`resultDesc`), as the 400s do.
#[test]
fn cec_path_with_trailing_slash_refuses_with_the_cec_envelope() {
    let l = Listen::start(&["--max-body", "100", "--format", "json"]);
    let path = format!("{CEC_PATH}/");
    let not_object = post_ok(&l.addr, &path, &[], b"[1]");
    assert_eq!(not_object.status, 400, "{}", not_object.text());
    assert!(
        not_object.json()["resultCode"].is_string(),
        "400 on {path}: {}",
        not_object.text()
    );
    let too_big = post_ok(&l.addr, &path, &[], &seed(CEC_SEED));
    let _ = l.interrupt();
    assert_eq!(too_big.status, 413, "{}", too_big.text());
    let a = too_big.json();
    assert!(
        a["resultCode"] == "413" && a.get("ActionStatus").is_none(),
        "413 on {path} should be a CEC refusal like the 400 is, got {a}"
    );
}

/// Ctrl-C right after the ready line (what a script that waits for the ready line may do) must
/// still end the process through its own shutdown (exit code, tally on stderr), never by the
/// signal's default action.
#[test]
fn ctrl_c_right_after_the_ready_line_exits_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let cap = dir.path().join("early.jsonl");
    let mut by_signal = 0;
    let tries = 40;
    for _ in 0..tries {
        let l = Listen::start(&["--save", cap.to_str().unwrap()]);
        let fin = l.interrupt();
        if fin.status.code().is_none() {
            by_signal += 1;
        }
    }
    assert_eq!(
        by_signal, 0,
        "{by_signal} of {tries} listen processes were killed by SIGINT sent right after the ready line \
         (no clean shutdown, no capture flush, no tally)"
    );
}

// ---------------------------------------------------------------------------------------------
// 4. capture under load
// ---------------------------------------------------------------------------------------------

/// What one request of the load test sent and should get.
struct Sent {
    path: String,
    query: String,
    body: Vec<u8>,
    status: u16,
}

#[test]
fn capture_2000_concurrent_requests_then_ctrl_c() {
    const TOTAL: usize = 2000;
    const THREADS: usize = 32;
    let dir = tempfile::tempdir().unwrap();
    let cap = dir.path().join("calls.jsonl");
    let l = Listen::start(&[
        "--token",
        TOKEN,
        "--sdkappid",
        APP,
        "--format",
        "json",
        "--save",
        cap.to_str().unwrap(),
    ]);
    let addr = l.addr.clone();
    let session = seed_json(SESSION_SEED);
    let cec = seed_json(CEC_SEED);

    // Build every request up front: unique RequestID, unique bodies, mixed formatting, a few
    // refused ones (wrong Sign, wrong SdkAppid, wrong Bearer).
    let build = move |i: usize| -> (Sent, Vec<u8>) {
        let id = format!("cap-{i}");
        let now = now_s();
        let (path, query, body, headers, status): (
            String,
            String,
            Vec<u8>,
            Vec<(String, String)>,
            u16,
        ) = if i % 10 == 3 {
            let mut doc = cec.clone();
            doc["messages"][0]["content"] = json!(format!("message {i}: 退款 🙏 \"q\" \\ \u{7}"));
            let bad = i % 100 == 13;
            let auth = if bad { bearer("wrong") } else { bearer(TOKEN) };
            (
                CEC_PATH.to_owned(),
                format!("RequestID={id}"),
                serde_json::to_vec_pretty(&doc).unwrap(),
                vec![("Authorization".into(), auth)],
                if bad { 401 } else { 200 },
            )
        } else {
            let mut doc = session.clone();
            doc["MsgBody"][0]["MsgContent"]["Text"] =
                json!(format!("request {i}: 退款 please 🙏 \t\"quoted\""));
            let (token, app, status) = match i % 97 {
                5 => ("wrong", APP, 401),
                7 => (TOKEN, "1400000001", 403),
                _ => (TOKEN, APP, 200),
            };
            let body = if i % 2 == 0 {
                serde_json::to_vec(&doc).unwrap()
            } else {
                serde_json::to_vec_pretty(&doc).unwrap()
            };
            (
                "/desk/callback".to_owned(),
                format!(
                    "{}&RequestID={id}",
                    tencent_query_with(token, app, "Desk.SessionEventNotify", now)
                ),
                body,
                vec![],
                status,
            )
        };
        let mut h: Vec<(&str, &str)> = vec![("Content-Type", "application/json")];
        h.extend(headers.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        let raw = request_bytes("POST", &format!("{path}?{query}"), &h, &body, true);
        (
            Sent {
                path,
                query,
                body,
                status,
            },
            raw,
        )
    };

    let workers: Vec<JoinHandle<Vec<(usize, Sent, u16)>>> = (0..THREADS)
        .map(|t| {
            let addr = addr.clone();
            let build = build.clone();
            thread::spawn(move || {
                let mut done = Vec::new();
                let mut conn: Option<BufReader<TcpStream>> = None;
                for i in (t..TOTAL).step_by(THREADS) {
                    let (sent, raw) = build(i);
                    // Keep-alive; reconnect once if the server closed the connection.
                    let mut attempt = 0;
                    let resp = loop {
                        let c = conn.get_or_insert_with(|| BufReader::new(connect(&addr)));
                        let r = c.get_mut().write_all(&raw).and_then(|_| read_response(c));
                        match r {
                            Ok(resp) => break resp,
                            Err(e)
                                if attempt == 0
                                    && matches!(
                                        e.kind(),
                                        io::ErrorKind::UnexpectedEof
                                            | io::ErrorKind::BrokenPipe
                                            | io::ErrorKind::ConnectionReset
                                    ) =>
                            {
                                attempt += 1;
                                conn = None;
                            }
                            Err(e) => panic!("request cap-{i}: {e}"),
                        }
                    };
                    if resp
                        .header("connection")
                        .is_some_and(|v| v.eq_ignore_ascii_case("close"))
                    {
                        conn = None;
                    }
                    done.push((i, sent, resp.status));
                }
                done
            })
        })
        .collect();
    let mut sent: HashMap<String, Sent> = HashMap::new();
    for w in workers {
        for (i, s, got) in w.join().expect("load thread") {
            assert_eq!(
                got, s.status,
                "request cap-{i} ({} {}) answered {got}",
                s.path, s.query
            );
            sent.insert(format!("cap-{i}"), s);
        }
    }
    assert_eq!(sent.len(), TOTAL);
    let refused_sent = sent.values().filter(|s| s.status != 200).count();
    assert!(
        refused_sent >= 20,
        "the mix has refused requests ({refused_sent})"
    );

    let fin = l.interrupt();
    fin.assert_exited("SIGINT after the load");

    // stdout: every line parses; one exchange line per request.
    let ex = fin.exchanges();
    assert_eq!(ex.len(), TOTAL, "stdout exchange lines");

    // The capture: exactly TOTAL whole JSON lines, each matching what was sent.
    let text = std::fs::read_to_string(&cap).expect("capture file");
    assert!(text.ends_with('\n'), "capture ends with a newline");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), TOTAL, "capture lines");
    let mut seen = std::collections::HashSet::new();
    let mut refused_seen = 0;
    for (n, line) in lines.iter().enumerate() {
        let rec: Value = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("capture line {} is not JSON ({e}): {line:.200}", n + 1));
        let query = rec["query"]
            .as_str()
            .unwrap_or_else(|| panic!("line {}: no query: {rec}", n + 1));
        let id = query
            .split('&')
            .find_map(|kv| kv.strip_prefix("RequestID="))
            .unwrap_or_else(|| panic!("line {}: no RequestID in {query}", n + 1));
        let s = sent
            .get(id)
            .unwrap_or_else(|| panic!("line {}: unknown RequestID {id}", n + 1));
        assert!(seen.insert(id.to_owned()), "RequestID {id} captured twice");
        assert_eq!(rec["method"], "POST", "{id}");
        assert_eq!(rec["path"], s.path.as_str(), "{id}");
        assert_eq!(query, s.query, "{id}: query as received");
        let headers = rec["headers"]
            .as_array()
            .unwrap_or_else(|| panic!("{id}: headers: {rec}"));
        assert!(
            headers.iter().any(|h| h[0]
                .as_str()
                .is_some_and(|k| k.eq_ignore_ascii_case("content-type"))
                && h[1] == "application/json"),
            "{id}: headers {headers:?}"
        );
        let body = rec["body"]
            .as_str()
            .unwrap_or_else(|| panic!("{id}: no UTF-8 body: {rec}"));
        assert!(
            body.as_bytes() == s.body.as_slice(),
            "{id}: body not byte-identical:\ncaptured {body:?}\nsent     {:?}",
            String::from_utf8_lossy(&s.body)
        );
        assert_eq!(rec["status"], s.status, "{id}");
        let want_verdict = if s.status == 200 {
            "accepted"
        } else {
            "refused"
        };
        assert_eq!(rec["verdict"], want_verdict, "{id}: {rec}");
        if s.status != 200 {
            refused_seen += 1;
        }
    }
    assert_eq!(refused_seen, refused_sent);
}

// ---------------------------------------------------------------------------------------------
// 5. secrets
// ---------------------------------------------------------------------------------------------

const SECRET: &str = "S3CRET-TOKEN-VALUE";

/// Send CEC pushes with the secret as Bearer (right, and inside wrong values), and signed
/// Tencent callbacks; return what the listener printed and captured.
fn secret_run(format_args: &[&str], extra_requests: impl FnOnce(&str)) -> (Finished, String) {
    let dir = tempfile::tempdir().unwrap();
    let cap = dir.path().join("secret.jsonl");
    let mut args = vec![
        "--token",
        SECRET,
        "--sdkappid",
        APP,
        "--save",
        cap.to_str().unwrap(),
    ];
    args.extend_from_slice(format_args);
    let l = Listen::start(&args);
    let right = bearer(SECRET);
    let r = post_ok(
        &l.addr,
        CEC_PATH,
        &[("Authorization", &right)],
        &seed(CEC_SEED),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let r = post_ok(
        &l.addr,
        CEC_PATH,
        &[("Authorization", &format!("Bearer {SECRET}x"))],
        &seed(CEC_SEED),
    );
    assert_eq!(r.status, 401, "{}", r.text());
    let r = post_ok(
        &l.addr,
        CEC_PATH,
        &[("Authorization", &format!("bearer {SECRET}"))],
        &seed(CEC_SEED),
    );
    assert_eq!(r.status, 401, "lower-case scheme: {}", r.text());
    let q = tencent_query_with(SECRET, APP, "Desk.SessionEventNotify", now_s());
    let r = post_ok(&l.addr, &format!("/cb?{q}"), &[], &seed(SESSION_SEED));
    assert_eq!(r.status, 200, "{}", r.text());
    extra_requests(&l.addr);
    let fin = l.interrupt();
    fin.assert_exited("SIGINT");
    let captured = std::fs::read_to_string(&cap).expect("capture");
    (fin, captured)
}

fn assert_no_secret(fin: &Finished, captured: &str, what: &str) {
    let out = fin.stdout.join("\n");
    assert!(
        !out.contains(SECRET),
        "{what}: the token is on stdout:\n{out}"
    );
    assert!(
        !fin.stderr.contains(SECRET),
        "{what}: the token is on stderr:\n{}",
        fin.stderr
    );
    assert!(
        !captured.contains(SECRET),
        "{what}: the token is in the capture:\n{captured}"
    );
}

#[test]
fn secrets_never_appear_in_output_or_capture() {
    let (fin, captured) = secret_run(&["--format", "json"], |_| {});
    assert_no_secret(&fin, &captured, "--format json");
    assert!(
        captured.contains("Bearer (redacted)"),
        "capture shows the redacted header:\n{captured}"
    );
    let cap_lines: Vec<Value> = captured
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(cap_lines.len(), 4);
    let first_auth = cap_lines[0]["headers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h[0] == "authorization")
        .map(|h| h[1].clone());
    assert_eq!(
        first_auth,
        Some(json!("Bearer (redacted)")),
        "{}",
        cap_lines[0]
    );

    let (fin, captured) = secret_run(&["-v"], |_| {});
    assert_no_secret(&fin, &captured, "human -v");
}

/// A common mistake: the raw token as the whole Authorization value, no scheme. It is refused,
/// and the token must not be echoed into the answer, stdout or the capture.
#[test]
fn secret_sent_without_bearer_scheme_is_not_echoed() {
    let mut answer = String::new();
    let (fin, captured) = secret_run(&["--format", "json"], |addr| {
        let r = post_ok(
            addr,
            CEC_PATH,
            &[("Authorization", SECRET)],
            &seed(CEC_SEED),
        );
        assert_eq!(r.status, 401, "{}", r.text());
        answer = r.text();
    });
    // Show only the neighbourhood of each leak.
    let around = |text: &str| -> String {
        let i = text.find(SECRET).unwrap_or(0);
        let from = text[..i].char_indices().rev().nth(80).map_or(0, |(j, _)| j);
        let to = (i + SECRET.len() + 20).min(text.len());
        let to = (to..=text.len())
            .find(|&j| text.is_char_boundary(j))
            .unwrap_or(text.len());
        format!("…{}…", &text[from..to])
    };
    let mut leaks = Vec::new();
    if answer.contains(SECRET) {
        leaks.push(format!("the 401 body: {answer}"));
    }
    if let Some(line) = fin.stdout.iter().find(|l| l.contains(SECRET)) {
        leaks.push(format!("stdout: {}", around(line)));
    }
    if fin.stderr.contains(SECRET) {
        leaks.push(format!("stderr: {}", around(&fin.stderr)));
    }
    if let Some(line) = captured.lines().find(|l| l.contains(SECRET)) {
        leaks.push(format!("the capture: {}", around(line)));
    }
    assert!(
        leaks.is_empty(),
        "`Authorization: <token>` is echoed into:\n{}",
        leaks.join("\n")
    );
}

// ---------------------------------------------------------------------------------------------
// 6. --forward-to
// ---------------------------------------------------------------------------------------------

#[test]
fn forward_to_relays_unchanged_and_judges_the_backend_answer() {
    let dir = tempfile::tempdir().unwrap();
    let answer_file = dir.path().join("broken-answer.json");
    let broken = r#"{"ActionStatus":"OK","ErrorInfo":""}"#;
    std::fs::write(&answer_file, broken).unwrap();
    let back_cap = dir.path().join("backend.jsonl");
    let backend = Listen::start(&[
        "--respond",
        answer_file.to_str().unwrap(),
        "--save",
        back_cap.to_str().unwrap(),
        "--format",
        "json",
    ]);
    let back_url = format!("http://{}/", backend.addr);
    let front = Listen::start(&[
        "--token",
        TOKEN,
        "--sdkappid",
        APP,
        "--format",
        "json",
        "--forward-to",
        &back_url,
    ]);

    let mut doc = seed_json(SESSION_SEED);
    doc["MsgBody"][0]["MsgContent"]["Text"] = json!("退款 🙏 \"quoted\"");
    let body = serde_json::to_vec_pretty(&doc).unwrap();
    let query = format!(
        "{}&RequestID=fwd-1&Extra=a%20b%2Bc%26d&Empty=",
        tencent_query("Desk.SessionEventNotify")
    );
    let r = post_ok(&front.addr, &format!("/desk/callback?{query}"), &[], &body);
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        r.text(),
        broken,
        "the backend's answer is handed back as is"
    );

    let cec_query = "RequestID=fwd-cec";
    let auth = bearer(TOKEN);
    let cec_body = seed(CEC_SEED);
    let r = post_ok(
        &front.addr,
        &format!("{CEC_PATH}?{cec_query}"),
        &[("Authorization", &auth)],
        &cec_body,
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.text(), broken);

    let ffin = front.interrupt();
    ffin.assert_exited("front SIGINT");
    let bfin = backend.interrupt();
    bfin.assert_exited("backend SIGINT");

    // The front's line names the broken field of the answer.
    let e = ffin.exchange_with("fwd-1");
    let problems = e["answer_problems"]
        .as_array()
        .unwrap_or_else(|| panic!("no answer_problems: {e}"));
    assert!(
        problems.iter().any(|p| p["path"] == "/ErrorCode"),
        "answer_problems should name /ErrorCode: {e}"
    );
    assert_eq!(e["verdict"], "invalid_answer", "{e}");
    assert_eq!(e["answer"], broken, "{e}");
    let e = ffin.exchange_with("fwd-cec");
    assert!(
        e["answer_problems"]
            .as_array()
            .is_some_and(|p| !p.is_empty()),
        "a Tencent envelope is no CEC answer: {e}"
    );

    // The backend got query and body unchanged.
    let captured = std::fs::read_to_string(&back_cap).unwrap();
    let recs: Vec<Value> = captured
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(recs.len(), 2, "{captured}");
    let tencent = recs
        .iter()
        .find(|r| r["query"].as_str().unwrap().contains("fwd-1"))
        .expect("relayed callback");
    assert_eq!(tencent["query"], query.as_str(), "query relayed unchanged");
    assert!(
        tencent["body"].as_str().unwrap().as_bytes() == body.as_slice(),
        "body relayed unchanged: {tencent}"
    );
    let cec = recs
        .iter()
        .find(|r| r["query"].as_str().unwrap().contains("fwd-cec"))
        .expect("relayed push");
    assert_eq!(cec["path"], CEC_PATH, "{cec}");
    assert_eq!(cec["query"], cec_query, "{cec}");
    assert!(
        cec["body"].as_str().unwrap().as_bytes() == cec_body.as_slice(),
        "{cec}"
    );
    assert!(
        cec["headers"]
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h[0] == "authorization" && h[1] == "Bearer (redacted)"),
        "Authorization relayed (and redacted in the capture): {cec}"
    );
}

// ---------------------------------------------------------------------------------------------
// 7. --delay
// ---------------------------------------------------------------------------------------------

#[test]
fn delay_still_answers() {
    let l = Listen::start(&[
        "--token",
        TOKEN,
        "--sdkappid",
        APP,
        "--delay",
        "300ms",
        "--max-requests",
        "1",
    ]);
    let r = good_request(&l.addr, "delayed").expect("an answer");
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json(), ok_envelope());
    let fin = l.wait_exit("after --max-requests 1");
    fin.assert_exited("max-requests");
    assert_eq!(fin.status.code(), Some(0), "{}", fin.stderr);
}
