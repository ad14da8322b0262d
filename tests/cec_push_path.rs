//! The CEC push path is never doubled: `--to` is the base URL the admin enters in AICC
//! (deskhook appends `/webhooks/v1/messages`), and a URL that already ends with that path (the
//! whole push address pasted from a configuration) is used as given — by `send`, `flow`,
//! `replay` and `listen --forward-to` alike.

mod support;

use support::listen::{Listen, CEC_PATH};
use support::*;

/// Every request the server got went to exactly `path`.
#[track_caller]
fn all_posted_to(server: &TestServer, path: &str) {
    let reqs = server.requests();
    assert!(!reqs.is_empty(), "nothing arrived");
    for r in &reqs {
        assert_eq!(r.path, path, "{} {}", r.method, r.path);
    }
}

#[test]
fn send_takes_a_full_push_url_as_given() {
    let server = TestServer::documented();
    let full = format!("{}webhooks/v1/messages", server.url());
    let r = run(&["send", "--provider", "huawei", "--to", &full]);
    assert_code(&r, 0);
    all_posted_to(&server, CEC_PATH);

    // With a trailing slash and a query, as pasted: still not doubled, the query kept.
    let server = TestServer::fixed(200, r#"{"resultCode":"0","resultDesc":"success"}"#);
    let full = format!("{}webhooks/v1/messages/?tenant=7", server.url());
    assert_code(&run(&["send", "cec.read", "--to", &full]), 0);
    let reqs = server.requests();
    assert_eq!(reqs[0].path, "/webhooks/v1/messages/");
    assert_eq!(reqs[0].raw_query, "tenant=7");
}

#[test]
fn send_appends_the_push_path_to_a_base_url() {
    let server = TestServer::documented();
    let base = format!("{}aicc", server.url());
    assert_code(&run(&["send", "cec.read", "--to", &base]), 0);
    all_posted_to(&server, "/aicc/webhooks/v1/messages");
}

#[test]
fn flow_takes_a_full_push_url_as_given() {
    let server = TestServer::documented();
    let full = format!("{}webhooks/v1/messages", server.url());
    assert_code(&run(&["flow", "cec-chat", "--to", &full]), 0);
    all_posted_to(&server, CEC_PATH);
}

#[test]
fn replay_and_forward_take_a_full_push_url_as_given() {
    let backend = TestServer::documented();
    let full = format!("{}webhooks/v1/messages", backend.url());

    // listen --forward-to the full push URL: the push arrives on the push path and is relayed
    // to exactly that path, once.
    let dir = tempfile::tempdir().unwrap();
    let capture = dir.path().join("calls.jsonl");
    let relay = Listen::start(&[
        "--forward-to",
        &full,
        "--save",
        capture.to_str().unwrap(),
        "--max-requests",
        "1",
    ]);
    assert_code(&run(&["send", "cec.read", "--to", &relay.url()]), 0);
    relay.wait_exit("after one push").assert_exited("forward");
    all_posted_to(&backend, CEC_PATH);

    // replay of that capture to the full push URL.
    let again = TestServer::documented();
    let full = format!("{}webhooks/v1/messages", again.url());
    let r = run(&["replay", capture.to_str().unwrap(), "--to", &full]);
    assert_code(&r, 0);
    all_posted_to(&again, CEC_PATH);
}
