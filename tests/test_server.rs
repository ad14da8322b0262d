//! The recording test server of `tests/support` fails the test that owns it when its answer
//! closure panics, when it is never hit, and when a `never_hit()` server is hit; and it does
//! not turn a test that is already failing into an abort. Requests go over loopback with the
//! hand-written client of `support::http`.

mod support;

use support::http::post;
use support::TestServer;

/// `http://127.0.0.1:PORT/` → `127.0.0.1:PORT`.
fn addr_of(server: &TestServer) -> String {
    server
        .url()
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_owned()
}

fn hit(server: &TestServer) -> u16 {
    post(&addr_of(server), "/cb", &[], b"{}")
        .expect("the test server answers")
        .status
}

#[test]
fn a_hit_server_that_answered_without_panicking_passes() {
    let server = TestServer::fixed(200, "{}");
    assert_eq!(hit(&server), 200);
    assert_eq!(server.requests().len(), 1);
}

#[test]
#[should_panic(expected = "answer closure panicked: the closure's own assertion")]
fn a_panic_in_the_answer_closure_fails_the_test_on_drop() {
    let server = TestServer::start(|_| panic!("the closure's own assertion"));
    assert_eq!(hit(&server), 500, "a panicking closure is answered 500");
    drop(server);
}

#[test]
#[should_panic(expected = "answer closure panicked: assertion `left == right` failed")]
fn a_failed_assertion_in_the_answer_closure_is_raised_by_requests() {
    let server = TestServer::start(|req| {
        assert_eq!(req.method, "GET");
        (200, Vec::new(), None)
    });
    hit(&server);
    let _ = server.requests();
}

#[test]
#[should_panic(expected = "was never hit")]
fn a_server_that_is_never_hit_fails_the_test() {
    let _server = TestServer::documented();
}

#[test]
fn a_never_hit_server_that_is_not_hit_passes() {
    let server = TestServer::never_hit();
    assert!(server.requests().is_empty());
}

#[test]
#[should_panic(expected = "received 1 request(s)")]
fn a_never_hit_server_that_is_hit_fails_the_test() {
    let server = TestServer::never_hit();
    hit(&server);
}

#[test]
#[should_panic(expected = "the test's own failure")]
fn a_test_already_failing_keeps_its_own_failure() {
    // Dropped while unwinding: the server neither panics again (which would abort) nor hides
    // the test's message.
    let _server = TestServer::start(|_| panic!("the closure's failure"));
    panic!("the test's own failure");
}
