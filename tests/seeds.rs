//! The documentation samples (`fixtures/seeds/`) and the bodies deskhook generates agree with
//! the schemas, checked both through the binary (`deskhook validate`, `deskhook schema`) and
//! independently with the jsonschema crate; generated bodies keep the templates' keys and the
//! seed samples' JSON types.

mod support;

use serde_json::{Map, Value};
use std::path::PathBuf;
use support::{deskhook, manifest_dir, read_json, schema_errors, schema_file_errors, stdout_of};

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

/// Every event id with its catalogue file (`fixtures/events/<id>.json`).
fn events() -> Vec<(String, Value)> {
    stdout_of(&["events", "--json"])
        .lines()
        .map(|l| {
            let e: Value = serde_json::from_str(l).expect("events --json lines are JSON");
            let id = e["id"].as_str().expect("id").to_owned();
            let entry = read_json(format!("fixtures/events/{id}.json"));
            (id, entry)
        })
        .collect()
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

#[test]
fn generated_bodies_match_schema_template_and_seed_types() {
    let seeds = seeds();
    let events = events();
    assert_eq!(events.len(), 29);
    let mut checked_against_a_seed = 0;
    for (id, entry) in &events {
        let line = stdout_of(&[
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
        let lines: Vec<&str> = line.lines().collect();
        assert_eq!(lines.len(), 1, "{id}: one request expected:\n{line}");
        let rec: Value = serde_json::from_str(lines[0]).expect("a JSON line");
        assert_eq!(rec["event"], id.as_str(), "{rec}");
        let body = &rec["body"];

        // The schema deskhook prints for this event, applied by the jsonschema crate.
        let schema: Value =
            serde_json::from_str(&stdout_of(&["schema", id, "--request"])).expect("JSON schema");
        let errors = schema_errors(&schema, body);
        assert!(
            errors.is_empty(),
            "{id}: generated body does not match `deskhook schema {id} --request`:\n  {}\n{body}",
            errors.join("\n  ")
        );

        // The template's top-level keys, no more, no fewer.
        assert_eq!(
            keys(body),
            keys(&entry["template"]),
            "{id}: generated body keys differ from fixtures/events/{id}.json's template"
        );

        // The JSON types of the documentation sample.
        let family = entry["request_schema"].as_str().expect("request_schema");
        if let Some(sample) = seed_sample_for(id, family, &seeds) {
            checked_against_a_seed += 1;
            let mut diffs = Vec::new();
            type_differences("", &sample, body, &mut diffs);
            assert!(
                diffs.is_empty(),
                "{id}: generated types differ from the seed sample:\n  {}",
                diffs.join("\n  ")
            );
        }
    }
    // Session events, decision callbacks and CEC pushes are all covered by seeds.
    assert_eq!(checked_against_a_seed, 27);
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
