//! Type mutations of every answer schema: the documented answer sample of each schema
//! (`fixtures/seeds/*.response.json`) with one field given a wrong JSON type must be refused,
//! naming that field's JSON path and the type it should have, with exit 1, both by
//! `deskhook validate EVENT --response -` and by `deskhook send EVENT` against a loopback
//! server that answers with it.
//!
//! The cases are one table (`type_mutations!`), one named test each; a coverage test checks
//! that every property of the four answer schemas has a case, so a new typed field needs one.

mod support;

use serde_json::{json, Value};
use std::collections::BTreeSet;
use support::{assert_code, read_json, run_to, run_with_stdin, Run, TestServer};

/// The answer schemas (files under `fixtures/schemas/`, without `.json`).
const ANSWER_SCHEMAS: [&str; 4] = [
    "tencent-ack",
    "desk-assign-answer",
    "desk-interface-answer",
    "cec-answer",
];

/// The documented answer sample of `schema`: the response seed that `fixtures/seeds/index.json`
/// files under that schema.
fn sample_answer(schema: &str) -> Value {
    let index = read_json("fixtures/seeds/index.json");
    let file = index
        .as_array()
        .expect("index.json is an array")
        .iter()
        .find(|e| {
            e["schema"] == schema
                && e["file"]
                    .as_str()
                    .is_some_and(|f| f.ends_with(".response.json"))
        })
        .and_then(|e| e["file"].as_str())
        .unwrap_or_else(|| panic!("no response seed for schema {schema}"));
    read_json(format!("fixtures/seeds/{file}"))
}

/// `violations` has one at exactly `path` whose expected type mentions `type_word`.
#[track_caller]
fn assert_named(violations: &Value, path: &str, type_word: &str, r: &Run) {
    let list = violations
        .as_array()
        .unwrap_or_else(|| panic!("no violations array\n{}", r.dump()));
    assert!(
        list.iter().any(|v| v["path"] == path
            && v["expected"]
                .as_str()
                .is_some_and(|e| e.contains(type_word))),
        "no violation at {path} expecting {type_word:?}: {violations}\n{}",
        r.dump()
    );
}

/// The sample answer of `schema` with `pointer` set to `wrong`, judged as the answer to
/// `event`: by `validate` and by `send`, each must exit 1 naming `path` as `type_word`.
fn wrong_type_is_named(
    schema: &str,
    event: &str,
    pointer: &str,
    wrong: Value,
    path: &str,
    type_word: &str,
) {
    let mut answer = sample_answer(schema);
    *answer
        .pointer_mut(pointer)
        .unwrap_or_else(|| panic!("the {schema} sample has no {pointer}")) = wrong;
    let text = answer.to_string();

    let r = run_with_stdin(
        &["validate", event, "--response", "-", "--format", "json"],
        &text,
    );
    assert_code(&r, 1);
    let lines = r.json_lines();
    assert_eq!(lines.len(), 1, "one validation record\n{}", r.dump());
    assert_eq!(lines[0]["verdict"], "invalid", "{}", r.dump());
    assert_named(&lines[0]["violations"], path, type_word, &r);

    let server = TestServer::fixed(200, &text);
    let r = run_to(&server.url(), &["send", event], &["--format", "json"]);
    assert_code(&r, 1);
    let lines = r.json_lines();
    let result = lines
        .iter()
        .find(|l| l["type"] == "result")
        .unwrap_or_else(|| panic!("no result record\n{}", r.dump()));
    assert_eq!(result["verdict"], "invalid", "{}", r.dump());
    assert_named(&result["violations"], path, type_word, &r);
}

/// One `#[test]` per case:
/// `name: SCHEMA for EVENT, set POINTER = WRONG, named PATH as TYPE;` — the sample answer of
/// SCHEMA with POINTER set to WRONG, sent as the answer to EVENT, is refused naming PATH with
/// an expected type mentioning TYPE. `CASES` lists (SCHEMA, PATH) for the coverage test.
macro_rules! type_mutations {
    ($(
        $name:ident: $schema:literal for $event:literal,
            set $pointer:literal = $wrong:expr, named $path:literal as $ty:literal;
    )*) => {
        $(
            #[test]
            fn $name() {
                wrong_type_is_named($schema, $event, $pointer, $wrong, $path, $ty);
            }
        )*

        const CASES: &[(&str, &str, &str)] = &[$(($schema, $event, $path)),*];
    };
}

type_mutations! {
    // The plain acknowledgement, answer of session, member and task-flow events.
    ack_action_status_as_a_number: "tencent-ack" for "SessionBegin",
        set "/ActionStatus" = json!(1), named "/ActionStatus" as "string";
    ack_error_code_as_a_string: "tencent-ack" for "SessionBegin",
        set "/ErrorCode" = json!("0"), named "/ErrorCode" as "integer";
    ack_error_code_as_a_fraction: "tencent-ack" for "SessionEnd",
        set "/ErrorCode" = json!(0.5), named "/ErrorCode" as "integer";
    ack_error_info_as_a_number: "tencent-ack" for "SessionBegin",
        set "/ErrorInfo" = json!(0), named "/ErrorInfo" as "string";
    member_event_ack_error_code_as_a_string: "tencent-ack" for "Member.EventNotify",
        set "/ErrorCode" = json!("0"), named "/ErrorCode" as "integer";
    task_flow_ack_error_code_as_a_string: "tencent-ack" for "Chatbot.TaskFlowEventNotify",
        set "/ErrorCode" = json!("0"), named "/ErrorCode" as "integer";

    // The agent-assignment answer.
    assign_action_status_as_a_number: "desk-assign-answer" for "ChatBot.OnAssignHuman",
        set "/ActionStatus" = json!(0), named "/ActionStatus" as "string";
    assign_error_code_as_a_string: "desk-assign-answer" for "ChatBot.OnAssignHuman",
        set "/ErrorCode" = json!("0"), named "/ErrorCode" as "integer";
    assign_agent_error_code_as_a_string: "desk-assign-answer" for "ChatBot.OnAssignAgent",
        set "/ErrorCode" = json!("0"), named "/ErrorCode" as "integer";
    assign_error_info_as_a_number: "desk-assign-answer" for "ChatBot.OnAssignHuman",
        set "/ErrorInfo" = json!(0), named "/ErrorInfo" as "string";
    assign_agent_group_id_as_a_string: "desk-assign-answer" for "ChatBot.OnAssignHuman",
        set "/AgentGroupId" = json!("6521"), named "/AgentGroupId" as "integer";
    assign_agent_id_list_as_a_string: "desk-assign-answer" for "ChatBot.OnAssignHuman",
        set "/AgentIdList" = json!("penn_svc"), named "/AgentIdList" as "array";
    assign_agent_id_list_items_as_numbers: "desk-assign-answer" for "ChatBot.OnAssignHuman",
        set "/AgentIdList" = json!([1001, 1002]), named "/AgentIdList/0" as "string";

    // The interface-invocation answer.
    interface_action_status_as_a_number: "desk-interface-answer" for "Chatbot.InterfaceInvocation",
        set "/ActionStatus" = json!(0), named "/ActionStatus" as "string";
    interface_error_code_as_a_string: "desk-interface-answer" for "Chatbot.InterfaceInvocation",
        set "/ErrorCode" = json!("0"), named "/ErrorCode" as "integer";
    interface_error_info_as_a_number: "desk-interface-answer" for "Chatbot.InterfaceInvocation",
        set "/ErrorInfo" = json!(0), named "/ErrorInfo" as "string";
    interface_body_as_a_string: "desk-interface-answer" for "Chatbot.InterfaceInvocation",
        set "/Body" = json!("testKey1=value1"), named "/Body" as "object";
    interface_body_value_as_a_number: "desk-interface-answer" for "Chatbot.InterfaceInvocation",
        set "/Body/testKey3" = json!(10), named "/Body/testKey3" as "string";

    // The Huawei CEC answer.
    cec_result_code_as_a_number: "cec-answer" for "cec.connected",
        set "/resultCode" = json!(0), named "/resultCode" as "string";
    cec_read_result_code_as_a_number: "cec-answer" for "cec.read",
        set "/resultCode" = json!(0), named "/resultCode" as "string";
    cec_result_desc_as_a_number: "cec-answer" for "cec.connected",
        set "/resultDesc" = json!(0), named "/resultDesc" as "string";
}

#[test]
fn every_property_of_every_answer_schema_has_a_type_mutation_case() {
    let mut missing = Vec::new();
    for schema in ANSWER_SCHEMAS {
        let doc = read_json(format!("fixtures/schemas/{schema}.json"));
        let paths: Vec<&str> = CASES
            .iter()
            .filter(|(s, _, _)| *s == schema)
            .map(|(_, _, p)| *p)
            .collect();
        let props = doc["properties"]
            .as_object()
            .unwrap_or_else(|| panic!("{schema}: no properties"));
        for (name, sub) in props {
            let at = format!("/{name}");
            if !paths.contains(&at.as_str()) {
                missing.push(format!("{schema}: {at}"));
            }
            // Typed items or values inside an array or object need their own case.
            let inner = sub.get("items").or_else(|| sub.get("additionalProperties"));
            if inner.is_some_and(|i| i.get("type").is_some())
                && !paths.iter().any(|p| p.starts_with(&format!("{at}/")))
            {
                missing.push(format!("{schema}: {at}/…"));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "answer fields without a type-mutation case:\n  {}",
        missing.join("\n  ")
    );
}

#[test]
fn every_sample_answer_is_valid_for_the_events_of_the_cases() {
    // Each case changes one field of a valid answer: its refusal is that field's doing.
    let pairs: BTreeSet<(&str, &str)> = CASES.iter().map(|(s, e, _)| (*s, *e)).collect();
    for (schema, event) in pairs {
        let r = run_with_stdin(
            &["validate", event, "--response", "-"],
            &sample_answer(schema).to_string(),
        );
        assert_eq!(r.code, 0, "{schema} sample for {event}\n{}", r.dump());
    }
}
