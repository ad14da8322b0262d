//! End-to-end tests of `deskhook flow` and `deskhook flows` (issue: "deskhook flow: whole
//! conversations driven by the backend's answers"), plus the load and retry flags that `flow`
//! shares with `send`. Every test runs the binary against a recording loopback server
//! (`support::TestServer`) and checks what the server received, not only what was printed.
//!
//! No test asserts on speed.

mod support;

use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use support::{
    assert_code, closed_port, docs_check, documented_success, label, labels, run, run_to, Recorded,
    Run, TestServer, REPEATABLE,
};

/// The eight built-in scenarios (their names are part of the command line).
const SCENARIOS: [&str; 8] = [
    "bot-resolved",
    "bot-to-human",
    "no-agent-online",
    "queue-abandoned",
    "agent-forward",
    "user-timeout",
    "api-call",
    "cec-chat",
];

// ---------------------------------------------------------------------------------------------
// Running the binary
// ---------------------------------------------------------------------------------------------

/// `deskhook flow <scenario> <args> --to <server>`.
fn flow_to(server: &TestServer, scenario: &str, args: &[&str]) -> Run {
    run_to(&server.url(), &["flow", scenario], args)
}

// ---------------------------------------------------------------------------------------------
// Reading what the server received
// ---------------------------------------------------------------------------------------------

fn body(req: &Recorded) -> Value {
    req.json()
        .unwrap_or_else(|| panic!("not a JSON body: {}", String::from_utf8_lossy(&req.body)))
}

/// The session event (by `Event`) or command a server answers with `answer`, every other
/// callback with its documented success envelope.
fn answering(
    when: &'static str,
    answer: Value,
) -> impl Fn(&Recorded) -> support::Answer + Send + Sync + 'static {
    let bytes = serde_json::to_vec(&answer).expect("JSON");
    move |req: &Recorded| {
        if label(req) == when {
            (200, bytes.clone(), None)
        } else {
            (200, documented_success(req), None)
        }
    }
}

fn ok_assignment(agents: &[&str]) -> Value {
    json!({"ActionStatus": "OK", "ErrorInfo": "", "ErrorCode": 0, "AgentIdList": agents})
}

/// `docs_check`, less one known disagreement inside the documentation itself: its sample
/// assignment answer returns `AgentIdList: ["penn_svc", ...]` while session events describe
/// `AgentId` as e-mail style. A flow uses the answer's agent as the `AgentId` of the later
/// steps, so an `AgentId` that came from the backend's own answer is not held against
/// deskhook.
fn docs_problems(req: &Recorded, token: Option<&str>, answered_agents: &[&str]) -> Vec<String> {
    let agent = req
        .json()
        .and_then(|b| b.get("AgentId").and_then(Value::as_str).map(str::to_owned));
    docs_check(req, token)
        .into_iter()
        .filter(|p| {
            !(p.starts_with("AgentId: expected an e-mail style agent id")
                && agent
                    .as_deref()
                    .is_some_and(|a| answered_agents.contains(&a)))
        })
        .collect()
}

#[track_caller]
fn assert_docs_ok(reqs: &[Recorded], token: Option<&str>, answered_agents: &[&str]) {
    for (i, req) in reqs.iter().enumerate() {
        let problems = docs_problems(req, token, answered_agents);
        assert!(
            problems.is_empty(),
            "request {i} ({}) is not what the docs describe:\n  {}\nquery: {}\nbody: {}",
            label(req),
            problems.join("\n  "),
            req.raw_query,
            String::from_utf8_lossy(&req.body)
        );
    }
}

/// One run is one session (Tencent): one v4 `SessionId`, one `ClientUserId`, one
/// `CustomerServiceId`, `EventTime` strictly increasing in arrival order, unique `MsgKey`s.
#[track_caller]
fn assert_one_tencent_session(scenario: &str, reqs: &[Recorded]) {
    let bodies: Vec<Value> = reqs.iter().map(body).collect();
    let mut seen: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    for b in &bodies {
        for key in ["SessionId", "ClientUserId", "CustomerServiceId"] {
            if let Some(v) = b.get(key).and_then(Value::as_str) {
                seen.entry(key).or_default().insert(v.to_owned());
            }
        }
        // The InterfaceInvocation carries the session in its Body.
        if let Some(v) = b.pointer("/Body/SystemSessionID").and_then(Value::as_str) {
            seen.entry("SessionId").or_default().insert(v.to_owned());
        }
        if let Some(v) = b
            .pointer("/Body/SystemClientUserID")
            .and_then(Value::as_str)
        {
            seen.entry("ClientUserId").or_default().insert(v.to_owned());
        }
    }
    for key in ["SessionId", "ClientUserId", "CustomerServiceId"] {
        let values = seen.get(key).cloned().unwrap_or_default();
        assert_eq!(
            values.len(),
            1,
            "{scenario}: expected one {key} across the run, got {values:?}"
        );
    }
    let sid = seen["SessionId"].iter().next().unwrap();
    assert!(
        support::is_v4_uuid(sid),
        "{scenario}: SessionId {sid} is not a v4 UUID"
    );

    let times: Vec<u64> = bodies
        .iter()
        .map(|b| {
            b["EventTime"]
                .as_u64()
                .unwrap_or_else(|| panic!("{scenario}: no integer EventTime in {b}"))
        })
        .collect();
    assert!(
        times.windows(2).all(|w| w[0] < w[1]),
        "{scenario}: EventTime does not strictly increase along the run: {times:?} ({:?})",
        labels(reqs)
    );

    let keys: Vec<&str> = bodies
        .iter()
        .filter_map(|b| b.get("MsgKey").and_then(Value::as_str))
        .collect();
    let unique: BTreeSet<&str> = keys.iter().copied().collect();
    assert_eq!(
        unique.len(),
        keys.len(),
        "{scenario}: MsgKeys repeat: {keys:?}"
    );
}

/// One run is one session (CEC): the same `from`/`to` in every message, timestamps
/// non-decreasing.
#[track_caller]
fn assert_one_cec_session(reqs: &[Recorded]) {
    let mut pairs = BTreeSet::new();
    let mut times = Vec::new();
    for req in reqs {
        let b = body(req);
        times.push(b["timestamp"].as_u64().expect("an integer timestamp"));
        for m in b["messages"].as_array().expect("messages") {
            pairs.insert((m["from"].to_string(), m["to"].to_string()));
            times.push(
                m["timestamp"]
                    .as_u64()
                    .expect("an integer message timestamp"),
            );
        }
    }
    assert_eq!(pairs.len(), 1, "cec-chat: from/to change: {pairs:?}");
    assert!(
        times.windows(2).all(|w| w[0] <= w[1]),
        "cec-chat: timestamps go back: {times:?}"
    );
}

/// Every received body with this label.
fn with_label<'a>(reqs: &'a [Recorded], want: &str) -> Vec<&'a Recorded> {
    reqs.iter().filter(|r| label(r) == want).collect()
}

fn agent_of(req: &Recorded) -> Option<String> {
    body(req)
        .get("AgentId")
        .and_then(Value::as_str)
        .map(str::to_owned)
}

// ---------------------------------------------------------------------------------------------
// flows
// ---------------------------------------------------------------------------------------------

#[test]
fn flows_lists_exactly_the_eight_built_in_scenarios() {
    let r = run(&["flows"]);
    assert_code(&r, 0);
    for name in SCENARIOS {
        assert!(
            r.stdout.lines().any(|l| l.starts_with(name)),
            "{name} missing from `flows`:\n{}",
            r.stdout
        );
    }
    assert_eq!(r.stdout.lines().count(), 8, "{}", r.stdout);

    let r = run(&["flows", "--json"]);
    assert_code(&r, 0);
    let listed = r.json_lines();
    let names: BTreeSet<&str> = listed
        .iter()
        .map(|s| s["name"].as_str().expect("a name"))
        .collect();
    let want: BTreeSet<&str> = SCENARIOS.iter().copied().collect();
    assert_eq!(names, want);
    assert_eq!(listed.len(), 8, "{}", r.stdout);
    for s in &listed {
        assert!(
            s["description"].as_str().is_some_and(|d| !d.is_empty()),
            "{s}"
        );
        let steps = s["steps"].as_array().expect("steps is an array");
        assert!(!steps.is_empty(), "{s}");
        assert!(steps.iter().all(Value::is_string), "{s}");
    }
    let steps_of = |name: &str| -> Vec<String> {
        listed.iter().find(|s| s["name"] == name).unwrap()["steps"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_owned())
            .collect()
    };
    assert!(steps_of("bot-to-human").contains(&"ChatBot.OnAssignHuman".to_owned()));
    assert!(steps_of("cec-chat").iter().all(|s| s.starts_with("cec.")));
}

// ---------------------------------------------------------------------------------------------
// Every scenario against a backend written from the documentation
// ---------------------------------------------------------------------------------------------

#[test]
fn every_scenario_runs_clean_against_a_documented_backend() {
    for scenario in SCENARIOS {
        let server = TestServer::documented();
        let r = flow_to(&server, scenario, &["--token", "T"]);
        assert_eq!(r.code, 0, "{scenario}: expected exit 0\n{}", r.dump());
        let reqs = server.requests();
        assert!(reqs.len() >= 6, "{scenario}: only {} requests", reqs.len());
        assert_docs_ok(&reqs, Some("T"), &["penn_svc", "dramon_svc"]);

        if scenario == "cec-chat" {
            for req in &reqs {
                assert_eq!(req.path, "/webhooks/v1/messages", "{scenario}");
                assert_eq!(req.header("authorization"), Some("Bearer T"));
            }
            assert_eq!(reqs.len(), 6, "{:?}", labels(&reqs));
            assert_one_cec_session(&reqs);
        } else {
            assert!(reqs.iter().all(|r| !r.is_cec()), "{scenario}");
            assert_one_tencent_session(scenario, &reqs);
            assert_eq!(
                label(&reqs[0]),
                "SessionBegin",
                "{scenario}: {:?}",
                labels(&reqs)
            );
            assert_eq!(
                label(reqs.last().unwrap()),
                "SessionEnd",
                "{scenario}: {:?}",
                labels(&reqs)
            );
        }
        // One result line per request, in human mode.
        assert_eq!(
            r.stdout.matches('✓').count(),
            reqs.len(),
            "{scenario}\n{}",
            r.dump()
        );
    }
}

#[test]
fn bot_to_human_follows_the_happy_path_in_order() {
    let server = TestServer::documented();
    let r = flow_to(&server, "bot-to-human", &["--token", "T"]);
    assert_code(&r, 0);
    assert_eq!(
        labels(&server.requests()),
        [
            "SessionBegin",
            "ChatBot.UserSendMsg",
            "ChatBot.RobotSendMsg",
            "ChatBot.UserSendMsg",
            "TransferringToHuman",
            "ChatBot.OnAssignHuman",
            "TransferToHumanSuccess",
            "Human.AgentSendMsg",
            "Human.UserSendMsg",
            "Human.AgentSendMsg",
            "SatisfactionSelected",
            "SessionAgentEnd",
            "SessionEnd",
        ],
        "the FAIL branch (NoAgentOnline) is not taken after an OK assignment"
    );
}

// ---------------------------------------------------------------------------------------------
// Driven by the answers
// ---------------------------------------------------------------------------------------------

/// The human-stage events that must carry the assigned agent in `bot-to-human`.
const HUMAN_STAGE: [&str; 6] = [
    "TransferToHumanSuccess",
    "Human.AgentSendMsg",
    "Human.UserSendMsg",
    "SatisfactionSelected",
    "SessionAgentEnd",
    "SessionEnd",
];

#[test]
fn the_assigned_agent_is_the_agent_id_of_every_later_step() {
    const AGENT: &str = "zz.unusual+agent@odd.example";
    let server = TestServer::start(answering(
        "ChatBot.OnAssignHuman",
        ok_assignment(&[AGENT, "second@odd.example"]),
    ));
    let r = flow_to(&server, "bot-to-human", &["--token", "T"]);
    assert_code(&r, 0);
    let reqs = server.requests();
    assert_docs_ok(&reqs, Some("T"), &[]);
    for ev in HUMAN_STAGE {
        let sent = with_label(&reqs, ev);
        assert!(!sent.is_empty(), "no {ev} sent: {:?}", labels(&reqs));
        for req in sent {
            assert_eq!(
                agent_of(req).as_deref(),
                Some(AGENT),
                "{ev} does not carry the agent the backend chose: {}",
                String::from_utf8_lossy(&req.body)
            );
        }
    }
    // Not before the assignment: the bot stage has no agent of the backend's choosing.
    let assign_at = labels(&reqs)
        .iter()
        .position(|l| l == "ChatBot.OnAssignHuman")
        .expect("an assignment");
    for req in &reqs[..assign_at] {
        assert_ne!(agent_of(req).as_deref(), Some(AGENT), "{}", label(req));
    }
}

#[test]
fn an_agent_group_alone_gives_an_agent_of_that_group_kept_for_the_session() {
    let server = TestServer::start(answering(
        "ChatBot.OnAssignHuman",
        json!({"ActionStatus": "OK", "ErrorInfo": "", "ErrorCode": 0, "AgentGroupId": 4242}),
    ));
    let r = flow_to(&server, "bot-to-human", &["--token", "T"]);
    assert_code(&r, 0);
    let reqs = server.requests();
    assert_docs_ok(&reqs, Some("T"), &[]);
    let mut agents = BTreeSet::new();
    for ev in HUMAN_STAGE {
        for req in with_label(&reqs, ev) {
            let agent = agent_of(req).unwrap_or_else(|| panic!("{ev} without AgentId"));
            assert!(
                agent.ends_with("@group4242.example.com"),
                "{ev}: AgentId {agent:?} is not an agent of group 4242"
            );
            agents.insert(agent);
        }
    }
    assert_eq!(
        agents.len(),
        1,
        "the agent changes along the run: {agents:?}"
    );
}

#[test]
fn a_fail_assignment_takes_the_no_agent_branch() {
    let server = TestServer::start(answering(
        "ChatBot.OnAssignHuman",
        json!({"ActionStatus": "FAIL", "ErrorInfo": "no agents", "ErrorCode": 1001}),
    ));
    let r = flow_to(&server, "bot-to-human", &["--token", "T"]);
    assert_code(&r, 0);
    let reqs = server.requests();
    let got = labels(&reqs);
    let assign_at = got
        .iter()
        .position(|l| l == "ChatBot.OnAssignHuman")
        .expect("an assignment was sent");
    assert_eq!(
        &got[assign_at + 1..],
        ["NoAgentOnline", "SessionEnd"],
        "after a FAIL assignment: {got:?}"
    );
    assert!(
        !got.iter().any(|l| l == "TransferToHumanSuccess"),
        "{got:?}"
    );
    let end = reqs.last().unwrap();
    assert!(
        body(end).get("AgentId").is_none(),
        "SessionEnd in the bot stage names an agent: {}",
        String::from_utf8_lossy(&end.body)
    );
    assert_docs_ok(&reqs, Some("T"), &[]);
    assert_one_tencent_session("bot-to-human (FAIL)", &reqs);
    assert!(!r.stdout.contains('✗'), "{}", r.dump());
}

#[test]
fn agent_forward_hands_the_session_to_another_agent() {
    const FIRST: &str = "first.agent@forward.example";
    let server = TestServer::start(answering("ChatBot.OnAssignHuman", ok_assignment(&[FIRST])));
    let r = flow_to(&server, "agent-forward", &["--token", "T"]);
    assert_code(&r, 0);
    let reqs = server.requests();
    assert_docs_ok(&reqs, Some("T"), &[]);
    assert_one_tencent_session("agent-forward", &reqs);
    let got = labels(&reqs);
    let fwd_at = got
        .iter()
        .position(|l| l == "AgentForward")
        .unwrap_or_else(|| panic!("no AgentForward: {got:?}"));
    let fwd = body(&reqs[fwd_at]);
    assert_eq!(fwd["ForwardFromAgentId"], FIRST, "{fwd}");
    let second = fwd["AgentId"].as_str().expect("AgentId").to_owned();
    assert_ne!(second, FIRST, "the session is forwarded to the same agent");

    let before: Vec<String> = reqs[..fwd_at]
        .iter()
        .filter(|r| label(r) == "Human.AgentSendMsg")
        .map(|r| agent_of(r).unwrap())
        .collect();
    assert!(!before.is_empty());
    assert!(before.iter().all(|a| a == FIRST), "{before:?}");
    let after: Vec<&Recorded> = reqs[fwd_at + 1..]
        .iter()
        .filter(|r| label(r) == "Human.AgentSendMsg")
        .collect();
    assert!(!after.is_empty(), "no agent message after the forward");
    for req in after {
        assert_eq!(agent_of(req).as_deref(), Some(second.as_str()));
    }
}

#[test]
fn interface_invocation_variables_are_carried_into_the_next_call() {
    let calls = AtomicUsize::new(0);
    let server = TestServer::start(move |req: &Recorded| {
        if label(req) == "Chatbot.InterfaceInvocation" && calls.fetch_add(1, Ordering::SeqCst) == 0
        {
            let a = json!({"ActionStatus": "OK", "ErrorInfo": "", "ErrorCode": 0,
                           "Body": {"orderStatus": "shipped-7f3"}});
            (200, serde_json::to_vec(&a).unwrap(), None)
        } else {
            (200, documented_success(req), None)
        }
    });
    let r = flow_to(&server, "api-call", &["--token", "T"]);
    assert_code(&r, 0);
    let reqs = server.requests();
    assert_docs_ok(&reqs, Some("T"), &[]);
    assert_one_tencent_session("api-call", &reqs);
    let calls = with_label(&reqs, "Chatbot.InterfaceInvocation");
    assert_eq!(calls.len(), 2, "{:?}", labels(&reqs));
    let (first, second) = (body(calls[0]), body(calls[1]));
    assert!(first["Body"].get("orderStatus").is_none(), "{first}");
    assert_eq!(second["Body"]["orderStatus"], "shipped-7f3", "{second}");
    let raw = String::from_utf8_lossy(&calls[1].body);
    assert!(raw.contains(r#""orderStatus":"shipped-7f3""#), "{raw}");
}

// ---------------------------------------------------------------------------------------------
// A user-written scenario file
// ---------------------------------------------------------------------------------------------

const USER_SCENARIO: &str = r#"
description = "A user-written scenario: an agent is chosen, named in a custom field, the backend refuses the end"

[[step]]
event = "SessionBegin"

[[step]]
event = "chatbot.onassignhuman"   # ids are case-insensitive

[[step]]
event = "Human.AgentSendMsg"
set = { "CloudCustomData" = "{{agent_id}}", "MsgBody.0.MsgContent.Text" = "hello from the file" }

[[step]]
event = "Human.UserSendMsg"
unset = ["CloudCustomData"]

[[step]]
event = "SessionAgentEnd"
expect = "fail"
next = "end"

[[step]]
event = "SessionEnd"
"#;

/// Answers: the assignment names `user.file@agents.example`; `SessionAgentEnd` gets `end_answer`.
fn user_scenario_server(end_answer: Value) -> TestServer {
    let end = serde_json::to_vec(&end_answer).unwrap();
    let assign = serde_json::to_vec(&ok_assignment(&["user.file@agents.example"])).unwrap();
    TestServer::start(move |req: &Recorded| match label(req).as_str() {
        "ChatBot.OnAssignHuman" => (200, assign.clone(), None),
        "SessionAgentEnd" => (200, end.clone(), None),
        _ => (200, documented_success(req), None),
    })
}

fn write_scenario(dir: &tempfile::TempDir, name: &str, text: &str) -> String {
    let path = dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_owned()
}

#[test]
fn a_user_scenario_file_uses_placeholders_unset_expect_and_next() {
    let dir = tempfile::tempdir().unwrap();
    let file = write_scenario(&dir, "my-scenario.toml", USER_SCENARIO);
    let server = user_scenario_server(
        json!({"ActionStatus": "FAIL", "ErrorInfo": "session already closed", "ErrorCode": 70001}),
    );
    let r = flow_to(&server, &file, &["--token", "T"]);
    assert_code(&r, 0);
    let reqs = server.requests();
    assert_eq!(
        labels(&reqs),
        [
            "SessionBegin",
            "ChatBot.OnAssignHuman",
            "Human.AgentSendMsg",
            "Human.UserSendMsg",
            "SessionAgentEnd",
        ],
        "`next = \"end\"` stops the run; the last step is never sent"
    );
    assert_docs_ok(&reqs, Some("T"), &[]);
    assert_one_tencent_session("my-scenario", &reqs);
    let agent_msg = body(&reqs[2]);
    assert_eq!(
        agent_msg["CloudCustomData"], "user.file@agents.example",
        "{agent_msg}"
    );
    assert_eq!(
        agent_msg["MsgBody"][0]["MsgContent"]["Text"], "hello from the file",
        "{agent_msg}"
    );
    assert_eq!(agent_msg["AgentId"], "user.file@agents.example");
    let user_msg = body(&reqs[3]);
    assert!(user_msg.get("CloudCustomData").is_none(), "{user_msg}");
    assert!(user_msg.get("MsgBody").is_some(), "{user_msg}");
    // The run is named after the file.
    assert!(r.stdout.contains("my-scenario"), "{}", r.dump());
}

#[test]
fn a_user_scenario_expecting_fail_fails_on_a_success() {
    let dir = tempfile::tempdir().unwrap();
    let file = write_scenario(&dir, "expects-fail.toml", USER_SCENARIO);
    let server =
        user_scenario_server(json!({"ActionStatus": "OK", "ErrorInfo": "", "ErrorCode": 0}));
    let r = flow_to(&server, &file, &["--token", "T"]);
    assert_code(&r, 1);
    assert!(r.stdout.contains("SessionAgentEnd"), "{}", r.dump());
    assert!(r.stdout.contains('✗'), "{}", r.dump());
    // `next = "end"` holds whatever the answer.
    assert_eq!(
        server.requests().len(),
        5,
        "{:?}",
        labels(&server.requests())
    );
}

#[test]
fn a_user_scenario_reads_returned_variables_through_vars_placeholders() {
    let dir = tempfile::tempdir().unwrap();
    let file = write_scenario(
        &dir,
        "vars.toml",
        r#"
description = "The backend's variable is read back by a later step"

[[step]]
event = "SessionBegin"

[[step]]
event = "Chatbot.InterfaceInvocation"

[[step]]
event = "ChatBot.RobotSendMsg"
set = { "MsgBody" = [{ MsgType = "TIMTextElem", MsgContent = { Text = "{{vars.orderStatus}}" } }] }
"#,
    );
    let server = TestServer::start(answering(
        "Chatbot.InterfaceInvocation",
        json!({"ActionStatus": "OK", "ErrorInfo": "", "ErrorCode": 0,
               "Body": {"orderStatus": "out-for-delivery-42"}}),
    ));
    let r = flow_to(&server, &file, &["--token", "T"]);
    assert_code(&r, 0);
    let reqs = server.requests();
    assert_eq!(reqs.len(), 3, "{:?}", labels(&reqs));
    assert_docs_ok(&reqs, Some("T"), &[]);
    let robot = body(&reqs[2]);
    assert_eq!(
        robot["MsgBody"][0]["MsgContent"]["Text"], "out-for-delivery-42",
        "{robot}"
    );
}

#[test]
fn a_scenario_with_an_unknown_event_is_a_usage_error_naming_file_and_step() {
    let dir = tempfile::tempdir().unwrap();
    let file = write_scenario(
        &dir,
        "typo.toml",
        "description = \"typo\"\n\n[[step]]\nevent = \"SessionBegin\"\n\n[[step]]\nevent = \"SesionEnd\"\n",
    );
    let server = TestServer::never_hit();
    let r = flow_to(&server, &file, &[]);
    assert_code(&r, 2);
    assert!(r.stderr.contains("typo.toml"), "{}", r.dump());
    assert!(r.stderr.contains("step 2"), "{}", r.dump());
    assert!(r.stderr.contains("SesionEnd"), "{}", r.dump());
    assert_eq!(server.requests().len(), 0, "nothing is sent");
}

#[test]
fn a_scenario_with_an_unknown_key_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = write_scenario(
        &dir,
        "odd-key.toml",
        "description = \"odd\"\n\n[[step]]\nevent = \"SessionBegin\"\npauze = \"1s\"\n",
    );
    let server = TestServer::never_hit();
    let r = flow_to(&server, &file, &[]);
    assert_code(&r, 2);
    assert!(r.stderr.contains("odd-key.toml"), "{}", r.dump());
    assert!(r.stderr.contains("pauze"), "{}", r.dump());
    assert_eq!(server.requests().len(), 0, "nothing is sent");
}

#[test]
fn an_unknown_scenario_name_is_a_usage_error_listing_the_built_ins() {
    let r = run(&["flow", "bot-to-robot", "--to", &closed_port()]);
    assert_code(&r, 2);
    assert!(r.stderr.contains("bot-to-robot"), "{}", r.dump());
    assert!(r.stderr.contains("bot-to-human"), "{}", r.dump());
}

// ---------------------------------------------------------------------------------------------
// Load
// ---------------------------------------------------------------------------------------------

fn summary_of(r: &Run) -> Value {
    let lines = r.json_lines();
    let summary = lines.last().expect("some output").clone();
    assert_eq!(summary["type"], "summary", "{}", r.dump());
    summary
}

#[test]
fn flow_count_runs_independent_sessions() {
    let server = TestServer::documented();
    let r = flow_to(
        &server,
        "bot-resolved",
        &["--count", "20", "--concurrency", "4", "--format", "json"],
    );
    assert_code(&r, 0);
    let reqs = server.requests();
    assert_eq!(reqs.len(), 20 * 7);

    let mut sessions: BTreeMap<String, Vec<Recorded>> = BTreeMap::new();
    for req in reqs {
        let sid = body(&req)["SessionId"]
            .as_str()
            .expect("every bot-resolved callback has a SessionId")
            .to_owned();
        sessions.entry(sid).or_default().push(req);
    }
    assert_eq!(sessions.len(), 20, "expected 20 distinct SessionIds");
    let steps = [
        "SessionBegin",
        "ChatBot.UserSendMsg",
        "ChatBot.RobotSendMsg",
        "ChatBot.UserSendMsg",
        "ChatBot.RobotSendMsg",
        "SessionUserEnd",
        "SessionEnd",
    ];
    let mut users = BTreeSet::new();
    for (sid, reqs) in &sessions {
        assert_eq!(labels(reqs), steps, "session {sid}");
        assert_one_tencent_session(sid, reqs);
        users.insert(body(&reqs[0])["ClientUserId"].as_str().unwrap().to_owned());
    }
    assert_eq!(users.len(), 20, "each run has its own user");

    let lines = r.json_lines();
    let results: Vec<&Value> = lines.iter().filter(|l| l["type"] == "result").collect();
    assert_eq!(results.len(), 140, "{}", r.dump());
    assert!(results.iter().all(|l| l["verdict"] == "ok"));
    let summary = summary_of(&r);
    assert_eq!(summary["sent"], 140, "{summary}");
    assert_eq!(summary["ok"], 140, "{summary}");
    assert!(summary["latency_ms"]["p99"].is_number(), "{summary}");
}

#[test]
fn send_count_gives_each_request_a_fresh_session() {
    let server = TestServer::documented();
    let url = server.url();
    let r = run(&[
        "send",
        "SessionBegin",
        "--count",
        "400",
        "--concurrency",
        "16",
        "--format",
        "json",
        "--to",
        &url,
    ]);
    assert_code(&r, 0);
    let reqs = server.requests();
    assert_eq!(reqs.len(), 400);
    let sids: BTreeSet<String> = reqs
        .iter()
        .map(|r| body(r)["SessionId"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(sids.len(), 400, "SessionIds repeat");
    assert!(sids.iter().all(|s| support::is_v4_uuid(s)));
    let ids: BTreeSet<&str> = reqs
        .iter()
        .map(|r| r.query_param("RequestID").unwrap())
        .collect();
    assert_eq!(ids.len(), 400, "RequestIDs repeat");
    let summary = summary_of(&r);
    assert_eq!(summary["sent"], 400, "{summary}");
    assert_eq!(summary["ok"], 400, "{summary}");
    assert!(summary["latency_ms"]["p99"].is_number(), "{summary}");
}

// ---------------------------------------------------------------------------------------------
// Retries
// ---------------------------------------------------------------------------------------------

#[track_caller]
fn assert_same_request_id(reqs: &[&Recorded]) {
    let ids: Vec<&str> = reqs
        .iter()
        .map(|r| r.query_param("RequestID").expect("a RequestID"))
        .collect();
    assert!(
        ids.iter().all(|id| *id == ids[0]),
        "RequestID changed: {ids:?}"
    );
    assert!(
        reqs.iter().all(|r| r.body == reqs[0].body),
        "the body changed between attempts"
    );
}

#[test]
fn send_retries_twice_then_gives_up() {
    let server = TestServer::fixed(500, r#"{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0}"#);
    let url = server.url();
    let r = run(&[
        "send",
        "SessionBegin",
        "--retries",
        "2",
        "--backoff",
        "10ms",
        "--to",
        &url,
    ]);
    assert_code(&r, 1);
    let reqs = server.requests();
    assert_eq!(reqs.len(), 3, "1 delivery + 2 retries");
    assert_same_request_id(&reqs.iter().collect::<Vec<_>>());
    assert!(r.stdout.contains("3 attempts"), "{}", r.dump());
    assert!(r.stdout.contains("500"), "{}", r.dump());
}

#[test]
fn flow_retries_the_failing_step() {
    let server = TestServer::start(|req: &Recorded| {
        if label(req) == "SessionBegin" {
            (500, b"{}".to_vec(), None)
        } else {
            (200, documented_success(req), None)
        }
    });
    let r = flow_to(
        &server,
        "bot-resolved",
        &["--retries", "2", "--backoff", "10ms"],
    );
    assert_code(&r, 1);
    let reqs = server.requests();
    let begins = with_label(&reqs, "SessionBegin");
    assert_eq!(begins.len(), 3, "{:?}", labels(&reqs));
    assert_same_request_id(&begins);
    assert_eq!(
        reqs.len() - begins.len(),
        6,
        "every other step is delivered once: {:?}",
        labels(&reqs)
    );
    assert!(r.stdout.contains("3 attempts"), "{}", r.dump());
    let line = r.stdout.lines().find(|l| l.contains("3 attempts")).unwrap();
    assert!(line.contains("SessionBegin"), "{line}");
}

// ---------------------------------------------------------------------------------------------
// Repeatable output, JUnit, zero setup
// ---------------------------------------------------------------------------------------------

#[test]
fn dry_run_flows_are_byte_identical_and_send_nothing() {
    let server = TestServer::never_hit();
    let args = [&["--dry-run"][..], &REPEATABLE, &["--format", "json"]].concat();
    let first = flow_to(&server, "bot-to-human", &args);
    let second = flow_to(&server, "bot-to-human", &args);
    assert_code(&first, 0);
    assert_code(&second, 0);
    assert_eq!(
        first.stdout, second.stdout,
        "--seed/--now flow output differs between runs"
    );
    assert_eq!(server.requests().len(), 0, "--dry-run reached the server");

    let lines = first.json_lines();
    assert_eq!(lines.len(), 13, "{}", first.stdout);
    assert!(lines.iter().all(|l| l["type"] == "request"));
    assert_eq!(lines[0]["event"], "SessionBegin");
    assert_eq!(lines[12]["event"], "SessionEnd");
    assert_eq!(lines[0]["body"]["EventTime"], 1_700_000_000_000u64);
    let sids: BTreeSet<String> = lines
        .iter()
        .filter_map(|l| l["body"]["SessionId"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(sids.len(), 1, "{sids:?}");
    let server_url = server.url();
    assert!(
        lines[0]["url"]
            .as_str()
            .unwrap()
            .starts_with(server_url.as_str()),
        "{}",
        lines[0]
    );

    // Another seed, another conversation.
    let other: Vec<&str> = args
        .iter()
        .map(|a| if *a == "7" { "8" } else { *a })
        .collect();
    assert!(other.windows(2).any(|w| w == ["--seed", "8"]), "{other:?}");
    let third = flow_to(&server, "bot-to-human", &other);
    assert_code(&third, 0);
    assert_ne!(first.stdout, third.stdout);
}

#[test]
fn junit_flow_report_has_a_failing_case_per_callback() {
    let server = TestServer::fixed(200, r#"{"ActionStatus":"OK","ErrorInfo":""}"#);
    let r = flow_to(&server, "bot-to-human", &["--format", "junit"]);
    assert_code(&r, 1);
    let xml = r.stdout.trim_start();
    assert!(xml.starts_with('<'), "not XML: {xml}");
    assert!(xml.contains("<testsuite"), "{xml}");
    let sent = server.requests().len();
    assert!(sent > 0);
    assert_eq!(xml.matches("<testcase").count(), sent, "{xml}");
    assert_eq!(xml.matches("<failure").count(), sent, "{xml}");
    assert!(xml.contains("/ErrorCode"), "{xml}");
    assert!(xml.contains("bot-to-human"), "{xml}");
    assert!(xml.trim_end().ends_with("</testsuites>"), "{xml}");
}

#[test]
fn without_to_a_flow_uses_the_built_in_receiver() {
    let r = run(&["flow", "cec-chat"]);
    assert_code(&r, 0);
    assert!(r.stderr.contains("built-in receiver"), "{}", r.dump());
    assert_eq!(r.stdout.matches('✓').count(), 6, "{}", r.dump());
    assert!(r.stdout.contains("cec.read"), "{}", r.dump());
}
