//! `deskhook replay`: send captured callbacks again, bodies byte for byte as captured (the
//! domain is in `crate::replay`).
//!
//! The capture is streamed: a reader thread parses it into batches on a bounded channel that
//! the engine's workers drain, so a million-line file replays in constant memory. A malformed line
//! is reported with its line number and skipped, or stops the run under `--strict`.

use super::common::{engine_options, note_authorization_kept};
use super::input::display_name;
use crate::catalogue::catalogue;
use crate::cli::ReplayArgs;
use crate::engine;
use crate::error::usage;
use crate::exit::Code;
use crate::replay::{Item, Replayer};
use crate::report::RunReport;
use crate::term::note;
use crate::transport::Connection;
use anyhow::Result;
use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

pub fn run(args: ReplayArgs) -> Result<Code> {
    let only = args
        .only
        .iter()
        .map(|id| catalogue().find(id))
        .collect::<Result<Vec<_>>>()?;
    let stdin = args.capture == Path::new("-");
    if !stdin && !args.capture.is_file() {
        return Err(usage(format!(
            "cannot read capture {}: no such file",
            args.capture.display()
        )));
    }
    if stdin && args.load.count > 1 {
        return Err(usage(
            "--count > 1 needs a capture file: stdin can be read only once",
        ));
    }
    if !args.as_is && args.token.is_none() {
        note("no --token: replaying without Sign/RequestTime (captured ones are stale after 60 s) and without Bearer; pass --token, or --as-is for the captured query");
    }
    let connection = args.connection.connection()?;
    note_authorization_kept(&connection, args.token.is_some());
    let replayer = Replayer {
        target: args.to.clone(),
        token: args.token.clone(),
        as_is: args.as_is,
        clock: args.repeat.clock(),
        only,
    };
    replay(&args, &replayer, connection)
}

fn replay(args: &ReplayArgs, replayer: &Replayer, connection: Connection) -> Result<Code> {
    let opts = engine_options(&args.delivery, &args.load, connection, &replayer.target);
    let report = RunReport::new(
        args.output.format,
        args.output.verbose,
        None,
        "deskhook replay",
    );
    let skipped = AtomicU64::new(0);
    // Items taken from a batch, for the next workers to ask.
    let queue = Mutex::new(VecDeque::<Item>::new());
    let report = std::thread::scope(|scope| {
        let skipped = &skipped;
        let bound = (args.load.concurrency as usize * 2).div_ceil(BATCH).max(2);
        let (tx, rx) = flume::bounded::<Vec<Item>>(bound);
        let reader = scope.spawn(move || -> Result<()> {
            let mut batcher = Batcher::new(&tx);
            for _ in 0..args.load.count {
                if !read_capture(&args.capture, args.strict, replayer, skipped, &mut batcher)? {
                    return Ok(());
                }
            }
            batcher.flush();
            Ok(())
        });
        let pop = |q: &Mutex<VecDeque<Item>>| {
            let mut q = q.lock().unwrap_or_else(|e| e.into_inner());
            q.pop_front()
        };
        let report = engine::run(
            opts,
            report,
            || {
                let (rx, queue) = (&rx, &queue);
                async move {
                    if let Some(item) = pop(queue) {
                        return Some(item);
                    }
                    match rx.recv_async().await {
                        Ok(batch) => {
                            let mut batch = batch.into_iter();
                            let first = batch.next();
                            queue
                                .lock()
                                .unwrap_or_else(|e| e.into_inner())
                                .extend(batch);
                            first
                        }
                        // The capture is read: what another worker left is still to send.
                        Err(_) => pop(queue),
                    }
                }
            },
            |item: Item, lane| async move {
                let c = replayer.callback(item)?;
                if let Some(d) = lane.send(c).await {
                    lane.emit(&d);
                }
                Ok(())
            },
        );
        // Dropping the receiver stops a reader still blocked on a full channel.
        drop(rx);
        let read = reader
            .join()
            .map_err(|_| anyhow::anyhow!("the capture reader panicked"))?;
        let report = report?;
        read?;
        Ok::<_, anyhow::Error>(report)
    })?;
    let summary = report.finish()?;
    let n = skipped.load(Ordering::Relaxed);
    if n > 0 {
        note(format!("skipped {n} captured exchange(s): not a POST of a recognised event, filtered by --only, or malformed"));
    }
    if summary.sent == 0 && summary.interrupted.is_none() {
        // A CI job replaying an empty or wrongly filtered capture must not pass silently.
        let filtered = if n > 0 { " that passes --only" } else { "" };
        return Err(usage(format!(
            "nothing to replay: {} holds no captured POST of a recognised event{filtered}",
            display_name(&args.capture)
        )));
    }
    Ok(summary.code())
}

/// Malformed lines at the start of a file, with no good one yet, after which it is taken for
/// something other than a capture (a binary, a log, the wrong file) and the run stops.
const NOT_A_CAPTURE_AFTER: u64 = 5;

/// Malformed lines named one by one; further ones are counted in the closing note.
const MALFORMED_SHOWN: u64 = 10;

/// The longest line read: a capture line holds one body (1 MiB by default, base64 when not
/// UTF-8); a file with no newline in this many bytes is not a capture.
const MAX_LINE: u64 = 64 * 1024 * 1024;

/// Parsed lines go to the workers this many at a time: one hand-over between threads (and at
/// most one wake-up) per batch instead of per line.
const BATCH: usize = 16;

/// Gathers parsed lines into batches for the workers.
struct Batcher<'a> {
    tx: &'a flume::Sender<Vec<Item>>,
    batch: Vec<Item>,
}

impl<'a> Batcher<'a> {
    fn new(tx: &'a flume::Sender<Vec<Item>>) -> Batcher<'a> {
        Batcher {
            tx,
            batch: Vec::with_capacity(BATCH),
        }
    }

    /// Add a line; false once the workers are gone.
    fn push(&mut self, item: Item) -> bool {
        self.batch.push(item);
        self.batch.len() < BATCH || self.flush()
    }

    /// Hand over what is gathered; false once the workers are gone.
    fn flush(&mut self) -> bool {
        if self.batch.is_empty() {
            return true;
        }
        let batch = std::mem::replace(&mut self.batch, Vec::with_capacity(BATCH));
        self.tx.send(batch).is_ok()
    }
}

/// Stream one pass over the capture into `batcher`; false once the run should stop.
fn read_capture(
    path: &Path,
    strict: bool,
    replayer: &Replayer,
    skipped: &AtomicU64,
    batcher: &mut Batcher<'_>,
) -> Result<bool> {
    let name = display_name(path);
    let reader: Box<dyn Read> = if path == Path::new("-") {
        Box::new(std::io::stdin())
    } else {
        Box::new(
            std::fs::File::open(path)
                .map_err(|e| usage(format!("cannot read capture {name}: {e}")))?,
        )
    };
    let mut reader = BufReader::with_capacity(256 * 1024, reader);
    let mut buf = Vec::with_capacity(4096);
    let (mut line, mut good, mut bad) = (0u64, 0u64, 0u64);
    // Until a good line comes, notes wait: a file that is no capture at all gets one error.
    let mut held: Vec<String> = Vec::new();
    let mut first_error = String::new();
    loop {
        // What is read so far goes before waiting on the input (a capture piped in as it is
        // written is replayed as it comes).
        if reader.buffer().is_empty() && !batcher.flush() {
            return Ok(false);
        }
        buf.clear();
        let n = (&mut reader)
            .take(MAX_LINE)
            .read_until(b'\n', &mut buf)
            .map_err(|e| usage(format!("cannot read capture {name}: {e}")))?;
        if n == 0 {
            if good == 0 && bad > 0 {
                return Err(not_a_capture(
                    &name,
                    &format!(
                        "none of its {bad} non-blank line(s) is a capture record ({first_error})"
                    ),
                ));
            }
            return Ok(true);
        }
        line += 1;
        if n as u64 == MAX_LINE && buf.last() != Some(&b'\n') {
            return Err(not_a_capture(
                &name,
                &format!("line {line} is over 64 MiB long"),
            ));
        }
        if buf.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let parsed = replayer.parse_line(line, &buf);
        if parsed.is_ok() && good == 0 {
            held.drain(..).for_each(note);
        }
        match parsed {
            Ok(Some(item)) => {
                good += 1;
                if !batcher.push(item) {
                    return Ok(false);
                }
            }
            Ok(None) => {
                good += 1;
                skipped.fetch_add(1, Ordering::Relaxed);
            }
            Err(e) if strict => {
                // The lines before it are sent, as they would be had it come later.
                batcher.flush();
                return Err(usage(format!("{name}:{line}: {e} (--strict)")));
            }
            Err(e) => {
                bad += 1;
                if bad == 1 {
                    first_error = format!("line {line}: {e}");
                }
                if good == 0 && bad >= NOT_A_CAPTURE_AFTER {
                    return Err(not_a_capture(
                        &name,
                        &format!(
                            "its first {bad} non-blank lines are not capture records ({first_error})"
                        ),
                    ));
                }
                let said = match bad.cmp(&MALFORMED_SHOWN) {
                    std::cmp::Ordering::Less => Some(format!("{name}:{line}: {e}; skipped")),
                    std::cmp::Ordering::Equal => Some(format!(
                        "{name}:{line}: {e}; skipped (further malformed lines are counted, not shown)"
                    )),
                    std::cmp::Ordering::Greater => None,
                };
                match said {
                    Some(n) if good == 0 => held.push(n),
                    Some(n) => note(n),
                    None => {}
                }
                skipped.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}

/// The one error for a file that is not a capture at all.
fn not_a_capture(name: &str, why: &str) -> anyhow::Error {
    usage(format!(
        "{name} is not a capture written by `deskhook listen --save`: {why}; nothing more is read"
    ))
}
