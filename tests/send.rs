//! End-to-end tests of `deskhook send` (and the small offline commands it relies on:
//! `events`, `sign`, `verify`, `validate`, `schema`), run as a user would run the binary,
//! against a recording loopback server and an independent receiver written from the docs.

mod support;

use serde_json::{json, Value};
use std::time::Duration;
use support::{
    assert_code, assert_fails, assert_no_secret, closed_port, docs_check, events, run, run_to,
    run_with_stdin, sha256_hex, tencent_ack, Recorded, Run, TestServer, REPEATABLE,
};

/// `deskhook send <args> --to <server>`.
fn send_to(server: &TestServer, args: &[&str]) -> Run {
    run_to(&server.url(), &["send"], args)
}

// ---------------------------------------------------------------------------------------------
// The whole catalogue against a backend written from the documentation
// ---------------------------------------------------------------------------------------------

#[test]
fn send_all_is_accepted_by_a_receiver_written_from_the_docs() {
    let server = TestServer::documented();
    let r = send_to(&server, &["--all", "--token", "T"]);
    assert_code(&r, 0);
    assert!(r.stdout.contains("29 sent"), "{}", r.stdout);
    assert!(r.stdout.contains("29 ok"), "{}", r.stdout);

    let events = events();
    assert_eq!(events.len(), 29);
    let reqs = server.requests();
    assert_eq!(reqs.len(), events.len(), "one request per event id");

    for (i, req) in reqs.iter().enumerate() {
        let problems = docs_check(req, Some("T"));
        assert!(
            problems.is_empty(),
            "request {i} ({} {}) is not what the docs describe:\n  {}\nbody: {}",
            req.path,
            req.raw_query,
            problems.join("\n  "),
            String::from_utf8_lossy(&req.body)
        );
    }

    // One request per event id: the commands of `events --json` (CEC: one push each), and for
    // session events the body's `Event` names the id.
    let mut expected: Vec<String> = events
        .iter()
        .map(|e| match (e["provider"].as_str(), e["command"].as_str()) {
            (Some("huawei"), _) => "cec".to_owned(),
            (_, Some("Desk.SessionEventNotify")) => e["id"].as_str().unwrap().to_owned(),
            (_, Some(cmd)) => cmd.to_owned(),
            _ => panic!("odd event {e}"),
        })
        .collect();
    let mut got: Vec<String> = reqs
        .iter()
        .map(|r| {
            if r.is_cec() {
                return "cec".to_owned();
            }
            match r.query_param("CallbackCommand") {
                Some("Desk.SessionEventNotify") => r.json().unwrap()["Event"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
                other => other.unwrap_or_default().to_owned(),
            }
        })
        .collect();
    expected.sort();
    got.sort();
    assert_eq!(got, expected);
}

#[test]
fn the_docs_receiver_is_not_a_rubber_stamp() {
    // Callbacks bent away from the docs: the independent checker must see each bend.
    let server = TestServer::documented();
    let r = send_to(
        &server,
        &[
            "ChatBot.UserSendMsg",
            "--token",
            "T",
            "--set",
            "SessionId=aa-bb-cc-dd",
            "--set",
            "EventTime=1700000000",
            "--set",
            "MsgKey=152_1600012345_ABC",
        ],
    );
    assert_code(&r, 0);
    let r = send_to(&server, &["cec.read", "--token", "T"]);
    assert_code(&r, 0);
    let reqs = server.requests();
    assert_eq!(reqs.len(), 2);
    let (tencent, cec) = (&reqs[0], &reqs[1]);

    let problems = docs_check(tencent, Some("T")).join("\n");
    for what in ["SessionId", "EventTime", "MsgKey"] {
        assert!(problems.contains(what), "{what} not flagged:\n{problems}");
    }
    assert!(!problems.contains("Sign"), "{problems}");
    let problems = docs_check(tencent, Some("not-the-token")).join("\n");
    assert!(problems.contains("Sign"), "{problems}");

    assert!(docs_check(cec, Some("T")).is_empty());
    let problems = docs_check(cec, Some("not-the-token")).join("\n");
    assert!(problems.contains("Authorization"), "{problems}");
}

// ---------------------------------------------------------------------------------------------
// Broken answers: each is reported with its exit code and the JSON path at fault
// ---------------------------------------------------------------------------------------------

#[test]
fn answer_without_error_code_fails_naming_it() {
    let server = TestServer::fixed(200, r#"{"ActionStatus":"OK","ErrorInfo":""}"#);
    let r = send_to(&server, &["SessionBegin"]);
    assert_fails(&r, 1, "/ErrorCode");
    assert!(r.stdout.contains("missing"), "{}", r.stdout);
}

#[test]
fn error_code_as_a_string_fails_naming_it() {
    let server = TestServer::fixed(
        200,
        r#"{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":"0"}"#,
    );
    let r = send_to(&server, &["SessionBegin"]);
    assert_fails(&r, 1, "/ErrorCode");
    assert!(r.stdout.contains("integer"), "{}", r.stdout);
}

#[test]
fn lower_case_action_status_fails_naming_it() {
    let server = TestServer::fixed(200, r#"{"ActionStatus":"ok","ErrorInfo":"","ErrorCode":0}"#);
    let r = send_to(&server, &["SessionEnd"]);
    assert_fails(&r, 1, "/ActionStatus");
}

#[test]
fn http_500_fails_naming_the_status() {
    let server = TestServer::fixed(500, &tencent_ack().to_string());
    let r = send_to(&server, &["SessionBegin"]);
    assert_fails(&r, 1, "HTTP status");
    assert!(r.stdout.contains("500"), "{}", r.stdout);
}

#[test]
fn html_answer_fails_naming_the_body() {
    let server = TestServer::fixed(200, "<html><body>Welcome to nginx!</body></html>");
    let r = send_to(&server, &["SessionBegin"]);
    assert_fails(&r, 1, "body");
    assert!(r.stdout.contains("<html>"), "{}", r.stdout);
}

#[test]
fn empty_answer_fails_naming_the_body() {
    let server = TestServer::fixed(200, "");
    let r = send_to(&server, &["SessionBegin"]);
    assert_fails(&r, 1, "body");
    assert!(r.stdout.contains("empty"), "{}", r.stdout);
}

#[test]
fn agent_id_list_as_a_string_fails_naming_it() {
    let server = TestServer::fixed(
        200,
        r#"{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0,"AgentIdList":"penn_svc"}"#,
    );
    let r = send_to(&server, &["ChatBot.OnAssignHuman"]);
    assert_fails(&r, 1, "/AgentIdList");
}

#[test]
fn cec_result_code_as_a_number_fails_naming_it() {
    let server = TestServer::fixed(200, r#"{"resultCode":0,"resultDesc":"success."}"#);
    let r = send_to(&server, &["cec.connected"]);
    assert_fails(&r, 1, "/resultCode");
}

#[test]
fn ok_with_a_non_zero_error_code_fails_naming_it() {
    let server = TestServer::fixed(200, r#"{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":7}"#);
    let r = send_to(&server, &["SessionBegin"]);
    assert_fails(&r, 1, "/ErrorCode");
    assert!(r.stdout.contains('7'), "{}", r.stdout);
}

#[test]
fn slow_answer_is_a_timeout() {
    let ack = tencent_ack().to_string().into_bytes();
    let server = TestServer::start(move |_| (200, ack.clone(), Some(Duration::from_secs(5))));
    let r = send_to(&server, &["SessionBegin", "--timeout", "300ms"]);
    assert_fails(&r, 3, "timeout");
    assert_eq!(server.requests().len(), 1, "the callback did arrive");
}

#[test]
fn closed_port_is_connection_refused() {
    let url = closed_port();
    let r = run(&["send", "SessionBegin", "--to", &url]);
    assert_fails(&r, 3, "connection refused");
}

#[test]
fn json_format_has_one_record_per_request_and_a_summary() {
    // The assignment answer is broken; the others are the documented success.
    let server = TestServer::start(|req: &Recorded| {
        if req.query_param("CallbackCommand") == Some("ChatBot.OnAssignHuman") {
            let bad = r#"{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0,"AgentIdList":"x"}"#;
            (200, bad.as_bytes().to_vec(), None)
        } else {
            (200, support::documented_success(req), None)
        }
    });
    let r = send_to(
        &server,
        &[
            "SessionBegin",
            "ChatBot.OnAssignHuman",
            "cec.read",
            "--format",
            "json",
        ],
    );
    assert_code(&r, 1);

    let lines: Vec<Value> = r
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON: {l:?}: {e}")))
        .collect();
    let (summary, results) = lines.split_last().expect("some output");
    assert_eq!(
        summary["type"], "summary",
        "the last line is the summary: {summary}"
    );
    assert_eq!(summary["sent"], 3, "{summary}");
    assert_eq!(results.len(), 3);

    for rec in results {
        assert_eq!(rec["type"], "result", "{rec}");
        for key in [
            "event",
            "url",
            "status",
            "latency_ms",
            "verdict",
            "violations",
        ] {
            assert!(rec.get(key).is_some(), "result record without {key}: {rec}");
        }
        assert!(rec["latency_ms"].is_number(), "{rec}");
        assert_eq!(rec["status"], 200, "{rec}");
        let violations = rec["violations"]
            .as_array()
            .expect("violations is an array");
        for v in violations {
            for key in ["path", "expected", "got"] {
                assert!(v[key].is_string(), "violation without {key}: {v}");
            }
        }
        if rec["event"] == "ChatBot.OnAssignHuman" {
            assert_eq!(rec["verdict"], "invalid", "{rec}");
            assert!(
                violations.iter().any(|v| v["path"] == "/AgentIdList"),
                "{rec}"
            );
        } else {
            assert_eq!(rec["verdict"], "ok", "{rec}");
            assert!(violations.is_empty(), "{rec}");
        }
    }
    let mut events: Vec<&str> = results
        .iter()
        .map(|r| r["event"].as_str().unwrap())
        .collect();
    events.sort_unstable();
    assert_eq!(
        events,
        ["ChatBot.OnAssignHuman", "SessionBegin", "cec.read"]
    );
}

#[test]
fn machine_formats_carry_no_colour_codes_even_when_colour_is_forced() {
    // JSON Lines and JUnit are written to stdout as they are (no colour-stripping pass): none
    // of their text may be styled, whatever --color says. Failures make the lines richest.
    let server = TestServer::fixed(200, r#"{"ActionStatus":"OK","ErrorInfo":""}"#);
    for format in ["json", "junit"] {
        let r = send_to(&server, &["--all", "--format", format, "--color", "always"]);
        assert_code(&r, 1);
        assert!(r.stdout.len() > 1000, "{format}: {}", r.stdout);
        assert!(
            !r.stdout.contains('\x1b'),
            "{format} has colour codes: {}",
            r.stdout
        );
    }
}

#[test]
fn junit_report_has_a_failing_case_per_request() {
    let server = TestServer::fixed(200, r#"{"ActionStatus":"OK","ErrorInfo":""}"#);
    let r = send_to(&server, &["--all", "--format", "junit"]);
    assert_code(&r, 1);
    let xml = r.stdout.trim_start();
    assert!(xml.starts_with('<'), "not XML: {xml}");
    assert!(xml.contains("<testsuite"), "{xml}");
    assert_eq!(xml.matches("<testcase").count(), 29, "{xml}");
    assert_eq!(xml.matches("<failure").count(), 29, "{xml}");
    assert!(xml.contains("/ErrorCode"), "{xml}");
    assert_eq!(server.requests().len(), 29);
}

#[test]
fn retries_redeliver_with_the_same_request_id() {
    // 500 twice, then the documented success.
    let answered = std::sync::atomic::AtomicUsize::new(0);
    let server = TestServer::start(move |req: &Recorded| {
        if answered.fetch_add(1, std::sync::atomic::Ordering::SeqCst) < 2 {
            (500, b"{}".to_vec(), None)
        } else {
            (200, support::documented_success(req), None)
        }
    });
    let r = send_to(
        &server,
        &["SessionBegin", "--retries", "2", "--backoff", "10ms"],
    );
    assert_code(&r, 0);
    let reqs = server.requests();
    assert_eq!(reqs.len(), 3);
    let ids: Vec<&str> = reqs
        .iter()
        .map(|r| r.query_param("RequestID").unwrap())
        .collect();
    assert!(
        ids.iter().all(|id| *id == ids[0]),
        "RequestID changed: {ids:?}"
    );
    assert_eq!(
        reqs[0].body, reqs[2].body,
        "the body is re-delivered unchanged"
    );
}

#[test]
fn the_to_url_keeps_its_query_and_cec_goes_under_its_path() {
    let server = TestServer::documented();
    let to = format!("{}desk/cb?tenant=a", server.url());
    let r = run(&["send", "SessionBegin", "--to", &to]);
    assert_code(&r, 0);
    let base = format!("{}base", server.url());
    let r = run(&["send", "cec.queuing", "--to", &base]);
    assert_code(&r, 0);

    let reqs = server.requests();
    assert_eq!(reqs.len(), 2);
    assert_eq!(reqs[0].path, "/desk/cb");
    assert!(
        reqs[0].raw_query.starts_with("tenant=a&SdkAppid="),
        "{}",
        reqs[0].raw_query
    );
    assert!(docs_check(&reqs[0], None).is_empty());
    assert_eq!(reqs[1].path, "/base/webhooks/v1/messages");
    assert!(docs_check(&reqs[1], None).is_empty());
}

// ---------------------------------------------------------------------------------------------
// Dry runs and repeatable output
// ---------------------------------------------------------------------------------------------

#[test]
fn dry_run_is_repeatable_signed_and_sends_nothing() {
    let server = TestServer::never_hit();
    let args = [
        &["--dry-run"][..],
        &REPEATABLE,
        &["SessionBegin", "ChatBot.UserSendMsg"],
    ]
    .concat();
    let first = send_to(&server, &args);
    let second = send_to(&server, &args);
    assert_code(&first, 0);
    assert_code(&second, 0);
    assert_eq!(
        first.stdout, second.stdout,
        "--seed/--now output differs between runs"
    );
    assert!(
        first.stdout.contains("RequestTime=1700000000"),
        "{}",
        first.stdout
    );
    let sign = sha256_hex("T1700000000");
    assert!(
        first.stdout.contains(&format!("Sign={sign}")),
        "{}",
        first.stdout
    );
    assert!(first.stdout.contains("SessionBegin"), "{}", first.stdout);
    assert!(
        first.stdout.contains("ChatBot.UserSendMsg"),
        "{}",
        first.stdout
    );
    assert!(
        first.stdout.contains("\"EventTime\": 1700000000000"),
        "{}",
        first.stdout
    );
    assert_eq!(server.requests().len(), 0, "--dry-run sent something");
}

// ---------------------------------------------------------------------------------------------
// Editing the body
// ---------------------------------------------------------------------------------------------

#[test]
fn set_and_unset_reach_the_server() {
    let server = TestServer::documented();
    let r = send_to(
        &server,
        &[
            "ChatBot.UserSendMsg",
            "--set",
            "MsgBody.0.MsgContent.Text=hello",
            "--unset",
            "CloudCustomData",
        ],
    );
    assert_code(&r, 0);
    let reqs = server.requests();
    assert_eq!(reqs.len(), 1);
    let body = reqs[0].json().expect("a JSON body");
    assert_eq!(body["MsgBody"][0]["MsgContent"]["Text"], "hello", "{body}");
    assert!(body.get("CloudCustomData").is_none(), "{body}");
    assert_eq!(
        body["Event"], "ChatBot.UserSendMsg",
        "the rest is kept: {body}"
    );
}

#[test]
fn set_out_of_range_index_is_a_usage_error_naming_the_array() {
    let server = TestServer::never_hit();
    let r = send_to(&server, &["ChatBot.UserSendMsg", "--set", "MsgBody.9.X=1"]);
    assert_code(&r, 2);
    assert!(r.stderr.contains("MsgBody"), "{}", r.stderr);
    assert_eq!(server.requests().len(), 0);
}

#[test]
fn unset_of_a_missing_field_is_a_usage_error() {
    let server = TestServer::never_hit();
    let r = send_to(&server, &["SessionBegin", "--unset", "Nope"]);
    assert_code(&r, 2);
    assert!(r.stderr.contains("Nope"), "{}", r.stderr);
    assert_eq!(server.requests().len(), 0);
}

#[test]
fn unknown_event_suggests_the_closest_id() {
    let server = TestServer::never_hit();
    let r = send_to(&server, &["SesionBegin"]);
    assert_code(&r, 2);
    assert!(r.stderr.contains("SesionBegin"), "{}", r.stderr);
    assert!(r.stderr.contains("SessionBegin"), "{}", r.stderr);
    assert_eq!(server.requests().len(), 0);
}

#[test]
fn body_file_is_sent_as_is_and_signed() {
    let body = json!({
        "CallbackCommand": "Desk.SessionEventNotify",
        "SessionId": "2baf4d84-beb4-4607-a1ea-6ebcaef3e0e6",
        "Event": "SessionBegin",
        "EventTime": support::now_ms(),
        "ChannelType": "Web",
        "ClientUserId": "body_file_user",
        "IsContactUser": true,
    });
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("body.json");
    std::fs::write(&path, serde_json::to_vec_pretty(&body).unwrap()).unwrap();

    let server = TestServer::documented();
    let r = send_to(
        &server,
        &[
            "SessionBegin",
            "--body",
            path.to_str().unwrap(),
            "--token",
            "T",
        ],
    );
    assert_code(&r, 0);
    let reqs = server.requests();
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0].json().expect("a JSON body"), body);
    let problems = docs_check(&reqs[0], Some("T"));
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn malformed_body_file_is_a_usage_error_naming_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("broken.json");
    std::fs::write(&path, "{\n  \"Event\": \"SessionBegin\",\n  oops\n}\n").unwrap();
    let server = TestServer::never_hit();
    let r = send_to(&server, &["SessionBegin", "--body", path.to_str().unwrap()]);
    assert_code(&r, 2);
    assert!(r.stderr.contains("broken.json"), "{}", r.stderr);
    assert!(
        r.stderr.contains(":3:") || r.stderr.contains("line 3"),
        "the message does not name line 3: {}",
        r.stderr
    );
    assert_eq!(server.requests().len(), 0);
}

// ---------------------------------------------------------------------------------------------
// Zero setup
// ---------------------------------------------------------------------------------------------

#[test]
fn without_to_the_built_in_receiver_answers() {
    let r = run(&["send", "SessionBegin"]);
    assert_code(&r, 0);
    assert!(r.stderr.contains("built-in receiver"), "{}", r.stderr);
    assert!(r.stdout.contains("SessionBegin"), "{}", r.stdout);
}

// ---------------------------------------------------------------------------------------------
// Secrets
// ---------------------------------------------------------------------------------------------

#[test]
fn the_token_never_appears_in_any_output() {
    const TOKEN: &str = "S3CRETTOKEN";
    let server = TestServer::documented();
    let events = ["cec.connected", "cec.read", "SessionBegin"];
    let modes: [&[&str]; 6] = [
        &["--format", "human"],
        &["--format", "human", "--verbose"],
        &["--format", "json", "--verbose"],
        &["--format", "junit"],
        &["--dry-run"],
        &["--dry-run", "--format", "json"],
    ];
    for mode in modes {
        let mut args: Vec<&str> = events.to_vec();
        args.extend_from_slice(&["--token", TOKEN]);
        args.extend_from_slice(mode);
        let r = send_to(&server, &args);
        assert_eq!(r.code, 0, "{mode:?}\n{}", r.dump());
        assert_no_secret(&r, TOKEN, &format!("{mode:?}"));
        if mode.contains(&"--dry-run") {
            let auth = r
                .stdout
                .lines()
                .find(|l| l.contains("Authorization"))
                .unwrap_or_else(|| panic!("{mode:?}: no Authorization shown:\n{}", r.stdout));
            assert!(auth.contains("Bearer"), "{mode:?}: {auth}");
        }
    }
    // Not vacuous: the server did get the real Bearer value.
    let cec: Vec<Recorded> = server
        .requests()
        .into_iter()
        .filter(Recorded::is_cec)
        .collect();
    assert!(!cec.is_empty());
    for req in cec {
        assert_eq!(req.header("authorization"), Some("Bearer S3CRETTOKEN"));
    }
}

// ---------------------------------------------------------------------------------------------
// sign / verify with the official vector of the Tencent documentation:
// sha256("xxxxyyyy" + "1669872112")
// ---------------------------------------------------------------------------------------------

const VECTOR: &str = "17773bc39a671d7b9aa835458704d2a6db81360a5940292b587d6d760d484061";

fn vector_url(with_sign: bool) -> String {
    let mut url = String::from(
        "https://www.example.com/cb?SdkAppid=888888&CallbackCommand=Desk.SessionEventNotify\
         &contenttype=json&ClientIP=127.0.0.1&OptPlatform=RESTAPI&RequestID=r-1",
    );
    if with_sign {
        url.push_str(&format!("&Sign={VECTOR}"));
    }
    url.push_str("&RequestTime=1669872112");
    url
}

#[test]
fn sign_prints_the_official_vector() {
    let r = run(&["sign", "--token", "xxxxyyyy", "--time", "1669872112"]);
    assert_code(&r, 0);
    assert!(r.stdout.contains(VECTOR), "{}", r.stdout);
    assert!(r.stdout.contains("1669872112"), "{}", r.stdout);
}

#[test]
fn verify_accepts_the_official_vector() {
    let url = vector_url(true);
    let r = run(&["verify", &url, "--token", "xxxxyyyy", "--now", "1669872112"]);
    assert_code(&r, 0);
}

#[test]
fn verify_names_a_wrong_token() {
    let url = vector_url(true);
    let r = run(&["verify", &url, "--token", "xxxyyy", "--now", "1669872112"]);
    assert_fails(&r, 1, "wrong token");
}

#[test]
fn verify_names_a_missing_sign() {
    let url = vector_url(false);
    let r = run(&["verify", &url, "--token", "xxxxyyyy", "--now", "1669872112"]);
    assert_fails(&r, 1, "missing URL parameter Sign");
}

#[test]
fn verify_names_a_stale_request_time() {
    let url = vector_url(true);
    let r = run(&["verify", &url, "--token", "xxxxyyyy", "--now", "1669872232"]);
    assert_fails(&r, 1, "stale");
}

#[test]
fn verify_says_ago_and_in_for_request_times() {
    let url = vector_url(true);
    let r = run(&["verify", &url, "--token", "xxxxyyyy", "--now", "1669872118"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("RequestTime 6 s ago"), "{}", r.stdout);
    let r = run(&["verify", &url, "--token", "xxxxyyyy", "--now", "1669872102"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("RequestTime in 10 s"), "{}", r.stdout);
    let r = run(&["verify", &url, "--token", "xxxxyyyy", "--now", "1669872232"]);
    assert_fails(&r, 1, "120 s ago, allowed ±60 s");
}

// ---------------------------------------------------------------------------------------------
// validate / schema / events
// ---------------------------------------------------------------------------------------------

#[test]
fn validate_reads_stdin() {
    let good = tencent_ack().to_string();
    let r = run_with_stdin(&["validate", "SessionBegin", "--response", "-"], &good);
    assert_code(&r, 0);

    let broken = r#"{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":"0"}"#;
    let r = run_with_stdin(&["validate", "SessionBegin", "--response", "-"], broken);
    assert_fails(&r, 1, "/ErrorCode");
}

#[test]
fn schema_of_the_assignment_answer_has_agent_id_list() {
    let r = run(&["schema", "ChatBot.OnAssignHuman", "--response"]);
    assert_code(&r, 0);
    let schema: Value = serde_json::from_str(&r.stdout).expect("the schema is JSON");
    assert!(schema.is_object());
    // Every `properties.AgentIdList` in the printed schema (the family schema is embedded
    // under `$defs`): an array of strings.
    let mut found = Vec::new();
    properties_named(&schema, "AgentIdList", &mut found);
    assert!(!found.is_empty(), "no AgentIdList property:\n{}", r.stdout);
    for p in &found {
        assert_eq!(p["type"], "array", "AgentIdList: {p}");
        assert_eq!(p["items"]["type"], "string", "AgentIdList items: {p}");
    }
    // And the schema, applied, holds it to that.
    let answer = |agents: Value| json!({"ActionStatus": "OK", "ErrorInfo": "", "ErrorCode": 0, "AgentIdList": agents});
    let ok = support::schema_errors(&schema, &answer(json!(["penn_svc"])));
    assert!(ok.is_empty(), "{ok:?}");
    let numbers = support::schema_errors(&schema, &answer(json!([1001])));
    assert!(
        numbers.iter().any(|e| e.starts_with("/AgentIdList/0")),
        "{numbers:?}"
    );
    let string = support::schema_errors(&schema, &answer(json!("penn_svc")));
    assert!(
        string.iter().any(|e| e.starts_with("/AgentIdList")),
        "{string:?}"
    );
}

/// Every subschema at `properties.<name>` anywhere inside `schema`.
fn properties_named<'a>(schema: &'a Value, name: &str, out: &mut Vec<&'a Value>) {
    match schema {
        Value::Object(map) => {
            if let Some(p) = map.get("properties").and_then(|p| p.get(name)) {
                out.push(p);
            }
            for v in map.values() {
                properties_named(v, name, out);
            }
        }
        Value::Array(items) => items.iter().for_each(|v| properties_named(v, name, out)),
        _ => {}
    }
}

#[test]
fn events_json_lists_29_events() {
    let events = events();
    assert_eq!(events.len(), 29);
    for e in &events {
        for key in ["id", "provider", "command", "description"] {
            assert!(e[key].is_string(), "event without {key}: {e}");
        }
    }
    let ids: std::collections::BTreeSet<&str> =
        events.iter().map(|e| e["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), 29, "ids are unique");
    for name in support::SESSION_EVENTS {
        assert!(ids.contains(name), "{name} is missing");
    }
}
