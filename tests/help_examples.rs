//! Every example in `--help` and in README.md runs as written, and no example in `--help` is
//! ever wrapped (a wrapped example cannot be pasted).
//!
//! Each example is run by bash in a scratch directory, with the built `deskhook` first on the
//! `PATH`, `TOKEN` set and `HOME` in the scratch directory. The few rewrites, all of addresses
//! and never of a flag:
//! - `http://localhost:3000` (where the examples put "your backend") becomes a
//!   `deskhook listen --port 0` started by the test; for `audit` and `--expect refused`, one
//!   that checks the token and app id (`--token "$TOKEN" --sdkappid 1400187352`), since they
//!   are about refusals;
//! - `listen` runs on `--port 0` (its examples name fixed ports), until its ready line, then
//!   gets Ctrl-C and must exit 0;
//! - an example whose URL is not on this machine (`https://staging.example.com`) runs with
//!   `--dry-run`: it must parse and build its callbacks, and sends nothing;
//! - `| jq ...` reads into `cat` when jq is not installed.
//!
//! The files examples read (answer.json, request.json, calls.jsonl, my-scenario.toml,
//! private-ca.pem) are made first. An example exits 0 unless its comment says `exit N`; an
//! audit may also exit 1 (it ran, and judged: a probe failed).

mod support;

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};
use support::listen::Listen;
use support::*;

const SUBCOMMANDS: [&str; 12] = [
    "send",
    "listen",
    "replay",
    "flow",
    "flows",
    "events",
    "validate",
    "schema",
    "sign",
    "verify",
    "audit",
    "completions",
];

/// Safety net for one example (not an assertion on speed).
const SAFETY: Duration = Duration::from_secs(120);

/// `deskhook <command> --help` with `COLUMNS` set (no terminal: clap reads the width there).
fn help(command: &str, columns: u32) -> String {
    let out = deskhook()
        .args([command, "--help"])
        .env("COLUMNS", columns.to_string())
        .output()
        .expect("deskhook runs");
    assert_eq!(out.status.code(), Some(0), "{command} --help");
    String::from_utf8(out.stdout).expect("UTF-8 help")
}

/// The lines of the `Examples:` section of a help text.
fn examples_section(help: &str) -> Vec<String> {
    help.lines()
        .skip_while(|l| *l != "Examples:")
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .map(str::to_owned)
        .collect()
}

/// Lines joined into commands where a line ends with `\` (kept, for bash to join).
fn commands(lines: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for line in lines {
        cur.push_str(line);
        if line.trim_end().ends_with('\\') {
            cur.push('\n');
        } else {
            out.push(std::mem::take(&mut cur).trim().to_owned());
        }
    }
    assert!(
        cur.is_empty(),
        "an example ends with a continuation: {cur:?}"
    );
    out
}

#[test]
fn help_examples_are_never_wrapped() {
    for command in SUBCOMMANDS {
        let narrow = examples_section(&help(command, 40));
        let wide = examples_section(&help(command, 300));
        assert!(!wide.is_empty(), "{command} --help has no examples");
        assert_eq!(
            narrow, wide,
            "{command}: a narrow terminal re-wraps the examples"
        );
        for line in &wide {
            assert!(
                line.chars().count() <= 78,
                "{command}: {line:?} is too wide"
            );
        }
        for cmd in commands(&wide) {
            assert!(
                cmd.starts_with("deskhook ")
                    || cmd.starts_with("echo ")
                    || cmd.starts_with("mkdir ")
                    || cmd.starts_with("eval "),
                "{command}: {cmd:?} does not look like a whole command (wrapped?)"
            );
        }
    }
}

/// The commands in README.md's ```sh blocks that run deskhook (cargo and CI lines aside).
fn readme_examples() -> Vec<String> {
    let text = std::fs::read_to_string(manifest_dir().join("README.md")).expect("README.md");
    let mut lines = Vec::new();
    let mut in_sh = false;
    for line in text.lines() {
        if line.starts_with("```") {
            in_sh = line == "```sh";
            continue;
        }
        if in_sh && !line.trim().is_empty() {
            lines.push(line.to_owned());
        }
    }
    commands(&lines)
        .into_iter()
        .filter(|c| c.contains("deskhook ") && !c.starts_with("cargo ") && !c.starts_with("bash "))
        .collect()
}

/// The scratch directory with the files the examples read, and the backend they send to.
struct Scene {
    dir: tempfile::TempDir,
    backend: Listen,
    /// A backend that checks the signature and the app id.
    strict: Listen,
}

fn scene() -> Scene {
    let dir = tempfile::tempdir().expect("a scratch directory");
    let d = dir.path();
    std::fs::create_dir_all(d.join(".zfunc")).unwrap();
    // A documented success answer to an assignment callback.
    std::fs::write(
        d.join("answer.json"),
        r#"{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0,"AgentIdList":["lena@example.com"]}"#,
    )
    .unwrap();
    // A request body, as deskhook builds it.
    let rec = json_lines(&stdout_of(&[
        "send",
        "ChatBot.OnAssignHuman",
        "--dry-run",
        "--format",
        "json",
    ]));
    std::fs::write(d.join("request.json"), rec[0]["body"].to_string()).unwrap();
    // A scenario file: a copy of a built-in one.
    std::fs::copy(
        manifest_dir().join("fixtures/flows/bot-resolved.toml"),
        d.join("my-scenario.toml"),
    )
    .unwrap();
    // A CA certificate file (its contents only need to be PEM for a dry run).
    let ca = rcgen::KeyPair::generate().unwrap();
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    std::fs::write(
        d.join("private-ca.pem"),
        params.self_signed(&ca).unwrap().pem(),
    )
    .unwrap();
    // A capture of every event.
    let capture = d.join("calls.jsonl");
    let recorder = Listen::start(&["--save", capture.to_str().unwrap(), "--max-requests", "29"]);
    assert_code(&run(&["send", "--all", "--to", &recorder.url()]), 0);
    recorder
        .wait_exit("after 29 callbacks")
        .assert_exited("recording calls.jsonl");
    Scene {
        dir,
        backend: Listen::start(&[]),
        strict: Listen::start(&["--token", "xxxxyyyy", "--sdkappid", "1400187352"]),
    }
}

/// The exit code an example's comment announces (`# exit 1: ...`), else 0.
fn expected_code(cmd: &str) -> i32 {
    cmd.split_once("# exit ")
        .and_then(|(_, rest)| {
            rest.split(|c: char| !c.is_ascii_digit())
                .next()?
                .parse()
                .ok()
        })
        .unwrap_or(0)
}

fn have_jq() -> bool {
    Command::new("jq")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// The example as run here (see the module documentation).
fn as_run(cmd: &str, scene: &Scene) -> String {
    let strict = cmd.starts_with("deskhook audit") || cmd.contains("--expect refused");
    let backend = if strict {
        scene.strict.url()
    } else {
        scene.backend.url()
    };
    let mut c = cmd
        .replace("http://localhost:3000/", &backend)
        .replace("http://localhost:3000", backend.trim_end_matches('/'));
    if c.contains("https://staging.example.com") {
        let (code, comment) = match c.split_once(" #") {
            Some((code, comment)) => (code.to_owned(), format!(" #{comment}")),
            None => (c.clone(), String::new()),
        };
        c = format!("{} --dry-run{comment}", code.trim_end());
    }
    if !have_jq() {
        if let Some(i) = c.find("| jq") {
            c = format!("{}| cat > /dev/null", &c[..i]);
        }
    }
    c
}

fn bash(script: &str, dir: &Path) -> Command {
    let bin = Path::new(env!("CARGO_BIN_EXE_deskhook"))
        .parent()
        .expect("the binary's folder")
        .to_owned();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut cmd = Command::new("bash");
    cmd.args(["-c", script])
        .current_dir(dir)
        .env("PATH", path)
        .env("HOME", dir)
        .env("TOKEN", "xxxxyyyy")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, _) in std::env::vars_os() {
        if k.to_string_lossy().starts_with("DESKHOOK_") {
            cmd.env_remove(k);
        }
    }
    cmd
}

/// Run one example to its end; its exit code and both streams (read as they come, so that
/// a long output never blocks it).
fn run_example(script: &str, dir: &Path) -> (i32, String) {
    let mut child = bash(script, dir).spawn().expect("bash runs");
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = out.read_to_string(&mut s);
        s
    });
    let err = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = err.read_to_string(&mut s);
        s
    });
    let deadline = Instant::now() + SAFETY;
    let status = loop {
        if let Some(s) = child.try_wait().expect("try_wait") {
            break s;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("{script:?} did not finish (safety net hit)");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let (out, err) = (out.join().unwrap(), err.join().unwrap());
    (
        status.code().unwrap_or(-1),
        format!("stdout:\n{out}\nstderr:\n{err}"),
    )
}

/// A `listen` example: on port 0, until its ready line, then Ctrl-C; it must exit 0.
fn run_listen_example(script: &str, dir: &Path) {
    let script = match script.find("--port ") {
        Some(i) => {
            let rest = &script[i + "--port ".len()..];
            let end = rest.find(' ').unwrap_or(rest.len());
            format!("{}--port 0{}", &script[..i], &rest[end..])
        }
        None => script.replacen("deskhook listen", "deskhook listen --port 0", 1),
    };
    let mut child = bash(&format!("exec {script}"), dir)
        .spawn()
        .expect("bash runs");
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            let _ = tx.send(line);
        }
    });
    let ready = rx.recv_timeout(SAFETY);
    assert!(
        ready
            .as_deref()
            .is_ok_and(|l| l.contains("http://127.0.0.1:")),
        "{script:?}: no ready line ({ready:?})"
    );
    // SAFETY: plain kill(2) on our own child's pid (bash exec'd into deskhook).
    assert_eq!(
        unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGINT) },
        0
    );
    let deadline = Instant::now() + SAFETY;
    let status = loop {
        if let Some(s) = child.try_wait().expect("try_wait") {
            break s;
        }
        assert!(
            Instant::now() < deadline,
            "{script:?} did not stop on Ctrl-C"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status.code(), Some(0), "{script:?}");
}

fn run_all(source: &str, examples: &[String], scene: &Scene) {
    assert!(!examples.is_empty(), "{source}: no examples found");
    for example in examples {
        let script = as_run(example, scene);
        if script.starts_with("deskhook listen") {
            run_listen_example(&script, scene.dir.path());
            continue;
        }
        let (code, output) = run_example(&script, scene.dir.path());
        let audit_judged = script.starts_with("deskhook audit") && code == 1;
        assert!(
            code == expected_code(example) || audit_judged,
            "{source}: {example:?} (run as {script:?}) exited {code}\n{output}"
        );
    }
}

#[test]
fn every_help_example_runs() {
    let scene = scene();
    for command in SUBCOMMANDS {
        let examples = commands(&examples_section(&help(command, 100)));
        run_all(&format!("{command} --help"), &examples, &scene);
    }
}

#[test]
fn every_readme_example_runs() {
    let scene = scene();
    let examples = readme_examples();
    assert!(examples.len() > 20, "{examples:?}");
    run_all("README.md", &examples, &scene);
}
