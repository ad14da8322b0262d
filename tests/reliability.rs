//! `listen` keeps its promises under stress, end to end:
//!
//! - an answered callback is in the capture before the answer leaves, so `kill -9` right after
//!   the last answer loses none;
//! - a capture that cannot be written (`/dev/full`, a removed file) turns answers into 503s
//!   that say why, and the listener keeps serving;
//! - legal but unusual clients get their answer: half-closed after a large body, pipelined,
//!   `Expect: 100-continue`, HTTP/1.0 keep-alive, a slow upload within the time-out;
//! - a caller that gives up before the answer (`--delay`) is still shown and captured, marked.
//!
//! No test asserts on speed; the time-outs below are safety nets that turn a hang into a
//! failure naming what hung.

use serde_json::Value;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

const IO_SAFETY: Duration = Duration::from_secs(25);
const PROCESS_SAFETY: Duration = Duration::from_secs(60);

fn bin() -> std::path::PathBuf {
    assert_cmd::cargo::cargo_bin("deskhook")
}

/// A documented session-event callback body.
fn session_body() -> Vec<u8> {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/seeds/000-session-event.request.json");
    std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// The request target of an unsigned session event (listen runs without --token here).
fn target(id: &str) -> String {
    format!("/cb?SdkAppid=1400187352&CallbackCommand=Desk.SessionEventNotify&contenttype=json&RequestID={id}")
}

/// A running `deskhook listen --port 0 ARGS`.
struct Listen {
    child: Child,
    addr: String,
    stdout: Option<JoinHandle<Vec<String>>>,
    stderr: Option<JoinHandle<String>>,
}

struct Finished {
    status: ExitStatus,
    stdout: Vec<String>,
    stderr: String,
}

impl Listen {
    fn start(args: &[&str]) -> Listen {
        Listen::start_with(args, |_| {})
    }

    /// `start`, with the command changed first by `prepare` (limits, for instance).
    fn start_with(args: &[&str], prepare: impl FnOnce(&mut Command)) -> Listen {
        let mut cmd = Command::new(bin());
        cmd.args(["--color", "never", "listen", "--port", "0"])
            .args(args)
            .env_remove("DESKHOOK_TOKEN")
            .env_remove("DESKHOOK_SDKAPPID")
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        prepare(&mut cmd);
        let mut child = cmd.spawn().expect("spawn deskhook listen");
        let out = child.stdout.take().expect("piped stdout");
        let err = child.stderr.take().expect("piped stderr");
        let (tx, rx) = mpsc::channel::<String>();
        let stdout = thread::spawn(move || {
            let mut tx = Some(tx);
            let mut lines = Vec::new();
            for line in BufReader::new(out).lines() {
                let Ok(line) = line else { break };
                if let Some(i) = line.find("http://127.0.0.1:") {
                    let rest = &line[i + "http://".len()..];
                    if let (Some(end), Some(tx)) = (rest.find('/'), tx.take()) {
                        let _ = tx.send(rest[..end].to_owned());
                    }
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
            Ok(addr) => Listen {
                child,
                addr,
                stdout: Some(stdout),
                stderr: Some(stderr),
            },
            Err(e) => {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "listen {args:?} printed no ready line ({e}): {}",
                    stderr.join().unwrap_or_default()
                );
            }
        }
    }

    fn url(&self) -> String {
        format!("http://{}/cb", self.addr)
    }

    fn signal(&self, sig: libc::c_int) {
        // SAFETY: kill(2) on our own child's pid.
        let rc = unsafe { libc::kill(self.child.id() as libc::pid_t, sig) };
        assert_eq!(rc, 0, "kill({sig}) failed");
    }

    /// Wait for the process to end (by itself, or by a signal sent before).
    fn wait(mut self, why: &str) -> Finished {
        let deadline = Instant::now() + PROCESS_SAFETY;
        let status = loop {
            if let Some(s) = self.child.try_wait().expect("try_wait") {
                break s;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                panic!("listen did not end {why} (safety net hit)");
            }
            thread::sleep(Duration::from_millis(20));
        };
        let stdout = self
            .stdout
            .take()
            .expect("once")
            .join()
            .expect("stdout reader");
        let stderr = self
            .stderr
            .take()
            .expect("once")
            .join()
            .expect("stderr reader");
        assert!(!stderr.contains("panicked"), "listen panicked: {stderr}");
        Finished {
            status,
            stdout,
            stderr,
        }
    }
}

impl Drop for Listen {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// ---------------------------------------------------------------------------------------------
// a tiny HTTP/1 client
// ---------------------------------------------------------------------------------------------

#[derive(Debug)]
struct Resp {
    status: u16,
    head: String,
    body: Vec<u8>,
}

impl Resp {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "answer is not JSON ({e}): {} {}",
                self.head,
                String::from_utf8_lossy(&self.body)
            )
        })
    }
}

fn connect(addr: &str) -> TcpStream {
    let s = TcpStream::connect(addr).unwrap_or_else(|e| panic!("connect {addr}: {e}"));
    s.set_read_timeout(Some(IO_SAFETY)).unwrap();
    s.set_write_timeout(Some(IO_SAFETY)).unwrap();
    s
}

/// Read one answer (framed by Content-Length, as deskhook's always are).
fn read_response(r: &mut impl BufRead) -> io::Result<Resp> {
    let mut head = String::new();
    loop {
        let mut line = String::new();
        if r.read_line(&mut line)? == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!("closed after {head:?}"),
            ));
        }
        if line == "\r\n" {
            break;
        }
        head.push_str(&line);
    }
    let status: u16 = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, head.clone()))?;
    let len = head
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse::<usize>().ok())?
        })
        .unwrap_or(0);
    let mut body = vec![0; len];
    r.read_exact(&mut body)?;
    Ok(Resp { status, head, body })
}

/// A POST of `body` to `target`, HTTP/1.1 unless `version` says otherwise.
fn request(target: &str, version: &str, extra: &str, body: &[u8]) -> Vec<u8> {
    let mut raw = format!(
        "POST {target} {version}\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n{extra}Content-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    raw.extend_from_slice(body);
    raw
}

/// Every line of a capture file, parsed.
fn capture_lines(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .enumerate()
        .map(|(i, l)| {
            serde_json::from_str(l)
                .unwrap_or_else(|e| panic!("capture line {} is not whole JSON ({e}): {l}", i + 1))
        })
        .collect()
}

fn request_id(query: &str) -> Option<&str> {
    query
        .split('&')
        .find_map(|kv| kv.strip_prefix("RequestID="))
}

// ---------------------------------------------------------------------------------------------
// write before answering
// ---------------------------------------------------------------------------------------------

/// 3,000 callbacks at concurrency 8, then `kill -9` of the listener the moment the sender has
/// its last answer: every callback that was answered 200 is a whole line in the capture.
#[test]
fn sigkill_right_after_the_last_answer_loses_no_answered_callback() {
    let dir = tempfile::tempdir().unwrap();
    let capture = dir.path().join("calls.jsonl");
    let l = Listen::start(&["--save", capture.to_str().unwrap(), "--format", "json"]);
    let send = Command::new(bin())
        .args([
            "send",
            "SessionBegin",
            "--count",
            "3000",
            "--concurrency",
            "8",
        ])
        .args(["--format", "json", "--to", &l.url()])
        .env("NO_COLOR", "1")
        .output()
        .expect("run deskhook send");
    l.signal(libc::SIGKILL);
    let fin = l.wait("after SIGKILL");
    assert_eq!(fin.status.code(), None, "killed by the signal");
    let answered: Vec<String> = String::from_utf8_lossy(&send.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|r| r["type"] == "result" && r["status"] == 200)
        .map(|r| r["request_id"].as_str().expect("request_id").to_owned())
        .collect();
    assert_eq!(
        answered.len(),
        3000,
        "every callback answered 200: {}",
        String::from_utf8_lossy(&send.stderr)
    );
    let captured: std::collections::HashSet<String> = capture_lines(&capture)
        .iter()
        .filter_map(|r| request_id(r["query"].as_str()?).map(str::to_owned))
        .collect();
    let missing: Vec<&String> = answered
        .iter()
        .filter(|id| !captured.contains(*id))
        .collect();
    assert!(
        missing.is_empty(),
        "{} answered callback(s) missing from the capture after kill -9, e.g. {:?}",
        missing.len(),
        &missing[..missing.len().min(3)]
    );
}

/// A capture on a full disk: the callback is answered 503 with a JSON body saying why (so the
/// platform retries), the terminal says why, and the listener keeps serving.
#[test]
fn a_capture_that_cannot_be_written_answers_503_and_keeps_serving() {
    if !Path::new("/dev/full").exists() {
        return;
    }
    let l = Listen::start(&["--save", "/dev/full"]);
    for i in 0..3 {
        let mut s = connect(&l.addr);
        s.write_all(&request(
            &target(&format!("full-{i}")),
            "HTTP/1.1",
            "Connection: close\r\n",
            &session_body(),
        ))
        .unwrap();
        let r = read_response(&mut BufReader::new(s)).expect("an answer");
        assert_eq!(r.status, 503, "{r:?}");
        let info = r.json()["ErrorInfo"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        assert!(
            info.contains("/dev/full") && info.contains("deliver it again"),
            "{info}"
        );
    }
    l.signal(libc::SIGINT);
    let fin = l.wait("after SIGINT");
    assert!(
        fin.status.code().is_some(),
        "listen exits by itself: {}",
        fin.stderr
    );
    assert!(
        fin.stderr.contains("cannot write capture file /dev/full") && fin.stderr.contains("503"),
        "the terminal says why: {}",
        fin.stderr
    );
    let shown = fin
        .stdout
        .iter()
        .filter(|l| l.contains("not_captured 503"))
        .count();
    assert_eq!(shown, 3, "{:?}", fin.stdout);
}

/// A disk that fills in the middle of a batch: one write(2) takes part of the lines, the next
/// fails. The part is cut off again, so the capture holds whole lines only, each of them a
/// callback answered 200, and the callbacks that did not fit are answered 503. (The file size
/// limit, RLIMIT_FSIZE, stands for the full disk.)
#[test]
fn a_write_cut_short_by_a_full_disk_leaves_no_torn_line() {
    use std::os::unix::process::CommandExt;
    const LIMIT: u64 = 20_000;
    let dir = tempfile::tempdir().unwrap();
    let capture = dir.path().join("calls.jsonl");
    let save = capture.to_str().unwrap();
    let l = Listen::start_with(&["--save", save, "--format", "json"], |cmd| {
        // SAFETY: between fork and exec only async-signal-safe calls (signal, setrlimit).
        unsafe {
            cmd.pre_exec(|| {
                // Past the limit, write(2) fails with EFBIG instead of killing the process.
                libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
                let limit = libc::rlimit {
                    rlim_cur: LIMIT,
                    rlim_max: LIMIT,
                };
                if libc::setrlimit(libc::RLIMIT_FSIZE, &limit) != 0 {
                    return Err(io::Error::last_os_error());
                }
                Ok(())
            });
        }
    });
    let send = Command::new(bin())
        .args([
            "send",
            "SessionBegin",
            "--count",
            "60",
            "--concurrency",
            "8",
        ])
        .args(["--format", "json", "--to", &l.url()])
        .env("NO_COLOR", "1")
        .output()
        .expect("run deskhook send");
    l.signal(libc::SIGINT);
    let fin = l.wait("after SIGINT");
    let statuses: Vec<u64> = String::from_utf8_lossy(&send.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|r| r["type"] == "result")
        .map(|r| r["status"].as_u64().unwrap_or(0))
        .collect();
    assert_eq!(
        statuses.len(),
        60,
        "{}",
        String::from_utf8_lossy(&send.stderr)
    );
    let ok = statuses.iter().filter(|s| **s == 200).count();
    let full = statuses.iter().filter(|s| **s == 503).count();
    assert_eq!(ok + full, 60, "only 200 and 503: {statuses:?}");
    assert!(full > 0, "the limit was reached: {statuses:?}");
    let text = std::fs::read_to_string(&capture).unwrap();
    let tail = &text[text.len().saturating_sub(200)..];
    assert!(
        text.len() as u64 <= LIMIT && text.ends_with('\n'),
        "{} bytes, a torn last line: ...{tail}",
        text.len()
    );
    // capture_lines fails on a torn line.
    assert_eq!(capture_lines(&capture).len(), ok, "{}", fin.stderr);
}

/// A capture file removed while listen runs: the callback that found it gone is answered 503,
/// the file is created again, and the next callback is captured in it.
#[test]
fn a_removed_capture_file_is_said_and_created_again() {
    let dir = tempfile::tempdir().unwrap();
    let capture = dir.path().join("calls.jsonl");
    let l = Listen::start(&["--save", capture.to_str().unwrap()]);
    let post = |id: &str| {
        let mut s = connect(&l.addr);
        s.write_all(&request(
            &target(id),
            "HTTP/1.1",
            "Connection: close\r\n",
            &session_body(),
        ))
        .unwrap();
        read_response(&mut BufReader::new(s)).expect("an answer")
    };
    assert_eq!(post("before").status, 200);
    std::fs::remove_file(&capture).unwrap();
    let r = post("gone");
    assert_eq!(r.status, 503, "{r:?}");
    assert!(r.json()["ErrorInfo"]
        .as_str()
        .unwrap()
        .contains("was removed"));
    assert_eq!(post("after").status, 200);
    l.signal(libc::SIGINT);
    let fin = l.wait("after SIGINT");
    assert!(fin.stderr.contains("was removed"), "{}", fin.stderr);
    let ids: Vec<String> = capture_lines(&capture)
        .iter()
        .map(|r| request_id(r["query"].as_str().unwrap()).unwrap().to_owned())
        .collect();
    assert_eq!(ids, ["after"]);
}

// ---------------------------------------------------------------------------------------------
// legal but unusual clients
// ---------------------------------------------------------------------------------------------

/// A 200 KB callback, then the client shuts down its write side and waits: it gets its
/// answer, ten times out of ten.
#[test]
fn half_closed_clients_with_a_large_body_get_their_answer_ten_times_in_a_row() {
    let l = Listen::start(&[]);
    let mut body: Value = serde_json::from_slice(&session_body()).unwrap();
    body["Padding"] = Value::String("x".repeat(200 * 1024));
    let body = serde_json::to_vec(&body).unwrap();
    for i in 0..10 {
        let raw = request(&target(&format!("half-{i}")), "HTTP/1.1", "", &body);
        let s = connect(&l.addr);
        let mut w = s.try_clone().unwrap();
        let writer = thread::spawn(move || {
            w.write_all(&raw).unwrap();
            w.shutdown(Shutdown::Write).unwrap();
        });
        let r = read_response(&mut BufReader::new(s));
        writer.join().unwrap();
        let r = r.unwrap_or_else(|e| panic!("attempt {}: no answer: {e}", i + 1));
        assert_eq!(r.status, 200, "attempt {}: {r:?}", i + 1);
        assert_eq!(r.json()["ActionStatus"], "OK");
    }
}

/// Two requests written at once on one connection (pipelining): two answers, in order.
#[test]
fn pipelined_requests_are_each_answered_in_order() {
    let l = Listen::start(&["--format", "json"]);
    let mut raw = request(&target("pipe-1"), "HTTP/1.1", "", &session_body());
    raw.extend(request(&target("pipe-2"), "HTTP/1.1", "", b"[1]"));
    let mut s = connect(&l.addr);
    s.write_all(&raw).unwrap();
    let mut r = BufReader::new(s);
    assert_eq!(read_response(&mut r).unwrap().status, 200);
    assert_eq!(
        read_response(&mut r).unwrap().status,
        400,
        "the second (a JSON array) is refused"
    );
    drop(r);
    l.signal(libc::SIGINT);
    let fin = l.wait("after SIGINT");
    let ids: Vec<String> = fin
        .stdout
        .iter()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| v["type"] == "exchange")
        .map(|v| request_id(v["query"].as_str().unwrap()).unwrap().to_owned())
        .collect();
    assert_eq!(ids, ["pipe-1", "pipe-2"]);
}

/// `Expect: 100-continue`: the client waits for `100 Continue` before sending the body.
#[test]
fn expect_100_continue_gets_continue_then_the_answer() {
    let l = Listen::start(&[]);
    let body = session_body();
    let head = format!(
        "POST {} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nExpect: 100-continue\r\nContent-Length: {}\r\n\r\n",
        target("expect"),
        body.len()
    );
    let mut s = connect(&l.addr);
    s.write_all(head.as_bytes()).unwrap();
    let mut r = BufReader::new(s.try_clone().unwrap());
    let mut line = String::new();
    r.read_line(&mut line).unwrap();
    assert!(line.starts_with("HTTP/1.1 100"), "{line:?}");
    line.clear();
    r.read_line(&mut line).unwrap();
    assert_eq!(line, "\r\n");
    s.write_all(&body).unwrap();
    let resp = read_response(&mut r).unwrap();
    assert_eq!(resp.status, 200, "{resp:?}");
}

/// HTTP/1.0 with `Connection: keep-alive`: the connection stays open for a second request.
#[test]
fn http_1_0_keep_alive_serves_two_requests_on_one_connection() {
    let l = Listen::start(&[]);
    let mut s = connect(&l.addr);
    let mut r = BufReader::new(s.try_clone().unwrap());
    for id in ["ka-1", "ka-2"] {
        s.write_all(&request(
            &target(id),
            "HTTP/1.0",
            "Connection: keep-alive\r\n",
            &session_body(),
        ))
        .unwrap();
        let resp = read_response(&mut r).unwrap_or_else(|e| panic!("{id}: no answer: {e}"));
        assert_eq!(resp.status, 200, "{id}: {resp:?}");
        assert!(
            resp.head
                .to_ascii_lowercase()
                .contains("connection: keep-alive"),
            "{resp:?}"
        );
    }
}

/// A body trickling in over more than a second, well within the body time-out: answered.
#[test]
fn a_slow_upload_within_the_time_out_is_answered() {
    let l = Listen::start(&[]);
    let raw = request(&target("slow"), "HTTP/1.1", "", &session_body());
    let mut s = connect(&l.addr);
    let started = Instant::now();
    for chunk in raw.chunks(raw.len() / 8 + 1) {
        s.write_all(chunk).unwrap();
        thread::sleep(Duration::from_millis(150));
    }
    let resp = read_response(&mut BufReader::new(s)).unwrap();
    assert!(started.elapsed() >= Duration::from_millis(1000));
    assert_eq!(resp.status, 200, "{resp:?}");
}

// ---------------------------------------------------------------------------------------------
// callers that give up
// ---------------------------------------------------------------------------------------------

/// The platform's retry case: listen waits (`--delay 1500ms`), the sender gives up after
/// 300 ms. The callback is still captured once and shown once, marked with what happened.
#[test]
fn a_caller_that_gives_up_is_captured_and_shown_marked() {
    let dir = tempfile::tempdir().unwrap();
    let capture = dir.path().join("calls.jsonl");
    let l = Listen::start(&[
        "--delay",
        "1500ms",
        "--save",
        capture.to_str().unwrap(),
        "--max-requests",
        "1",
    ]);
    let send = Command::new(bin())
        .args([
            "send",
            "SessionBegin",
            "--timeout",
            "300ms",
            "--to",
            &l.url(),
        ])
        .env("NO_COLOR", "1")
        .output()
        .expect("run deskhook send");
    assert_eq!(send.status.code(), Some(3), "the sender timed out");
    let fin = l.wait("after --max-requests 1");
    assert_eq!(fin.status.code(), Some(0), "{}", fin.stderr);
    let lines = capture_lines(&capture);
    assert_eq!(lines.len(), 1, "one capture line");
    let after = lines[0]["caller_closed_after_ms"].as_f64();
    assert!(after.is_some_and(|ms| ms > 0.0), "{}", lines[0]);
    assert_eq!(lines[0]["status"], 200);
    let marked: Vec<&String> = fin
        .stdout
        .iter()
        .filter(|l| l.contains("caller closed its side before the answer, after"))
        .collect();
    assert_eq!(
        marked.len(),
        1,
        "one terminal line says so: {:?}",
        fin.stdout
    );
}

/// The same while listen waits for a `--forward-to` backend (here a second listen that
/// delays its answers): the front captures the callback once, marked.
#[test]
fn a_caller_that_gives_up_during_forward_to_is_captured_marked() {
    let dir = tempfile::tempdir().unwrap();
    let capture = dir.path().join("calls.jsonl");
    let backend = Listen::start(&["--delay", "1500ms", "--max-requests", "1"]);
    let front = Listen::start(&[
        "--forward-to",
        &format!("http://{}/", backend.addr),
        "--timeout",
        "10s",
        "--save",
        capture.to_str().unwrap(),
        "--max-requests",
        "1",
    ]);
    let send = Command::new(bin())
        .args([
            "send",
            "SessionBegin",
            "--timeout",
            "300ms",
            "--to",
            &front.url(),
        ])
        .env("NO_COLOR", "1")
        .output()
        .expect("run deskhook send");
    assert_eq!(send.status.code(), Some(3), "the sender timed out");
    let fin = front.wait("after --max-requests 1");
    backend.wait("after --max-requests 1");
    let lines = capture_lines(&capture);
    assert_eq!(lines.len(), 1, "one capture line: {}", fin.stderr);
    assert!(
        lines[0]["caller_closed_after_ms"].is_number(),
        "{}",
        lines[0]
    );
    assert_eq!(lines[0]["status"], 200, "the backend's answer is kept");
}
