//! `deskhook listen --inspect`: the child process with its two addresses ([`Inspected`]:
//! the receiver's URL, the inspector's address and per-run key from the JSON ready record),
//! requests to the inspector with every header chosen by the test (`Host`, `Origin`,
//! `Sec-Fetch-Site` can be forged), an event-stream reader ([`Events`]), and polling with a
//! deadline that is a safety net, never an assertion of speed.

use super::http::{connect, roundtrip, Resp};
use super::listen::{Finished, Listen, PROCESS_SAFETY};
use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::time::{Duration, Instant};

/// The token the inspector's tests give `listen`.
pub const TOKEN: &str = "inspector-test-token";

/// Poll `f` until it gives a value (every 25 ms; the deadline is only a safety net).
#[track_caller]
pub fn wait_for<T>(what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + PROCESS_SAFETY;
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(Instant::now() < deadline, "gave up waiting for {what}");
        std::thread::sleep(Duration::from_millis(25));
    }
}

/// A running `deskhook listen --port 0 --inspect --format json ...`.
pub struct Inspected {
    pub listen: Listen,
    /// The receiver's base URL, `http://127.0.0.1:PORT/`.
    pub url: String,
    /// The inspector's URL as printed, key included.
    pub inspector: String,
    /// `127.0.0.1:PORT` of the inspector.
    pub addr: String,
    pub key: String,
    /// The ready record.
    pub ready: Value,
}

impl Inspected {
    pub fn start(args: &[&str]) -> Inspected {
        let mut all = vec!["--inspect", "--format", "json"];
        all.extend_from_slice(args);
        let listen = Listen::start(&all);
        let ready: Value = serde_json::from_str(&listen.ready)
            .unwrap_or_else(|e| panic!("the ready line is not JSON ({e}): {}", listen.ready));
        let inspector = ready["inspector"]
            .as_str()
            .unwrap_or_else(|| panic!("the ready record names no inspector: {ready}"))
            .to_owned();
        let (addr, key) = inspector
            .strip_prefix("http://")
            .and_then(|rest| rest.split_once("/#key="))
            .unwrap_or_else(|| panic!("not http://ADDR/#key=KEY: {inspector}"));
        Inspected {
            url: listen.url(),
            addr: addr.to_owned(),
            key: key.to_owned(),
            inspector: inspector.clone(),
            ready,
            listen,
        }
    }

    /// Ctrl-C, then what it printed.
    pub fn stop(self) -> Finished {
        self.listen.interrupt()
    }

    /// An inspector request with its own Host and key, plus `headers`.
    pub fn api(&self, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Resp {
        let mut all: Vec<(&str, &str)> = vec![("Host", &self.addr), ("X-Deskhook-Key", &self.key)];
        all.extend_from_slice(headers);
        request(&self.addr, method, path, &all, body)
    }

    /// `GET path` on the API, which must answer 200 with JSON.
    #[track_caller]
    pub fn get_json(&self, path: &str) -> Value {
        let r = self.api("GET", path, &[], b"");
        assert_eq!(r.status, 200, "GET {path}: {}", r.text());
        r.json()
    }

    /// `POST /api/replay` with a JSON request.
    pub fn replay(&self, req: &Value) -> Resp {
        self.api(
            "POST",
            "/api/replay",
            &[("Content-Type", "application/json")],
            req.to_string().as_bytes(),
        )
    }

    /// The list rows, newest first.
    pub fn rows(&self) -> Vec<Value> {
        self.get_json("/api/exchanges")
            .as_array()
            .expect("an array of rows")
            .clone()
    }

    /// Wait until the inspector holds `n` exchanges; the rows, newest first.
    #[track_caller]
    pub fn wait_rows(&self, n: usize) -> Vec<Value> {
        wait_for(&format!("{n} exchange(s) in the inspector"), || {
            let rows = self.rows();
            (rows.len() >= n).then_some(rows)
        })
    }

    /// `deskhook send ARGS --to <receiver>`, run to its end (its exit code is not looked at:
    /// refused callbacks fail it on purpose).
    pub fn send(&self, args: &[&str]) -> std::process::Output {
        bin()
            .args(["send"])
            .args(args)
            .args(["--to", &self.url])
            .output()
            .expect("run deskhook send")
    }

    /// `deskhook flow SCENARIO --to <receiver> --token TOKEN`.
    pub fn flow(&self, scenario: &str) -> std::process::Output {
        bin()
            .args(["flow", scenario, "--to", &self.url, "--token", TOKEN])
            .output()
            .expect("run deskhook flow")
    }
}

/// The binary, without the caller's `DESKHOOK_*` variables and without colour.
pub fn bin() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_deskhook"));
    for (k, _) in std::env::vars_os() {
        if k.to_string_lossy().starts_with("DESKHOOK_") {
            cmd.env_remove(k);
        }
    }
    cmd.env("NO_COLOR", "1").args(["--color", "never"]);
    cmd
}

/// One request on a fresh connection with exactly these headers (a `Host` only if given).
#[track_caller]
pub fn request(
    addr: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Resp {
    let mut raw = format!(
        "{method} {path} HTTP/1.1\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        raw.push_str(&format!("{k}: {v}\r\n"));
    }
    raw.push_str("\r\n");
    let mut raw = raw.into_bytes();
    raw.extend_from_slice(body);
    roundtrip(addr, raw).unwrap_or_else(|e| panic!("{method} {path}: no answer: {e}"))
}

/// Everything an answer says, head and body, for "never shows" checks.
pub fn all_text(r: &Resp) -> String {
    let head: Vec<String> = r.headers.iter().map(|(k, v)| format!("{k}: {v}")).collect();
    format!("{}\n{}", head.join("\n"), r.text())
}

/// An open event stream (`GET /api/stream`).
pub struct Events {
    reader: BufReader<TcpStream>,
    buf: String,
    pub status: u16,
}

/// One server-sent event.
#[derive(Debug)]
pub struct Event {
    pub name: String,
    pub data: Value,
}

impl Events {
    pub fn open(i: &Inspected) -> Events {
        let mut s = connect(&i.addr);
        write!(
            s,
            "GET /api/stream HTTP/1.1\r\nHost: {}\r\nX-Deskhook-Key: {}\r\n\r\n",
            i.addr, i.key
        )
        .expect("send the request");
        let mut reader = BufReader::new(s);
        let mut line = String::new();
        reader.read_line(&mut line).expect("a status line");
        let status = line
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("not a status line: {line:?}"));
        loop {
            line.clear();
            reader.read_line(&mut line).expect("a header line");
            if line.trim_end().is_empty() {
                break;
            }
        }
        Events {
            reader,
            buf: String::new(),
            status,
        }
    }

    /// The next event (comments, such as pings, skipped).
    #[track_caller]
    pub fn next(&mut self) -> Event {
        loop {
            if let Some(i) = self.buf.find("\n\n") {
                let block: String = self.buf.drain(..i + 2).collect();
                let mut name = String::from("message");
                let mut data = String::new();
                for line in block.lines() {
                    if let Some(v) = line.strip_prefix("event: ") {
                        name = v.to_owned();
                    } else if let Some(v) = line.strip_prefix("data: ") {
                        data.push_str(v);
                    }
                }
                if data.is_empty() {
                    continue;
                }
                let data = serde_json::from_str(&data)
                    .unwrap_or_else(|e| panic!("event data is not JSON ({e}): {data}"));
                return Event { name, data };
            }
            let chunk = self.chunk().expect("the event stream ended");
            self.buf
                .push_str(&String::from_utf8(chunk).expect("UTF-8 events"));
        }
    }

    /// One chunk of the chunked body; `None` at its end.
    fn chunk(&mut self) -> Option<Vec<u8>> {
        let mut size = String::new();
        self.reader.read_line(&mut size).ok()?;
        let n = usize::from_str_radix(size.trim(), 16).ok()?;
        if n == 0 {
            return None;
        }
        let mut chunk = vec![0; n + 2];
        self.reader.read_exact(&mut chunk).ok()?;
        chunk.truncate(n);
        Some(chunk)
    }
}
