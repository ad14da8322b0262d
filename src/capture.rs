//! Capture files (`listen --save`): one JSON line per exchange, format in
//! `fixtures/capture.schema.json`.
//!
//! Lines are appended whole under one lock (never torn or interleaved), flushed every 50 ms
//! and once more, with an fsync, at shutdown: everything received is on disk after Ctrl-C.

use anyhow::{Context, Result};
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

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
    /// The body's `SessionId`, when it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_id: Option<String>,
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

/// An open capture file. Every line is appended whole under one lock, so lines from
/// concurrent requests are never torn or interleaved; the buffer is flushed every 50 ms by
/// [`CaptureSink::flush_every`], and [`CaptureSink::finish`] flushes and syncs it at shutdown,
/// so everything received is on disk after Ctrl-C. (A writer thread fed by a channel cost a
/// cross-thread wake-up per request; this costs one uncontended lock.)
#[derive(Clone)]
pub struct CaptureSink {
    inner: Arc<Mutex<Writer>>,
}

struct Writer {
    out: std::io::BufWriter<std::fs::File>,
    path: PathBuf,
    lines: u64,
    error: Option<std::io::Error>,
}

impl CaptureSink {
    /// Open `path` for appending.
    pub fn open(path: &Path) -> Result<CaptureSink> {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .with_context(|| format!("cannot open capture file {}", path.display()))?;
        let out = std::io::BufWriter::with_capacity(256 * 1024, file);
        let w = Writer {
            out,
            path: path.to_owned(),
            lines: 0,
            error: None,
        };
        Ok(CaptureSink {
            inner: Arc::new(Mutex::new(w)),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Writer> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Append one line (the first write error is kept and reported by `finish`).
    pub fn write(&self, line: &str) {
        let mut w = self.lock();
        if w.error.is_some() {
            return;
        }
        let result = w
            .out
            .write_all(line.as_bytes())
            .and_then(|()| w.out.write_all(b"\n"));
        match result {
            Ok(()) => w.lines += 1,
            Err(e) => w.error = Some(e),
        }
    }

    /// Flush every `period` until the sink is finished (run it as a task).
    pub async fn flush_every(self, period: std::time::Duration) {
        let mut tick = tokio::time::interval(period);
        loop {
            tick.tick().await;
            let mut w = self.lock();
            if let Err(e) = w.out.flush() {
                w.error.get_or_insert(e);
            }
        }
    }

    /// Flush and sync; the number of lines appended, or the first write error.
    pub fn finish(&self) -> Result<u64> {
        let mut w = self.lock();
        let ctx = format!("cannot write capture file {}", w.path.display());
        if let Some(e) = w.error.take() {
            return Err(anyhow::Error::new(e).context(ctx));
        }
        w.out.flush().with_context(|| ctx.clone())?;
        w.out.get_ref().sync_all().with_context(|| ctx)?;
        Ok(w.lines)
    }
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
            session_id: None,
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
