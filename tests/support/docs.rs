//! What a backend written from the documentation answers ([`documented_success`]), and an
//! independent receiver written from the documentation and the seed samples alone
//! ([`docs_check`]). It never calls deskhook's library code: it hashes with `sha2`, parses
//! UUIDs with `uuid`, and validates with `jsonschema` against `fixtures/schemas/*.json` read
//! from disk.

use super::{now_ms, read_json, sha256_hex, Recorded};
use serde_json::{json, Value};

// ---------------------------------------------------------------------------------------------
// What a backend written from the documentation answers
// ---------------------------------------------------------------------------------------------

/// The documented success answer for a received callback:
/// CEC `{"resultCode":"0",...}`; assignment with `AgentGroupId`/`AgentIdList`;
/// `Chatbot.InterfaceInvocation` with a `Body` map; every other Tencent callback the plain ack.
pub fn documented_success(req: &Recorded) -> Vec<u8> {
    let v = if req.is_cec() {
        json!({"resultCode": "0", "resultDesc": "success."})
    } else {
        match req.query_param("CallbackCommand").unwrap_or_default() {
            "ChatBot.OnAssignAgent" | "ChatBot.OnAssignHuman" => json!({
                "ActionStatus": "OK", "ErrorInfo": "", "ErrorCode": 0,
                "AgentGroupId": 6521, "AgentIdList": ["penn_svc", "dramon_svc"],
            }),
            "Chatbot.InterfaceInvocation" => json!({
                "ActionStatus": "OK", "ErrorInfo": "", "ErrorCode": 0,
                "Body": {"testKey1": "value1", "testKey3": "10"},
            }),
            _ => json!({"ActionStatus": "OK", "ErrorInfo": "", "ErrorCode": 0}),
        }
    };
    serde_json::to_vec(&v).expect("JSON serialises")
}

// ---------------------------------------------------------------------------------------------
// An independent receiver, written from the documentation alone
// ---------------------------------------------------------------------------------------------

/// The 17 documented `Event` values of `Desk.SessionEventNotify`.
pub const SESSION_EVENTS: [&str; 17] = [
    "SessionBegin",
    "ChatBot.UserSendMsg",
    "ChatBot.RobotSendMsg",
    "Human.UserSendMsg",
    "Human.AgentSendMsg",
    "TransferringToHuman",
    "TransferringToHumanWait",
    "TransferToHumanSuccess",
    "NoAgentOnline",
    "AgentForward",
    "SatisfactionSelected",
    "SessionUserEnd",
    "SessionAgentEnd",
    "SessionUserTimeoutEnd",
    "SessionAgentTimeoutEnd",
    "SessionPendingAutoFinishEnd",
    "SessionEnd",
];

/// The TIM message element types.
pub const MSG_TYPES: [&str; 9] = [
    "TIMTextElem",
    "TIMLocationElem",
    "TIMFaceElem",
    "TIMCustomElem",
    "TIMSoundElem",
    "TIMImageElem",
    "TIMFileElem",
    "TIMVideoFileElem",
    "TIMRelayElem",
];

/// The family schema (file in `fixtures/schemas/`, without `.json`) of a Tencent callback,
/// picked by its `CallbackCommand`.
pub fn tencent_family(command: &str) -> Option<&'static str> {
    Some(match command {
        "Desk.SessionEventNotify" => "desk-session-event",
        "ChatBot.OnAssignAgent" | "ChatBot.OnAssignHuman" => "desk-assign",
        "Chatbot.InterfaceInvocation" => "desk-interface-invocation",
        "Member.EventNotify" => "desk-member-event",
        "Chatbot.TaskFlowEventNotify" => "desk-taskflow-event",
        _ => return None,
    })
}

/// Errors of `doc` against `fixtures/schemas/<name>.json`, checked with the jsonschema crate.
pub fn schema_file_errors(name: &str, doc: &Value) -> Vec<String> {
    let schema = read_json(format!("fixtures/schemas/{name}.json"));
    schema_errors(&schema, doc)
}

/// Errors of `doc` against a JSON Schema (draft 2020-12), `"<pointer>: <message>"` each.
pub fn schema_errors(schema: &Value, doc: &Value) -> Vec<String> {
    let validator = jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .build(schema)
        .unwrap_or_else(|e| panic!("the schema does not compile: {e}"));
    validator
        .iter_errors(doc)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect()
}

/// Check a received callback the way a backend written from the documentation and the seed
/// samples would.
/// `token` is the callback token the backend was configured with (`None`: authentication off).
/// Returns one line per problem; empty when the callback is as documented.
pub fn docs_check(req: &Recorded, token: Option<&str>) -> Vec<String> {
    let mut p = Vec::new();
    if req.method != "POST" {
        p.push(format!("method: expected POST, got {}", req.method));
    }
    match req.header("content-type") {
        Some(ct) if ct.starts_with("application/json") => {}
        other => p.push(format!(
            "Content-Type: expected application/json, got {other:?}"
        )),
    }
    let body = match serde_json::from_slice::<Value>(&req.body) {
        Ok(v @ Value::Object(_)) => v,
        Ok(other) => {
            p.push(format!("body: expected a JSON object, got {other}"));
            return p;
        }
        Err(e) => {
            p.push(format!("body: not JSON: {e}"));
            return p;
        }
    };
    if req.is_cec() {
        check_cec(req, &body, token, &mut p);
    } else {
        check_tencent(req, &body, token, &mut p);
    }
    p
}

fn check_tencent(req: &Recorded, body: &Value, token: Option<&str>, p: &mut Vec<String>) {
    let now_s = now_ms() / 1000;
    // The query parameters added by the platform.
    for key in [
        "SdkAppid",
        "CallbackCommand",
        "contenttype",
        "ClientIP",
        "OptPlatform",
        "RequestID",
    ] {
        match req.query_param(key) {
            Some(v) if !v.is_empty() => {}
            _ => p.push(format!("query: missing or empty {key}")),
        }
    }
    if let Some(id) = req.query_param("SdkAppid") {
        if !id.bytes().all(|b| b.is_ascii_digit()) {
            p.push(format!(
                "query SdkAppid: expected a numeric string, got {id:?}"
            ));
        }
    }
    if req.query_param("contenttype") != Some("json") {
        p.push(format!(
            "query contenttype: expected json, got {:?}",
            req.query_param("contenttype")
        ));
    }
    // Sign = lowercase hex sha256(token + RequestTime), RequestTime in seconds, ±60 s.
    match token {
        Some(token) => {
            let time = req.query_param("RequestTime").unwrap_or_default();
            let sign = req.query_param("Sign").unwrap_or_default();
            if time.len() != 10 || !time.bytes().all(|b| b.is_ascii_digit()) {
                p.push(format!(
                    "query RequestTime: expected 10-digit Unix seconds, got {time:?}"
                ));
            } else {
                let t: u64 = time.parse().expect("digits");
                if t.abs_diff(now_s) > 60 {
                    p.push(format!(
                        "query RequestTime: {t} is more than 60 s from now ({now_s})"
                    ));
                }
            }
            let expected = sha256_hex(&format!("{token}{time}"));
            if sign != expected {
                p.push(format!(
                    "query Sign: expected {expected} (sha256(token + RequestTime)), got {sign:?}"
                ));
            }
        }
        None => {
            for key in ["Sign", "RequestTime"] {
                if req.query_param(key).is_some() {
                    p.push(format!("query: {key} sent although no token is configured"));
                }
            }
        }
    }
    // The body agrees with the query.
    let command = req.query_param("CallbackCommand").unwrap_or_default();
    if body.get("CallbackCommand").and_then(Value::as_str) != Some(command) {
        p.push(format!(
            "body CallbackCommand: expected {command:?} (the query's), got {:?}",
            body.get("CallbackCommand")
        ));
    }
    // EventTime: integer milliseconds (13 digits), within a day of now.
    match body.get("EventTime").and_then(Value::as_u64) {
        Some(t) if t.to_string().len() == 13 => {
            if t.abs_diff(now_ms()) > 24 * 3600 * 1000 {
                p.push(format!("EventTime: {t} is more than a day from now"));
            }
        }
        _ => p.push(format!(
            "EventTime: expected an integer of 13 digits (ms), got {:?}",
            body.get("EventTime")
        )),
    }
    if command == "Desk.SessionEventNotify" {
        check_session_event(body, p);
    }
    if let Some(v) = body.get("SatisfactionSelected") {
        if !v.as_i64().is_some_and(|n| (1..=5).contains(&n)) {
            p.push(format!(
                "SatisfactionSelected: expected an integer 1..=5, got {v}"
            ));
        }
    }
    for key in ["AgentId", "MemberId"] {
        if let Some(v) = body.get(key) {
            if !v.as_str().is_some_and(looks_like_email) {
                p.push(format!("{key}: expected an e-mail style agent id, got {v}"));
            }
        }
    }
    // The family schema, chosen by CallbackCommand.
    match tencent_family(command) {
        Some(family) => p.extend(
            schema_file_errors(family, body)
                .into_iter()
                .map(|e| format!("schema {family}: {e}")),
        ),
        None => p.push(format!(
            "CallbackCommand {command:?} is not a documented Desk callback"
        )),
    }
}

fn check_session_event(body: &Value, p: &mut Vec<String>) {
    match body.get("SessionId").and_then(Value::as_str) {
        Some(s) if is_v4_uuid(s) => {}
        other => p.push(format!("SessionId: expected a v4 UUID, got {other:?}")),
    }
    let event = body
        .get("Event")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if !SESSION_EVENTS.contains(&event) {
        p.push(format!(
            "Event: expected one of the 17 documented names, got {event:?}"
        ));
    }
    if event.ends_with("SendMsg") {
        match body.get("MsgKey").and_then(Value::as_str) {
            Some(k) if is_msg_key(k) => {}
            other => p.push(format!(
                "MsgKey: expected <seq>_<10-digit seconds>_<7 lowercase alnum>, got {other:?}"
            )),
        }
        match body.get("MsgBody").and_then(Value::as_array) {
            Some(items) if !items.is_empty() => {
                for (i, el) in items.iter().enumerate() {
                    let ty = el
                        .get("MsgType")
                        .and_then(Value::as_str)
                        .unwrap_or_default();
                    if !MSG_TYPES.contains(&ty) {
                        p.push(format!("MsgBody/{i}/MsgType: unknown {ty:?}"));
                    }
                    if !el.get("MsgContent").is_some_and(Value::is_object) {
                        p.push(format!("MsgBody/{i}/MsgContent: expected an object"));
                    }
                }
            }
            other => p.push(format!(
                "MsgBody: expected a non-empty array, got {other:?}"
            )),
        }
    }
}

fn check_cec(req: &Recorded, body: &Value, token: Option<&str>, p: &mut Vec<String>) {
    // `Authorization: Bearer <token>`, one space after Bearer.
    let auth = req.header("authorization");
    match token {
        Some(t) => {
            let want = format!("Bearer {t}");
            if auth != Some(want.as_str()) {
                p.push(format!(
                    "Authorization: expected \"Bearer <token>\", got {auth:?}"
                ));
            }
        }
        None => {
            if auth.is_some() {
                p.push("Authorization sent although no token is configured".to_owned());
            }
        }
    }
    // {timestamp, messages: [DownLinkMsg, ...]}.
    if !body.get("timestamp").is_some_and(|t| t.is_u64()) {
        p.push(format!(
            "timestamp: expected an integer, got {:?}",
            body.get("timestamp")
        ));
    }
    match body.get("messages").and_then(Value::as_array) {
        Some(msgs) if !msgs.is_empty() => {
            for (i, m) in msgs.iter().enumerate() {
                for key in [
                    "channel",
                    "from",
                    "to",
                    "controlType",
                    "sourceType",
                    "timestamp",
                ] {
                    if m.get(key).is_none_or(Value::is_null) {
                        p.push(format!("messages/{i}: missing {key}"));
                    }
                }
            }
        }
        other => p.push(format!(
            "messages: expected a non-empty array, got {other:?}"
        )),
    }
    p.extend(
        schema_file_errors("cec-push", body)
            .into_iter()
            .map(|e| format!("schema cec-push: {e}")),
    );
}

/// RFC 4122 version-4 UUID, hyphenated.
pub fn is_v4_uuid(s: &str) -> bool {
    s.len() == 36
        && uuid::Uuid::parse_str(s)
            .is_ok_and(|u| u.get_version_num() == 4 && u.get_variant() == uuid::Variant::RFC4122)
}

/// `^\d+_\d{10}_[a-z0-9]{7}$`, e.g. `152_1600012345_abcdefg`.
pub fn is_msg_key(s: &str) -> bool {
    let parts: Vec<&str> = s.split('_').collect();
    matches!(parts.as_slice(), [seq, secs, rand]
        if !seq.is_empty() && seq.bytes().all(|b| b.is_ascii_digit())
            && secs.len() == 10 && secs.bytes().all(|b| b.is_ascii_digit())
            && rand.len() == 7 && rand.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()))
}

/// `local@domain.tld`, loosely.
pub fn looks_like_email(s: &str) -> bool {
    match s.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && !domain.contains('@')
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !s.contains(char::is_whitespace)
        }
        None => false,
    }
}
