//! Clear words for every mistake, and no silent no-op: what a newcomer gets for a URL without
//! a scheme, a backend's refusal, a backend that is down or answers badly behind
//! `listen --forward-to`, a file that is no capture, a `--set` path the body does not have;
//! and the output polish around them (one `send` ends with the summary line, refused
//! exchanges are named and replayed).

mod support;

use serde_json::{json, Value};
use support::listen::{Listen, CEC_PATH};
use support::*;

#[test]
fn a_url_without_a_scheme_says_add_http() {
    for bare in ["127.0.0.1:3000", "localhost:3000/cb"] {
        let r = run(&["send", "SessionBegin", "--to", bare]);
        assert_code(&r, 2);
        assert!(r.stderr.contains("add http://"), "{}", r.dump());
        assert!(r.stderr.contains(&format!("http://{bare}")), "{}", r.dump());
        assert!(!r.stderr.contains("relative URL"), "{}", r.dump());
    }
}

#[test]
fn a_backend_error_info_is_shown_whole() {
    let info = "the order service rejected session 9f1c: the customer profile is incomplete, retry once the nightly CRM synchronisation has finished";
    let body = json!({"ActionStatus": "FAIL", "ErrorCode": 1001, "ErrorInfo": info}).to_string();
    let server = TestServer::fixed(200, &body);
    let r = run(&["send", "SessionBegin", "--to", &server.url()]);
    assert_code(&r, 1);
    assert!(r.stdout.contains(info), "{}", r.dump());
}

#[test]
fn one_send_ends_with_the_summary_line_as_many_do() {
    let server = TestServer::documented();
    let r = run(&["send", "SessionBegin", "--to", &server.url()]);
    assert_code(&r, 0);
    let last = r.stdout.lines().last().unwrap_or_default();
    assert!(last.starts_with("1 sent · 1 ok"), "{}", r.dump());
}

#[test]
fn forward_to_a_backend_that_is_down_blames_the_backend() {
    let down = closed_port();
    let l = Listen::start(&["--forward-to", &down, "--max-requests", "1"]);
    let r = run(&["send", "SessionBegin", "--to", &l.url()]);
    assert_code(&r, 1);
    let fin = l.wait_exit("after one callback");
    let shown = fin.stdout.join("\n");
    assert!(shown.contains("forward_failed 502"), "{shown}");
    assert!(
        shown.contains("the backend is down or unreachable"),
        "{shown}"
    );
    assert!(shown.contains("connection refused"), "{shown}");
    assert!(
        !shown.contains("authentic callback"),
        "the callback is not to blame:\n{shown}"
    );
}

#[test]
fn a_backend_answer_that_fails_validation_is_never_shown_accepted() {
    // An answer that breaks both envelopes, to a push whose kind the receiver does not
    // recognise (a CONNECT message) and to a callback it does.
    let backend = TestServer::fixed(200, r#"{"ActionStatus":"OK","ErrorCode":"0"}"#);
    let l = Listen::start(&["--forward-to", &backend.url(), "--max-requests", "2"]);
    let push = run(&[
        "send",
        "cec.read",
        "--set",
        "messages.0.controlType=CONNECT",
        "--to",
        &l.url(),
    ]);
    assert_code(&push, 1);
    assert_code(&run(&["send", "SessionBegin", "--to", &l.url()]), 1);
    let fin = l.wait_exit("after two callbacks");
    let lines: Vec<&String> = fin.stdout.iter().filter(|l| l.contains(" ← ")).collect();
    assert_eq!(lines.len(), 2, "{:?}", fin.stdout);
    for line in lines {
        assert!(!line.contains('✓') && !line.contains("accepted"), "{line}");
        assert!(line.contains("invalid_answer"), "{line}");
    }
    // The unrecognised push is named by where it went, not `?`.
    assert!(
        fin.stdout
            .iter()
            .any(|l| l.contains(&format!("← POST {CEC_PATH}"))),
        "{:?}",
        fin.stdout
    );
}

#[test]
fn a_file_that_is_no_capture_stops_with_one_error() {
    let dir = tempfile::tempdir().unwrap();
    let binary = dir.path().join("deskhook.bin");
    // 36,000 lines of bytes that are not UTF-8.
    let mut bytes = Vec::new();
    for i in 0..36_000u32 {
        bytes.extend_from_slice(&[0xff, 0xfe, (i % 251) as u8, b'\n']);
    }
    std::fs::write(&binary, bytes).unwrap();
    let server = TestServer::never_hit();
    let r = run(&[
        "replay",
        binary.to_str().unwrap(),
        "--as-is",
        "--to",
        &server.url(),
    ]);
    assert_code(&r, 2);
    assert!(
        r.stderr
            .contains("is not a capture written by `deskhook listen --save`"),
        "{}",
        r.dump()
    );
    assert_eq!(
        r.stderr.lines().count(),
        1,
        "one error, no notes:\n{}",
        r.stderr
    );

    // A capture with many bad lines among good ones: each of the first few is named, the
    // rest counted.
    let recorder_file = dir.path().join("calls.jsonl");
    let rec = Listen::start(&[
        "--save",
        recorder_file.to_str().unwrap(),
        "--max-requests",
        "1",
    ]);
    assert_code(&run(&["send", "SessionBegin", "--to", &rec.url()]), 0);
    rec.wait_exit("after one").assert_exited("capture");
    let good = std::fs::read_to_string(&recorder_file).unwrap();
    let mut mixed = good.clone();
    for _ in 0..50 {
        mixed.push_str("{not json\n");
    }
    std::fs::write(&recorder_file, mixed).unwrap();
    let server = TestServer::documented();
    let r = run(&[
        "replay",
        recorder_file.to_str().unwrap(),
        "--as-is",
        "--to",
        &server.url(),
    ]);
    assert_code(&r, 0);
    let named = r.stderr.lines().filter(|l| l.contains("skipped")).count();
    assert!(named <= 11, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("further malformed lines are counted, not shown"),
        "{}",
        r.stderr
    );
}

#[test]
fn set_on_a_field_the_event_does_not_have_says_so() {
    let r = run(&["send", "SessionBegin", "--set", "Foo.Bar=1", "--dry-run"]);
    assert_code(&r, 0);
    assert!(
        r.stderr
            .contains("--set Foo.Bar adds Foo, an object the template does not have"),
        "{}",
        r.dump()
    );
    let r = run(&[
        "send",
        "SessionBegin",
        "--set",
        "ClientUserID=x",
        "--dry-run",
    ]);
    assert!(
        r.stderr.contains("did you mean \"ClientUserId\""),
        "{}",
        r.dump()
    );
}

#[test]
fn set_text_on_a_generated_image_makes_it_a_text_message() {
    // Whatever element a session generates (images, files, locations sometimes), setting
    // the text sends a text element with that text.
    let r = run(&[
        "send",
        "Human.AgentSendMsg",
        "Human.UserSendMsg",
        "--count",
        "40",
        "--seed",
        "3",
        "--dry-run",
        "--format",
        "json",
        "--set",
        "MsgBody.0.MsgContent.Text=退款 🙏",
    ]);
    assert_code(&r, 0);
    for rec in r.json_lines() {
        assert_eq!(
            rec["body"]["MsgBody"],
            json!([{"MsgType": "TIMTextElem", "MsgContent": {"Text": "退款 🙏"}}]),
            "{rec}"
        );
    }
    assert!(!r.stderr.contains("adds a field"), "{}", r.dump());
}

#[test]
fn refused_callbacks_are_named_and_replayed() {
    let dir = tempfile::tempdir().unwrap();
    let capture = dir.path().join("calls.jsonl");
    // A receiver with the right token refuses a callback signed with the wrong one.
    let l = Listen::start(&[
        "--token",
        "right-token",
        "--save",
        capture.to_str().unwrap(),
        "--max-requests",
        "1",
    ]);
    let r = run(&[
        "send",
        "SessionEnd",
        "--token",
        "wrong-token",
        "--to",
        &l.url(),
    ]);
    assert_code(&r, 1);
    let fin = l.wait_exit("after one callback");
    let line = fin
        .stdout
        .iter()
        .find(|l| l.contains(" ← "))
        .expect("a line");
    assert!(
        line.contains("← SessionEnd") && line.contains("refused 401"),
        "{line}"
    );
    let rec: Value =
        serde_json::from_str(std::fs::read_to_string(&capture).unwrap().trim()).unwrap();
    assert_eq!(rec["verdict"], "refused");
    assert_eq!(rec["event"], "SessionEnd", "{rec}");

    // Replayed, re-signed with the right token, it is accepted.
    let again = Listen::start(&["--token", "right-token", "--max-requests", "1"]);
    let r = run(&[
        "replay",
        capture.to_str().unwrap(),
        "--token",
        "right-token",
        "--to",
        &again.url(),
    ]);
    assert_code(&r, 0);
    let fin = again.wait_exit("after the replay");
    assert!(
        fin.stdout
            .iter()
            .any(|l| l.contains("← SessionEnd") && l.contains("accepted")),
        "{:?}",
        fin.stdout
    );
}
