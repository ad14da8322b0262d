//! `listen --save` under load: 20,000 callbacks at concurrency 64 give 20,000 whole capture
//! lines. deskhook's own sender provides the load (signed, so every request passes the
//! receiver's checks) and the capture is read back.

mod support;

use std::collections::HashSet;
use support::listen::Listen;
use support::{assert_code, json_lines, query_value, run};

const COUNT: usize = 20_000;

#[test]
fn twenty_thousand_concurrent_callbacks_give_twenty_thousand_whole_capture_lines() {
    let dir = tempfile::tempdir().unwrap();
    let capture = dir.path().join("load.jsonl");
    let count = COUNT.to_string();
    let l = Listen::start(&[
        "--token",
        "T",
        "--save",
        capture.to_str().unwrap(),
        "--max-requests",
        &count,
        "--format",
        "json",
    ]);
    let send = run(&[
        "send",
        "SessionBegin",
        "--count",
        &count,
        "--concurrency",
        "64",
        "--token",
        "T",
        "--format",
        "json",
        "--to",
        &l.url(),
    ]);
    assert_code(&send, 0);
    let summary = json_lines(&send.stdout).pop().expect("a summary line");
    assert_eq!(summary["ok"], COUNT as u64, "{summary}");

    let fin = l.wait_exit("after --max-requests");
    assert_eq!(
        fin.status.code(),
        Some(0),
        "listen exits cleanly after --max-requests\n{}",
        fin.stderr
    );
    // The ready line, then one stdout record per exchange.
    assert_eq!(
        fin.stdout.len(),
        COUNT + 1,
        "one stdout record per exchange"
    );
    assert_eq!(
        fin.exchanges().len(),
        COUNT,
        "one stdout record per exchange"
    );

    let text = std::fs::read_to_string(&capture).unwrap();
    assert!(text.ends_with('\n'), "the capture ends with a whole line");
    let mut request_ids = HashSet::new();
    let mut lines = 0;
    for (n, line) in text.lines().enumerate() {
        let rec: serde_json::Value = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("capture line {} is not whole JSON: {e}", n + 1));
        assert_eq!(rec["verdict"], "accepted", "line {}: {line}", n + 1);
        let rid = query_value(rec["query"].as_str().unwrap(), "RequestID")
            .expect("RequestID in the query");
        request_ids.insert(rid);
        lines += 1;
    }
    assert_eq!(lines, COUNT, "exactly one capture line per callback");
    assert_eq!(request_ids.len(), COUNT, "every callback captured once");
}
