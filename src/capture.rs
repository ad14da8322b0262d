//! Capture files (`listen --save`): one JSON line per [`Exchange`](crate::exchange::Exchange),
//! format in `fixtures/capture.schema.json`.
//!
//! Lines are appended whole under one lock (never torn or interleaved), flushed every 50 ms
//! and once more, with an fsync, at shutdown: everything received is on disk after Ctrl-C.

use anyhow::{Context, Result};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

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

    #[test]
    fn lines_are_appended_whole_and_counted() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.jsonl");
        std::fs::write(&path, "old\n").unwrap();
        let sink = CaptureSink::open(&path).unwrap();
        sink.write("{\"a\":1}");
        sink.write("{\"b\":2}");
        assert_eq!(sink.finish().unwrap(), 2);
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "old\n{\"a\":1}\n{\"b\":2}\n"
        );
    }

    #[test]
    fn a_write_error_is_reported_by_finish() {
        let sink = CaptureSink::open(Path::new("/dev/full")).unwrap();
        sink.write(&"x".repeat(300 * 1024));
        let err = sink.finish().unwrap_err();
        assert!(format!("{err:#}").contains("/dev/full"), "{err:#}");
    }
}
