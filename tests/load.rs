//! Load flags end to end: `--max-latency` turns slow answers into failed checks (exit 1,
//! counted by reason), `--rate` paces without losing callbacks, and nothing draws a progress
//! bar when stderr is not a terminal. No assertion has an upper bound on time: the slow
//! server is far slower than the limit, and the pacing test checks that N requests at rate R
//! took at least (N - 1) / R.

mod support;

use serde_json::Value;
use std::time::{Duration, Instant};
use support::{assert_code, deskhook, documented_success, run_to, TestServer};

fn json_lines(stdout: &[u8]) -> Vec<Value> {
    support::json_lines(&String::from_utf8_lossy(stdout))
}

#[test]
fn max_latency_turns_slow_answers_into_failed_checks() {
    let server = TestServer::start(|req| {
        (
            200,
            documented_success(req),
            Some(Duration::from_millis(400)),
        )
    });
    let out = deskhook()
        .args(["send", "SessionBegin", "--count", "2", "--concurrency", "2"])
        .args([
            "--max-latency",
            "50ms",
            "--timeout",
            "5s",
            "--format",
            "json",
            "--to",
            &server.url(),
        ])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "a slow answer is a failed check, not a transport error"
    );
    let lines = json_lines(&out.stdout);
    let results: Vec<&Value> = lines.iter().filter(|l| l["type"] == "result").collect();
    assert_eq!(results.len(), 2);
    for r in &results {
        assert_eq!(r["verdict"], "invalid", "{r}");
        assert_eq!(r["status"], 200, "the answer itself was fine: {r}");
        let v = &r["violations"][0];
        assert_eq!(v["path"], "latency", "{r}");
        assert!(v["expected"].as_str().unwrap().contains("50 ms"), "{r}");
    }
    let summary = lines.last().unwrap();
    assert_eq!(summary["type"], "summary");
    assert_eq!(
        summary["failures"]["slower than --max-latency"], 2,
        "{summary}"
    );
}

/// The first request of a connection is reported apart (it pays for the connection's set-up):
/// one worker, one connection, so exactly the first request is there. The server makes the
/// first request it sees slow, so the request reported apart is that one (a lower bound only).
#[test]
fn the_first_request_of_a_connection_is_reported_apart() {
    let seen = std::sync::atomic::AtomicU64::new(0);
    let server = TestServer::start(move |req| {
        let n = seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let delay = (n == 0).then(|| Duration::from_millis(300));
        (200, documented_success(req), delay)
    });
    let out = deskhook()
        .args(["send", "SessionBegin", "--count", "5", "--concurrency", "1"])
        .args(["--format", "json", "--to", &server.url()])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines = json_lines(&out.stdout);
    let summary = lines.last().unwrap();
    let first = &summary["first_requests"];
    assert_eq!(first["count"], 1, "{summary}");
    assert!(
        first["max_ms"].as_f64().unwrap_or(0.0) >= 300.0,
        "the slow first request is the one reported apart: {summary}"
    );
}

/// `--concurrency N` keeps exactly N callbacks in flight: with every answer held back for a
/// while, each worker needs its own connection, so the receiver sees N connections (N = 5 is
/// odd, so it does not split evenly over two cores' lanes).
#[test]
fn concurrency_is_the_number_of_connections_in_use() {
    let dir = tempfile::tempdir().unwrap();
    let capture = dir.path().join("calls.jsonl");
    let l =
        support::listen::Listen::start(&["--delay", "300ms", "--save", capture.to_str().unwrap()]);
    let out = deskhook()
        .args([
            "send",
            "SessionBegin",
            "--count",
            "10",
            "--concurrency",
            "5",
        ])
        .args(["--format", "json", "--to", &l.url()])
        .output()
        .unwrap();
    l.interrupt();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&capture).unwrap();
    let remotes: std::collections::HashSet<String> = text
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap()["remote"].to_string())
        .collect();
    assert_eq!(text.lines().count(), 10);
    assert_eq!(remotes.len(), 5, "connections: {remotes:?}");
}

#[test]
fn max_latency_lets_fast_answers_pass() {
    let server = TestServer::documented();
    deskhook()
        .args([
            "send",
            "SessionBegin",
            "--max-latency",
            "30s",
            "--to",
            &server.url(),
        ])
        .assert()
        .code(0);
}

#[test]
fn rate_paces_without_losing_callbacks_and_no_bar_off_a_terminal() {
    let server = TestServer::documented();
    let out = deskhook()
        .args([
            "send",
            "SessionBegin",
            "ChatBot.UserSendMsg",
            "--count",
            "10",
            "--concurrency",
            "4",
        ])
        .args(["--rate", "200", "--format", "json", "--to", &server.url()])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(server.requests().len(), 20);
    let summary = json_lines(&out.stdout).pop().unwrap();
    assert_eq!(summary["sent"], 20);
    assert_eq!(summary["ok"], 20);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !stderr.contains("eta") && !stderr.contains('\r'),
        "no progress bar off a terminal: {stderr}"
    );
}

#[test]
fn rate_spaces_the_requests_one_interval_apart() {
    // 11 requests at 10 per second: the last one leaves no sooner than 10 intervals (1 s)
    // after the first. Lower bound only; without pacing the run takes a small fraction of it.
    const COUNT: u32 = 11;
    const RATE: u32 = 10;
    let server = TestServer::documented();
    let started = Instant::now();
    let r = run_to(
        &server.url(),
        &["send", "SessionBegin"],
        &[
            "--count",
            &COUNT.to_string(),
            "--concurrency",
            "4",
            "--rate",
            &RATE.to_string(),
        ],
    );
    let took = started.elapsed();
    assert_code(&r, 0);
    assert_eq!(server.requests().len(), COUNT as usize);
    let at_least = Duration::from_secs(1) * (COUNT - 1) / RATE;
    assert!(
        took >= at_least,
        "{COUNT} requests at --rate {RATE} took {took:?}, less than {at_least:?}"
    );
}

#[test]
fn a_rate_that_is_not_a_positive_number_is_a_usage_error() {
    for bad in ["0", "-5", "fast"] {
        deskhook()
            .args([
                "send",
                "SessionBegin",
                &format!("--rate={bad}"),
                "--dry-run",
            ])
            .assert()
            .code(2)
            .stderr(predicates::str::contains("--rate"));
    }
}

#[test]
fn junit_is_refused_where_there_are_no_results() {
    deskhook()
        .args(["listen", "--port", "0", "--format", "junit"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("[possible values: human, json]"));
    deskhook()
        .args([
            "validate",
            "SessionBegin",
            "--response",
            "-",
            "--format",
            "junit",
        ])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("[possible values: human, json]"));
    deskhook()
        .args(["send", "SessionBegin", "--dry-run", "--format", "junit"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("--format human or json"));
}
