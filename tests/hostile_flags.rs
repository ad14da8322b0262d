//! No flag value and no scenario or `--respond` file makes deskhook panic: every hostile value
//! (huge, negative, NaN, empty, unicode, a bare number where a unit is needed, 0 where it is
//! meaningless, a format the command does not honour) is a usage error, exit 2, whose message
//! names the flag or the file. Edge values that are legal run without a panic.

use std::path::Path;
use std::process::Output;

fn deskhook() -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::cargo_bin("deskhook").expect("the deskhook binary is built");
    for (k, _) in std::env::vars_os() {
        if k.to_string_lossy().starts_with("DESKHOOK_") {
            cmd.env_remove(k);
        }
    }
    cmd.env("NO_COLOR", "1");
    cmd.timeout(std::time::Duration::from_secs(60));
    cmd
}

fn run(args: &[&str]) -> Output {
    deskhook().args(args).output().expect("run deskhook")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// `deskhook ARGS` is refused as a usage error (exit 2) that names `names`, without a panic.
/// The value after the flag `names` is attached to it (`--rate=-1`), so that clap reads a
/// negative value as the flag's value rather than as an unknown flag.
fn refused(args: &[&str], names: &str) -> Option<String> {
    let mut joined: Vec<String> = Vec::new();
    let mut i = 0;
    while i < args.len() {
        if args[i] == names && i + 1 < args.len() {
            joined.push(format!("{}={}", args[i], args[i + 1]));
            i += 2;
        } else {
            joined.push(args[i].to_owned());
            i += 1;
        }
    }
    let args: Vec<&str> = joined.iter().map(String::as_str).collect();
    let args = &args[..];
    let o = run(args);
    let all = text(&o);
    if all.contains("panicked") {
        return Some(format!("{args:?} panicked:\n{all}"));
    }
    if o.status.code() != Some(2) {
        return Some(format!(
            "{args:?}: exit {:?}, expected 2:\n{all}",
            o.status.code()
        ));
    }
    if !all.contains(names) {
        return Some(format!(
            "{args:?}: the message does not name {names:?}:\n{all}"
        ));
    }
    None
}

const TO: &str = "http://127.0.0.1:9/";

#[test]
fn hostile_flag_values_are_usage_errors_naming_the_flag() {
    let durations = [
        "1e20",
        "1e20s",
        "1e30",
        "99999999999999999999h",
        "25h",
        "-1s",
        "-1",
        "NaN",
        "nan",
        "inf",
        "",
        " ",
        "1.5",
        "2000",
        "２s",
        "1s²",
        "🙂",
        "0x10s",
        "1..5s",
    ];
    let mut cases: Vec<(Vec<String>, String)> = Vec::new();
    let mut add = |args: &[&str], names: &str| {
        cases.push((
            args.iter().map(|s| s.to_string()).collect(),
            names.to_owned(),
        ));
    };
    for v in durations {
        add(
            &["send", "SessionBegin", "--to", TO, "--timeout", v],
            "--timeout",
        );
        add(
            &["send", "SessionBegin", "--to", TO, "--backoff", v],
            "--backoff",
        );
        add(
            &["send", "SessionBegin", "--to", TO, "--max-latency", v],
            "--max-latency",
        );
        add(&["listen", "--port", "0", "--delay", v], "--delay");
        add(&["listen", "--port", "0", "--timeout", v], "--timeout");
        add(&["listen", "--port", "0", "--tolerance", v], "--tolerance");
        add(
            &[
                "verify",
                "http://x/?Sign=a&RequestTime=1",
                "--token",
                "t",
                "--tolerance",
                v,
            ],
            "--tolerance",
        );
    }
    // 0 where it is meaningless.
    for flag in ["--timeout", "--max-latency"] {
        for v in ["0", "0s", "0ms"] {
            add(&["send", "SessionBegin", "--to", TO, flag, v], flag);
            add(&["flow", "bot-resolved", "--to", TO, flag, v], flag);
            add(&["replay", "-", "--to", TO, flag, v], flag);
        }
    }
    add(&["listen", "--port", "0", "--timeout", "0s"], "--timeout");
    for v in [
        "0",
        "-1",
        "1e3",
        "",
        "18446744073709551616",
        "1000000000001",
        "٣",
    ] {
        add(
            &["send", "SessionBegin", "--to", TO, "--count", v],
            "--count",
        );
    }
    for v in ["0", "-1", "10001", "", "NaN"] {
        add(
            &["send", "SessionBegin", "--to", TO, "--concurrency", v],
            "--concurrency",
        );
    }
    for v in ["0", "-1", "NaN", "inf", "-inf", "1e-300", "", "fast"] {
        add(&["send", "SessionBegin", "--to", TO, "--rate", v], "--rate");
    }
    for v in ["-1", "101", "4294967296", "", "1.5"] {
        add(
            &["send", "SessionBegin", "--to", TO, "--retries", v],
            "--retries",
        );
    }
    for v in ["18446744073709551616", "253402300800000", "-1", ""] {
        add(&["send", "SessionBegin", "--dry-run", "--now", v], "--now");
    }
    for v in ["-1", "18446744073709551616", "x"] {
        add(
            &["send", "SessionBegin", "--dry-run", "--seed", v],
            "--seed",
        );
    }
    for v in ["0", "-1", "1073741825", "18446744073709551616", ""] {
        add(&["listen", "--port", "0", "--max-body", v], "--max-body");
    }
    for v in ["0", "-1", ""] {
        add(
            &["listen", "--port", "0", "--max-requests", v],
            "--max-requests",
        );
    }
    for v in ["70000", "-1", ""] {
        add(&["listen", "--port", v], "--port");
    }
    add(
        &["listen", "--port", "0", "--group", "9223372036854775808"],
        "--group",
    );
    add(&["listen", "--port", "0", "--respond", ""], "--respond");
    add(&["listen", "--port", "0", "--fsync"], "--save");
    for v in ["18446744073709551615", "253402300800", "-1"] {
        add(&["sign", "--token", "t", "--time", v], "--time");
        add(
            &[
                "verify",
                "http://x/?Sign=a&RequestTime=1",
                "--token",
                "t",
                "--now",
                v,
            ],
            "--now",
        );
    }
    // Every --format is one the command honours.
    for (cmd, extra) in [
        ("listen", vec!["--port", "0"]),
        ("validate", vec!["SessionBegin", "--request", "-"]),
        ("events", vec![]),
        ("flows", vec![]),
        ("sign", vec!["--token", "t"]),
    ] {
        for f in ["junit", "xml", ""] {
            let mut args = vec![cmd];
            args.extend(&extra);
            args.extend(["--format", f]);
            add(&args, "--format");
        }
    }
    for f in ["xml", "JSON ", ""] {
        add(
            &["send", "SessionBegin", "--to", TO, "--format", f],
            "--format",
        );
    }

    let failures: Vec<String> = cases
        .iter()
        .filter_map(|(args, names)| {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            refused(&args, names)
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} hostile values were not clean usage errors:\n\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n\n")
    );
}

/// A bare number is refused with a hint at the two units it could mean.
#[test]
fn a_bare_number_duration_says_which_units_it_could_mean() {
    let o = run(&["send", "SessionBegin", "--to", TO, "--timeout", "2000"]);
    assert_eq!(o.status.code(), Some(2));
    let all = text(&o);
    assert!(all.contains("2000s") && all.contains("2000ms"), "{all}");
}

/// The largest legal values run to the end without a panic.
#[test]
fn the_edges_of_the_legal_ranges_do_not_panic() {
    for args in [
        &[
            "send",
            "SessionBegin",
            "--dry-run",
            "--now",
            "253402300799999",
            "--seed",
            "18446744073709551615",
            "--count",
            "3",
        ][..],
        &[
            "send",
            "SessionBegin",
            "--count",
            "2",
            "--rate",
            "1e300",
            "--timeout",
            "24h",
            "--backoff",
            "24h",
        ],
        &[
            "send",
            "SessionBegin",
            "--count",
            "1",
            "--rate",
            "0.0001",
            "--timeout",
            "1ns",
            "--retries",
            "100",
            "--backoff",
            "0",
        ],
        &["sign", "--token", "t", "--time", "253402300799"],
        &[
            "verify",
            "http://x/?Sign=a&RequestTime=0",
            "--token",
            "t",
            "--now",
            "253402300799",
            "--tolerance",
            "24h",
        ],
    ] {
        let o = run(args);
        let all = text(&o);
        assert!(!all.contains("panicked"), "{args:?} panicked:\n{all}");
        assert!(
            matches!(o.status.code(), Some(0..=3)),
            "{args:?}: {:?}\n{all}",
            o.status.code()
        );
    }
}

/// A scenario file whose `pause` is hostile, and a `--respond` file that is not JSON: usage
/// errors naming the file.
#[test]
fn hostile_values_in_files_are_usage_errors_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let mut failures = Vec::new();
    for pause in ["1e20s", "1e20", "-1s", "NaN", "", "25h", "🙂", "2000"] {
        let path = dir.path().join("hostile.toml");
        std::fs::write(
            &path,
            format!(
                "description = \"d\"\n[[step]]\nevent = \"SessionBegin\"\npause = \"{pause}\"\n"
            ),
        )
        .unwrap();
        let p = path.to_str().unwrap();
        if let Some(f) = refused(&["flow", p, "--dry-run"], "hostile.toml: step 1: pause") {
            failures.push(f);
        }
    }
    for (name, content) in [
        ("not-json.json", "{"),
        ("empty.json", ""),
        ("binary.json", "\u{0}\u{1}"),
    ] {
        let path = dir.path().join(name);
        std::fs::write(&path, content).unwrap();
        if let Some(f) = refused(
            &["listen", "--port", "0", "--respond", path.to_str().unwrap()],
            name,
        ) {
            failures.push(f);
        }
    }
    let missing = Path::new("/nonexistent/answer.json");
    if let Some(f) = refused(
        &[
            "listen",
            "--port",
            "0",
            "--respond",
            missing.to_str().unwrap(),
        ],
        "answer.json",
    ) {
        failures.push(f);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
