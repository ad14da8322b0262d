//! Capture files (`listen --save`): one JSON line per [`Exchange`](crate::exchange::Exchange),
//! format in `fixtures/capture.schema.json`.
//!
//! A line is written before its answer leaves: [`CaptureSink::commit`] returns once the line
//! has gone to the operating system with `write(2)` (no buffer of ours holds it), so killing
//! `listen` (even `kill -9`) loses no callback that was answered. With `--fsync`
//! ([`Durability::Sync`]) it also waits for `fdatasync(2)`, so a power loss loses none either.
//!
//! Writes are group-committed: a request appends its line to the pending batch under a short
//! lock and yields once, so that the other requests ready on its thread append theirs; the
//! first to find no write under way becomes the leader, writes the whole batch in one
//! `write(2)` (and one `fdatasync`, with `--fsync`), and wakes the others. Requests that
//! arrive during a write join the next batch.
//!
//! A failed write is never silent: every request of the failed batch gets the error (the
//! receiver answers it 503 so the platform delivers it again) and later batches try again.
//! A capture file removed while `listen` runs counts as a failed write for the batch that
//! found it gone (those lines went to a file nobody can see), and the path is created again
//! for the next batch.

use anyhow::{Context, Result};
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use tokio::sync::Notify;

/// How far a line must get before its answer leaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Durability {
    /// Written to the operating system (survives the process, not a power loss).
    #[default]
    Written,
    /// Written and `fdatasync`ed (survives a power loss).
    Sync,
}

/// How a removed capture file is said (and recognised, to create it again).
const REMOVED: &str = "was removed";

/// Why a line could not be captured: said on the terminal and in the 503 answer.
pub type CaptureError = Arc<str>;

/// An open capture file, shared by every request of the receiver.
#[derive(Clone)]
pub struct CaptureSink {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    durability: Durability,
    state: Mutex<State>,
    /// Signalled when a batch is done (written, or failed).
    done: Notify,
}

struct State {
    file: Arc<File>,
    /// Lines appended and not yet taken by a leader.
    pending: Vec<u8>,
    /// The outcome every line in `pending` will share.
    batch: Arc<Batch>,
    /// A leader is writing a batch.
    writing: bool,
    /// A spare buffer, so batches do not allocate once warm.
    spare: Vec<u8>,
    lines: u64,
    /// Batches that `fdatasync(2)` reached the disk with.
    synced: u64,
    /// The last write failed (so the next success is worth a note).
    failing: bool,
}

/// The shared outcome of one batch of lines.
#[derive(Default)]
struct Batch {
    result: OnceLock<Result<(), CaptureError>>,
}

/// A line's place in a batch, to wait on.
struct Ticket(Arc<Batch>);

impl CaptureSink {
    /// Open `path` for appending (created when missing).
    pub fn open(path: &Path, durability: Durability) -> Result<CaptureSink> {
        let file = open_append(path)
            .with_context(|| format!("cannot open capture file {}", path.display()))?;
        Ok(CaptureSink {
            inner: Arc::new(Inner {
                path: path.to_owned(),
                durability,
                state: Mutex::new(State {
                    file: Arc::new(file),
                    pending: Vec::with_capacity(64 * 1024),
                    batch: Arc::default(),
                    writing: false,
                    spare: Vec::with_capacity(64 * 1024),
                    lines: 0,
                    synced: 0,
                    failing: false,
                }),
                done: Notify::new(),
            }),
        })
    }

    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.inner.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Write one line (without its newline) and return once it is in the file (and on disk,
    /// with [`Durability::Sync`]); `Err` says why it is not.
    pub async fn commit(&self, line: &str) -> Result<(), CaptureError> {
        let ticket = {
            let mut st = self.lock();
            st.pending.extend_from_slice(line.as_bytes());
            st.pending.push(b'\n');
            Ticket(st.batch.clone())
        };
        // Let the other requests that are ready on this thread append their lines first, so
        // that one write(2) serves them all (measured: without this yield batches stay at one
        // or two lines, and throughput is no better than a write per request).
        tokio::task::yield_now().await;
        loop {
            let notified = self.inner.done.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if let Some(result) = ticket.0.result.get() {
                return result.clone();
            }
            let lead = {
                let mut st = self.lock();
                if st.writing {
                    None
                } else {
                    // Nobody is writing and our batch is not done: it is the pending one.
                    st.writing = true;
                    let spare = std::mem::take(&mut st.spare);
                    let data = std::mem::replace(&mut st.pending, spare);
                    let batch = std::mem::take(&mut st.batch);
                    let lines = data.iter().filter(|b| **b == b'\n').count() as u64;
                    Some((st.file.clone(), data, batch, lines))
                }
            };
            match lead {
                Some((file, data, batch, lines)) => self.lead(file, data, batch, lines).await,
                None => notified.await,
            }
        }
    }

    fn write_error(&self, e: &std::io::Error) -> String {
        format!(
            "cannot write capture file {}: {e}",
            self.inner.path.display()
        )
    }

    /// Count the lines of a batch or say what went wrong (once per failure episode, and once
    /// more when writes succeed again); a removed file is created again.
    fn settle(&self, st: &mut State, outcome: &Result<(), String>, lines: u64) -> Option<String> {
        match outcome {
            Ok(()) => {
                st.lines += lines;
                std::mem::take(&mut st.failing)
                    .then(|| format!("capture: writing to {} again", self.inner.path.display()))
            }
            Err(why) => {
                if why.contains(REMOVED) {
                    if let Ok(f) = open_append(&self.inner.path) {
                        st.file = Arc::new(f);
                    }
                }
                let first = !std::mem::replace(&mut st.failing, true);
                first.then(|| {
                    format!("capture: {why}; answering 503 (so the platform retries) until a write succeeds")
                })
            }
        }
    }

    /// Write one batch as its leader, publish the outcome and wake the waiters.
    async fn lead(&self, file: Arc<File>, mut data: Vec<u8>, batch: Arc<Batch>, lines: u64) {
        let mut result = write_all(&file, &data);
        let sync = result.is_ok() && self.inner.durability == Durability::Sync;
        if sync {
            let f = file.clone();
            result = match tokio::task::spawn_blocking(move || f.sync_data()).await {
                Ok(r) => r,
                Err(e) => Err(std::io::Error::other(e)),
            };
        }
        let outcome = match result {
            Ok(()) => self.check_still_there(&file),
            Err(e) => Err(self.write_error(&e)),
        };
        let note = {
            let mut st = self.lock();
            let note = self.settle(&mut st, &outcome, lines);
            st.synced += u64::from(sync && outcome.is_ok());
            data.clear();
            if st.spare.capacity() < data.capacity() {
                st.spare = data;
            }
            st.writing = false;
            note
        };
        let _ = batch.result.set(outcome.map_err(CaptureError::from));
        self.inner.done.notify_waiters();
        if let Some(n) = note {
            crate::term::note(n);
        }
    }

    /// A capture file that was removed takes writes nobody will ever read: one `fstat` per
    /// write tells (a file renamed away keeps its lines, and keeps getting them).
    fn check_still_there(&self, file: &File) -> Result<(), String> {
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            let ours = file.metadata().map_err(|e| self.write_error(&e))?;
            if ours.nlink() == 0 {
                return Err(format!(
                    "capture file {} {REMOVED} while listen ran (it is created again)",
                    self.inner.path.display()
                ));
            }
        }
        #[cfg(not(unix))]
        let _ = file;
        Ok(())
    }

    /// Sync the file to disk; the number of lines written. Every committed line is already
    /// in the file, so this only adds the power-loss guarantee at shutdown.
    pub fn finish(&self) -> Result<u64> {
        let (file, lines) = {
            let st = self.lock();
            (st.file.clone(), st.lines)
        };
        file.sync_all()
            .with_context(|| format!("cannot sync capture file {}", self.inner.path.display()))?;
        Ok(lines)
    }
}

fn open_append(path: &Path) -> std::io::Result<File> {
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
}

/// `write(2)` until all of `data` is written. When a write fails after part of the batch
/// went out, that torn tail is cut off again (when possible), so the file stays whole lines.
fn write_all(file: &File, data: &[u8]) -> std::io::Result<()> {
    let mut f = file;
    let mut done = 0;
    while done < data.len() {
        match f.write(&data[done..]) {
            Ok(0) => return Err(std::io::ErrorKind::WriteZero.into()),
            Ok(n) => done += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => {
                if done > 0 {
                    if let Ok(m) = file.metadata() {
                        let _ = file.set_len(m.len().saturating_sub(done as u64));
                    }
                }
                return Err(e);
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    impl CaptureSink {
        fn synced_batches(&self) -> u64 {
            self.lock().synced
        }
    }

    #[test]
    fn only_sync_durability_syncs() {
        let dir = tempfile::tempdir().unwrap();
        for (durability, want) in [(Durability::Written, 0), (Durability::Sync, 2)] {
            let path = dir.path().join(format!("{durability:?}.jsonl"));
            let sink = CaptureSink::open(&path, durability).unwrap();
            rt().block_on(async {
                sink.commit("{\"a\":1}").await.unwrap();
                sink.commit("{\"b\":2}").await.unwrap();
            });
            assert_eq!(sink.synced_batches(), want, "{durability:?}");
        }
    }

    fn rt() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap()
    }

    #[test]
    fn committed_lines_are_in_the_file_before_commit_returns() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.jsonl");
        std::fs::write(&path, "old\n").unwrap();
        let sink = CaptureSink::open(&path, Durability::Written).unwrap();
        rt().block_on(async {
            sink.commit("{\"a\":1}").await.unwrap();
            // No flush, no finish: a reader (or a kill -9) sees the line now.
            assert_eq!(std::fs::read_to_string(&path).unwrap(), "old\n{\"a\":1}\n");
            sink.commit("{\"b\":2}").await.unwrap();
        });
        assert_eq!(sink.finish().unwrap(), 2);
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "old\n{\"a\":1}\n{\"b\":2}\n"
        );
    }

    #[test]
    fn concurrent_commits_are_whole_lines_each_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.jsonl");
        for durability in [Durability::Written, Durability::Sync] {
            let _ = std::fs::remove_file(&path);
            let sink = CaptureSink::open(&path, durability).unwrap();
            rt().block_on(async {
                let tasks: Vec<_> = (0..400)
                    .map(|i| {
                        let sink = sink.clone();
                        tokio::spawn(async move {
                            let line = format!("{{\"i\":{i},\"pad\":\"{}\"}}", "x".repeat(i % 97));
                            sink.commit(&line).await
                        })
                    })
                    .collect();
                for t in tasks {
                    t.await.unwrap().unwrap();
                }
            });
            assert_eq!(sink.finish().unwrap(), 400);
            let text = std::fs::read_to_string(&path).unwrap();
            let mut seen: Vec<u64> = text
                .lines()
                .map(|l| {
                    serde_json::from_str::<serde_json::Value>(l).unwrap()["i"]
                        .as_u64()
                        .unwrap()
                })
                .collect();
            seen.sort_unstable();
            assert_eq!(seen, (0..400).collect::<Vec<_>>(), "{durability:?}");
        }
    }

    #[test]
    fn a_write_error_fails_the_commit_and_later_ones_try_again() {
        let sink = CaptureSink::open(Path::new("/dev/full"), Durability::Written).unwrap();
        rt().block_on(async {
            for _ in 0..2 {
                let err = sink.commit("{}").await.unwrap_err();
                assert!(err.contains("/dev/full"), "{err}");
            }
        });
    }

    #[cfg(unix)]
    #[test]
    fn a_removed_file_fails_once_and_is_created_again() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.jsonl");
        let sink = CaptureSink::open(&path, Durability::Written).unwrap();
        rt().block_on(async {
            sink.commit("{\"a\":1}").await.unwrap();
            std::fs::remove_file(&path).unwrap();
            let err = sink.commit("{\"b\":2}").await.unwrap_err();
            assert!(err.contains("was removed"), "{err}");
            sink.commit("{\"c\":3}").await.unwrap();
        });
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "{\"c\":3}\n");
    }
}
