//! Snapshots of the repeatable output of `--seed N --now MILLIS --dry-run`: the same seed and
//! clock give the same bytes on every run and every machine, so each output is compared with
//! its committed snapshot under `tests/snapshots/` (with the insta crate), and checked for what
//! such an output must and must not hold (no Bearer value, the right `Sign`, the JSON shape).
//!
//! When the output changes on purpose, rewrite the snapshots and review the diff:
//!
//! ```sh
//! INSTA_UPDATE=always cargo test --test golden
//! git diff tests/snapshots/
//! ```
//!
//! or, with cargo-insta installed, `cargo insta test --test golden --review`. Under CI
//! (`CI=true`) a mismatch only fails; no file is written.

mod support;

use serde_json::Value;
use support::{json_lines, sha256_hex, stdout_of, REPEATABLE};

/// One snapshot: its name (file `tests/snapshots/golden__<name>.snap`), the command, whether
/// with `--format json`, and how many newlines end the output (insta ignores them; the tests
/// do not).
struct Golden {
    name: &'static str,
    command: &'static [&'static str],
    json: bool,
    trailing_newlines: usize,
}

impl Golden {
    /// `<command> --seed 7 --now 1700000000000 --token T --dry-run [--format json]`.
    fn args(&self) -> Vec<&'static str> {
        let format: &[&str] = if self.json {
            &["--format", "json"]
        } else {
            &[]
        };
        [self.command, &REPEATABLE, &["--dry-run"], format].concat()
    }
}

const SEND_ALL_JSON: Golden = Golden {
    name: "send_all_jsonl",
    command: &["send", "--all"],
    json: true,
    trailing_newlines: 1,
};
const FLOW_JSON: Golden = Golden {
    name: "flow_bot_to_human_jsonl",
    command: &["flow", "bot-to-human"],
    json: true,
    trailing_newlines: 1,
};
const SEND_ALL_HUMAN: Golden = Golden {
    name: "send_all_txt",
    command: &["send", "--all"],
    json: false,
    trailing_newlines: 2,
};

/// Run `golden.args()` (no colour: `NO_COLOR=1`, stdout a pipe), compare its stdout with the
/// snapshot, and return it.
fn check(golden: &Golden) -> String {
    let args = golden.args();
    let out = stdout_of(&args);
    insta::with_settings!({
        description => format!("deskhook {}", args.join(" ")),
        omit_expression => true,
    }, {
        insta::assert_snapshot!(golden.name, out);
    });
    assert_eq!(
        out.len() - out.trim_end_matches('\n').len(),
        golden.trailing_newlines,
        "{}: newlines at the end of the output",
        golden.name
    );
    assert!(
        !out.starts_with(char::is_whitespace),
        "{}: leading whitespace",
        golden.name
    );
    out
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

#[test]
fn send_all_json_matches_the_snapshot() {
    let out = check(&SEND_ALL_JSON);
    assert_no_secret("send-all.jsonl", &out);
    let lines: Vec<Value> = json_lines(&out);
    assert_eq!(out.lines().count(), 29, "no blank line");
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
fn flow_bot_to_human_json_matches_the_snapshot() {
    let out = check(&FLOW_JSON);
    assert_no_secret("flow-bot-to-human.jsonl", &out);
    let lines = json_lines(&out);
    assert_eq!(out.lines().count(), 13, "no blank line");
    assert_eq!(lines.len(), 13, "the 13 steps of the happy path");
    let sessions: std::collections::BTreeSet<&str> = lines
        .iter()
        .filter_map(|l| l["body"]["SessionId"].as_str())
        .collect();
    assert_eq!(sessions.len(), 1, "one session: {sessions:?}");
    assert_eq!(lines[0]["body"]["EventTime"], 1_700_000_000_000u64);
}

#[test]
fn send_all_human_matches_the_snapshot() {
    let out = check(&SEND_ALL_HUMAN);
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
