//! `deskhook replay`: send captured callbacks again, bodies byte for byte as captured (the
//! domain is in `crate::replay`).
//!
//! The capture is streamed: a reader thread parses it into a bounded channel that the
//! engine's workers drain, so a million-line file replays in constant memory. A malformed line
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
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

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
    let report = std::thread::scope(|scope| {
        let skipped = &skipped;
        let (tx, rx) = flume::bounded::<Item>(args.load.concurrency as usize * 2);
        let reader = scope.spawn(move || -> Result<()> {
            for _ in 0..args.load.count {
                if !read_capture(&args.capture, args.strict, replayer, skipped, &tx)? {
                    break;
                }
            }
            Ok(())
        });
        let report = engine::run(
            opts,
            report,
            || {
                let rx = &rx;
                async move { rx.recv_async().await.ok() }
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

/// Stream one pass over the capture into `tx`; false once the run should stop.
fn read_capture(
    path: &Path,
    strict: bool,
    replayer: &Replayer,
    skipped: &AtomicU64,
    tx: &flume::Sender<Item>,
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
    let mut line = 0u64;
    loop {
        buf.clear();
        let n = reader
            .read_until(b'\n', &mut buf)
            .map_err(|e| usage(format!("cannot read capture {name}: {e}")))?;
        if n == 0 {
            return Ok(true);
        }
        line += 1;
        if buf.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        match replayer.parse_line(line, &buf) {
            Ok(Some(item)) => {
                if tx.send(item).is_err() {
                    return Ok(false);
                }
            }
            Ok(None) => {
                skipped.fetch_add(1, Ordering::Relaxed);
            }
            Err(e) if strict => return Err(usage(format!("{name}:{line}: {e} (--strict)"))),
            Err(e) => {
                note(format!("{name}:{line}: {e}; skipped"));
                skipped.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}
