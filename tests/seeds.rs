//! The documentation samples (`fixtures/seeds/`) and the bodies deskhook generates agree with
//! the schemas, checked both through the binary (`deskhook validate`, `deskhook schema`) and
//! independently with the jsonschema crate; and the generated bodies agree with the seed
//! samples themselves, read from disk independently of the catalogue templates that generate
//! the bodies: no field the samples (or the family schema) do not know, every field of an
//! event's own sample, and the samples' JSON types.

mod support;

use serde_json::{Map, Value};
use std::collections::BTreeSet;
use std::path::PathBuf;
use support::{
    deskhook, events, manifest_dir, read_json, schema_errors, schema_file_errors, stdout_of,
    tencent_family,
};

/// One entry of `fixtures/seeds/index.json`.
struct Seed {
    file: String,
    schema: String,
    event: Option<String>,
}

impl Seed {
    fn path(&self) -> PathBuf {
        manifest_dir().join("fixtures/seeds").join(&self.file)
    }

    fn side(&self) -> &'static str {
        if self.file.ends_with(".response.json") {
            "--response"
        } else {
            assert!(self.file.ends_with(".request.json"), "{}", self.file);
            "--request"
        }
    }

    fn doc(&self) -> Value {
        read_json(format!("fixtures/seeds/{}", self.file))
    }
}

fn seeds() -> Vec<Seed> {
    let index = read_json("fixtures/seeds/index.json");
    let entries = index.as_array().expect("index.json is an array");
    assert!(!entries.is_empty());
    entries
        .iter()
        .map(|e| Seed {
            file: e["file"].as_str().expect("file").to_owned(),
            schema: e["schema"].as_str().expect("schema").to_owned(),
            event: e["event"].as_str().map(str::to_owned),
        })
        .collect()
}

#[test]
fn every_seed_is_valid_for_deskhook_validate() {
    for seed in seeds().iter().filter(|s| s.event.is_some()) {
        let event = seed.event.as_deref().unwrap();
        let path = seed.path();
        let out = deskhook()
            .args(["validate", event, seed.side()])
            .arg(&path)
            .output()
            .expect("deskhook runs");
        assert_eq!(
            out.status.code(),
            Some(0),
            "deskhook validate {event} {} {} failed:\n{}{}",
            seed.side(),
            seed.file,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn every_seed_matches_its_schema_file() {
    for seed in seeds() {
        let errors = schema_file_errors(&seed.schema, &seed.doc());
        assert!(
            errors.is_empty(),
            "{} against schemas/{}.json:\n  {}",
            seed.file,
            seed.schema,
            errors.join("\n  ")
        );
    }
}

/// The seed sample whose types a generated request body must keep: the request seed of this
/// very event, else the first request seed of the same schema family (none for families the
/// seeds do not cover).
fn seed_sample_for(id: &str, family: &str, seeds: &[Seed]) -> Option<Value> {
    let requests = || {
        seeds
            .iter()
            .filter(move |s| s.side() == "--request" && s.schema == family)
    };
    requests()
        .find(|s| s.event.as_deref() == Some(id))
        .or_else(|| requests().next())
        .map(Seed::doc)
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Differences in JSON type between `got` and the seed `sample`, for the keys both have,
/// recursively (arrays: first element against first element). A `null` in the sample says
/// nothing about the type and matches anything.
fn type_differences(path: &str, sample: &Value, got: &Value, out: &mut Vec<String>) {
    if sample.is_null() {
        return;
    }
    let (ts, tg) = (type_name(sample), type_name(got));
    if ts != tg {
        out.push(format!(
            "{path}: the seed has {ts} {sample}, generated {tg} {got}"
        ));
        return;
    }
    match (sample, got) {
        (Value::Object(s), Value::Object(g)) => {
            for (k, sv) in s {
                if let Some(gv) = g.get(k) {
                    type_differences(&format!("{path}/{k}"), sv, gv, out);
                }
            }
        }
        (Value::Array(s), Value::Array(g)) => {
            if let (Some(sv), Some(gv)) = (s.first(), g.first()) {
                type_differences(&format!("{path}/0"), sv, gv, out);
            }
        }
        _ => {}
    }
}

fn keys(v: &Value) -> Vec<&str> {
    let mut k: Vec<&str> = v
        .as_object()
        .map(Map::keys)
        .into_iter()
        .flatten()
        .map(String::as_str)
        .collect();
    k.sort_unstable();
    k
}

/// Fields an event's own seed sample has that the generated body rightly leaves out, each with
/// its reason. (The documentation's session-event sample shows every field at once.)
const SAMPLE_ONLY_FIELDS: [(&str, &str, &str); 2] = [
    (
        "ChatBot.UserSendMsg",
        "/AgentId",
        "a user's message to the bot: no agent is in the session yet",
    ),
    (
        "ChatBot.UserSendMsg",
        "/SatisfactionSelected",
        "a rating comes with the SatisfactionSelected event, not with a message",
    ),
];

/// The request schema family of an event, from its provider and command alone (not from the
/// catalogue): the Tencent family by `CallbackCommand`, `cec-push` for Huawei.
fn family_of(event: &Value) -> &'static str {
    match event["provider"].as_str() {
        Some("huawei") => "cec-push",
        _ => {
            let command = event["command"].as_str().expect("a command");
            tencent_family(command).unwrap_or_else(|| panic!("undocumented command {command}"))
        }
    }
}

/// The one request deskhook generates for `id` (`--dry-run --format json`, fixed seed).
fn generated_body(id: &str) -> Value {
    let out = stdout_of(&[
        "send",
        id,
        "--dry-run",
        "--format",
        "json",
        "--seed",
        "1",
        "--now",
        "1700000000000",
    ]);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 1, "{id}: one request expected:\n{out}");
    let rec: Value = serde_json::from_str(lines[0]).expect("a JSON line");
    assert_eq!(rec["event"], id, "{rec}");
    rec["body"].clone()
}

/// The field paths of a body: its top-level keys, and for CEC pushes the keys of each
/// message (`/messages/*/key`).
fn field_paths(body: &Value) -> BTreeSet<String> {
    let mut out: BTreeSet<String> = keys(body).iter().map(|k| format!("/{k}")).collect();
    for m in body["messages"].as_array().into_iter().flatten() {
        out.extend(keys(m).iter().map(|k| format!("/messages/*/{k}")));
    }
    out
}

#[test]
fn generated_bodies_match_their_schema_and_the_seed_samples() {
    let seeds = seeds();
    let events = events();
    assert_eq!(events.len(), 29);
    let mut checked_against_a_seed = 0;
    let mut own_samples = 0;
    for event in &events {
        let id = event["id"].as_str().expect("an id");
        let body = generated_body(id);

        // The schema deskhook prints for this event, applied by the jsonschema crate.
        let schema: Value =
            serde_json::from_str(&stdout_of(&["schema", id, "--request"])).expect("JSON schema");
        let errors = schema_errors(&schema, &body);
        assert!(
            errors.is_empty(),
            "{id}: generated body does not match `deskhook schema {id} --request`:\n  {}\n{body}",
            errors.join("\n  ")
        );
        // And the family schema file, chosen here from the command.
        let family = family_of(event);
        let errors = schema_file_errors(family, &body);
        assert!(
            errors.is_empty(),
            "{id}: generated body does not match fixtures/schemas/{family}.json:\n  {}",
            errors.join("\n  ")
        );

        // No invented field: each is in a seed sample of the family or in the family schema.
        let family_seeds: Vec<&Seed> = seeds
            .iter()
            .filter(|s| s.side() == "--request" && s.schema == family)
            .collect();
        let mut known: BTreeSet<String> = family_seeds
            .iter()
            .flat_map(|s| field_paths(&s.doc()))
            .collect();
        let family_schema = read_json(format!("fixtures/schemas/{family}.json"));
        known.extend(
            keys(&family_schema["properties"])
                .iter()
                .map(|k| format!("/{k}")),
        );
        let generated = field_paths(&body);
        let unknown: Vec<&String> = generated.difference(&known).collect();
        assert!(
            unknown.is_empty(),
            "{id}: generated fields that no seed sample of {family} and not its schema has: \
             {unknown:?}"
        );

        // An event with a sample of its own: every field of the sample is generated.
        if let Some(own) = family_seeds.iter().find(|s| s.event.as_deref() == Some(id)) {
            own_samples += 1;
            let missing: Vec<String> = field_paths(&own.doc())
                .difference(&generated)
                .filter(|p| {
                    !SAMPLE_ONLY_FIELDS
                        .iter()
                        .any(|(e, f, _)| *e == id && f == p)
                })
                .cloned()
                .collect();
            assert!(
                missing.is_empty(),
                "{id}: fields of its seed sample {} that the generated body lacks: {missing:?}",
                own.file
            );
        }

        // The JSON types of the documentation sample.
        if let Some(sample) = seed_sample_for(id, family, &seeds) {
            checked_against_a_seed += 1;
            let mut diffs = Vec::new();
            type_differences("", &sample, &body, &mut diffs);
            assert!(
                diffs.is_empty(),
                "{id}: generated types differ from the seed sample:\n  {}",
                diffs.join("\n  ")
            );
        }
    }
    // Session events, decision callbacks and CEC pushes are all covered by seeds.
    assert_eq!(checked_against_a_seed, 27);
    // ChatBot.UserSendMsg, Chatbot.InterfaceInvocation, ChatBot.OnAssignAgent and six CEC
    // pushes have a sample of their own.
    assert_eq!(own_samples, 9);
}

#[test]
fn sample_only_fields_are_in_their_sample() {
    // The exceptions above name fields the sample really has (no stale exception).
    for (id, field, why) in SAMPLE_ONLY_FIELDS {
        let seed = seeds()
            .into_iter()
            .find(|s| s.side() == "--request" && s.event.as_deref() == Some(id))
            .unwrap_or_else(|| panic!("no request sample of {id}"));
        assert!(
            field_paths(&seed.doc()).contains(field),
            "{id}: {field} ({why}) is not in {}",
            seed.file
        );
    }
}

#[test]
fn generated_bodies_keep_every_key_of_their_template() {
    // A check of the generator itself (placeholder expansion loses no key and adds none),
    // not of what the bodies should hold: that is the seed comparison above.
    for event in events() {
        let id = event["id"].as_str().expect("an id");
        let entry = read_json(format!("fixtures/events/{id}.json"));
        assert_eq!(
            keys(&generated_body(id)),
            keys(&entry["template"]),
            "{id}: generated body keys differ from fixtures/events/{id}.json's template"
        );
    }
}

#[test]
fn seed_types_are_checked_where_it_matters() {
    // The type comparison above would miss a string EventTime or a boolean-as-string: prove it
    // notices such a drift on the documented session-event sample.
    let sample = read_json("fixtures/seeds/000-session-event.request.json");
    let mut drifted = sample.clone();
    drifted["EventTime"] = Value::String("1725540020017".into());
    drifted["IsContactUser"] = Value::String("false".into());
    drifted["MsgBody"][0]["MsgContent"]["Text"] = Value::from(1);
    let mut diffs = Vec::new();
    type_differences("", &sample, &drifted, &mut diffs);
    assert_eq!(
        diffs
            .iter()
            .map(|d| d.split(':').next().unwrap())
            .collect::<Vec<_>>(),
        ["/EventTime", "/MsgBody/0/MsgContent/Text", "/IsContactUser"],
        "{diffs:?}"
    );
    assert!(type_name(&sample["SatisfactionSelected"]) == "integer");
}
