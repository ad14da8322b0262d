//! Ctrl-C during `send`, `flow` and `replay`: the callbacks in flight finish, the summary says
//! the run was interrupted (human line, JSON `"interrupted": true`, a JUnit error), and the
//! exit code is 130, never 0. A second Ctrl-C quits at once, without the summary.

mod support;

use serde_json::Value;
use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};
use support::*;

/// Safety net for waits (not an assertion on speed).
const SAFETY: Duration = Duration::from_secs(60);

/// A `deskhook` run in the background, its stderr read line by line as it comes.
struct Running {
    child: Child,
    stdout: Option<JoinHandle<String>>,
    stderr: mpsc::Receiver<String>,
    stderr_seen: Vec<String>,
}

impl Running {
    fn start(args: &[&str]) -> Running {
        let mut child = Command::new(env!("CARGO_BIN_EXE_deskhook"))
            .args(args)
            .env("NO_COLOR", "1")
            .env_remove("DESKHOOK_TO")
            .env_remove("DESKHOOK_TOKEN")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn deskhook");
        let out = child.stdout.take().expect("piped stdout");
        let err = child.stderr.take().expect("piped stderr");
        let stdout = thread::spawn(move || {
            let mut s = String::new();
            let _ = BufReader::new(out).read_to_string(&mut s);
            s
        });
        let (tx, rx) = mpsc::channel();
        thread::spawn(move || {
            for line in BufReader::new(err).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Running {
            child,
            stdout: Some(stdout),
            stderr: rx,
            stderr_seen: Vec::new(),
        }
    }

    fn interrupt(&self) {
        let pid = self.child.id() as libc::pid_t;
        // SAFETY: plain kill(2) on our own child's pid.
        let rc = unsafe { libc::kill(pid, libc::SIGINT) };
        assert_eq!(rc, 0, "kill -INT {pid} failed");
    }

    /// Wait for a stderr line containing `needle`.
    fn wait_stderr(&mut self, needle: &str) {
        let deadline = Instant::now() + SAFETY;
        while Instant::now() < deadline {
            if let Ok(line) = self.stderr.recv_timeout(Duration::from_millis(100)) {
                let found = line.contains(needle);
                self.stderr_seen.push(line);
                if found {
                    return;
                }
            }
        }
        panic!(
            "no stderr line with {needle:?} (safety net hit); stderr so far:\n{}",
            self.stderr_seen.join("\n")
        );
    }

    fn finish(mut self) -> (ExitStatus, String, String) {
        let deadline = Instant::now() + SAFETY;
        let status = loop {
            if let Some(s) = self.child.try_wait().expect("try_wait") {
                break s;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("deskhook did not exit after Ctrl-C (safety net hit)");
            }
            thread::sleep(Duration::from_millis(20));
        };
        let stdout = self.stdout.take().expect("once").join().expect("stdout");
        let mut stderr = self.stderr_seen.join("\n");
        while let Ok(line) = self.stderr.recv_timeout(Duration::from_millis(200)) {
            stderr.push('\n');
            stderr.push_str(&line);
        }
        (status, stdout, stderr)
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Wait until `server` has received at least `n` requests.
fn wait_requests(server: &TestServer, n: usize) {
    let deadline = Instant::now() + SAFETY;
    while server.requests().len() < n {
        assert!(
            Instant::now() < deadline,
            "the run never reached {n} requests"
        );
        thread::sleep(Duration::from_millis(20));
    }
}

/// Start `args`, let a few callbacks through, press Ctrl-C once, and return what came out.
fn interrupted_run(server: &TestServer, args: &[&str]) -> (ExitStatus, String, String) {
    let run = Running::start(args);
    wait_requests(server, 3);
    run.interrupt();
    run.finish()
}

#[test]
fn ctrl_c_during_send_reports_an_interrupted_run_and_exits_130() {
    let server = TestServer::documented();
    let url = server.url();
    let (status, stdout, stderr) = interrupted_run(
        &server,
        &[
            "send",
            "SessionBegin",
            "--count",
            "10000000",
            "--rate",
            "200",
            "--to",
            &url,
        ],
    );
    assert_eq!(
        status.code(),
        Some(130),
        "stdout:\n{stdout}\nstderr:\n{stderr}"
    );
    let summary = stdout.lines().last().unwrap_or_default();
    assert!(
        summary.starts_with("interrupted (Ctrl-C) after ")
            && summary.contains(" of 10000000 callbacks"),
        "{summary}"
    );
    assert!(summary.contains(" sent · "), "{summary}");
    assert!(stderr.contains("interrupted: finishing"), "{stderr}");
}

#[test]
fn the_json_summary_and_the_junit_report_say_interrupted() {
    let server = TestServer::documented();
    let url = server.url();
    let args = |format: &'static str| {
        vec![
            "send".to_owned(),
            "SessionBegin".into(),
            "--count".into(),
            "100000".into(),
            "--rate".into(),
            "100".into(),
            "--format".into(),
            format.into(),
            "--to".into(),
            url.clone(),
        ]
    };
    let json_args = args("json");
    let json_args: Vec<&str> = json_args.iter().map(String::as_str).collect();
    let (status, stdout, _) = interrupted_run(&server, &json_args);
    assert_eq!(status.code(), Some(130));
    let lines = json_lines(&stdout);
    let summary = lines.last().expect("a summary record");
    assert_eq!(summary["type"], "summary", "{summary}");
    assert_eq!(summary["interrupted"], Value::Bool(true), "{summary}");
    assert!(summary["sent"].as_u64().unwrap() >= 3, "{summary}");

    let junit_args = args("junit");
    let junit_args: Vec<&str> = junit_args.iter().map(String::as_str).collect();
    let before = server.requests().len();
    let run = Running::start(&junit_args);
    wait_requests(&server, before + 3);
    run.interrupt();
    let (status, stdout, _) = run.finish();
    assert_eq!(status.code(), Some(130));
    assert!(
        stdout.contains("<testcase name=\"interrupted\""),
        "{stdout}"
    );
    assert!(stdout.contains("type=\"interrupted\""), "{stdout}");
    assert!(stdout.contains("errors=\"1\""), "{stdout}");
}

#[test]
fn ctrl_c_during_flow_counts_runs() {
    let server = TestServer::documented();
    let url = server.url();
    let (status, stdout, stderr) = interrupted_run(
        &server,
        &[
            "flow",
            "bot-to-human",
            "--count",
            "100000",
            "--rate",
            "100",
            "--to",
            &url,
        ],
    );
    assert_eq!(
        status.code(),
        Some(130),
        "stdout:\n{stdout}\nstderr:\n{stderr}"
    );
    let summary = stdout.lines().last().unwrap_or_default();
    assert!(
        summary.starts_with("interrupted (Ctrl-C) after ") && summary.contains(" of 100000 runs"),
        "{summary}"
    );
}

#[test]
fn ctrl_c_during_replay_exits_130() {
    let server = TestServer::documented();
    let url = server.url();
    let dir = tempfile::tempdir().unwrap();
    let capture = dir.path().join("calls.jsonl");
    // A capture of one callback, replayed many times.
    let listen =
        listen::Listen::start(&["--save", capture.to_str().unwrap(), "--max-requests", "1"]);
    let sent = run(&["send", "SessionBegin", "--to", &listen.url()]);
    assert_code(&sent, 0);
    listen
        .wait_exit("after one callback")
        .assert_exited("capture");
    let (status, stdout, stderr) = interrupted_run(
        &server,
        &[
            "replay",
            capture.to_str().unwrap(),
            "--count",
            "100000",
            "--rate",
            "100",
            "--to",
            &url,
        ],
    );
    assert_eq!(
        status.code(),
        Some(130),
        "stdout:\n{stdout}\nstderr:\n{stderr}"
    );
    assert!(
        stdout
            .lines()
            .last()
            .unwrap_or_default()
            .starts_with("interrupted (Ctrl-C) after "),
        "{stdout}"
    );
}

#[test]
fn a_second_ctrl_c_quits_at_once_without_the_summary() {
    // The backend never answers in time: the first Ctrl-C waits for the callbacks in flight.
    let server = TestServer::start(|r| (200, documented_success(r), Some(Duration::from_secs(60))));
    let url = server.url();
    let mut run = Running::start(&[
        "send",
        "SessionBegin",
        "--count",
        "1000",
        "--concurrency",
        "2",
        "--timeout",
        "50s",
        "--to",
        &url,
    ]);
    wait_requests(&server, 2);
    run.interrupt();
    run.wait_stderr("Ctrl-C again quits at once");
    run.interrupt();
    let (status, stdout, stderr) = run.finish();
    assert_eq!(
        status.code(),
        Some(130),
        "stdout:\n{stdout}\nstderr:\n{stderr}"
    );
    assert!(
        !stdout.contains(" sent · "),
        "no summary after the second Ctrl-C:\n{stdout}"
    );
    assert!(stderr.contains("quitting at once"), "{stderr}");
}
