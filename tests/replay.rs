//! End-to-end tests of `deskhook replay`: a capture made by `deskhook listen --save` from a
//! real `deskhook send --all`, sent again to a recording loopback server (`support::TestServer`),
//! checked byte for byte against the capture and by the independent receiver `docs_check`.
//!
//! No test asserts on speed; the timeouts below are safety nets that turn a hang into a failure.
//! Bounded memory on huge captures is measured by the benchmark, not here.

mod support;

use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use support::listen::Listen;
use support::{
    assert_code, assert_no_secret, closed_port, docs_check, label, now_ms, query_value, run,
    run_to, sha256_hex, Run, TestServer,
};

/// The token of the replay target (the capture was made with `T`).
const T2: &str = "T2";

// ---------------------------------------------------------------------------------------------
// Running the binary
// ---------------------------------------------------------------------------------------------

/// `deskhook replay <capture> --to <url> <args>`.
fn replay(capture: &Path, to: &str, args: &[&str]) -> Run {
    run_to(
        to,
        &["replay", capture.to_str().expect("a UTF-8 path")],
        args,
    )
}

// ---------------------------------------------------------------------------------------------
// Making a capture: `listen --save` fed by `send --all`
// ---------------------------------------------------------------------------------------------

/// Run `deskhook listen --port 0 --save CAP --token T --max-requests 29`, point
/// `deskhook send --all --token T` at it, wait for listen to stop by itself, and return the
/// capture's text.
fn make_capture() -> String {
    let dir = tempfile::tempdir().unwrap();
    let cap = dir.path().join("cap.jsonl");
    let cap_arg = cap.to_str().expect("a UTF-8 path");
    let l = Listen::start(&["--save", cap_arg, "--token", "T", "--max-requests", "29"]);
    let sent = run(&["send", "--all", "--to", &l.url(), "--token", "T"]);
    let fin = l.wait_exit("after --max-requests 29");
    let (listen_out, listen_err) = (fin.stdout.join("\n"), &fin.stderr);
    assert_eq!(
        sent.code,
        0,
        "send --all to listen failed\n{}\nlisten stdout:\n{listen_out}\nlisten stderr:\n{listen_err}",
        sent.dump()
    );
    assert_eq!(
        fin.status.code(),
        Some(0),
        "listen exit\nstdout:\n{listen_out}\nstderr:\n{listen_err}"
    );
    std::fs::read_to_string(&cap)
        .unwrap_or_else(|e| panic!("no capture written ({e})\nlisten stderr:\n{listen_err}"))
}

/// The capture of one `send --all` (made once per test binary, copied into each test's
/// own temporary directory).
fn capture_text() -> &'static str {
    static CAPTURE: OnceLock<String> = OnceLock::new();
    CAPTURE.get_or_init(make_capture)
}

/// A test's own copy of the capture (with `edit` applied to its lines).
struct Capture {
    _dir: tempfile::TempDir,
    path: PathBuf,
}

fn capture_file(edit: impl FnOnce(&mut Vec<String>)) -> Capture {
    let mut lines: Vec<String> = capture_text().lines().map(str::to_owned).collect();
    edit(&mut lines);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("calls.jsonl");
    let mut text = lines.join("\n");
    text.push('\n');
    std::fs::write(&path, text).unwrap();
    Capture { _dir: dir, path }
}

/// The capture's records, parsed.
fn records() -> Vec<Value> {
    capture_text()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("capture line ({e}): {l}")))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// The capture itself
// ---------------------------------------------------------------------------------------------

#[test]
fn the_capture_holds_every_callback_with_its_body_and_no_secret() {
    let recs = records();
    assert_eq!(recs.len(), 29, "{}", capture_text());
    let schema = support::read_json("fixtures/capture.schema.json");
    for rec in &recs {
        let errors = support::schema_errors(&schema, rec);
        assert!(errors.is_empty(), "{rec}: {errors:?}");
        assert_eq!(rec["verdict"], "accepted", "{rec}");
        assert!(rec["body"].is_string(), "{rec}");
    }
    assert!(!capture_text().contains("Bearer T\""), "a Bearer was saved");
}

// ---------------------------------------------------------------------------------------------
// Capture, then replay
// ---------------------------------------------------------------------------------------------

#[test]
fn replay_sends_the_captured_bytes_freshly_signed() {
    let cap = capture_file(|_| {});
    let server = TestServer::documented();
    let before_s = now_ms() / 1000;
    let r = replay(&cap.path, &server.url(), &["--token", T2]);
    assert_code(&r, 0);
    assert!(r.stdout.contains("29 sent"), "{}", r.dump());
    assert!(r.stdout.contains("29 ok"), "{}", r.dump());

    let recs = records();
    let reqs = server.requests();
    assert_eq!(reqs.len(), 29, "one request per captured callback");

    // Tencent: matched by RequestID. CEC: matched by body bytes, each used once.
    let mut tencent: HashMap<String, &Value> = HashMap::new();
    let mut cec: Vec<&str> = Vec::new();
    for rec in &recs {
        if rec["provider"] == "huawei" {
            cec.push(rec["body"].as_str().unwrap());
        } else {
            let id = query_value(rec["query"].as_str().unwrap(), "RequestID")
                .unwrap_or_else(|| panic!("captured Tencent callback without RequestID: {rec}"));
            assert!(tencent.insert(id, rec).is_none(), "RequestID repeats");
        }
    }
    assert_eq!(cec.len(), 7);
    assert_eq!(tencent.len(), 22);

    for req in &reqs {
        let problems = docs_check(req, Some(T2));
        assert!(
            problems.is_empty(),
            "replayed {} is not what the docs describe:\n  {}\nquery: {}",
            label(req),
            problems.join("\n  "),
            req.raw_query
        );
        if req.is_cec() {
            assert_eq!(req.header("authorization"), Some("Bearer T2"));
            let body = std::str::from_utf8(&req.body).expect("UTF-8");
            let at = cec
                .iter()
                .position(|b| *b == body)
                .unwrap_or_else(|| panic!("CEC body not in the capture (or sent twice): {body}"));
            cec.remove(at);
            continue;
        }
        let id = req.query_param("RequestID").expect("RequestID kept");
        let rec = tencent
            .remove(id)
            .unwrap_or_else(|| panic!("RequestID {id} not in the capture, or sent twice"));
        assert_eq!(
            req.body,
            rec["body"].as_str().unwrap().as_bytes(),
            "the body is not byte-identical to the capture"
        );
        let time: u64 = req
            .query_param("RequestTime")
            .expect("a fresh RequestTime")
            .parse()
            .expect("RequestTime in seconds");
        assert!(
            time.abs_diff(before_s) <= 60,
            "RequestTime {time} is not fresh (now {before_s})"
        );
        assert_eq!(
            req.query_param("Sign"),
            Some(sha256_hex(&format!("{T2}{time}")).as_str()),
            "Sign is not sha256(T2 + RequestTime)"
        );
        // The platform's other parameters are those captured.
        let captured: Vec<(String, String)> =
            url::form_urlencoded::parse(rec["query"].as_str().unwrap().as_bytes())
                .into_owned()
                .filter(|(k, _)| k != "Sign" && k != "RequestTime")
                .collect();
        for (k, v) in &captured {
            assert_eq!(req.query_param(k), Some(v.as_str()), "query {k}");
        }
        assert_eq!(req.query.iter().filter(|(k, _)| k == "Sign").count(), 1);
    }
    assert!(
        tencent.is_empty(),
        "never replayed: {:?}",
        tencent.keys().collect::<Vec<_>>()
    );
    assert!(cec.is_empty(), "never replayed: {cec:?}");
}

#[test]
fn as_is_sends_the_captured_query_unchanged() {
    let cap = capture_file(|_| {});
    let server = TestServer::documented();
    let r = replay(&cap.path, &server.url(), &["--as-is"]);
    assert_code(&r, 0);
    let reqs = server.requests();
    assert_eq!(reqs.len(), 29);
    let by_id: HashMap<String, String> = records()
        .iter()
        .filter(|r| r["provider"] == "tencent")
        .map(|r| {
            let q = r["query"].as_str().unwrap().to_owned();
            (query_value(&q, "RequestID").unwrap(), q)
        })
        .collect();
    for req in &reqs {
        if req.is_cec() {
            assert_eq!(req.raw_query, "", "CEC pushes carry no query");
            continue;
        }
        let id = req.query_param("RequestID").unwrap();
        assert_eq!(
            req.raw_query, by_id[id],
            "--as-is changed the captured query"
        );
        // Still the captured signature for the capture's token.
        let time = req.query_param("RequestTime").unwrap();
        assert_eq!(
            req.query_param("Sign"),
            Some(sha256_hex(&format!("T{time}")).as_str())
        );
    }
}

#[test]
fn only_filters_by_event() {
    let cap = capture_file(|_| {});
    let server = TestServer::documented();
    let r = replay(
        &cap.path,
        &server.url(),
        &["--only", "SessionEnd", "--token", T2],
    );
    assert_code(&r, 0);
    let reqs = server.requests();
    let want = records()
        .iter()
        .filter(|r| r["event"] == "SessionEnd")
        .count();
    assert_eq!(want, 1);
    assert_eq!(
        reqs.len(),
        want,
        "{:?}",
        reqs.iter().map(label).collect::<Vec<_>>()
    );
    assert!(reqs.iter().all(|r| label(r) == "SessionEnd"));

    // Case-insensitive ids, repeatable flag, both providers.
    let server = TestServer::documented();
    let r = replay(
        &cap.path,
        &server.url(),
        &["--only", "sessionend", "--only", "cec.read", "--token", T2],
    );
    assert_code(&r, 0);
    let mut got: Vec<String> = server.requests().iter().map(label).collect();
    got.sort();
    assert_eq!(got, ["SessionEnd", "cec"]);
}

#[test]
fn only_with_an_unknown_event_is_a_usage_error() {
    let cap = capture_file(|_| {});
    let server = TestServer::never_hit();
    let r = replay(&cap.path, &server.url(), &["--only", "SesionEnd"]);
    assert_code(&r, 2);
    assert!(r.stderr.contains("SesionEnd"), "{}", r.dump());
    assert_eq!(server.requests().len(), 0);
}

#[test]
fn count_replays_the_capture_several_times() {
    let cap = capture_file(|_| {});
    let server = TestServer::documented();
    let r = replay(&cap.path, &server.url(), &["--count", "2", "--token", T2]);
    assert_code(&r, 0);
    let reqs = server.requests();
    assert_eq!(reqs.len(), 58);
    let mut ids: BTreeMap<String, usize> = BTreeMap::new();
    for req in reqs.iter().filter(|r| !r.is_cec()) {
        *ids.entry(req.query_param("RequestID").unwrap().to_owned())
            .or_default() += 1;
    }
    assert_eq!(ids.len(), 22);
    assert!(ids.values().all(|n| *n == 2), "{ids:?}");
    assert_eq!(reqs.iter().filter(|r| r.is_cec()).count(), 14);
}

// ---------------------------------------------------------------------------------------------
// Malformed captures
// ---------------------------------------------------------------------------------------------

/// The capture with `{not json` as line 3 and an empty line as line 12.
fn broken_capture() -> Capture {
    capture_file(|lines| {
        lines.insert(2, "{not json".to_owned());
        lines.insert(11, String::new());
    })
}

#[test]
fn a_malformed_line_is_reported_and_skipped() {
    let cap = broken_capture();
    let server = TestServer::documented();
    let r = replay(&cap.path, &server.url(), &["--token", T2]);
    assert_code(&r, 0);
    assert!(
        r.stderr.contains(":3:"),
        "line 3 is not named\n{}",
        r.dump()
    );
    assert!(r.stderr.contains("calls.jsonl"), "{}", r.dump());
    assert!(
        !r.stderr.contains(":12:"),
        "an empty line is not an error\n{}",
        r.dump()
    );
    assert_eq!(server.requests().len(), 29, "the other lines are sent");
}

#[test]
fn strict_stops_at_a_malformed_line() {
    let cap = broken_capture();
    let server = TestServer::documented();
    let r = replay(&cap.path, &server.url(), &["--strict", "--token", T2]);
    assert_code(&r, 2);
    assert!(
        r.stderr.contains(":3:"),
        "line 3 is not named\n{}",
        r.dump()
    );
    assert!(
        server.requests().len() <= 2,
        "lines after the malformed one were sent: {}",
        server.requests().len()
    );
}

#[test]
fn a_capture_with_nothing_to_replay_is_an_input_error() {
    let server = TestServer::never_hit();
    let empty = capture_file(|lines| lines.clear());
    let r = replay(&empty.path, &server.url(), &[]);
    assert_code(&r, 2);
    assert!(r.stderr.contains("nothing to replay"), "{}", r.dump());
    let cap = capture_file(|lines| lines.retain(|l| l.contains(r#""event":"SessionBegin""#)));
    let r = replay(&cap.path, &server.url(), &["--only", "SessionEnd"]);
    assert_code(&r, 2);
    assert!(r.stderr.contains("passes --only"), "{}", r.dump());
    assert_eq!(server.requests().len(), 0);
}

#[test]
fn a_missing_capture_is_a_usage_error() {
    let r = run(&[
        "replay",
        "/nonexistent/deskhook/calls.jsonl",
        "--to",
        &closed_port(),
    ]);
    assert_code(&r, 2);
    assert!(r.stderr.contains("calls.jsonl"), "{}", r.dump());
}

// ---------------------------------------------------------------------------------------------
// A non-UTF-8 body, captured as body_base64
// ---------------------------------------------------------------------------------------------

/// Standard base64 with padding, written here independently of the crate deskhook decodes
/// `body_base64` with.
fn base64(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(A[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[test]
fn base64_encodes_like_rfc_4648() {
    assert_eq!(base64(b""), "");
    assert_eq!(base64(b"f"), "Zg==");
    assert_eq!(base64(b"fo"), "Zm8=");
    assert_eq!(base64(b"foo"), "Zm9v");
    assert_eq!(base64(b"foobar"), "Zm9vYmFy");
}

#[test]
fn a_non_utf8_body_is_sent_with_the_exact_bytes() {
    let mut bytes = br#"{"CallbackCommand":"Desk.SessionEventNotify","SessionId":"2baf4d84-beb4-4607-a1ea-6ebcaef3e0e6","Event":"SessionBegin","EventTime":1700000000000,"ClientUserId":"caf"#.to_vec();
    bytes.extend_from_slice(b"\xe9 \xff\xfe\x80");
    bytes.extend_from_slice(br#"","IsContactUser":false}"#);
    assert!(std::str::from_utf8(&bytes).is_err());
    let record = serde_json::json!({
        "v": 1, "seq": 1, "received_at_ms": 1700000000000u64, "answered_at_ms": 1700000000001u64,
        "remote": "127.0.0.1:50000", "method": "POST", "path": "/desk/cb",
        "query": "SdkAppid=1400187352&CallbackCommand=Desk.SessionEventNotify&contenttype=json&ClientIP=127.0.0.1&OptPlatform=RESTAPI&RequestID=latin1-body-1&Sign=00&RequestTime=1700000000",
        "headers": [["content-type", "application/json"]],
        "body_base64": base64(&bytes),
        "event": "SessionBegin", "provider": "tencent", "verdict": "invalid",
        "problems": [{"path": "body", "expected": "UTF-8", "got": "invalid UTF-8"}],
        "status": 400, "answer": "{}", "latency_ms": 0.1,
    });
    let schema = support::read_json("fixtures/capture.schema.json");
    let errors = support::schema_errors(&schema, &record);
    assert!(errors.is_empty(), "the hand-written record: {errors:?}");

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("latin1.jsonl");
    std::fs::write(&path, format!("{record}\n")).unwrap();
    let server = TestServer::documented();
    let r = replay(&path, &server.url(), &["--token", T2]);
    assert_code(&r, 0);
    let reqs = server.requests();
    assert_eq!(reqs.len(), 1, "{}", r.dump());
    assert_eq!(reqs[0].body, bytes, "the body bytes changed");
    assert_eq!(reqs[0].query_param("RequestID"), Some("latin1-body-1"));
    let time = reqs[0].query_param("RequestTime").unwrap();
    assert_eq!(
        reqs[0].query_param("Sign"),
        Some(sha256_hex(&format!("{T2}{time}")).as_str())
    );
}

// ---------------------------------------------------------------------------------------------
// Answers are validated as with send
// ---------------------------------------------------------------------------------------------

#[test]
fn a_500_answer_fails_the_replay() {
    let cap = capture_file(|_| {});
    let server = TestServer::fixed(500, r#"{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0}"#);
    let r = replay(&cap.path, &server.url(), &["--token", T2]);
    assert_code(&r, 1);
    assert!(r.stdout.contains("500"), "{}", r.dump());
    assert_eq!(server.requests().len(), 29);
}

#[test]
fn an_invalid_answer_fails_naming_the_path() {
    let cap = capture_file(|_| {});
    let server = TestServer::fixed(200, r#"{"ActionStatus":"OK","ErrorInfo":""}"#);
    let r = replay(
        &cap.path,
        &server.url(),
        &["--only", "SessionBegin", "--token", T2],
    );
    assert_code(&r, 1);
    assert!(r.stdout.contains("/ErrorCode"), "{}", r.dump());
}

#[test]
fn a_closed_port_is_a_transport_error() {
    let cap = capture_file(|_| {});
    let r = replay(&cap.path, &closed_port(), &["--token", T2]);
    assert_code(&r, 3);
    assert!(r.stdout.contains("connection refused"), "{}", r.dump());
}

// ---------------------------------------------------------------------------------------------
// Secrets
// ---------------------------------------------------------------------------------------------

#[test]
fn the_token_never_appears_in_replay_output() {
    const TOKEN: &str = "T2-replay-S3CRET";
    let cap = capture_file(|_| {});
    let server = TestServer::documented();
    let modes: [&[&str]; 5] = [
        &["--format", "human"],
        &["--format", "human", "--verbose"],
        &["--format", "json"],
        &["--format", "json", "--verbose"],
        &["--format", "junit"],
    ];
    for mode in modes {
        let mut args = vec![
            "--token",
            TOKEN,
            "--only",
            "cec.read",
            "--only",
            "SessionBegin",
        ];
        args.extend_from_slice(mode);
        let r = replay(&cap.path, &server.url(), &args);
        assert_eq!(r.code, 0, "{mode:?}\n{}", r.dump());
        assert_no_secret(&r, TOKEN, &format!("{mode:?}"));
        assert!(r.stdout.contains("cec.read"), "{mode:?}\n{}", r.stdout);
    }
    // Also with the plain T2 of the other tests (without --verbose: a random body could
    // contain the two characters by chance).
    for mode in [&["--format", "human"][..], &["--format", "json"][..]] {
        let mut args = vec!["--token", T2];
        args.extend_from_slice(mode);
        let r = replay(&cap.path, &server.url(), &args);
        assert_eq!(r.code, 0, "{mode:?}\n{}", r.dump());
        assert!(!r.stdout.contains("Bearer T2"), "{mode:?}\n{}", r.stdout);
        assert_no_secret(&r, T2, &format!("{mode:?}"));
    }
    // Not vacuous: the server did get the real Bearer value.
    let bearers: Vec<Option<String>> = server
        .requests()
        .iter()
        .filter(|r| r.is_cec())
        .map(|r| r.header("authorization").map(str::to_owned))
        .collect();
    assert!(!bearers.is_empty());
    assert!(bearers
        .iter()
        .any(|b| b.as_deref() == Some("Bearer T2-replay-S3CRET")));
}
