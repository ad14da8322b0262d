//! JSON Schema (draft 2020-12) for the wire formats: the family schemas of `fixtures/schemas/`,
//! compiled once per process, and their errors turned into [`Violation`]s that name the JSON
//! Pointer, what was expected and what came.

use crate::violation::{clip, describe, Violation, Where};
use jsonschema::error::{TypeKind, ValidationErrorKind};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

/// A family schema from `fixtures/schemas/<name>.json`.
pub fn family(name: &str) -> Value {
    let path = format!("schemas/{name}.json");
    let text =
        crate::assets::get(&path).unwrap_or_else(|| panic!("missing embedded fixture {path}"));
    serde_json::from_str(text)
        .unwrap_or_else(|e| panic!("embedded fixture {path} is not JSON: {e}"))
}

/// Compile a schema; the embedded ones are checked by tests, so failing here is a bug.
pub fn compile(schema: &Value, what: &str) -> jsonschema::Validator {
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .build(schema)
        .unwrap_or_else(|e| panic!("embedded schema {what} does not compile: {e}"))
}

/// The compiled validator of a family schema, built on first use and kept for the process.
pub fn family_validator(name: &str) -> &'static jsonschema::Validator {
    static CACHE: OnceLock<Mutex<HashMap<String, &'static jsonschema::Validator>>> =
        OnceLock::new();
    let mut map = CACHE
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    map.entry(name.to_owned())
        .or_insert_with(|| Box::leak(Box::new(compile(&family(name), name))))
}

/// Violations of one compiled schema, in document order.
pub fn violations(validator: &jsonschema::Validator, doc: &Value) -> Vec<Violation> {
    if validator.is_valid(doc) {
        return Vec::new();
    }
    let mut out: Vec<Violation> = validator.iter_errors(doc).map(|e| from_error(&e)).collect();
    out.dedup();
    out
}

fn from_error(e: &jsonschema::ValidationError<'_>) -> Violation {
    let path = e.instance_path().to_string();
    let got = describe(e.instance());
    let at = Where::pointer(path.clone());
    match e.kind() {
        ValidationErrorKind::Required { property } => {
            let name = property.as_str().unwrap_or_default();
            Violation::new(
                Where::pointer(format!("{path}/{name}")),
                "a required field",
                "nothing (the field is missing)",
            )
        }
        ValidationErrorKind::Type { kind } => Violation::new(at, type_name(kind), got),
        ValidationErrorKind::Enum { options } => Violation::new(at, one_of(options), got),
        ValidationErrorKind::Constant { expected_value } => {
            Violation::new(at, expected_value.to_string(), got)
        }
        ValidationErrorKind::Minimum { limit } => {
            Violation::new(at, format!("a number ≥ {limit}"), got)
        }
        ValidationErrorKind::Maximum { limit } => {
            Violation::new(at, format!("a number ≤ {limit}"), got)
        }
        ValidationErrorKind::MinLength { limit } => {
            Violation::new(at, format!("at least {limit} character(s)"), got)
        }
        ValidationErrorKind::MaxLength { limit } => {
            Violation::new(at, format!("at most {limit} characters"), got)
        }
        ValidationErrorKind::MinItems { limit } => {
            Violation::new(at, format!("at least {limit} item(s)"), got)
        }
        ValidationErrorKind::MaxItems { limit } => {
            Violation::new(at, format!("at most {limit} item(s)"), got)
        }
        ValidationErrorKind::Pattern { pattern } => {
            Violation::new(at, format!("a string matching {pattern}"), got)
        }
        ValidationErrorKind::Contains => Violation::new(at, "at most one TIMCustomElem", got),
        _ => Violation::new(at, clip(&e.to_string(), 160), got),
    }
}

fn type_name(kind: &TypeKind) -> String {
    let name = |t: &jsonschema::JsonType| match t.to_string().as_str() {
        "integer" => "an integer".to_owned(),
        "object" => "an object".to_owned(),
        "array" => "an array".to_owned(),
        "null" => "null".to_owned(),
        other => format!("a {other}"),
    };
    match kind {
        TypeKind::Single(t) => name(t),
        TypeKind::Multiple(set) => set
            .iter()
            .map(|t| name(&t))
            .collect::<Vec<_>>()
            .join(" or "),
    }
}

fn one_of(options: &Value) -> String {
    match options.as_array() {
        Some(items) => {
            let list: Vec<String> = items.iter().map(Value::to_string).collect();
            format!("one of {}", list.join(", "))
        }
        None => options.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_family_schema_compiles() {
        for (path, _) in crate::assets::under("schemas") {
            let name = path
                .trim_start_matches("schemas/")
                .trim_end_matches(".json");
            family_validator(name);
        }
    }

    #[test]
    fn errors_name_pointer_expectation_and_value() {
        let v = family_validator("tencent-ack");
        let found = violations(v, &json!({"ActionStatus": "ok", "ErrorCode": "0"}));
        let shown: Vec<String> = found.iter().map(ToString::to_string).collect();
        assert!(
            shown.contains(
                &"/ErrorInfo: expected a required field, got nothing (the field is missing)"
                    .to_owned()
            ),
            "{shown:?}"
        );
        assert!(
            shown.contains(&"/ErrorCode: expected an integer, got a string \"0\"".to_owned()),
            "{shown:?}"
        );
        assert!(
            shown.contains(
                &"/ActionStatus: expected one of \"OK\", \"FAIL\", got a string \"ok\"".to_owned()
            ),
            "{shown:?}"
        );
    }
}
