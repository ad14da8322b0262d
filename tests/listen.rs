//! End-to-end tests of `deskhook listen`.
//!
//! Every test starts its own `deskhook listen --port 0 ...` child process
//! (`support::listen::Listen`), waits for the ready line, talks to it over loopback with the
//! hand-written HTTP/1.1 client of `support::http` (so that malformed requests can be sent
//! byte for byte), then stops it: `--max-requests N` where the number of callbacks is known,
//! else SIGINT (Ctrl-C must flush the capture), and waits for the process to exit.
//!
//! The bad inputs of section 3 are one table (`bad_inputs!`): one named test per case.
//!
//! No test asserts an upper bound on time; `--delay` is checked with a lower bound only.
//! Socket and exit timeouts are safety nets that turn a hang into a failure naming what hung.

mod support;

use serde_json::{json, Value};
use std::collections::HashMap;
use std::io::{self, BufReader, Write};
use std::net::TcpStream;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};
use support::http::{
    chunked, connect, post, post_ok, read_response, request_bytes, roundtrip, roundtrip_opts, Resp,
};
use support::listen::{Finished, Listen, CEC_PATH};
use support::{
    bearer, now_s, query_value, seed, seed_json, sign, tencent_ack, tencent_query_with,
    ASSIGN_SEED, CEC_SEED, INTERFACE_SEED, SESSION_SEED,
};

/// The listeners' callback token and SdkAppid.
const TOKEN: &str = "T";
const APP: &str = "1400187352";

/// `deskhook listen --token TOKEN --sdkappid APP <extra>`.
fn listen_signed(extra: &[&str]) -> Listen {
    Listen::start(&[&["--token", TOKEN, "--sdkappid", APP][..], extra].concat())
}

/// A correctly signed query for TOKEN/APP, now.
fn tencent_query(command: &str) -> String {
    tencent_query_with(TOKEN, APP, command, now_s())
}

/// A callback target: a path plus a correctly signed query plus `extra` (e.g. `&RequestID=x`).
fn target(command: &str, extra: &str) -> String {
    format!("/desk/callback?{}{extra}", tencent_query(command))
}

/// A correct, signed session event; used after every bad input.
fn good_request(addr: &str, id: &str) -> io::Result<Resp> {
    post(
        addr,
        &target("Desk.SessionEventNotify", &format!("&RequestID={id}")),
        &[],
        &seed(SESSION_SEED),
    )
}

/// The human-readable reason inside a refusal body (Tencent `ErrorInfo`, CEC `resultDesc`).
fn reason(body: &Value) -> Option<&str> {
    body.get("ErrorInfo")
        .or_else(|| body.get("resultDesc"))
        .and_then(Value::as_str)
}

// ---------------------------------------------------------------------------------------------
// 1. seed samples, answers
// ---------------------------------------------------------------------------------------------

#[test]
fn seed_samples_are_accepted_with_the_documented_envelopes() {
    let l = listen_signed(&["--format", "json", "--max-requests", "5"]);

    let r = post_ok(
        &l.addr,
        &target("Desk.SessionEventNotify", "&RequestID=seed-000"),
        &[],
        &seed(SESSION_SEED),
    );
    assert_eq!(r.status, 200, "000 session event: {r:?} {}", r.text());
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.json(), tencent_ack(), "000 session event answer");

    let r = post_ok(
        &l.addr,
        &target("Chatbot.InterfaceInvocation", "&RequestID=seed-001"),
        &[],
        &seed(INTERFACE_SEED),
    );
    assert_eq!(r.status, 200, "001 interface invocation: {}", r.text());
    let a = r.json();
    assert_eq!(a["ActionStatus"], "OK", "{a}");
    assert_eq!(a["ErrorInfo"], "", "{a}");
    assert_eq!(a["ErrorCode"], 0, "{a}");
    assert!(
        a["Body"].is_object(),
        "InterfaceInvocation answer needs a Body object: {a}"
    );

    let r = post_ok(
        &l.addr,
        &target("ChatBot.OnAssignAgent", "&RequestID=seed-002"),
        &[],
        &seed(ASSIGN_SEED),
    );
    assert_eq!(r.status, 200, "002 assign agent: {}", r.text());
    let a = r.json();
    assert_eq!(a["ActionStatus"], "OK", "{a}");
    assert_eq!(a["ErrorCode"], 0, "{a}");
    assert!(
        a["AgentGroupId"].is_i64(),
        "assignment answer needs AgentGroupId: {a}"
    );
    let agents = a["AgentIdList"].as_array().expect("AgentIdList array");
    assert!(
        !agents.is_empty() && agents.iter().all(Value::is_string),
        "{a}"
    );

    // OnAssignHuman (the newer name) answers the same way.
    let mut human = seed_json(ASSIGN_SEED);
    human["CallbackCommand"] = json!("ChatBot.OnAssignHuman");
    let r = post_ok(
        &l.addr,
        &target("ChatBot.OnAssignHuman", "&RequestID=seed-002h"),
        &[],
        human.to_string().as_bytes(),
    );
    assert_eq!(r.status, 200, "OnAssignHuman: {}", r.text());
    assert!(r.json()["AgentGroupId"].is_i64(), "{}", r.text());

    let auth = bearer(TOKEN);
    let r = post_ok(
        &l.addr,
        &format!("{CEC_PATH}?RequestID=seed-004"),
        &[("Authorization", &auth)],
        &seed(CEC_SEED),
    );
    assert_eq!(r.status, 200, "004 CEC push: {}", r.text());
    let a = r.json();
    assert_eq!(a["resultCode"], "0", "{a}");
    assert!(a["resultDesc"].is_string(), "{a}");

    // --max-requests 5: the process stops by itself.
    let fin = l.wait_exit("after --max-requests 5");
    fin.assert_exited("max-requests");
    assert_eq!(
        fin.status.code(),
        Some(0),
        "all accepted → exit 0; stderr: {}",
        fin.stderr
    );
    for (id, event) in [
        ("seed-000", "ChatBot.UserSendMsg"),
        ("seed-001", "Chatbot.InterfaceInvocation"),
        ("seed-002", "ChatBot.OnAssignAgent"),
        ("seed-002h", "ChatBot.OnAssignHuman"),
        ("seed-004", "cec.connected"),
    ] {
        let e = fin.exchange_with(id);
        assert_eq!(e["verdict"], "accepted", "{id}: {e}");
        assert_eq!(e["event"], event, "{id}: {e}");
        assert_eq!(e["status"], 200, "{id}: {e}");
    }
}

#[test]
fn agents_group_and_vars_show_up_in_the_answers() {
    let l = listen_signed(&[
        "--agents",
        "a@x.com,b@x.com",
        "--group",
        "7",
        "--vars",
        "k=v",
        "--max-requests",
        "2",
    ]);
    assert!(
        l.ready.contains("listening on http://127.0.0.1:"),
        "human ready line: {:?}",
        l.ready
    );
    let r = post_ok(
        &l.addr,
        &target("ChatBot.OnAssignAgent", ""),
        &[],
        &seed(ASSIGN_SEED),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let a = r.json();
    assert_eq!(a["ActionStatus"], "OK", "{a}");
    assert_eq!(a["ErrorCode"], 0, "{a}");
    assert_eq!(a["AgentGroupId"], 7, "{a}");
    assert_eq!(a["AgentIdList"], json!(["a@x.com", "b@x.com"]), "{a}");

    let r = post_ok(
        &l.addr,
        &target("Chatbot.InterfaceInvocation", ""),
        &[],
        &seed(INTERFACE_SEED),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let a = r.json();
    assert_eq!(a["ActionStatus"], "OK", "{a}");
    assert_eq!(a["Body"], json!({"k": "v"}), "{a}");
    l.wait_exit("after --max-requests 2")
        .assert_exited("max-requests");
}

#[test]
fn respond_fail_gives_the_fail_envelope() {
    let l = listen_signed(&["--respond", "fail", "--max-requests", "3"]);
    for (command, body) in [
        ("Desk.SessionEventNotify", seed(SESSION_SEED)),
        ("ChatBot.OnAssignAgent", seed(ASSIGN_SEED)),
    ] {
        let r = post_ok(&l.addr, &target(command, ""), &[], &body);
        assert_eq!(r.status, 200, "{command}: {}", r.text());
        let a = r.json();
        assert_eq!(a["ActionStatus"], "FAIL", "{command}: {a}");
        assert!(
            a["ErrorCode"].as_i64().is_some_and(|c| c != 0),
            "{command}: {a}"
        );
        assert!(a["ErrorInfo"].is_string(), "{command}: {a}");
    }
    let auth = bearer(TOKEN);
    let r = post_ok(
        &l.addr,
        CEC_PATH,
        &[("Authorization", &auth)],
        &seed(CEC_SEED),
    );
    assert_eq!(r.status, 200, "CEC: {}", r.text());
    let a = r.json();
    assert!(
        a["resultCode"].as_str().is_some_and(|c| c != "0"),
        "CEC fail: {a}"
    );
    l.wait_exit("after --max-requests 3")
        .assert_exited("max-requests");
}

// ---------------------------------------------------------------------------------------------
// 2. refusals
// ---------------------------------------------------------------------------------------------

#[test]
fn refusals_say_why_in_json() {
    let l = listen_signed(&["--format", "json"]);
    let now = now_s();
    let cmd = "Desk.SessionEventNotify";
    let session = seed(SESSION_SEED);
    let cec = seed(CEC_SEED);
    let wrong_bearer = bearer("not-the-token");
    let right_bearer = bearer(TOKEN);
    let no_sign = format!(
        "/cb?SdkAppid={APP}&CallbackCommand={cmd}&contenttype=json&RequestTime={now}&RequestID=ref-nosign"
    );
    let no_time = format!(
        "/cb?SdkAppid={APP}&CallbackCommand={cmd}&contenttype=json&Sign={}&RequestID=ref-notime",
        sign(TOKEN, now)
    );
    let no_app = format!(
        "/cb?CallbackCommand={cmd}&Sign={}&RequestTime={now}&RequestID=ref-noapp",
        sign(TOKEN, now)
    );
    type Case<'a> = (
        &'a str,
        String,
        Vec<(&'a str, &'a str)>,
        &'a [u8],
        u16,
        &'a str,
    );
    let cases: Vec<Case> = vec![
        (
            "wrong Sign",
            format!(
                "/cb?{}&RequestID=ref-wrong",
                tencent_query_with("other", APP, cmd, now)
            ),
            vec![],
            &session,
            401,
            "wrong token",
        ),
        (
            "stale RequestTime",
            format!(
                "/cb?{}&RequestID=ref-stale",
                tencent_query_with(TOKEN, APP, cmd, now - 3600)
            ),
            vec![],
            &session,
            401,
            "stale",
        ),
        (
            "RequestTime in the future",
            format!(
                "/cb?{}&RequestID=ref-future",
                tencent_query_with(TOKEN, APP, cmd, now + 3600)
            ),
            vec![],
            &session,
            401,
            "stale",
        ),
        ("missing Sign", no_sign, vec![], &session, 401, "Sign"),
        (
            "missing RequestTime",
            no_time,
            vec![],
            &session,
            401,
            "RequestTime",
        ),
        (
            "wrong SdkAppid",
            format!(
                "/cb?{}&RequestID=ref-app",
                tencent_query_with(TOKEN, "1400000000", cmd, now)
            ),
            vec![],
            &session,
            403,
            "SdkAppid",
        ),
        (
            "missing SdkAppid",
            no_app,
            vec![],
            &session,
            403,
            "SdkAppid",
        ),
        (
            "CEC wrong Bearer",
            format!("{CEC_PATH}?RequestID=ref-cec-wrong"),
            vec![("Authorization", wrong_bearer.as_str())],
            &cec,
            401,
            "Bearer",
        ),
        (
            "CEC without Authorization",
            format!("{CEC_PATH}?RequestID=ref-cec-none"),
            vec![],
            &cec,
            401,
            "Authorization",
        ),
        (
            "CEC Basic scheme",
            format!("{CEC_PATH}?RequestID=ref-cec-basic"),
            vec![("Authorization", "Basic dXNlcjpwYXNz")],
            &cec,
            401,
            "Bearer",
        ),
    ];
    let n = cases.len();
    for (name, tgt, headers, body, status, mention) in cases {
        let r = post(&l.addr, &tgt, &headers, body)
            .unwrap_or_else(|e| panic!("{name}: no answer: {e}"));
        assert_eq!(r.status, status, "{name}: {r:?} {}", r.text());
        let a: Value = serde_json::from_slice(&r.body)
            .unwrap_or_else(|e| panic!("{name}: refusal body is not JSON ({e}): {}", r.text()));
        let why = reason(&a).unwrap_or_else(|| panic!("{name}: no reason in {a}"));
        assert!(
            why.to_lowercase().contains(&mention.to_lowercase()),
            "{name}: reason should mention {mention:?}: {why}"
        );
        if tgt.starts_with(CEC_PATH) {
            assert!(
                a["resultCode"].as_str().is_some_and(|c| c != "0"),
                "{name}: {a}"
            );
        } else {
            assert_eq!(a["ActionStatus"], "FAIL", "{name}: {a}");
            assert!(
                a["ErrorCode"].as_i64().is_some_and(|c| c != 0),
                "{name}: {a}"
            );
        }
    }
    // A right Bearer and a right Sign still pass afterwards.
    let r = post_ok(
        &l.addr,
        &format!("{CEC_PATH}?RequestID=ref-cec-ok"),
        &[("Authorization", &right_bearer)],
        &cec,
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let r = good_request(&l.addr, "ref-ok").expect("good request");
    assert_eq!(r.status, 200, "{}", r.text());

    let fin = l.interrupt();
    fin.assert_exited("SIGINT");
    let ex = fin.exchanges();
    assert_eq!(
        ex.len(),
        n + 2,
        "one exchange line per request:\n{}",
        fin.stdout.join("\n")
    );
    let refused = ex.iter().filter(|e| e["verdict"] == "refused").count();
    assert_eq!(
        refused,
        n,
        "every refusal has verdict refused:\n{}",
        fin.stdout.join("\n")
    );
    assert_eq!(
        fin.status.code(),
        Some(1),
        "refusals → exit 1 (check failed)"
    );
}

// ---------------------------------------------------------------------------------------------
// 3. bad input: each case has its own listener; every failure names the case
// ---------------------------------------------------------------------------------------------

/// What a bad input must be answered with.
#[derive(Clone, Copy, Debug)]
enum Want {
    /// Exactly this 4xx, with a JSON body whose reason is non-empty.
    Status(u16),
    /// Any 4xx, with a JSON body whose reason is non-empty.
    Any4xx,
    /// 200 with the generic OK envelope (the callback is answered, the verdict says the rest).
    Answered,
}

/// Start a listener (token, SdkAppid, `--format json`, plus `extra`), send one bad input with
/// `send`, check the answer against `want` (and `mentions`, case-insensitive), then check that a
/// good signed request still gets 200, then Ctrl-C. All problems are collected and reported
/// together under the case's name.
fn bad_case(
    name: &str,
    extra: &[&str],
    want: Want,
    mentions: &[&str],
    send: impl FnOnce(&Listen) -> io::Result<Resp>,
) -> Finished {
    let l = listen_signed(&[&["--format", "json"][..], extra].concat());
    let mut fails: Vec<String> = Vec::new();
    match send(&l) {
        Err(e) => fails.push(format!("no answer to the bad input: {e}")),
        Ok(r) => check_bad_answer(&r, want, mentions, &mut fails),
    }
    match good_request(&l.addr, "good-after") {
        Ok(r)
            if r.status == 200
                && serde_json::from_slice::<Value>(&r.body).ok() == Some(tencent_ack()) => {}
        Ok(r) => fails.push(format!(
            "a good signed request afterwards got {} {}",
            r.status,
            r.text()
        )),
        Err(e) => fails.push(format!(
            "a good signed request afterwards got no answer: {e}"
        )),
    }
    let fin = l.interrupt();
    if fin.status.code().is_none() {
        fails.push(format!(
            "listen did not exit cleanly after SIGINT: {:?}",
            fin.status
        ));
    }
    if fin.stderr.contains("panicked") {
        fails.push(format!("listen panicked: {}", fin.stderr));
    }
    for (i, line) in fin.stdout.iter().enumerate() {
        if serde_json::from_str::<Value>(line).is_err() {
            fails.push(format!("stdout line {} is not JSON: {line:?}", i + 1));
        }
    }
    assert!(
        fails.is_empty(),
        "bad input case `{name}`:\n  - {}\nstdout:\n{}\nstderr:\n{}",
        fails.join("\n  - "),
        fin.stdout.join("\n"),
        fin.stderr
    );
    fin
}

fn check_bad_answer(r: &Resp, want: Want, mentions: &[&str], fails: &mut Vec<String>) {
    let shown = format!("{} {:?} body {:?}", r.status, r.headers, r.text());
    if r.status >= 500 {
        fails.push(format!("answered with a 5xx: {shown}"));
    }
    match want {
        Want::Status(s) if r.status != s => fails.push(format!("expected status {s}, got {shown}")),
        Want::Any4xx if !(400..500).contains(&r.status) => {
            fails.push(format!("expected a 4xx, got {shown}"))
        }
        Want::Answered if r.status != 200 => fails.push(format!("expected 200, got {shown}")),
        _ => {}
    }
    let body: Option<Value> = serde_json::from_slice(&r.body).ok();
    let Some(body) = body.filter(Value::is_object) else {
        fails.push(format!("the answer body is not a JSON object: {shown}"));
        return;
    };
    if let Want::Answered = want {
        if body != tencent_ack() {
            fails.push(format!("expected the OK envelope, got {body}"));
        }
        return;
    }
    match reason(&body) {
        Some(why) if !why.trim().is_empty() => {
            for m in mentions {
                if !why.to_lowercase().contains(&m.to_lowercase()) {
                    fails.push(format!("the reason should mention {m:?}: {why:?}"));
                }
            }
        }
        _ => fails.push(format!(
            "the JSON body says nothing about what is wrong: {body}"
        )),
    }
}

/// POST `body` to a signed session-event target marked `RequestID=bad`.
fn post_session(l: &Listen, body: &[u8]) -> io::Result<Resp> {
    post(
        &l.addr,
        &target("Desk.SessionEventNotify", "&RequestID=bad"),
        &[],
        body,
    )
}

/// POST `body` as a CEC push with the right Bearer.
fn post_cec(l: &Listen, body: &[u8]) -> io::Result<Resp> {
    let auth = bearer(TOKEN);
    post(
        &l.addr,
        &format!("{CEC_PATH}?RequestID=bad"),
        &[("Authorization", &auth)],
        body,
    )
}

/// Headers of a signed session-event POST with the given framing headers (no body).
fn session_head(framing: &str) -> Vec<u8> {
    format!(
        "POST {} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nConnection: close\r\n{framing}\r\n",
        target("Desk.SessionEventNotify", "&RequestID=bad")
    )
    .into_bytes()
}

/// One request to a method other than POST; the 405 must say `Allow: POST`.
fn not_post(l: &Listen, method: &str) -> io::Result<Resp> {
    let raw = request_bytes(
        method,
        &target("Desk.SessionEventNotify", "&RequestID=bad"),
        &[],
        b"",
        false,
    );
    let r = roundtrip(&l.addr, raw)?;
    assert_eq!(
        r.header("allow"),
        Some("POST"),
        "{method} instead of POST: 405 needs Allow: POST: {r:?}"
    );
    Ok(r)
}

/// The session seed with `CloudCustomData` padded to `len` bytes.
fn padded_session(len: usize) -> Vec<u8> {
    let mut doc = seed_json(SESSION_SEED);
    doc["CloudCustomData"] = json!("x".repeat(len));
    doc.to_string().into_bytes()
}

/// The session seed with one field replaced.
fn session_with(key: &str, value: Value) -> Vec<u8> {
    let mut doc = seed_json(SESSION_SEED);
    doc[key] = value;
    doc.to_string().into_bytes()
}

/// The `path` of every problem of a recorded exchange.
fn problem_paths(e: &Value) -> Vec<&str> {
    e["problems"]
        .as_array()
        .unwrap_or_else(|| panic!("no problems array: {e}"))
        .iter()
        .filter_map(|p| p["path"].as_str())
        .collect()
}

/// One `#[test]` per bad input, each running [`bad_case`]:
///
/// ```text
/// name {
///     what: "the case, as failure messages call it",
///     listen: ["--extra", "flags"],           // optional
///     want: Want::..., mentions: ["words", "of the reason"],
///     send: |l| /* one request to the listener l */,
///     then: |e| { /* checks on the exchange recorded for RequestID=bad */ },   // optional
/// }
/// ```
macro_rules! bad_inputs {
    ($(
        $(#[$meta:meta])*
        $name:ident {
            what: $what:expr,
            $(listen: [$($flag:expr),* $(,)?],)?
            want: $want:expr,
            mentions: [$($mention:expr),* $(,)?],
            send: $send:expr,
            $(then: |$e:ident| $then:block,)?
        }
    )*) => {$(
        $(#[$meta])*
        #[test]
        fn $name() {
            let listen: &[&str] = &[$($($flag),*)?];
            let fin = bad_case($what, listen, $want, &[$($mention),*], $send);
            $(
                let $e = fin.exchange_with("bad");
                $then
            )?
            drop(fin);
        }
    )*};
}

bad_inputs! {
    bad_malformed_json {
        what: "malformed JSON",
        want: Want::Status(400), mentions: ["JSON"],
        send: |l| post_session(l, br#"{"CallbackCommand": "Desk.SessionEventNotify", "Event": "#),
    }
    bad_empty_body {
        what: "empty body",
        want: Want::Status(400), mentions: ["empty"],
        send: |l| post_session(l, b""),
    }
    bad_json_array_body {
        what: "JSON array body",
        want: Want::Status(400), mentions: ["array", "object"],
        send: |l| post_session(l, b"[1, 2, 3]"),
    }
    bad_json_string_body {
        what: "JSON string body",
        want: Want::Status(400), mentions: ["object"],
        send: |l| post_session(l, br#""Desk.SessionEventNotify""#),
    }
    bad_json_number_body {
        what: "JSON number body",
        want: Want::Status(400), mentions: ["object"],
        send: |l| post_session(l, b"42"),
    }
    bad_json_null_body {
        what: "JSON null body",
        want: Want::Status(400), mentions: ["null", "object"],
        send: |l| post_session(l, b"null"),
    }
    bad_non_utf8_body {
        what: "non-UTF-8 body",
        want: Want::Status(400), mentions: ["UTF-8"],
        send: |l| post_session(l, b"{\"Event\": \"\xff\xfe\xc3\x28\"}"),
    }
    /// The good request afterwards (the 563-byte seed) is under the limit.
    bad_body_over_max_body_1024 {
        what: "body over --max-body 1024",
        listen: ["--max-body", "1024"],
        want: Want::Status(413), mentions: ["limit"],
        send: |l| post_session(l, &padded_session(2000)),
    }
    bad_body_over_default_limit {
        what: "2 MiB body, default 1 MiB limit",
        want: Want::Status(413), mentions: ["limit"],
        send: |l| post_session(l, &padded_session(2 * 1024 * 1024)),
    }
    /// No Content-Length to refuse up front: the limit must hold while reading.
    bad_chunked_body_over_default_limit {
        what: "2 MiB chunked body, default limit",
        want: Want::Status(413), mentions: ["limit"],
        send: |l| {
            let mut raw = session_head("Transfer-Encoding: chunked\r\n");
            raw.extend(chunked(&padded_session(2 * 1024 * 1024), 64 * 1024));
            roundtrip(&l.addr, raw)
        },
    }
    bad_method_get {
        what: "GET instead of POST",
        want: Want::Status(405), mentions: ["GET"],
        send: |l| not_post(l, "GET"),
    }
    bad_method_put {
        what: "PUT instead of POST",
        want: Want::Status(405), mentions: ["PUT"],
        send: |l| not_post(l, "PUT"),
    }
    bad_method_delete {
        what: "DELETE instead of POST",
        want: Want::Status(405), mentions: ["DELETE"],
        send: |l| not_post(l, "DELETE"),
    }
    /// The receiver sets a 64 KiB head buffer: a 100 KB header value is refused with a 4xx
    /// and a JSON reason.
    bad_oversized_header {
        what: "100 KB header value",
        want: Want::Any4xx, mentions: [],
        send: |l| {
            let big = "a".repeat(100 * 1024);
            post(
                &l.addr,
                &target("Desk.SessionEventNotify", "&RequestID=bad"),
                &[("X-Big", &big)],
                &seed(SESSION_SEED),
            )
        },
    }
    /// A 100 KB query: a 4xx with a JSON reason.
    bad_oversized_url {
        what: "100 KB query",
        want: Want::Any4xx, mentions: [],
        send: |l| {
            let pad = "p".repeat(100 * 1024);
            let extra = format!("&RequestID=bad&Pad={pad}");
            post(&l.addr, &target("Desk.SessionEventNotify", &extra), &[], &seed(SESSION_SEED))
        },
    }
    bad_deeply_nested_arrays {
        what: "[[[…]]] 100000 deep",
        want: Want::Status(400), mentions: ["JSON"],
        send: |l| post_session(l, format!("{}{}", "[".repeat(100_000), "]".repeat(100_000)).as_bytes()),
    }
    bad_deeply_nested_objects {
        what: "{\"a\":{\"a\":…}} 100000 deep",
        want: Want::Status(400), mentions: ["JSON"],
        send: |l| {
            let depth = 100_000;
            let body = format!("{}1{}", "{\"a\":".repeat(depth), "}".repeat(depth));
            post_session(l, body.as_bytes())
        },
    }
    bad_chunk_size {
        what: "invalid chunk size",
        want: Want::Status(400), mentions: [],
        send: |l| {
            let mut raw = session_head("Transfer-Encoding: chunked\r\n");
            raw.extend_from_slice(b"zz\r\n{\"a\":1}\r\n0\r\n\r\n");
            roundtrip(&l.addr, raw)
        },
    }
    bad_truncated_chunked_body {
        what: "truncated chunked body, then close",
        want: Want::Status(400), mentions: [],
        send: |l| {
            let mut raw = session_head("Transfer-Encoding: chunked\r\n");
            raw.extend_from_slice(b"100\r\n{\"CallbackCommand\":");
            roundtrip_opts(&l.addr, raw, true)
        },
    }
    bad_content_length_larger_than_body {
        what: "Content-Length larger than the body, then close",
        want: Want::Status(400), mentions: [],
        send: |l| {
            let body = seed(SESSION_SEED);
            let mut raw = session_head(&format!("Content-Length: {}\r\n", body.len() + 100));
            raw.extend_from_slice(&body);
            roundtrip_opts(&l.addr, raw, true)
        },
    }
    bad_content_length_smaller_than_body {
        what: "Content-Length smaller than the body",
        want: Want::Status(400), mentions: ["JSON"],
        send: |l| {
            let body = seed(SESSION_SEED);
            let mut raw = session_head(&format!("Content-Length: {}\r\n", body.len() - 10));
            raw.extend_from_slice(&body);
            roundtrip(&l.addr, raw)
        },
    }
    bad_cec_messages_is_a_string {
        what: "CEC messages is a string",
        want: Want::Status(400), mentions: ["messages"],
        send: |l| post_cec(l, br#"{"timestamp": 1625898453913, "messages": "hello"}"#),
    }
    bad_cec_messages_is_an_object {
        what: "CEC messages is an object",
        want: Want::Status(400), mentions: ["messages"],
        send: |l| post_cec(l, br#"{"timestamp": 1625898453913, "messages": {"from": "x"}}"#),
    }
    bad_cec_messages_missing {
        what: "CEC messages missing",
        want: Want::Status(400), mentions: ["messages"],
        send: |l| post_cec(l, br#"{"timestamp": 1625898453913}"#),
    }
    bad_cec_not_json {
        what: "CEC body not JSON",
        want: Want::Status(400), mentions: ["JSON"],
        send: |l| post_cec(l, b"timestamp=1625898453913&messages=hello"),
    }
    bad_missing_callback_command {
        what: "missing CallbackCommand",
        want: Want::Status(400), mentions: ["CallbackCommand"],
        send: |l| {
            let t = now_s();
            let tgt = format!(
                "/cb?SdkAppid={APP}&contenttype=json&Sign={}&RequestTime={t}&RequestID=bad",
                sign(TOKEN, t)
            );
            post(&l.addr, &tgt, &[], &seed(SESSION_SEED))
        },
    }
    /// An unknown CallbackCommand is answered 200 with the generic OK envelope (the platform
    /// may add commands; the receiver does not refuse them) and recorded with verdict
    /// `invalid` and a problem at path `CallbackCommand`.
    bad_unknown_callback_command {
        what: "unknown CallbackCommand",
        want: Want::Answered, mentions: [],
        send: |l| {
            let body = json!({"CallbackCommand": "Desk.NoSuchCallback", "EventTime": 1725540020017u64});
            let tgt = target("Desk.NoSuchCallback", "&RequestID=bad");
            post(&l.addr, &tgt, &[], body.to_string().as_bytes())
        },
        then: |e| {
            assert_eq!(e["verdict"], "invalid", "{e}");
            assert_eq!(e["status"], 200, "{e}");
            assert!(e["event"].is_null(), "{e}");
            assert!(problem_paths(&e).contains(&"CallbackCommand"), "{e}");
        },
    }
    bad_unknown_session_event {
        what: "session event with unknown Event",
        want: Want::Answered, mentions: [],
        send: |l| post_session(l, &session_with("Event", json!("ChatBot.UserTeleported"))),
        then: |e| {
            assert_eq!(e["verdict"], "invalid", "{e}");
            assert!(problem_paths(&e).contains(&"/Event"), "{e}");
        },
    }
    /// The session-event schema types EventTime as an integer (ms), so a string is answered
    /// but judged invalid.
    bad_event_time_as_string {
        what: "EventTime as a string",
        want: Want::Answered, mentions: [],
        send: |l| post_session(l, &session_with("EventTime", json!("1725540020017"))),
        then: |e| {
            assert_eq!(e["verdict"], "invalid", "{e}");
            assert_eq!(e["event"], "ChatBot.UserSendMsg", "{e}");
            assert!(problem_paths(&e).iter().any(|p| p.contains("EventTime")), "{e}");
        },
    }
    /// Headers complete, body never comes: others are answered meanwhile, and the slow client
    /// itself eventually gets a 408 instead of a socket held forever.
    bad_slow_client_body_never_comes {
        what: "slow client: headers then nothing",
        want: Want::Status(408), mentions: [],
        send: |l| {
            let mut slow = connect(&l.addr);
            let mut raw = session_head("Content-Length: 500\r\n");
            raw.extend_from_slice(b"{\"CallbackCommand\":");
            slow.write_all(&raw)?;
            answered_meanwhile(l, 3)?;
            read_response(&mut BufReader::new(slow))
        },
    }
    /// An idle connection (nothing sent) and one with half-sent headers: others are answered
    /// meanwhile; the server eventually closes the half-sent one (or answers it with a 4xx).
    bad_idle_connections {
        what: "idle open connection",
        want: Want::Answered, mentions: [],
        send: |l| {
            let idle = connect(&l.addr);
            let mut half = connect(&l.addr);
            half.write_all(b"POST /cb?CallbackCommand=Desk.SessionEventNotify HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")?;
            let r = good_request(&l.addr, "meanwhile")?;
            assert_eq!(r.status, 200, "idle connection: a good request meanwhile got {r:?}");
            assert_half_sent_headers_are_not_held(half);
            drop(idle);
            Ok(r)
        },
    }
    /// Bytes that are not HTTP (a TLS ClientHello shape): a 4xx with a JSON reason.
    bad_garbage_instead_of_http {
        what: "garbage bytes instead of HTTP",
        want: Want::Any4xx, mentions: [],
        send: |l| roundtrip(
            &l.addr,
            b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03 not http at all \xff\xfe\r\n\r\n".to_vec(),
        ),
    }
    /// A line of text that is not an HTTP request line: a 4xx with a JSON reason.
    bad_text_garbage_instead_of_http {
        what: "a line of text instead of HTTP",
        want: Want::Any4xx, mentions: [],
        send: |l| roundtrip(&l.addr, b"HELLO SERVER, ARE YOU THERE?\r\n\r\n".to_vec()),
    }
    /// HTTP/1.0 is old but legal: a correct, signed callback over it is answered 200.
    http_1_0_request_is_answered {
        what: "HTTP/1.0 request",
        want: Want::Answered, mentions: [],
        send: |l| {
            let body = seed(SESSION_SEED);
            let mut raw = format!(
                "POST {} HTTP/1.0\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
                target("Desk.SessionEventNotify", "&RequestID=bad"),
                body.len()
            )
            .into_bytes();
            raw.extend_from_slice(&body);
            roundtrip(&l.addr, raw)
        },
    }
    /// `Transfer-Encoding: chunked` and `Content-Length` together (a request-smuggling shape).
    /// HTTP/1.1 (RFC 9112 §6.1) lets a server either refuse it or decode it by
    /// Transfer-Encoding alone, and in both cases close the connection after answering.
    /// deskhook (hyper) does the latter: the body is the chunked-decoded seed (never the 5
    /// bytes Content-Length claims), the callback is answered 200, and the answer says
    /// `Connection: close`.
    chunked_and_content_length_together_is_decoded_as_chunked_and_closed {
        what: "Transfer-Encoding: chunked AND Content-Length",
        want: Want::Answered, mentions: [],
        send: |l| {
            let mut raw = session_head("Transfer-Encoding: chunked\r\nContent-Length: 5\r\n");
            raw.extend(chunked(&seed(SESSION_SEED), 100));
            let r = roundtrip(&l.addr, raw)?;
            assert_eq!(
                r.header("connection").map(str::to_ascii_lowercase).as_deref(),
                Some("close"),
                "the connection must be closed after the answer: {r:?}"
            );
            Ok(r)
        },
        then: |e| {
            assert_eq!(e["verdict"], "accepted", "{e}");
            assert!(
                e["body"].as_str().map(str::as_bytes) == Some(seed(SESSION_SEED).as_slice()),
                "the body is the chunked-decoded seed: {e}"
            );
        },
    }
}

/// `n` good requests answered 200 while another connection is stalled.
fn answered_meanwhile(l: &Listen, n: usize) -> io::Result<()> {
    for i in 0..n {
        let r = good_request(&l.addr, &format!("meanwhile-{i}"))?;
        assert_eq!(r.status, 200, "a good request meanwhile got {r:?}");
    }
    Ok(())
}

/// A connection with half-sent headers is closed by the server, or answered with a 4xx, before
/// the client's own safety time-out.
fn assert_half_sent_headers_are_not_held(half: TcpStream) {
    match read_response(&mut BufReader::new(half)) {
        Ok(r) => assert!(
            (400..500).contains(&r.status),
            "half-sent headers got {r:?}"
        ),
        Err(e) => assert!(
            !matches!(
                e.kind(),
                io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
            ),
            "half-sent headers: the connection was held open past the safety net ({e})"
        ),
    }
}

/// A CEC push to `/webhooks/v1/messages/` (trailing slash) is routed as CEC, so every refusal on
/// it, 413 included, should use the CEC envelope (`resultCode`/`resultDesc`), as the 400s do.
#[test]
fn cec_path_with_trailing_slash_refuses_with_the_cec_envelope() {
    let l = Listen::start(&["--max-body", "100", "--format", "json"]);
    let path = format!("{CEC_PATH}/");
    let not_object = post_ok(&l.addr, &path, &[], b"[1]");
    assert_eq!(not_object.status, 400, "{}", not_object.text());
    assert!(
        not_object.json()["resultCode"].is_string(),
        "400 on {path}: {}",
        not_object.text()
    );
    let too_big = post_ok(&l.addr, &path, &[], &seed(CEC_SEED));
    let _ = l.interrupt();
    assert_eq!(too_big.status, 413, "{}", too_big.text());
    let a = too_big.json();
    assert!(
        a["resultCode"] == "413" && a.get("ActionStatus").is_none(),
        "413 on {path} should be a CEC refusal like the 400 is, got {a}"
    );
}

/// Ctrl-C right after the ready line (what a script that waits for the ready line may do) must
/// still end the process through its own shutdown (exit code, tally on stderr), never by the
/// signal's default action.
#[test]
fn ctrl_c_right_after_the_ready_line_exits_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let cap = dir.path().join("early.jsonl");
    let mut by_signal = 0;
    let tries = 40;
    for _ in 0..tries {
        let l = Listen::start(&["--save", cap.to_str().unwrap()]);
        let fin = l.interrupt();
        if fin.status.code().is_none() {
            by_signal += 1;
        }
    }
    assert_eq!(
        by_signal, 0,
        "{by_signal} of {tries} listen processes were killed by SIGINT sent right after the ready line \
         (no clean shutdown, no capture flush, no tally)"
    );
}

// ---------------------------------------------------------------------------------------------
// 4. capture under load
// ---------------------------------------------------------------------------------------------

/// What one request of the load test sent and should get.
struct Sent {
    path: String,
    query: String,
    body: Vec<u8>,
    status: u16,
}

#[test]
fn capture_2000_concurrent_requests_then_ctrl_c() {
    const TOTAL: usize = 2000;
    const THREADS: usize = 32;
    let dir = tempfile::tempdir().unwrap();
    let cap = dir.path().join("calls.jsonl");
    let l = listen_signed(&["--format", "json", "--save", cap.to_str().unwrap()]);
    let addr = l.addr.clone();
    let session = seed_json(SESSION_SEED);
    let cec = seed_json(CEC_SEED);

    // Build every request up front: unique RequestID, unique bodies, mixed formatting, a few
    // refused ones (wrong Sign, wrong SdkAppid, wrong Bearer).
    let build = move |i: usize| -> (Sent, Vec<u8>) {
        let id = format!("cap-{i}");
        let now = now_s();
        let (path, query, body, headers, status): (
            String,
            String,
            Vec<u8>,
            Vec<(String, String)>,
            u16,
        ) = if i % 10 == 3 {
            let mut doc = cec.clone();
            doc["messages"][0]["content"] = json!(format!("message {i}: 退款 🙏 \"q\" \\ \u{7}"));
            let bad = i % 100 == 13;
            let auth = if bad { bearer("wrong") } else { bearer(TOKEN) };
            (
                CEC_PATH.to_owned(),
                format!("RequestID={id}"),
                serde_json::to_vec_pretty(&doc).unwrap(),
                vec![("Authorization".into(), auth)],
                if bad { 401 } else { 200 },
            )
        } else {
            let mut doc = session.clone();
            doc["MsgBody"][0]["MsgContent"]["Text"] =
                json!(format!("request {i}: 退款 please 🙏 \t\"quoted\""));
            let (token, app, status) = match i % 97 {
                5 => ("wrong", APP, 401),
                7 => (TOKEN, "1400000001", 403),
                _ => (TOKEN, APP, 200),
            };
            let body = if i % 2 == 0 {
                serde_json::to_vec(&doc).unwrap()
            } else {
                serde_json::to_vec_pretty(&doc).unwrap()
            };
            (
                "/desk/callback".to_owned(),
                format!(
                    "{}&RequestID={id}",
                    tencent_query_with(token, app, "Desk.SessionEventNotify", now)
                ),
                body,
                vec![],
                status,
            )
        };
        let mut h: Vec<(&str, &str)> = vec![("Content-Type", "application/json")];
        h.extend(headers.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        let raw = request_bytes("POST", &format!("{path}?{query}"), &h, &body, true);
        (
            Sent {
                path,
                query,
                body,
                status,
            },
            raw,
        )
    };

    let workers: Vec<JoinHandle<Vec<(usize, Sent, u16)>>> = (0..THREADS)
        .map(|t| {
            let addr = addr.clone();
            let build = build.clone();
            thread::spawn(move || {
                let mut done = Vec::new();
                let mut conn: Option<BufReader<TcpStream>> = None;
                for i in (t..TOTAL).step_by(THREADS) {
                    let (sent, raw) = build(i);
                    // Keep-alive; reconnect once if the server closed the connection.
                    let mut attempt = 0;
                    let resp = loop {
                        let c = conn.get_or_insert_with(|| BufReader::new(connect(&addr)));
                        let r = c.get_mut().write_all(&raw).and_then(|_| read_response(c));
                        match r {
                            Ok(resp) => break resp,
                            Err(e)
                                if attempt == 0
                                    && matches!(
                                        e.kind(),
                                        io::ErrorKind::UnexpectedEof
                                            | io::ErrorKind::BrokenPipe
                                            | io::ErrorKind::ConnectionReset
                                    ) =>
                            {
                                attempt += 1;
                                conn = None;
                            }
                            Err(e) => panic!("request cap-{i}: {e}"),
                        }
                    };
                    if resp
                        .header("connection")
                        .is_some_and(|v| v.eq_ignore_ascii_case("close"))
                    {
                        conn = None;
                    }
                    done.push((i, sent, resp.status));
                }
                done
            })
        })
        .collect();
    let mut sent: HashMap<String, Sent> = HashMap::new();
    for w in workers {
        for (i, s, got) in w.join().expect("load thread") {
            assert_eq!(
                got, s.status,
                "request cap-{i} ({} {}) answered {got}",
                s.path, s.query
            );
            sent.insert(format!("cap-{i}"), s);
        }
    }
    assert_eq!(sent.len(), TOTAL);
    let refused_sent = sent.values().filter(|s| s.status != 200).count();
    assert!(
        refused_sent >= 20,
        "the mix has refused requests ({refused_sent})"
    );

    let fin = l.interrupt();
    fin.assert_exited("SIGINT after the load");

    // stdout: every line parses; one exchange line per request.
    let ex = fin.exchanges();
    assert_eq!(ex.len(), TOTAL, "stdout exchange lines");

    // The capture: exactly TOTAL whole JSON lines, each matching what was sent.
    let text = std::fs::read_to_string(&cap).expect("capture file");
    assert!(text.ends_with('\n'), "capture ends with a newline");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), TOTAL, "capture lines");
    let mut seen = std::collections::HashSet::new();
    let mut refused_seen = 0;
    for (n, line) in lines.iter().enumerate() {
        let rec: Value = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("capture line {} is not JSON ({e}): {line:.200}", n + 1));
        let query = rec["query"]
            .as_str()
            .unwrap_or_else(|| panic!("line {}: no query: {rec}", n + 1));
        let id = query
            .split('&')
            .find_map(|kv| kv.strip_prefix("RequestID="))
            .unwrap_or_else(|| panic!("line {}: no RequestID in {query}", n + 1));
        let s = sent
            .get(id)
            .unwrap_or_else(|| panic!("line {}: unknown RequestID {id}", n + 1));
        assert!(seen.insert(id.to_owned()), "RequestID {id} captured twice");
        assert_eq!(rec["method"], "POST", "{id}");
        assert_eq!(rec["path"], s.path.as_str(), "{id}");
        assert_eq!(query, s.query, "{id}: query as received");
        let headers = rec["headers"]
            .as_array()
            .unwrap_or_else(|| panic!("{id}: headers: {rec}"));
        assert!(
            headers.iter().any(|h| h[0]
                .as_str()
                .is_some_and(|k| k.eq_ignore_ascii_case("content-type"))
                && h[1] == "application/json"),
            "{id}: headers {headers:?}"
        );
        let body = rec["body"]
            .as_str()
            .unwrap_or_else(|| panic!("{id}: no UTF-8 body: {rec}"));
        assert!(
            body.as_bytes() == s.body.as_slice(),
            "{id}: body not byte-identical:\ncaptured {body:?}\nsent     {:?}",
            String::from_utf8_lossy(&s.body)
        );
        assert_eq!(rec["status"], s.status, "{id}");
        let want_verdict = if s.status == 200 {
            "accepted"
        } else {
            "refused"
        };
        assert_eq!(rec["verdict"], want_verdict, "{id}: {rec}");
        if s.status != 200 {
            refused_seen += 1;
        }
    }
    assert_eq!(refused_seen, refused_sent);
}

// ---------------------------------------------------------------------------------------------
// 5. secrets
// ---------------------------------------------------------------------------------------------

const SECRET: &str = "S3CRET-TOKEN-VALUE";

/// Send CEC pushes with the secret as Bearer (right, and inside wrong values), and signed
/// Tencent callbacks; return what the listener printed and captured.
fn secret_run(format_args: &[&str], extra_requests: impl FnOnce(&str)) -> (Finished, String) {
    let dir = tempfile::tempdir().unwrap();
    let cap = dir.path().join("secret.jsonl");
    let mut args = vec![
        "--token",
        SECRET,
        "--sdkappid",
        APP,
        "--save",
        cap.to_str().unwrap(),
    ];
    args.extend_from_slice(format_args);
    let l = Listen::start(&args);
    let right = bearer(SECRET);
    let r = post_ok(
        &l.addr,
        CEC_PATH,
        &[("Authorization", &right)],
        &seed(CEC_SEED),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let r = post_ok(
        &l.addr,
        CEC_PATH,
        &[("Authorization", &format!("Bearer {SECRET}x"))],
        &seed(CEC_SEED),
    );
    assert_eq!(r.status, 401, "{}", r.text());
    let r = post_ok(
        &l.addr,
        CEC_PATH,
        &[("Authorization", &format!("bearer {SECRET}"))],
        &seed(CEC_SEED),
    );
    assert_eq!(r.status, 401, "lower-case scheme: {}", r.text());
    let q = tencent_query_with(SECRET, APP, "Desk.SessionEventNotify", now_s());
    let r = post_ok(&l.addr, &format!("/cb?{q}"), &[], &seed(SESSION_SEED));
    assert_eq!(r.status, 200, "{}", r.text());
    extra_requests(&l.addr);
    let fin = l.interrupt();
    fin.assert_exited("SIGINT");
    let captured = std::fs::read_to_string(&cap).expect("capture");
    (fin, captured)
}

fn assert_no_secret(fin: &Finished, captured: &str, what: &str) {
    let out = fin.stdout.join("\n");
    assert!(
        !out.contains(SECRET),
        "{what}: the token is on stdout:\n{out}"
    );
    assert!(
        !fin.stderr.contains(SECRET),
        "{what}: the token is on stderr:\n{}",
        fin.stderr
    );
    assert!(
        !captured.contains(SECRET),
        "{what}: the token is in the capture:\n{captured}"
    );
}

#[test]
fn secrets_never_appear_in_output_or_capture() {
    let (fin, captured) = secret_run(&["--format", "json"], |_| {});
    assert_no_secret(&fin, &captured, "--format json");
    assert!(
        captured.contains("Bearer (redacted)"),
        "capture shows the redacted header:\n{captured}"
    );
    let cap_lines: Vec<Value> = captured
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(cap_lines.len(), 4);
    let first_auth = cap_lines[0]["headers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h[0] == "authorization")
        .map(|h| h[1].clone());
    assert_eq!(
        first_auth,
        Some(json!("Bearer (redacted)")),
        "{}",
        cap_lines[0]
    );

    let (fin, captured) = secret_run(&["-v"], |_| {});
    assert_no_secret(&fin, &captured, "human -v");
}

/// A common mistake: the raw token as the whole Authorization value, no scheme. It is refused,
/// and the token must not be echoed into the answer, stdout or the capture.
#[test]
fn secret_sent_without_bearer_scheme_is_not_echoed() {
    let mut answer = String::new();
    let (fin, captured) = secret_run(&["--format", "json"], |addr| {
        let r = post_ok(
            addr,
            &format!("{CEC_PATH}?RequestID=no-scheme"),
            &[("Authorization", SECRET)],
            &seed(CEC_SEED),
        );
        assert_eq!(r.status, 401, "{}", r.text());
        answer = r.text();
    });
    // Not vacuous: the refused request is on stdout and in the capture, Authorization included.
    let e = fin.exchange_with("no-scheme");
    assert_eq!(e["status"], 401, "{e}");
    let rec: Value = captured
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).expect("capture lines are JSON"))
        .find(|r| {
            r["query"]
                .as_str()
                .and_then(|q| query_value(q, "RequestID"))
                .as_deref()
                == Some("no-scheme")
        })
        .unwrap_or_else(|| panic!("the capture has no line for RequestID=no-scheme:\n{captured}"));
    assert_eq!(rec["status"], 401, "{rec}");
    assert_eq!(rec["verdict"], "refused", "{rec}");
    assert!(
        rec["headers"].as_array().is_some_and(|h| h
            .iter()
            .any(|h| h[0] == "authorization" && h[1].is_string())),
        "the captured line keeps its (redacted) Authorization header: {rec}"
    );
    // Show only the neighbourhood of each leak.
    let around = |text: &str| -> String {
        let i = text.find(SECRET).unwrap_or(0);
        let from = text[..i].char_indices().rev().nth(80).map_or(0, |(j, _)| j);
        let to = (i + SECRET.len() + 20).min(text.len());
        let to = (to..=text.len())
            .find(|&j| text.is_char_boundary(j))
            .unwrap_or(text.len());
        format!("…{}…", &text[from..to])
    };
    let mut leaks = Vec::new();
    if answer.contains(SECRET) {
        leaks.push(format!("the 401 body: {answer}"));
    }
    if let Some(line) = fin.stdout.iter().find(|l| l.contains(SECRET)) {
        leaks.push(format!("stdout: {}", around(line)));
    }
    if fin.stderr.contains(SECRET) {
        leaks.push(format!("stderr: {}", around(&fin.stderr)));
    }
    if let Some(line) = captured.lines().find(|l| l.contains(SECRET)) {
        leaks.push(format!("the capture: {}", around(line)));
    }
    assert!(
        leaks.is_empty(),
        "`Authorization: <token>` is echoed into:\n{}",
        leaks.join("\n")
    );
}

// ---------------------------------------------------------------------------------------------
// 6. --forward-to
// ---------------------------------------------------------------------------------------------

#[test]
fn forward_to_relays_unchanged_and_judges_the_backend_answer() {
    let dir = tempfile::tempdir().unwrap();
    let answer_file = dir.path().join("broken-answer.json");
    let broken = r#"{"ActionStatus":"OK","ErrorInfo":""}"#;
    std::fs::write(&answer_file, broken).unwrap();
    let back_cap = dir.path().join("backend.jsonl");
    let backend = Listen::start(&[
        "--respond",
        answer_file.to_str().unwrap(),
        "--save",
        back_cap.to_str().unwrap(),
        "--format",
        "json",
    ]);
    let back_url = format!("http://{}/", backend.addr);
    let front = listen_signed(&["--format", "json", "--forward-to", &back_url]);

    let mut doc = seed_json(SESSION_SEED);
    doc["MsgBody"][0]["MsgContent"]["Text"] = json!("退款 🙏 \"quoted\"");
    let body = serde_json::to_vec_pretty(&doc).unwrap();
    let query = format!(
        "{}&RequestID=fwd-1&Extra=a%20b%2Bc%26d&Empty=",
        tencent_query("Desk.SessionEventNotify")
    );
    let r = post_ok(&front.addr, &format!("/desk/callback?{query}"), &[], &body);
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        r.text(),
        broken,
        "the backend's answer is handed back as is"
    );

    let cec_query = "RequestID=fwd-cec";
    let auth = bearer(TOKEN);
    let cec_body = seed(CEC_SEED);
    let r = post_ok(
        &front.addr,
        &format!("{CEC_PATH}?{cec_query}"),
        &[("Authorization", &auth)],
        &cec_body,
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.text(), broken);

    let ffin = front.interrupt();
    ffin.assert_exited("front SIGINT");
    let bfin = backend.interrupt();
    bfin.assert_exited("backend SIGINT");

    // The front's line names the broken field of the answer.
    let e = ffin.exchange_with("fwd-1");
    let problems = e["answer_problems"]
        .as_array()
        .unwrap_or_else(|| panic!("no answer_problems: {e}"));
    assert!(
        problems.iter().any(|p| p["path"] == "/ErrorCode"),
        "answer_problems should name /ErrorCode: {e}"
    );
    assert_eq!(e["verdict"], "invalid_answer", "{e}");
    assert_eq!(e["answer"], broken, "{e}");
    let e = ffin.exchange_with("fwd-cec");
    assert!(
        e["answer_problems"]
            .as_array()
            .is_some_and(|p| !p.is_empty()),
        "a Tencent envelope is no CEC answer: {e}"
    );

    // The backend got query and body unchanged.
    let captured = std::fs::read_to_string(&back_cap).unwrap();
    let recs: Vec<Value> = captured
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(recs.len(), 2, "{captured}");
    let tencent = recs
        .iter()
        .find(|r| r["query"].as_str().unwrap().contains("fwd-1"))
        .expect("relayed callback");
    assert_eq!(tencent["query"], query.as_str(), "query relayed unchanged");
    assert!(
        tencent["body"].as_str().unwrap().as_bytes() == body.as_slice(),
        "body relayed unchanged: {tencent}"
    );
    let cec = recs
        .iter()
        .find(|r| r["query"].as_str().unwrap().contains("fwd-cec"))
        .expect("relayed push");
    assert_eq!(cec["path"], CEC_PATH, "{cec}");
    assert_eq!(cec["query"], cec_query, "{cec}");
    assert!(
        cec["body"].as_str().unwrap().as_bytes() == cec_body.as_slice(),
        "{cec}"
    );
    assert!(
        cec["headers"]
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h[0] == "authorization" && h[1] == "Bearer (redacted)"),
        "Authorization relayed (and redacted in the capture): {cec}"
    );
}

// ---------------------------------------------------------------------------------------------
// 7. --delay
// ---------------------------------------------------------------------------------------------

#[test]
fn delay_holds_the_answer_at_least_the_delay() {
    const DELAY: Duration = Duration::from_millis(300);
    let l = listen_signed(&["--delay", "300ms", "--max-requests", "1"]);
    let asked = Instant::now();
    let r = good_request(&l.addr, "delayed").expect("an answer");
    let took = asked.elapsed();
    // A lower bound only: a loaded machine may take longer, never shorter.
    assert!(
        took >= DELAY,
        "--delay 300ms: the answer came after {took:?}, sooner than the delay"
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json(), tencent_ack());
    let fin = l.wait_exit("after --max-requests 1");
    fin.assert_exited("max-requests");
    assert_eq!(fin.status.code(), Some(0), "{}", fin.stderr);
}

#[test]
fn exchange_lines_carry_colour_codes_only_when_colour_is_kept() {
    // The line is styled only for a reader that sees the styles: piped output in the default
    // `auto` has none, `--color always` has them.
    for (choice, coloured) in [("always", true), ("auto", false), ("never", false)] {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_deskhook"))
            .args([
                "--color",
                choice,
                "listen",
                "--port",
                "0",
                "--max-requests",
                "1",
            ])
            .env_remove("NO_COLOR")
            .env_remove("CLICOLOR_FORCE")
            .env_remove("FORCE_COLOR")
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("spawn deskhook listen");
        let mut lines = io::BufRead::lines(BufReader::new(child.stdout.take().expect("stdout")));
        let addr = lines
            .by_ref()
            .find_map(|l| support::listen::ready_addr(&l.expect("a line")))
            .expect("a ready line");
        post(&addr, "/cb", &[], b"{}").expect("an answer");
        let rest: Vec<String> = lines.map_while(Result::ok).collect();
        let _ = child.wait();
        let line = rest
            .iter()
            .find(|l| l.contains('✗'))
            .unwrap_or_else(|| panic!("--color {choice}: no exchange line in {rest:?}"));
        assert_eq!(
            line.contains("\x1b["),
            coloured,
            "--color {choice}: {line:?}"
        );
    }
}
