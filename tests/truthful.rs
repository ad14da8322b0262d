//! Help and listings tell the truth: what `replay --count` repeats, what `flows` counts, and
//! that every field of `validate --format json` is in `fixtures/output.schema.json`.

mod support;

use serde_json::Value;
use support::listen::Listen;
use support::*;

#[test]
fn validate_json_records_match_the_documented_schema() {
    let schema = read_json("fixtures/output.schema.json");
    let ok = r#"{"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":""}"#;
    let bad = r#"{"ActionStatus":"OK","ErrorCode":"0","ErrorInfo":""}"#;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("answer.json");
    std::fs::write(&file, ok).unwrap();
    let runs = [
        (
            run_with_stdin(
                &[
                    "validate",
                    "SessionBegin",
                    "--response",
                    "-",
                    "--format",
                    "json",
                ],
                ok,
            ),
            0,
            "ok",
        ),
        (
            run_with_stdin(
                &[
                    "validate",
                    "SessionBegin",
                    "--response",
                    "-",
                    "--format",
                    "json",
                ],
                bad,
            ),
            1,
            "invalid",
        ),
        (
            run(&[
                "validate",
                "SessionBegin",
                "--response",
                file.to_str().unwrap(),
                "--format",
                "json",
            ]),
            0,
            "ok",
        ),
    ];
    for (r, code, verdict) in runs {
        assert_code(&r, code);
        let recs = r.json_lines();
        assert_eq!(recs.len(), 1, "{}", r.dump());
        let rec = &recs[0];
        let errors = schema_errors(&schema, rec);
        assert!(errors.is_empty(), "{rec}: {errors:?}");
        assert_eq!(rec["type"], "validation");
        assert_eq!(rec["verdict"], verdict, "{rec}");
        assert_eq!(rec["side"], "response");
    }
    // The schema has no room for a field the command does not print, and the reverse.
    let def = &schema["$defs"]["validation"];
    assert_eq!(def["additionalProperties"], Value::Bool(false));
}

#[test]
fn flows_says_which_steps_a_run_plays() {
    let line = stdout_of(&["flows"])
        .lines()
        .find(|l| l.starts_with("bot-to-human"))
        .expect("bot-to-human is listed")
        .to_owned();
    assert!(
        line.contains("13 steps played when every answer succeeds, 15 with the failure branch"),
        "{line}"
    );
    let listed = json_lines(&stdout_of(&["flows", "--format", "json"]));
    let b2h = listed.iter().find(|s| s["name"] == "bot-to-human").unwrap();
    assert_eq!(b2h["steps"].as_array().unwrap().len(), 15);
    let path = b2h["success_path"].as_array().unwrap();
    assert_eq!(path.len(), 13);

    // And a run plays exactly those.
    let played = run(&["flow", "bot-to-human", "--format", "json"]);
    assert_code(&played, 0);
    let events: Vec<Value> = played
        .json_lines()
        .into_iter()
        .filter(|r| r["type"] == "result")
        .map(|r| r["event"].clone())
        .collect();
    assert_eq!(&events, path);
}

#[test]
fn a_scenario_cut_at_the_loop_guard_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("loop.toml");
    std::fs::write(
        &file,
        "description = 'loops'\n[[step]]\nlabel = 'again'\nevent = 'SessionBegin'\nnext = 'again'\n",
    )
    .unwrap();
    let r = run(&[
        "flow",
        file.to_str().unwrap(),
        "--dry-run",
        "--format",
        "json",
    ]);
    assert_code(&r, 0);
    assert_eq!(r.json_lines().len(), 10, "{}", r.dump());
    assert!(
        r.stderr
            .contains("stopped after 10 steps: the scenario loops"),
        "{}",
        r.dump()
    );
}

#[test]
fn replay_count_says_it_repeats_the_same_callbacks_and_does() {
    let help = stdout_of(&["replay", "--help"]);
    assert!(
        help.contains("the same callbacks each time, ids included"),
        "{help}"
    );
    assert!(!help.contains("fresh ids"), "{help}");

    let dir = tempfile::tempdir().unwrap();
    let capture = dir.path().join("calls.jsonl");
    let recorder = Listen::start(&["--save", capture.to_str().unwrap(), "--max-requests", "1"]);
    assert_code(&run(&["send", "SessionBegin", "--to", &recorder.url()]), 0);
    recorder
        .wait_exit("after one callback")
        .assert_exited("capture");
    let server = TestServer::documented();
    let r = run(&[
        "replay",
        capture.to_str().unwrap(),
        "--count",
        "2",
        "--to",
        &server.url(),
    ]);
    assert_code(&r, 0);
    let reqs = server.requests();
    assert_eq!(reqs.len(), 2);
    assert_eq!(
        reqs[0].query_param("RequestID"),
        reqs[1].query_param("RequestID")
    );
    assert_eq!(reqs[0].body, reqs[1].body);
}
