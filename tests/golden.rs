//! Golden files for the repeatable output of `--seed N --now MILLIS --dry-run` (CLI.md, "Load,
//! retries and repeatable output"): the output is compared byte for byte with the committed
//! files under `tests/golden/`.
//!
//! When the output changes on purpose, rewrite the files and review the diff:
//!
//! ```sh
//! UPDATE_GOLDEN=1 cargo test --test golden
//! ```

mod support;

use serde_json::Value;
use std::path::PathBuf;
use support::{manifest_dir, sha256_hex, stdout_of};

const UPDATE_HINT: &str = "if the change is intended, run `UPDATE_GOLDEN=1 cargo test --test golden` and review the diff of tests/golden/";

/// The golden cases: file name under `tests/golden/`, and the arguments of the run.
const SEND_ALL_JSON: (&str, &[&str]) = (
    "send-all.jsonl",
    &[
        "send",
        "--all",
        "--seed",
        "7",
        "--now",
        "1700000000000",
        "--token",
        "T",
        "--dry-run",
        "--format",
        "json",
    ],
);
const FLOW_JSON: (&str, &[&str]) = (
    "flow-bot-to-human.jsonl",
    &[
        "flow",
        "bot-to-human",
        "--seed",
        "7",
        "--now",
        "1700000000000",
        "--token",
        "T",
        "--dry-run",
        "--format",
        "json",
    ],
);
const SEND_ALL_HUMAN: (&str, &[&str]) = (
    "send-all.txt",
    &[
        "send",
        "--all",
        "--seed",
        "7",
        "--now",
        "1700000000000",
        "--token",
        "T",
        "--dry-run",
    ],
);

fn golden_path(name: &str) -> PathBuf {
    manifest_dir().join("tests/golden").join(name)
}

/// Where two texts first differ: (1-based line number, expected line, actual line).
fn first_difference(expected: &str, actual: &str) -> Option<(usize, String, String)> {
    if expected == actual {
        return None;
    }
    let mut exp = expected.split_inclusive('\n');
    let mut act = actual.split_inclusive('\n');
    let shown =
        |l: Option<&str>| l.map_or_else(|| "<end of output>".to_owned(), |l| format!("{l:?}"));
    let mut n = 0;
    loop {
        n += 1;
        let (e, a) = (exp.next(), act.next());
        if e != a {
            return Some((n, shown(e), shown(a)));
        }
        if e.is_none() {
            // Equal line by line yet different: cannot happen, but say so rather than loop.
            return Some((n, "<same lines>".into(), "<same lines>".into()));
        }
    }
}

/// Compare the output of `args` with `tests/golden/<name>`, or rewrite the file when
/// `UPDATE_GOLDEN` is set. Returns the (checked) output.
fn check_golden((name, args): (&str, &[&str])) -> String {
    let actual = stdout_of(args);
    let path = golden_path(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some_and(|v| !v.is_empty() && v != "0") {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &actual)
            .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
        eprintln!("rewrote {}", path.display());
        return actual;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read the golden file {} ({e}); to create it: {UPDATE_HINT}",
            path.display()
        )
    });
    if let Some((line, exp, act)) = first_difference(&expected, &actual) {
        panic!(
            "`deskhook {}` no longer matches tests/golden/{name}\n\
             first difference at line {line}:\n  expected: {exp}\n  actual:   {act}\n\
             ({} expected lines, {} actual lines)\n{UPDATE_HINT}",
            args.join(" "),
            expected.lines().count(),
            actual.lines().count(),
        );
    }
    actual
}

/// What every golden output must (not) contain: no Bearer value, the signature of token `T`.
#[track_caller]
fn assert_no_secret(name: &str, text: &str) {
    assert!(
        !text.contains("Bearer T"),
        "{name}: a Bearer value is shown (it must read `Bearer (redacted)`)"
    );
    let sign = sha256_hex("T1700000000");
    assert!(
        text.contains(&format!("Sign={sign}")),
        "{name}: the Sign for token T at --now is missing"
    );
    assert!(text.contains("RequestTime=1700000000"), "{name}");
}

fn json_lines(name: &str, text: &str) -> Vec<Value> {
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{name}: not JSON ({e}): {l}")))
        .collect()
}

#[test]
fn send_all_json_matches_the_golden_file() {
    let out = check_golden(SEND_ALL_JSON);
    assert_no_secret("send-all.jsonl", &out);
    let lines = json_lines("send-all.jsonl", &out);
    assert_eq!(lines.len(), 29, "one request record per event");
    let schema = support::read_json("fixtures/output.schema.json");
    let mut bearers = 0;
    for rec in &lines {
        assert_eq!(rec["type"], "request", "{rec}");
        let errors = support::schema_errors(&schema, rec);
        assert!(errors.is_empty(), "{rec}: {errors:?}");
        if let Some(auth) = rec["headers"]["Authorization"].as_str() {
            assert_eq!(auth, "Bearer (redacted)", "{rec}");
            bearers += 1;
        }
    }
    assert_eq!(bearers, 7, "each CEC push shows its (redacted) Bearer");
}

#[test]
fn flow_bot_to_human_json_matches_the_golden_file() {
    let out = check_golden(FLOW_JSON);
    assert_no_secret("flow-bot-to-human.jsonl", &out);
    let lines = json_lines("flow-bot-to-human.jsonl", &out);
    assert_eq!(lines.len(), 13, "the 13 steps of the happy path");
    let sessions: std::collections::BTreeSet<&str> = lines
        .iter()
        .filter_map(|l| l["body"]["SessionId"].as_str())
        .collect();
    assert_eq!(sessions.len(), 1, "one session: {sessions:?}");
    assert_eq!(lines[0]["body"]["EventTime"], 1_700_000_000_000u64);
}

#[test]
fn send_all_human_matches_the_golden_file() {
    let out = check_golden(SEND_ALL_HUMAN);
    assert_no_secret("send-all.txt", &out);
    assert!(
        !out.contains('\u{1b}'),
        "colour escapes under NO_COLOR / a pipe"
    );
    assert_eq!(
        out.matches("\nPOST http").count() + usize::from(out.starts_with("POST http")),
        29
    );
    assert!(
        out.contains("Bearer (redacted)"),
        "the CEC Bearer is shown redacted"
    );
}

#[test]
fn the_difference_report_names_the_first_differing_line() {
    assert_eq!(first_difference("a\nb\n", "a\nb\n"), None);
    let (n, e, a) = first_difference("a\nb\nc\n", "a\nB\nc\n").unwrap();
    assert_eq!((n, e.as_str(), a.as_str()), (2, "\"b\\n\"", "\"B\\n\""));
    let (n, _, a) = first_difference("a\nb\n", "a\n").unwrap();
    assert_eq!((n, a.as_str()), (2, "<end of output>"));
    let (n, e, a) = first_difference("a\nb", "a\nb\n").unwrap();
    assert_eq!((n, e.as_str(), a.as_str()), (2, "\"b\"", "\"b\\n\""));
}
