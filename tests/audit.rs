//! End-to-end tests of `deskhook audit` and of `--expect refused` (send, flow, replay), run
//! as a user runs the binary, against backends written here on loopback port 0.
//!
//! The backends are small closures over `support::TestServer`: a strict one that checks what
//! the documentation asks (SdkAppid, Sign = sha256(token + RequestTime), |now − RequestTime|
//! ≤ 60 s, typed fields), and flawed ones, each with one hole of a kind found in real
//! receivers: never checking the time, refusing only old times, checking nothing, a
//! deserializer that rejects unknown fields, refusing by crashing. Each audit must fail
//! exactly the probes of its own holes.
//!
//! No test asserts on speed: the burst probe's 2-second budget is the product's rule, and
//! these backends answer at once.

mod support;

use serde_json::{json, Value};
use std::collections::BTreeSet;
use support::listen::Listen;
use support::{
    assert_code, assert_no_secret, closed_port, deskhook, documented_success, now_s, run, sign,
    Answer, Recorded, Run, TestServer,
};

const TOKEN: &str = "audit-token-7f3a9c";
const APP: &str = "1400187352";

// ---------------------------------------------------------------------------------------------
// Backends
// ---------------------------------------------------------------------------------------------

/// The holes a Tencent backend may have; `Flaws::default()` is the strict backend.
#[derive(Debug, Clone, Copy, Default)]
struct Flaws {
    /// Checks nothing: every callback is answered with success.
    nothing: bool,
    /// Checks SdkAppid and the signature, never the time.
    no_time: bool,
    /// Refuses old times only (`now - RequestTime > 60`), any future time passes.
    old_only: bool,
    /// The body's deserializer refuses fields it does not know.
    deny_unknown: bool,
    /// Refuses with 500 instead of a 4xx.
    crash: bool,
}

fn refuse(flaws: Flaws, status: u16, why: &str) -> Answer {
    let status = if flaws.crash { 500 } else { status };
    let body = json!({"ActionStatus": "FAIL", "ErrorCode": status, "ErrorInfo": why});
    (status, body.to_string().into_bytes(), None)
}

/// Top-level fields of each Tencent command, as the documentation lists them.
fn known_fields(command: &str) -> &'static [&'static str] {
    match command {
        "Desk.SessionEventNotify" => &[
            "CallbackCommand",
            "SessionId",
            "Event",
            "EventTime",
            "ChannelType",
            "ClientUserId",
            "CustomerServiceId",
            "AgentId",
            "MsgKey",
            "MsgBody",
            "CloudCustomData",
            "IsContactUser",
            "SatisfactionSelected",
            "ForwardFromAgentId",
        ],
        "ChatBot.OnAssignAgent" | "ChatBot.OnAssignHuman" => &[
            "CallbackCommand",
            "SessionId",
            "ClientUserId",
            "CustomerServiceId",
            "EventTime",
        ],
        "Chatbot.InterfaceInvocation" => &["CallbackCommand", "Body", "EventTime"],
        "Member.EventNotify" => &[
            "CallbackCommand",
            "Event",
            "MemberId",
            "Status",
            "EventTime",
            "ClientInfo",
            "RestReason",
        ],
        "Chatbot.TaskFlowEventNotify" => &[
            "CallbackCommand",
            "Event",
            "EventTime",
            "Seq",
            "ExecutionId",
            "TaskId",
            "TaskName",
            "Env",
            "SessionId",
            "RobotId",
            "ClientUserId",
            "CustomerServiceId",
            "ChannelType",
            "NodeId",
            "NodeName",
            "NextNodeId",
        ],
        _ => &[],
    }
}

/// `MsgContent` fields of each TIM element type.
fn known_content(msg_type: &str) -> &'static [&'static str] {
    match msg_type {
        "TIMTextElem" => &["Text"],
        "TIMFaceElem" => &["Index", "Data"],
        "TIMLocationElem" => &["Desc", "Latitude", "Longitude"],
        "TIMCustomElem" => &["Data", "Desc", "Ext", "Sound"],
        "TIMImageElem" => &["UUID", "ImageFormat", "ImageInfoArray"],
        "TIMFileElem" => &["Url", "UUID", "FileSize", "FileName", "Download_Flag"],
        "TIMSoundElem" => &["Url", "UUID", "Size", "Second", "Download_Flag"],
        _ => &[],
    }
}

/// What a typed deserializer refuses: wrong types, and (with `deny_unknown`) unknown fields.
fn body_problem(command: &str, body: &Value, deny_unknown: bool) -> Option<String> {
    let obj = body.as_object()?;
    let is_str = |k: &str| obj.get(k).is_none_or(Value::is_string);
    for k in [
        "SessionId",
        "Event",
        "ClientUserId",
        "AgentId",
        "MsgKey",
        "CloudCustomData",
        "ChannelType",
        "MemberId",
        "Status",
    ] {
        if !is_str(k) {
            return Some(format!("{k}: not a string"));
        }
    }
    if obj.get("CallbackCommand").and_then(Value::as_str) != Some(command) {
        return Some("CallbackCommand differs from the URL's".into());
    }
    let assignment = command.starts_with("ChatBot.OnAssign");
    match obj.get("EventTime") {
        Some(Value::Number(n)) if n.is_u64() => {}
        Some(Value::String(s)) if assignment && s.bytes().all(|b| b.is_ascii_digit()) => {}
        _ => return Some("EventTime: not an integer".into()),
    }
    if let Some(m) = obj.get("MsgBody") {
        let Some(elements) = m.as_array() else {
            return Some("MsgBody: not an array".into());
        };
        for el in elements {
            let (Some(t), Some(content)) = (
                el.get("MsgType").and_then(Value::as_str),
                el.get("MsgContent").and_then(Value::as_object),
            ) else {
                return Some("MsgBody: an element without MsgType/MsgContent".into());
            };
            if deny_unknown {
                if el.as_object().is_some_and(|e| e.len() != 2) {
                    return Some("MsgBody: unknown field in an element".into());
                }
                if let Some(k) = content
                    .keys()
                    .find(|k| !known_content(t).contains(&k.as_str()))
                {
                    return Some(format!("MsgContent: unknown field {k}"));
                }
            }
        }
    }
    if deny_unknown {
        if let Some(k) = obj
            .keys()
            .find(|k| !known_fields(command).contains(&k.as_str()))
        {
            return Some(format!("unknown field {k}"));
        }
    }
    None
}

/// A Tencent backend with `flaws` (none: strict), configured with `TOKEN` and `APP`.
fn tencent(flaws: Flaws) -> TestServer {
    TestServer::start(move |r: &Recorded| {
        if flaws.nothing {
            return (200, documented_success(r), None);
        }
        if r.query_param("SdkAppid") != Some(APP) {
            return refuse(flaws, 403, "SdkAppid is not this app's");
        }
        let (Some(signature), Some(time)) = (r.query_param("Sign"), r.query_param("RequestTime"))
        else {
            return refuse(flaws, 401, "missing Sign or RequestTime");
        };
        let Ok(t) = time.parse::<u64>() else {
            return refuse(flaws, 401, "RequestTime is not a number");
        };
        if signature != sign(TOKEN, t) {
            return refuse(flaws, 401, "wrong Sign");
        }
        if !flaws.no_time {
            let now = now_s();
            let off = if flaws.old_only {
                now.saturating_sub(t)
            } else {
                now.abs_diff(t)
            };
            if off > 60 {
                return refuse(flaws, 401, "stale RequestTime");
            }
        }
        let command = r.query_param("CallbackCommand").unwrap_or_default();
        let Some(body) = r.json().filter(Value::is_object) else {
            return refuse(flaws, 400, "the body is not a JSON object");
        };
        if let Some(why) = body_problem(command, &body, flaws.deny_unknown) {
            return refuse(flaws, 400, &why);
        }
        (200, documented_success(r), None)
    })
}

/// A CEC backend: strict (`Authorization: Bearer TOKEN` exactly, typed messages) or lax (no
/// authentication at all).
fn cec(check_bearer: bool) -> TestServer {
    TestServer::start(move |r: &Recorded| {
        let fail = |code: &str, why: &str| {
            let body = json!({"resultCode": code, "resultDesc": why});
            (200, body.to_string().into_bytes(), None)
        };
        if !r.is_cec() {
            return (404, b"{}".to_vec(), None);
        }
        if check_bearer && r.header("authorization") != Some(&format!("Bearer {TOKEN}")) {
            return (
                401,
                br#"{"resultCode":"401","resultDesc":"unauthorized"}"#.to_vec(),
                None,
            );
        }
        let Some(body) = r.json() else {
            return fail("400", "not JSON");
        };
        let stamp_ok = |v: Option<&Value>| {
            v.is_some_and(|t| {
                t.is_u64()
                    || t.as_str()
                        .is_some_and(|s| s.bytes().all(|b| b.is_ascii_digit()))
            })
        };
        let Some(messages) = body.get("messages").and_then(Value::as_array) else {
            return fail("400", "messages is not a list");
        };
        if !stamp_ok(body.get("timestamp")) || messages.is_empty() {
            return fail("400", "bad timestamp");
        }
        for m in messages {
            for k in ["channel", "from", "to", "controlType", "sourceType"] {
                if !m.get(k).is_some_and(Value::is_string) {
                    return fail("400", &format!("{k}: not a string"));
                }
            }
            if !stamp_ok(m.get("timestamp")) {
                return fail("400", "bad message timestamp");
            }
        }
        (200, documented_success(r), None)
    })
}

// ---------------------------------------------------------------------------------------------
// Running audits
// ---------------------------------------------------------------------------------------------

/// `deskhook audit --to URL --token TOKEN --sdkappid APP --format json ARGS...`.
fn audit(to: &str, args: &[&str]) -> Run {
    let mut all = vec![
        "audit",
        "--to",
        to,
        "--token",
        TOKEN,
        "--sdkappid",
        APP,
        "--format",
        "json",
    ];
    all.extend_from_slice(args);
    run(&all)
}

/// The probe records of a JSON run, checked against `fixtures/audit.schema.json`.
fn probes(r: &Run) -> Vec<Value> {
    let schema = support::read_json("fixtures/audit.schema.json");
    let records = r.json_lines();
    for rec in &records {
        let errors = support::schema_errors(&schema, rec);
        assert!(errors.is_empty(), "{rec}: {errors:?}\n{}", r.dump());
    }
    let last = records.last().expect("a summary record");
    assert_eq!(last["type"], "summary", "{}", r.dump());
    assert_eq!(last["exit_code"], r.code, "{}", r.dump());
    records
        .into_iter()
        .filter(|rec| rec["type"] == "probe")
        .collect()
}

/// The ids of the probes with `verdict`.
fn with_verdict(probes: &[Value], verdict: &str) -> BTreeSet<String> {
    probes
        .iter()
        .filter(|p| p["verdict"] == verdict)
        .map(|p| p["id"].as_str().unwrap().to_owned())
        .collect()
}

fn set(ids: &[&str]) -> BTreeSet<String> {
    ids.iter().map(|s| (*s).to_owned()).collect()
}

fn by_id<'a>(probes: &'a [Value], id: &str) -> &'a Value {
    probes
        .iter()
        .find(|p| p["id"] == id)
        .unwrap_or_else(|| panic!("no probe {id}"))
}

/// The token never shows, whatever the run printed.
#[track_caller]
fn assert_no_token(r: &Run) {
    assert_no_secret(r, TOKEN, "audit");
}

const TENCENT_PROBES: usize = 19;

// ---------------------------------------------------------------------------------------------
// Audits of the Tencent backends: each fails exactly its own holes
// ---------------------------------------------------------------------------------------------

#[test]
fn a_strict_backend_passes_every_probe() {
    let server = tencent(Flaws::default());
    let r = audit(&server.url(), &["--strict"]);
    assert_code(&r, 0);
    let p = probes(&r);
    assert_eq!(p.len(), TENCENT_PROBES, "{}", r.dump());
    assert_eq!(
        with_verdict(&p, "pass").len(),
        TENCENT_PROBES,
        "{}",
        r.dump()
    );
    assert_no_token(&r);
    // Every callback the audit sent reached the backend: burst is a few hundred at once.
    let sent: usize = p.iter().map(|x| x["cases"].as_array().unwrap().len()).sum();
    assert_eq!(server.requests().len(), sent);
    assert!(by_id(&p, "burst")["cases"].as_array().unwrap().len() >= 200);
}

#[test]
fn a_backend_that_never_checks_the_time_fails_the_time_probes() {
    let server = tencent(Flaws {
        no_time: true,
        ..Flaws::default()
    });
    let r = audit(&server.url(), &[]);
    assert_code(&r, 1);
    let p = probes(&r);
    assert_eq!(
        with_verdict(&p, "fail"),
        set(&["time-stale", "time-future", "time-millis"]),
        "{}",
        r.dump()
    );
    assert!(with_verdict(&p, "warn").is_empty(), "{}", r.dump());
    let stale = by_id(&p, "time-stale")["advice"].as_str().unwrap();
    assert!(
        stale.contains("accepted RequestTime 120 s in the past")
            && stale.contains("|now − RequestTime| ≤ 60 s, in both directions"),
        "{stale}"
    );
}

#[test]
fn a_backend_that_refuses_only_old_times_fails_future_and_millis() {
    let server = tencent(Flaws {
        old_only: true,
        ..Flaws::default()
    });
    let r = audit(&server.url(), &[]);
    assert_code(&r, 1);
    let p = probes(&r);
    assert_eq!(
        with_verdict(&p, "fail"),
        set(&["time-future", "time-millis"]),
        "{}",
        r.dump()
    );
    let future = by_id(&p, "time-future")["advice"].as_str().unwrap();
    assert!(
        future.contains("accepted RequestTime 120 s in the future")
            && future.contains("in both directions"),
        "{future}"
    );
    // The human report says the same, one line per probe, the fix under the failing one.
    let human = run(&[
        "audit",
        "--to",
        &server.url(),
        "--token",
        TOKEN,
        "--sdkappid",
        APP,
    ]);
    assert_code(&human, 1);
    let line = human
        .stdout
        .lines()
        .find(|l| l.contains("time-future"))
        .expect("a time-future line");
    assert!(line.starts_with("✗ FAIL time-future"), "{line}");
    assert!(
        line.contains("expected a refusal") && line.contains("got 200 \"OK\""),
        "{line}"
    );
    assert!(
        human
            .stdout
            .contains("probes · 17 pass · 2 fail · 0 warn · 0 skipped"),
        "{}",
        human.dump()
    );
    assert_no_token(&human);
}

#[test]
fn a_backend_that_checks_nothing_fails_every_must_refuse_probe() {
    let server = tencent(Flaws {
        nothing: true,
        ..Flaws::default()
    });
    let r = audit(&server.url(), &[]);
    assert_code(&r, 1);
    let p = probes(&r);
    assert_eq!(
        with_verdict(&p, "fail"),
        set(&[
            "sign-missing",
            "sign-empty",
            "sign-wrong",
            "time-stale",
            "time-future",
            "time-millis",
            "sdkappid-wrong",
            "sdkappid-missing",
        ]),
        "{}",
        r.dump()
    );
    // Answering success to garbage is a robustness warning, not a failure.
    assert_eq!(
        with_verdict(&p, "warn"),
        set(&["malformed-body"]),
        "{}",
        r.dump()
    );
    for probe in &p {
        if probe["kind"] == "must-refuse" {
            assert!(
                probe["advice"].as_str().unwrap().starts_with("accepted "),
                "{probe}"
            );
        }
    }
}

#[test]
fn a_backend_that_rejects_unknown_fields_fails_unknown_fields_only() {
    let server = tencent(Flaws {
        deny_unknown: true,
        ..Flaws::default()
    });
    let r = audit(&server.url(), &[]);
    assert_code(&r, 1);
    let p = probes(&r);
    assert_eq!(
        with_verdict(&p, "fail"),
        set(&["unknown-fields"]),
        "{}",
        r.dump()
    );
    let advice = by_id(&p, "unknown-fields")["advice"].as_str().unwrap();
    assert!(advice.contains("Ignore fields you do not know"), "{advice}");
}

#[test]
fn refusing_by_crashing_is_a_warning_that_fails_only_under_strict() {
    let server = tencent(Flaws {
        crash: true,
        ..Flaws::default()
    });
    let r = audit(&server.url(), &[]);
    assert_code(&r, 0);
    let p = probes(&r);
    assert!(with_verdict(&p, "fail").is_empty(), "{}", r.dump());
    let warned = with_verdict(&p, "warn");
    assert!(
        warned.contains("sign-wrong")
            && warned.contains("sdkappid-wrong")
            && warned.contains("malformed-body"),
        "{}",
        r.dump()
    );
    let advice = by_id(&p, "sign-wrong")["advice"].as_str().unwrap();
    assert!(
        advice.starts_with("refused by crashing (HTTP 500)"),
        "{advice}"
    );
    let strict = audit(&server.url(), &["--strict"]);
    assert_code(&strict, 1);
}

#[test]
fn without_a_token_the_signature_probes_are_skipped_and_say_why() {
    let server = tencent(Flaws {
        nothing: true,
        ..Flaws::default()
    });
    let r = run(&["audit", "--to", &server.url(), "--format", "json"]);
    let p = probes(&r);
    let skipped = with_verdict(&p, "skip");
    assert_eq!(
        skipped,
        set(&[
            "sign-missing",
            "sign-empty",
            "sign-wrong",
            "time-stale",
            "time-future",
            "time-millis",
            "time-edge"
        ]),
        "{}",
        r.dump()
    );
    for id in &skipped {
        let why = by_id(&p, id)["advice"].as_str().unwrap();
        assert!(why.starts_with("no --token"), "{id}: {why}");
        assert!(by_id(&p, id)["cases"].as_array().unwrap().is_empty());
    }
    assert!(r.stderr.contains("no --token"), "{}", r.dump());
    // The SdkAppid probes need no token, and this backend checks nothing.
    assert_code(&r, 1);
    assert_eq!(
        with_verdict(&p, "fail"),
        set(&["sdkappid-wrong", "sdkappid-missing"])
    );
}

#[test]
fn refusals_prove_nothing_when_the_baseline_is_refused_too() {
    // The backend is strict but is told the wrong app: it refuses everything.
    let server = tencent(Flaws::default());
    let r = run(&[
        "audit",
        "--to",
        &server.url(),
        "--token",
        TOKEN,
        "--sdkappid",
        "888888",
        "--format",
        "json",
        "--only",
        "baseline",
        "--only",
        "sign-wrong",
        "--only",
        "time-stale",
    ]);
    assert_code(&r, 1);
    let p = probes(&r);
    assert_eq!(with_verdict(&p, "fail"), set(&["baseline"]));
    assert_eq!(with_verdict(&p, "skip"), set(&["sign-wrong", "time-stale"]));
    let why = by_id(&p, "sign-wrong")["advice"].as_str().unwrap();
    assert!(why.starts_with("inconclusive"), "{why}");
    let baseline = by_id(&p, "baseline")["advice"].as_str().unwrap();
    assert!(baseline.contains("--sdkappid"), "{baseline}");
}

// ---------------------------------------------------------------------------------------------
// CEC
// ---------------------------------------------------------------------------------------------

#[test]
fn cec_audits_check_the_bearer() {
    let strict = cec(true);
    let r = audit(&strict.url(), &["--provider", "huawei", "--strict"]);
    assert_code(&r, 0);
    let p = probes(&r);
    assert_eq!(with_verdict(&p, "pass").len(), p.len(), "{}", r.dump());
    let ids: BTreeSet<String> = p
        .iter()
        .map(|x| x["id"].as_str().unwrap().to_owned())
        .collect();
    assert!(
        ids.contains("bearer-missing") && !ids.contains("sign-wrong"),
        "{ids:?}"
    );
    assert!(strict.requests().iter().all(Recorded::is_cec));
    assert_no_token(&r);

    let lax = cec(false);
    let r = audit(&lax.url(), &["--provider", "huawei"]);
    assert_code(&r, 1);
    let p = probes(&r);
    assert_eq!(
        with_verdict(&p, "fail"),
        set(&["bearer-missing", "bearer-wrong", "bearer-empty"]),
        "{}",
        r.dump()
    );
    let advice = by_id(&p, "bearer-empty")["advice"].as_str().unwrap();
    assert!(advice.contains("constant time"), "{advice}");
    assert_no_token(&r);
}

// ---------------------------------------------------------------------------------------------
// Probes of their own: duplicate answers
// ---------------------------------------------------------------------------------------------

#[test]
fn a_different_answer_to_a_duplicate_is_a_warning_and_a_refusal_a_failure() {
    let seen = std::sync::Mutex::new(BTreeSet::new());
    let server = TestServer::start(move |r: &Recorded| {
        let id = r.query_param("RequestID").unwrap_or_default().to_owned();
        let again = !seen.lock().unwrap().insert(id);
        let info = if again { "duplicate ignored" } else { "" };
        let body = json!({"ActionStatus": "OK", "ErrorCode": 0, "ErrorInfo": info});
        (200, body.to_string().into_bytes(), None)
    });
    let r = audit(&server.url(), &["--only", "duplicate"]);
    assert_code(&r, 0);
    let p = probes(&r);
    assert_eq!(
        with_verdict(&p, "warn"),
        set(&["duplicate"]),
        "{}",
        r.dump()
    );
    assert!(p[0]["advice"]
        .as_str()
        .unwrap()
        .contains("duplicate ignored"));

    let seen = std::sync::Mutex::new(BTreeSet::new());
    let refusing = TestServer::start(move |r: &Recorded| {
        let id = r.query_param("RequestID").unwrap_or_default().to_owned();
        if seen.lock().unwrap().insert(id) {
            (200, documented_success(r), None)
        } else {
            (409, b"duplicate".to_vec(), None)
        }
    });
    let r = audit(&refusing.url(), &["--only", "duplicate"]);
    assert_code(&r, 1);
    assert_eq!(with_verdict(&probes(&r), "fail"), set(&["duplicate"]));
}

// ---------------------------------------------------------------------------------------------
// Output shapes, selection, exit codes
// ---------------------------------------------------------------------------------------------

#[test]
fn junit_has_one_testcase_per_probe() {
    let server = tencent(Flaws {
        old_only: true,
        crash: true,
        ..Flaws::default()
    });
    let r = run(&[
        "audit",
        "--to",
        &server.url(),
        "--token",
        TOKEN,
        "--sdkappid",
        APP,
        "--format",
        "junit",
    ]);
    assert_code(&r, 1);
    let xml = &r.stdout;
    assert!(xml.starts_with("<?xml"), "{xml}");
    assert_eq!(xml.matches("<testcase ").count(), TENCENT_PROBES, "{xml}");
    assert_eq!(
        xml.matches("<failure").count(),
        2,
        "time-future and time-millis\n{xml}"
    );
    assert!(
        xml.contains(r#"<testcase name="time-future" classname="deskhook.audit.must-refuse""#),
        "{xml}"
    );
    assert!(xml.contains("warning: refused by crashing"), "{xml}");
    assert_no_token(&r);
    let strict = run(&[
        "audit",
        "--to",
        &server.url(),
        "--token",
        TOKEN,
        "--sdkappid",
        APP,
        "--format",
        "junit",
        "--strict",
    ]);
    assert!(
        strict.stdout.matches("<failure").count() > 2,
        "{}",
        strict.dump()
    );
}

#[test]
fn list_names_every_probe_with_its_attack_and_rule() {
    let r = run(&["audit", "--list"]);
    assert_code(&r, 0);
    let json = run(&["audit", "--list", "--format", "json"]);
    assert_code(&json, 0);
    let schema = support::read_json("fixtures/audit.schema.json");
    let records = json.json_lines();
    let ids: Vec<&str> = records.iter().map(|x| x["id"].as_str().unwrap()).collect();
    for id in [
        "sign-missing",
        "sign-wrong",
        "time-stale",
        "time-future",
        "time-millis",
        "sdkappid-wrong",
        "sdkappid-missing",
        "bearer-missing",
        "bearer-wrong",
        "baseline",
        "unknown-fields",
        "unknown-params",
        "optional-absent",
        "large-body",
        "unicode",
        "duplicate",
        "burst",
        "time-edge",
        "malformed-body",
    ] {
        assert!(ids.contains(&id), "--list lacks {id}");
        assert!(r.stdout.contains(id), "human --list lacks {id}");
    }
    for rec in &records {
        assert!(support::schema_errors(&schema, rec).is_empty(), "{rec}");
        assert!(
            rec["rule"].as_str().unwrap().contains("docs/protocol.md"),
            "{rec}"
        );
    }
    assert_eq!(r.stdout.matches("    rule: ").count(), records.len());
}

#[test]
fn only_and_skip_choose_probes_and_unknown_ids_suggest_the_closest() {
    let server = tencent(Flaws::default());
    let r = audit(
        &server.url(),
        &["--only", "time-stale", "--only", "baseline"],
    );
    assert_code(&r, 0);
    let ids: Vec<String> = probes(&r)
        .iter()
        .map(|x| x["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids, ["baseline", "time-stale"], "table order");

    let r = audit(&server.url(), &["--skip", "burst", "--skip", "large-body"]);
    assert_code(&r, 0);
    let ids = with_verdict(&probes(&r), "pass");
    assert_eq!(ids.len(), TENCENT_PROBES - 2);
    assert!(!ids.contains("burst") && !ids.contains("large-body"));

    let r = audit(&server.url(), &["--only", "time-stail"]);
    assert_code(&r, 2);
    assert!(
        r.stderr.contains("unknown probe \"time-stail\"") && r.stderr.contains("time-stale"),
        "{}",
        r.dump()
    );
    let r = audit(&server.url(), &["--skip", "brust"]);
    assert_code(&r, 2);
    assert!(r.stderr.contains("burst"), "{}", r.dump());
    let r = audit(&server.url(), &["--only", "bearer-wrong"]);
    assert_code(&r, 2);
    assert!(r.stderr.contains("--provider"), "{}", r.dump());
    assert!(
        server.requests().len() > 10,
        "the usage errors sent nothing more"
    );
}

#[test]
fn an_unreachable_backend_exits_3() {
    let r = audit(&closed_port(), &[]);
    assert_code(&r, 3);
    let p = probes(&r);
    assert_eq!(by_id(&p, "baseline")["verdict"], "fail");
    let rest: Vec<&Value> = p.iter().filter(|x| x["id"] != "baseline").collect();
    assert!(rest.iter().all(|x| x["verdict"] == "skip"), "{}", r.dump());
    assert!(rest[0]["advice"]
        .as_str()
        .unwrap()
        .contains("cannot be reached"));
}

#[test]
fn audit_needs_no_network_beyond_to() {
    // Every proxy points at a closed port, and only loopback is exempt: a request anywhere
    // but --to would come back as a transport error.
    let server = tencent(Flaws::default());
    let dead = closed_port();
    let out = deskhook()
        .args([
            "audit",
            "--to",
            &server.url(),
            "--token",
            TOKEN,
            "--sdkappid",
            APP,
            "--format",
            "json",
            "-v",
            "--skip",
            "burst",
        ])
        .env("HTTP_PROXY", &dead)
        .env("HTTPS_PROXY", &dead)
        .env("ALL_PROXY", &dead)
        .env("NO_PROXY", "127.0.0.1")
        .timeout(std::time::Duration::from_secs(180))
        .output()
        .expect("deskhook runs");
    let r = Run {
        code: out.status.code().unwrap(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    assert_code(&r, 0);
    let p = probes(&r);
    let urls: Vec<String> = p
        .iter()
        .flat_map(|x| x["cases"].as_array().unwrap().clone())
        .map(|c| c["url"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(urls.len(), server.requests().len());
    assert!(
        urls.iter().all(|u| u.starts_with(&server.url())),
        "{urls:?}"
    );
    // -v shows the headers, the credential redacted.
    assert_no_token(&r);
}

// ---------------------------------------------------------------------------------------------
// --expect refused: send, flow, replay
// ---------------------------------------------------------------------------------------------

#[test]
fn send_expect_refused_passes_a_refusal_and_fails_an_acceptance() {
    let strict = tencent(Flaws::default());
    let r = run(&[
        "send",
        "SessionBegin",
        "--to",
        &strict.url(),
        "--token",
        "WRONG",
        "--sdkappid",
        APP,
        "--expect",
        "refused",
    ]);
    assert_code(&r, 0);
    assert!(
        r.stdout.contains("→ 401") && r.stdout.contains("refused, as expected"),
        "{}",
        r.dump()
    );

    let lax = tencent(Flaws {
        nothing: true,
        ..Flaws::default()
    });
    let r = run(&[
        "send",
        "SessionBegin",
        "--to",
        &lax.url(),
        "--token",
        "WRONG",
        "--expect",
        "refused",
    ]);
    assert_code(&r, 1);
    assert!(
        r.stdout.contains("the backend accepted the callback"),
        "{}",
        r.dump()
    );

    // A refusal in a failure envelope on HTTP 200 counts, and so does a CEC resultCode.
    let enveloped = TestServer::fixed(
        200,
        r#"{"ActionStatus":"FAIL","ErrorCode":1001,"ErrorInfo":"bad sign"}"#,
    );
    let r = run(&[
        "send",
        "SessionBegin",
        "--to",
        &enveloped.url(),
        "--expect",
        "refused",
    ]);
    assert_code(&r, 0);
    let lax_cec = cec(false);
    let r = run(&[
        "send",
        "cec.read",
        "--to",
        &lax_cec.url(),
        "--token",
        "WRONG",
        "--expect",
        "refused",
    ]);
    assert_code(&r, 1);
    assert!(r.stdout.contains("accepted the push"), "{}", r.dump());
}

#[test]
fn send_expect_refused_warns_on_a_5xx_in_every_format() {
    let crashing = tencent(Flaws {
        crash: true,
        ..Flaws::default()
    });
    let url = crashing.url();
    let args = |format: &str| {
        run(&[
            "send",
            "SessionBegin",
            "SessionEnd",
            "--to",
            &url,
            "--token",
            "WRONG",
            "--sdkappid",
            APP,
            "--expect",
            "refused",
            "--format",
            format,
        ])
    };
    let human = args("human");
    assert_code(&human, 0);
    assert!(
        human
            .stdout
            .contains("warning: refused by crashing: HTTP 500"),
        "{}",
        human.dump()
    );
    assert!(
        human.stdout.contains("2 warnings (refused by crashing: 2)"),
        "{}",
        human.dump()
    );

    let json = args("json");
    assert_code(&json, 0);
    let schema = support::read_json("fixtures/output.schema.json");
    let lines = json.json_lines();
    for rec in &lines {
        assert!(support::schema_errors(&schema, rec).is_empty(), "{rec}");
    }
    assert_eq!(lines[0]["verdict"], "ok");
    assert_eq!(lines[0]["warnings"][0]["kind"], "refused by crashing");
    assert_eq!(lines[2]["warnings"]["refused by crashing"], 2);

    let junit = args("junit");
    assert_code(&junit, 0);
    assert!(!junit.stdout.contains("<failure"), "{}", junit.dump());
    assert!(
        junit.stdout.contains("warning: refused by crashing"),
        "{}",
        junit.dump()
    );
}

#[test]
fn send_expect_refused_against_deskhooks_own_listen() {
    // The case that could not be asserted before: listen answers a wrong token with 401.
    let listen = Listen::start(&["--token", TOKEN]);
    let url = listen.url();
    let wrong = run(&[
        "send",
        "SessionBegin",
        "--to",
        &url,
        "--token",
        "WRONG",
        "--expect",
        "refused",
    ]);
    assert_code(&wrong, 0);
    let right = run(&[
        "send",
        "SessionBegin",
        "--to",
        &url,
        "--token",
        TOKEN,
        "--expect",
        "refused",
    ]);
    assert_code(&right, 1);
    assert!(right.stdout.contains("not refused"), "{}", right.dump());
    listen.interrupt().assert_exited("after two callbacks");
}

#[test]
fn flow_expect_refused_on_the_command_line_and_in_a_scenario() {
    let strict = tencent(Flaws::default());
    let lax = tencent(Flaws {
        nothing: true,
        ..Flaws::default()
    });
    let flow = |to: &str| {
        run(&[
            "flow",
            "bot-resolved",
            "--to",
            to,
            "--token",
            "WRONG",
            "--sdkappid",
            APP,
            "--expect",
            "refused",
        ])
    };
    let r = flow(&strict.url());
    assert_code(&r, 0);
    assert_eq!(
        r.stdout.matches("refused, as expected").count(),
        7,
        "{}",
        r.dump()
    );
    assert_code(&flow(&lax.url()), 1);

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("forged.toml");
    std::fs::write(
        &file,
        "description = 'a forged callback must be refused'\n\n[[step]]\nevent = 'SessionBegin'\nexpect = 'refused'\n",
    )
    .unwrap();
    let scenario = file.to_str().unwrap();
    let r = run(&[
        "flow",
        scenario,
        "--to",
        &strict.url(),
        "--token",
        "WRONG",
        "--sdkappid",
        APP,
    ]);
    assert_code(&r, 0);
    let r = run(&["flow", scenario, "--to", &lax.url(), "--token", "WRONG"]);
    assert_code(&r, 1);
}

#[test]
fn replay_expect_refused() {
    let record = json!({
        "v": 1, "seq": 1, "received_at_ms": 1700000000000u64, "answered_at_ms": 1700000000001u64,
        "remote": "127.0.0.1:50000", "method": "POST", "path": "/desk/cb",
        "query": format!("SdkAppid={APP}&CallbackCommand=Desk.SessionEventNotify&contenttype=json&ClientIP=127.0.0.1&OptPlatform=RESTAPI&RequestID=replayed-1&Sign=00&RequestTime=1700000000"),
        "headers": [["content-type", "application/json"]],
        "body": r#"{"CallbackCommand":"Desk.SessionEventNotify","SessionId":"2baf4d84-beb4-4607-a1ea-6ebcaef3e0e6","Event":"SessionBegin","EventTime":1700000000000}"#,
        "event": "SessionBegin", "provider": "tencent", "verdict": "accepted",
        "problems": [], "status": 200, "answer": "{}", "latency_ms": 0.1,
    });
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cap.jsonl");
    std::fs::write(&path, format!("{record}\n")).unwrap();
    let cap = path.to_str().unwrap();
    let strict = tencent(Flaws::default());
    // --as-is replays the captured, long-stale signature: a strict backend refuses it.
    let r = run(&[
        "replay",
        cap,
        "--to",
        &strict.url(),
        "--as-is",
        "--expect",
        "refused",
    ]);
    assert_code(&r, 0);
    let r = run(&[
        "replay",
        cap,
        "--to",
        &strict.url(),
        "--token",
        TOKEN,
        "--expect",
        "refused",
    ]);
    assert_code(&r, 1);
    let lax = tencent(Flaws {
        nothing: true,
        ..Flaws::default()
    });
    let r = run(&[
        "replay",
        cap,
        "--to",
        &lax.url(),
        "--as-is",
        "--expect",
        "refused",
    ]);
    assert_code(&r, 1);
    assert!(r.stdout.contains("accepted the callback"), "{}", r.dump());
}
