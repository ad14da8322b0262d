//! A `deskhook listen --port 0 ...` child process: [`Listen::start`] waits for its ready line
//! (the URL it listens on); [`Listen::interrupt`] (Ctrl-C, which must flush the capture) or
//! [`Listen::wait_exit`] (after `--max-requests N`) waits for it to exit and returns what it
//! printed ([`Finished`]). Exit waits have a safety time-out that turns a hang into a failure
//! naming what hung.

use super::query_value;
use serde_json::Value;
use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// Safety net for the ready line and for the process to exit.
pub const PROCESS_SAFETY: Duration = Duration::from_secs(40);

/// Where the receiver takes Huawei CEC pushes.
pub const CEC_PATH: &str = "/webhooks/v1/messages";

/// A running `deskhook listen`.
pub struct Listen {
    child: Child,
    /// `127.0.0.1:PORT`, parsed from the ready line.
    pub addr: String,
    /// The ready line itself.
    pub ready: String,
    stdout: Option<JoinHandle<Vec<String>>>,
    stderr: Option<JoinHandle<String>>,
}

/// What a stopped `listen` left behind.
#[derive(Debug)]
pub struct Finished {
    pub status: ExitStatus,
    /// Every stdout line, the ready line first.
    pub stdout: Vec<String>,
    pub stderr: String,
}

impl Finished {
    /// The process ended by itself (exit code), not by a signal's default action.
    #[track_caller]
    pub fn assert_exited(&self, why: &str) {
        assert!(
            self.status.code().is_some(),
            "{why}: listen did not exit cleanly ({:?}); stderr:\n{}",
            self.status,
            self.stderr
        );
        assert!(
            !self.stderr.contains("panicked"),
            "{why}: listen panicked; stderr:\n{}",
            self.stderr
        );
    }

    /// Every stdout line of a `--format json` run parsed; the exchange lines only.
    #[track_caller]
    pub fn exchanges(&self) -> Vec<Value> {
        let mut out = Vec::new();
        for (i, line) in self.stdout.iter().enumerate() {
            let v: Value = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("stdout line {} is not JSON ({e}): {line:?}", i + 1));
            assert!(
                v.is_object(),
                "stdout line {} is not an object: {line}",
                i + 1
            );
            if v["type"] == "exchange" {
                out.push(v);
            }
        }
        out
    }

    /// The one exchange whose query has `RequestID=id`.
    #[track_caller]
    pub fn exchange_with(&self, id: &str) -> Value {
        let all: Vec<Value> = self
            .exchanges()
            .into_iter()
            .filter(|e| {
                e["query"]
                    .as_str()
                    .and_then(|q| query_value(q, "RequestID"))
                    .as_deref()
                    == Some(id)
            })
            .collect();
        assert_eq!(
            all.len(),
            1,
            "expected exactly one exchange with RequestID={id}; stdout:\n{}",
            self.stdout.join("\n")
        );
        all.into_iter().next().unwrap()
    }
}

/// `127.0.0.1:PORT` from a ready line (human: `listening on http://127.0.0.1:PORT/ ...`,
/// json: `{"type":"ready","url":"http://127.0.0.1:PORT/"}`).
pub fn ready_addr(line: &str) -> Option<String> {
    let i = line.find("http://127.0.0.1:")?;
    let rest = &line[i + "http://".len()..];
    let end = rest.find('/')?;
    let addr = &rest[..end];
    addr["127.0.0.1:".len()..].parse::<u16>().ok()?;
    Some(addr.to_owned())
}

impl Listen {
    /// The base URL, `http://127.0.0.1:<port>/`.
    pub fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }

    /// `deskhook listen --port 0 ARGS...`, waiting for the ready line.
    pub fn start(args: &[&str]) -> Listen {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_deskhook"));
        for (k, _) in std::env::vars_os() {
            if k.to_string_lossy().starts_with("DESKHOOK_") {
                cmd.env_remove(k);
            }
        }
        let mut child = cmd
            .args(["--color", "never", "listen", "--port", "0"])
            .args(args)
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn deskhook listen");
        let out = child.stdout.take().expect("piped stdout");
        let err = child.stderr.take().expect("piped stderr");
        let (tx, rx) = mpsc::channel::<(String, String)>();
        let stdout = thread::spawn(move || {
            let mut tx = Some(tx);
            let mut lines = Vec::new();
            for line in BufReader::new(out).lines() {
                let Ok(line) = line else { break };
                if let Some(addr) = tx.as_ref().and(ready_addr(&line)) {
                    let _ = tx.take().expect("once").send((addr, line.clone()));
                }
                lines.push(line);
            }
            lines
        });
        let stderr = thread::spawn(move || {
            let mut s = String::new();
            let _ = BufReader::new(err).read_to_string(&mut s);
            s
        });
        match rx.recv_timeout(PROCESS_SAFETY) {
            Ok((addr, ready)) => Listen {
                child,
                addr,
                ready,
                stdout: Some(stdout),
                stderr: Some(stderr),
            },
            Err(e) => {
                let _ = child.kill();
                let status = child.wait();
                let out = stdout.join().unwrap_or_default();
                let err = stderr.join().unwrap_or_default();
                panic!(
                    "deskhook listen {args:?} printed no ready line ({e}); status {status:?}\nstdout: {out:?}\nstderr: {err}"
                );
            }
        }
    }

    /// Ctrl-C: SIGINT, then wait for the process to exit by itself.
    pub fn interrupt(self) -> Finished {
        let pid = self.child.id() as libc::pid_t;
        // SAFETY: plain kill(2) on our own child's pid.
        let rc = unsafe { libc::kill(pid, libc::SIGINT) };
        assert_eq!(rc, 0, "kill -INT {pid} failed");
        self.wait_exit("after SIGINT")
    }

    /// Wait for the process to exit by itself (for example after `--max-requests`).
    pub fn wait_exit(mut self, why: &str) -> Finished {
        let deadline = Instant::now() + PROCESS_SAFETY;
        let status = loop {
            if let Some(s) = self.child.try_wait().expect("try_wait") {
                break s;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                let out = self.stdout.take().map(|h| h.join().unwrap_or_default());
                let err = self.stderr.take().map(|h| h.join().unwrap_or_default());
                panic!(
                    "listen did not exit {why} (safety net hit)\nstdout: {out:?}\nstderr: {err:?}"
                );
            }
            thread::sleep(Duration::from_millis(20));
        };
        Finished {
            status,
            stdout: self
                .stdout
                .take()
                .expect("once")
                .join()
                .expect("stdout reader"),
            stderr: self
                .stderr
                .take()
                .expect("once")
                .join()
                .expect("stderr reader"),
        }
    }
}

impl Drop for Listen {
    fn drop(&mut self) {
        // Only reached with the child still running when a test panicked early.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
