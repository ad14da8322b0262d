//! Helpers shared by the integration tests (`mod support;` in each test file); the only place
//! for them, so that each test file holds tests and the data they need.
//!
//! - here — the binary under test ([`deskhook`], [`run`], [`Run`], [`assert_code`],
//!   [`stdout_of`]), the repository's files ([`read_json`], [`seed`]), signing and queries
//!   ([`sign`], [`tencent_query_with`], [`query_value`]), and checks used by several files
//!   ([`assert_no_secret`]);
//! - [`server`] — [`TestServer`], a recording HTTP/1 server on `127.0.0.1:0` answering with a
//!   closure; it fails the test when the closure panics or when it is never hit;
//! - [`docs`] — [`documented_success`] (what a backend written from the documentation answers)
//!   and [`docs_check`], an independent receiver written from the documentation alone;
//! - [`listen`] — a `deskhook listen --port 0` child process, waited for by its ready line;
//! - [`http`] — a tiny hand-written HTTP/1.1 client, so that malformed requests can be sent
//!   byte for byte;
//! - [`inspect`] — `listen --inspect`: its two addresses, requests to the inspector with forged
//!   headers, its event stream.
//!
//! Nothing here touches the network beyond the loopback interface.

#![allow(dead_code, unused_imports)]

pub mod docs;
pub mod http;
pub mod inspect;
pub mod listen;
pub mod server;

pub use docs::*;
pub use server::*;

use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
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
        json_lines(&self.stdout)
    }
}

/// Run the binary with `args` to the end (a generous safety time-out, not an assertion).
pub fn run(args: &[&str]) -> Run {
    run_with_stdin(args, "")
}

/// [`run`], with `stdin` as the standard input.
pub fn run_with_stdin(args: &[&str], stdin: &str) -> Run {
    let out = deskhook()
        .args(args)
        .write_stdin(stdin)
        .timeout(Duration::from_secs(180))
        .output()
        .expect("deskhook runs");
    Run {
        code: out.status.code().expect("deskhook exits with a code"),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// `deskhook <command...> <args...> --to <url>`.
pub fn run_to(url: &str, command: &[&str], args: &[&str]) -> Run {
    let mut all: Vec<&str> = command.to_vec();
    all.extend_from_slice(args);
    all.extend_from_slice(&["--to", url]);
    run(&all)
}

/// `--seed 7 --now 1700000000000 --token T`: the flags of a repeatable run (the same bytes on
/// every run and every machine, with `--dry-run`).
pub const REPEATABLE: [&str; 6] = ["--seed", "7", "--now", "1700000000000", "--token", "T"];

/// The exit code, with both streams in the failure message.
#[track_caller]
pub fn assert_code(r: &Run, code: i32) {
    assert_eq!(r.code, code, "expected exit {code}\n{}", r.dump());
}

/// A failed run: its exit code, and that stdout names `what` (a JSON path or a field).
#[track_caller]
pub fn assert_fails(r: &Run, code: i32, what: &str) {
    assert_code(r, code);
    assert!(
        r.stdout.contains(what),
        "stdout does not name {what:?}\n{}",
        r.dump()
    );
}

/// The stdout of a run that must succeed (exit 0), which must be UTF-8.
#[track_caller]
pub fn stdout_of(args: &[&str]) -> String {
    let out = deskhook()
        .args(args)
        .timeout(Duration::from_secs(180))
        .output()
        .expect("deskhook runs");
    let stdout = String::from_utf8(out.stdout).expect("stdout is UTF-8");
    assert_eq!(
        out.status.code(),
        Some(0),
        "deskhook {args:?} failed\nstdout:\n{stdout}\nstderr:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// Every non-empty line of `text` parsed as JSON.
#[track_caller]
pub fn json_lines(text: &str) -> Vec<Value> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l:?}")))
        .collect()
}

/// The records of `deskhook events --json`, one per event id.
pub fn events() -> Vec<Value> {
    json_lines(&stdout_of(&["events", "--json"]))
}

/// `secret` is on neither stream of `r` (`what` names the run in the failure message).
#[track_caller]
pub fn assert_no_secret(r: &Run, secret: &str, what: &str) {
    assert!(
        !r.stdout.contains(secret),
        "{what}: the secret is on stdout:\n{}",
        r.stdout
    );
    assert!(
        !r.stderr.contains(secret),
        "{what}: the secret is on stderr:\n{}",
        r.stderr
    );
}

// ---------------------------------------------------------------------------------------------
// The repository's files
// ---------------------------------------------------------------------------------------------

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

/// The documentation samples under `fixtures/seeds/` that several tests send.
pub const SESSION_SEED: &str = "000-session-event.request.json";
pub const INTERFACE_SEED: &str = "001-interface-invocation.request.json";
pub const ASSIGN_SEED: &str = "002-assign-agent.request.json";
pub const CEC_SEED: &str = "004-cec-push.request.json";

/// The bytes of `fixtures/seeds/<name>`.
pub fn seed(name: &str) -> Vec<u8> {
    let path = manifest_dir().join("fixtures/seeds").join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// `fixtures/seeds/<name>`, parsed.
pub fn seed_json(name: &str) -> Value {
    read_json(format!("fixtures/seeds/{name}"))
}

// ---------------------------------------------------------------------------------------------
// Time, signing, queries
// ---------------------------------------------------------------------------------------------

/// Milliseconds since the Unix epoch, now.
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("the clock is after 1970")
        .as_millis() as u64
}

/// Seconds since the Unix epoch, now.
pub fn now_s() -> u64 {
    now_ms() / 1000
}

/// Lowercase hex SHA-256 of a string.
pub fn sha256_hex(s: &str) -> String {
    hex::encode(Sha256::digest(s.as_bytes()))
}

/// A Tencent `Sign`: lowercase hex sha256(token + RequestTime), computed here independently
/// of the crate.
pub fn sign(token: &str, time: u64) -> String {
    sha256_hex(&format!("{token}{time}"))
}

/// The query Tencent sends, signed with `token` at `time` (seconds).
pub fn tencent_query_with(token: &str, app: &str, command: &str, time: u64) -> String {
    format!(
        "SdkAppid={app}&CallbackCommand={command}&contenttype=json&ClientIP=127.0.0.1&OptPlatform=RESTAPI&Sign={}&RequestTime={time}",
        sign(token, time)
    )
}

/// The first value of `key` in a raw query string, decoded.
pub fn query_value(raw_query: &str, key: &str) -> Option<String> {
    url::form_urlencoded::parse(raw_query.as_bytes())
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.into_owned())
}

/// `Bearer <token>`.
pub fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

/// The plain Tencent acknowledgement `{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0}`.
pub fn tencent_ack() -> Value {
    json!({"ActionStatus": "OK", "ErrorInfo": "", "ErrorCode": 0})
}

/// A loopback URL (`http://127.0.0.1:<port>/`) where nothing listens: the port was bound
/// and released, so connecting to it is refused.
pub fn closed_port() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    let port = listener.local_addr().expect("an address").port();
    drop(listener);
    format!("http://127.0.0.1:{port}/")
}
