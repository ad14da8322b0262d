//! Capture files (`listen --save`): one JSON line per exchange, format in
//! `fixtures/capture.schema.json`.
//!
//! One writer task owns the file, so lines from concurrent requests are never torn or
//! interleaved; it flushes whenever the queue runs dry and once more at shutdown, so
//! everything received is on disk after Ctrl-C.

use anyhow::{Context, Result};
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::io::Write;
use std::path::{Path, PathBuf};
use tokio::sync::mpsc;

use crate::envelope::Violation;

/// One exchange as captured. The body is kept exactly as received: `body` when it is UTF-8,
/// else `body_base64`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Record {
    /// Format version of this line.
    pub v: u32,
    /// Sequence number within this `listen` run.
    pub seq: u64,
    /// When the request arrived / was answered, Unix milliseconds.
    pub received_at_ms: u64,
    pub answered_at_ms: u64,
    pub remote: String,
    pub method: String,
    pub path: String,
    /// The raw query string, as received.
    pub query: String,
    /// Request headers; secret-bearing values are redacted.
    pub headers: Vec<(String, String)>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_base64: Option<String>,
    /// The recognised event id, if any.
    pub event: Option<String>,
    pub provider: Option<String>,
    /// `accepted`, `invalid` (answered, but the body breaks its schema), `refused` (4xx),
    /// `forward_failed` (the --forward-to backend did not answer).
    pub verdict: String,
    pub problems: Vec<Violation>,
    /// The HTTP status and body deskhook (or the --forward-to backend) answered.
    pub status: u16,
    pub answer: String,
    pub latency_ms: f64,
    /// With --forward-to: problems found in the backend's answer.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub answer_problems: Vec<Violation>,
}

impl Record {
    /// The body bytes exactly as received.
    pub fn body_bytes(&self) -> Result<Vec<u8>> {
        match (&self.body, &self.body_base64) {
            (Some(text), _) => Ok(text.as_bytes().to_vec()),
            (None, Some(b64)) => base64::engine::general_purpose::STANDARD
                .decode(b64)
                .context("body_base64 is not base64"),
            (None, None) => Ok(Vec::new()),
        }
    }

    /// Store `bytes` as `body` (UTF-8) or `body_base64`.
    pub fn set_body(&mut self, bytes: &[u8]) {
        match std::str::from_utf8(bytes) {
            Ok(s) => self.body = Some(s.to_owned()),
            Err(_) => {
                self.body_base64 = Some(base64::engine::general_purpose::STANDARD.encode(bytes))
            }
        }
    }

    pub fn to_line(&self) -> String {
        serde_json::to_string(self).expect("a record always serialises")
    }

    /// The parsed body, when it is JSON.
    pub fn body_json(&self) -> Option<Value> {
        serde_json::from_slice(&self.body_bytes().ok()?).ok()
    }
}

/// The sending side of the capture writer.
#[derive(Clone)]
pub struct CaptureSink {
    tx: mpsc::UnboundedSender<Option<String>>,
}

impl CaptureSink {
    pub fn write(&self, line: String) {
        let _ = self.tx.send(Some(line));
    }

    /// Ask the writer to flush everything queued so far and stop (idle keep-alive connections
    /// may still hold a sink, so the end is signalled rather than left to the last drop).
    pub fn finish(&self) {
        let _ = self.tx.send(None);
    }
}

/// Open (append) `path` and start the writer; await the handle after dropping every sink.
pub fn start(path: &Path) -> Result<(CaptureSink, tokio::task::JoinHandle<Result<u64>>)> {
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .with_context(|| format!("cannot open capture file {}", path.display()))?;
    let (tx, rx) = mpsc::unbounded_channel();
    let path: PathBuf = path.to_owned();
    let handle = tokio::task::spawn_blocking(move || write_loop(file, rx, &path));
    Ok((CaptureSink { tx }, handle))
}

fn write_loop(
    file: std::fs::File,
    mut rx: mpsc::UnboundedReceiver<Option<String>>,
    path: &Path,
) -> Result<u64> {
    let mut out = std::io::BufWriter::with_capacity(256 * 1024, file);
    let mut lines = 0u64;
    let ctx = || format!("cannot write capture file {}", path.display());
    'outer: while let Some(first) = rx.blocking_recv() {
        let mut next = Some(first);
        while let Some(item) = next {
            let Some(line) = item else { break 'outer };
            out.write_all(line.as_bytes()).with_context(ctx)?;
            out.write_all(b"\n").with_context(ctx)?;
            lines += 1;
            next = rx.try_recv().ok();
        }
        out.flush().with_context(ctx)?;
    }
    out.flush().with_context(ctx)?;
    out.get_ref().sync_all().with_context(ctx)?;
    Ok(lines)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Record {
        let mut r = Record {
            v: 1,
            seq: 1,
            received_at_ms: 1,
            answered_at_ms: 2,
            remote: "127.0.0.1:1".into(),
            method: "POST".into(),
            path: "/".into(),
            query: "a=b".into(),
            headers: vec![("authorization".into(), "Bearer (redacted)".into())],
            body: None,
            body_base64: None,
            event: Some("cec.read".into()),
            provider: Some("huawei".into()),
            verdict: "refused".into(),
            problems: vec![Violation::new("request", "x", "y")],
            status: 401,
            answer: "{}".into(),
            latency_ms: 0.5,
            answer_problems: vec![],
        };
        r.set_body(b"\xff\xfe not utf-8");
        r
    }

    #[test]
    fn record_matches_the_documented_schema_and_round_trips() {
        let schema: Value =
            serde_json::from_str(crate::assets::get("capture.schema.json").unwrap()).unwrap();
        let validator = jsonschema::validator_for(&schema).unwrap();
        let line = sample().to_line();
        let doc: Value = serde_json::from_str(&line).unwrap();
        let errors: Vec<String> = validator.iter_errors(&doc).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{errors:?}");
        let back: Record = serde_json::from_str(&line).unwrap();
        assert_eq!(back.body_bytes().unwrap(), b"\xff\xfe not utf-8");
    }
}
