//! Load flags end to end: `--max-latency` turns slow answers into failed checks (exit 1,
//! counted by reason), `--rate` paces without losing callbacks, and nothing draws a progress
//! bar when stderr is not a terminal. No assertion here depends on how long anything took:
//! the slow server is far slower than the limit, and the rate test only counts.

mod support;

use serde_json::Value;
use std::time::Duration;
use support::{deskhook, documented_success, TestServer};

fn json_lines(stdout: &[u8]) -> Vec<Value> {
    String::from_utf8_lossy(stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect()
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
