//! Issue "listen and replay", done-when: 20,000 callbacks at concurrency 64 into
//! `listen --save` give 20,000 whole capture lines. deskhook's own sender provides the load
//! (signed, so every request passes the receiver's checks) and the capture is read back.

use std::collections::HashSet;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

const COUNT: usize = 20_000;

#[test]
fn twenty_thousand_concurrent_callbacks_give_twenty_thousand_whole_capture_lines() {
    let dir = tempfile::tempdir().unwrap();
    let capture = dir.path().join("load.jsonl");
    let bin = assert_cmd::cargo::cargo_bin("deskhook");
    let mut listen = Command::new(&bin)
        .args(["listen", "--port", "0", "--token", "T", "--save"])
        .arg(&capture)
        .args(["--max-requests", &COUNT.to_string(), "--format", "json"])
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(listen.stdout.take().unwrap());
    let mut ready = String::new();
    stdout.read_line(&mut ready).unwrap();
    let ready: serde_json::Value =
        serde_json::from_str(&ready).expect("the first line is the ready record");
    let url = ready["url"].as_str().unwrap().to_owned();
    // Drain listen's stdout so it never blocks on a full pipe.
    let drain = std::thread::spawn(move || stdout.lines().map_while(Result::ok).count());

    let send = Command::new(&bin)
        .args([
            "send",
            "SessionBegin",
            "--count",
            &COUNT.to_string(),
            "--concurrency",
            "64",
            "--token",
            "T",
        ])
        .args(["--format", "json", "--to", &url])
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert_eq!(
        send.status.code(),
        Some(0),
        "send failed: {}",
        String::from_utf8_lossy(&send.stderr)
    );
    let summary = String::from_utf8(send.stdout)
        .unwrap()
        .lines()
        .last()
        .unwrap()
        .to_owned();
    let summary: serde_json::Value = serde_json::from_str(&summary).unwrap();
    assert_eq!(summary["ok"], COUNT as u64, "{summary}");

    let status = listen.wait().unwrap();
    assert_eq!(
        status.code(),
        Some(0),
        "listen exits cleanly after --max-requests"
    );
    assert_eq!(
        drain.join().unwrap(),
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
        let query = rec["query"].as_str().unwrap();
        let rid = query
            .split('&')
            .find_map(|kv| kv.strip_prefix("RequestID="))
            .expect("RequestID in the query");
        request_ids.insert(rid.to_owned());
        lines += 1;
    }
    assert_eq!(lines, COUNT, "exactly one capture line per callback");
    assert_eq!(request_ids.len(), COUNT, "every callback captured once");
}
