//! `deskhook replay`: send captured callbacks again, bodies byte-for-byte as captured.
//!
//! The capture is streamed (a bounded channel between the reader and the workers), so a
//! million-line file replays in constant memory. By default the query is re-signed: the
//! captured `Sign`/`RequestTime` go, fresh ones come with `--token` (a captured `RequestTime`
//! is stale after 60 s); `--as-is` keeps the captured query untouched. A malformed line is
//! reported with its line number and skipped, or stops the run under `--strict`.

use super::send::options_of;
use crate::capture::Record;
use crate::catalogue::{catalogue, Event};
use crate::cli::ReplayArgs;
use crate::engine;
use crate::exit::{usage, Code};
use crate::http::{append_query, cec_url, parse_target, with_raw_query, Prepared};
use crate::output::note;
use crate::session::Clock;
use crate::sign::{sign, Secret};
use anyhow::Result;
use bytes::Bytes;
use serde_json::Value;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::sync::mpsc;
use url::Url;

/// How captured exchanges become requests again.
struct Replayer {
    target: Url,
    token: Option<Secret>,
    as_is: bool,
    clock: Clock,
    only: Vec<&'static Event>,
}

/// One captured exchange to send again, with its line number for messages.
struct Item {
    line: u64,
    event: &'static Event,
    record: Record,
}

pub fn run(args: ReplayArgs) -> Result<Code> {
    let target = parse_target(&args.to)?;
    let only = args
        .only
        .iter()
        .map(|id| catalogue().find(id))
        .collect::<Result<Vec<_>>>()?;
    if args.capture != Path::new("-") && !args.capture.is_file() {
        return Err(usage(format!(
            "cannot read capture {}: no such file",
            args.capture.display()
        )));
    }
    if args.capture == Path::new("-") && args.load.count > 1 {
        return Err(usage(
            "--count > 1 needs a capture file: stdin can be read only once",
        ));
    }
    if !args.as_is && args.token.is_none() {
        note("no --token: replaying without Sign/RequestTime (captured ones are stale after 60 s) and without Bearer; pass --token, or --as-is for the captured query");
    }
    let replayer = Replayer {
        target,
        token: args.token.clone(),
        as_is: args.as_is,
        clock: Clock::from_arg(args.repeat.now),
        only,
    };
    replay(args, replayer)
}

fn replay(args: ReplayArgs, replayer: Replayer) -> Result<Code> {
    let name = args.capture.display().to_string();
    let opts = options_of(
        &args.delivery,
        &args.load,
        &args.output,
        &replayer.target,
        None,
        "deskhook replay",
    );
    let skipped = AtomicU64::new(0);
    let (tx, rx) = mpsc::channel::<Item>(args.load.concurrency as usize * 2);
    let rx = tokio::sync::Mutex::new(rx);
    let (replayer, skipped_ref) = (&replayer, &skipped);
    let summary = std::thread::scope(|scope| {
        // The capture is read on its own thread and handed over through a bounded channel:
        // memory stays flat however long the file is.
        let reader = scope.spawn(move || -> Result<()> {
            for _ in 0..args.load.count {
                if !read_capture(&args.capture, args.strict, replayer, skipped_ref, &tx)? {
                    break;
                }
            }
            Ok(())
        });
        let rx = &rx;
        let summary = engine::run(
            opts,
            || async move { rx.lock().await.recv().await },
            |item: Item, lane| async move {
                let p = replayer.prepare(item)?;
                lane.emit(&lane.send(p).await);
                Ok(())
            },
        );
        rx.try_lock().map(|mut r| r.close()).ok();
        let read = reader
            .join()
            .map_err(|_| anyhow::anyhow!("the capture reader panicked"))?;
        let summary = summary?;
        read?;
        Ok::<_, anyhow::Error>(summary)
    })?;
    let n = skipped.load(Ordering::Relaxed);
    if n > 0 {
        note(format!("skipped {n} captured exchange(s): not a POST of a recognised event, filtered by --only, or malformed"));
    }
    if summary.sent == 0 {
        // A CI job replaying an empty or wrongly filtered capture must not pass silently.
        let filtered = if n > 0 { " that passes --only" } else { "" };
        return Err(usage(format!(
            "nothing to replay: {name} holds no captured POST of a recognised event{filtered}"
        )));
    }
    Ok(summary.code())
}

/// Stream one pass over the capture into `tx`; false once the run should stop.
fn read_capture(
    path: &Path,
    strict: bool,
    filter: &Replayer,
    skipped: &AtomicU64,
    tx: &mpsc::Sender<Item>,
) -> Result<bool> {
    let name = path.display().to_string();
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
        match parse_line(&buf, filter) {
            Ok(Some((event, record))) => {
                if tx
                    .blocking_send(Item {
                        line,
                        event,
                        record,
                    })
                    .is_err()
                {
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

/// A capture line: `Ok(None)` for exchanges that are not replayable callbacks (refused GETs,
/// unrecognised bodies) or are filtered out by `--only`.
fn parse_line(bytes: &[u8], r: &Replayer) -> Result<Option<(&'static Event, Record)>, String> {
    let text =
        std::str::from_utf8(bytes).map_err(|_| "not UTF-8: a capture line is JSON".to_owned())?;
    let record: Record =
        serde_json::from_str(text).map_err(|e| format!("not a capture record: {e}"))?;
    if record.method != "POST" {
        return Ok(None);
    }
    let Some(event) = record
        .event
        .as_deref()
        .and_then(|id| catalogue().find(id).ok())
    else {
        return Ok(None);
    };
    if !r.only.is_empty() && !r.only.iter().any(|o| std::ptr::eq(*o, event)) {
        return Ok(None);
    }
    if record.body.is_none() && record.body_base64.is_none() {
        return Err("the record has neither body nor body_base64".into());
    }
    Ok(Some((event, record)))
}

impl Replayer {
    /// The request for a captured exchange: the same body bytes, the target URL with the
    /// captured query (re-signed unless `--as-is`), a Bearer from `--token` for CEC.
    fn prepare(&self, item: Item) -> Result<Prepared> {
        let Item {
            line,
            event,
            record,
        } = item;
        let body = record
            .body_bytes()
            .map_err(|e| usage(format!("capture line {line}: {e}")))?;
        let mut headers = vec![("Content-Type".to_owned(), "application/json".to_owned())];
        let pairs: Vec<(String, String)> = url::form_urlencoded::parse(record.query.as_bytes())
            .into_owned()
            .collect();
        let url = if event.is_cec() {
            if let Some(t) = &self.token {
                headers.push(("Authorization".to_owned(), format!("Bearer {}", t.expose())));
            }
            with_raw_query(&cec_url(&self.target), &record.query)
        } else if self.as_is {
            with_raw_query(&self.target, &record.query)
        } else {
            self.resigned(&pairs)
        };
        let request_id = pairs
            .iter()
            .find(|(k, _)| k == "RequestID")
            .map(|(_, v)| v.clone());
        let session_id = serde_json::from_slice::<Value>(&body).ok().and_then(|b| {
            b.get("SessionId")
                .and_then(Value::as_str)
                .map(str::to_owned)
        });
        Ok(Prepared {
            event,
            url,
            headers,
            body: Bytes::from(body),
            request_id,
            session_id,
        })
    }

    /// The captured parameters without the stale signature, plus a fresh one.
    fn resigned(&self, pairs: &[(String, String)]) -> Url {
        let mut params: Vec<(&str, &str)> = pairs
            .iter()
            .filter(|(k, _)| k != "Sign" && k != "RequestTime")
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let now = self.clock.now_ms() / 1000;
        let (sign_value, time_value) = match &self.token {
            Some(t) => (sign(t, now), now.to_string()),
            None => (String::new(), String::new()),
        };
        if self.token.is_some() {
            params.push(("Sign", &sign_value));
            params.push(("RequestTime", &time_value));
        }
        append_query(&self.target, &params)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn replayer(as_is: bool, token: Option<&str>) -> Replayer {
        Replayer {
            target: Url::parse("http://backend.test/cb?tenant=1").unwrap(),
            token: token.map(Secret::new),
            as_is,
            clock: Clock::Fixed(1_669_872_112_000),
            only: vec![],
        }
    }

    fn record(line: &str) -> (&'static Event, Record) {
        parse_line(line.as_bytes(), &replayer(false, None))
            .unwrap()
            .unwrap()
    }

    const LINE: &str = r#"{"v":1,"seq":1,"received_at_ms":1,"answered_at_ms":2,"remote":"127.0.0.1:1","method":"POST","path":"/cb","query":"SdkAppid=1&CallbackCommand=Desk.SessionEventNotify&RequestID=r-1&Sign=old&RequestTime=1","headers":[],"body":"{\"Event\": \"SessionBegin\" ,\"SessionId\":\"s\"}","event":"SessionBegin","provider":"tencent","verdict":"accepted","problems":[],"status":200,"answer":"{}","latency_ms":0.1}"#;

    #[test]
    fn resigns_by_default_and_keeps_the_body_bytes() {
        let (event, rec) = record(LINE);
        let p = replayer(false, Some("xxxxyyyy"))
            .prepare(Item {
                line: 1,
                event,
                record: rec,
            })
            .unwrap();
        assert_eq!(
            p.url.as_str(),
            "http://backend.test/cb?tenant=1&SdkAppid=1&CallbackCommand=Desk.SessionEventNotify&RequestID=r-1\
             &Sign=17773bc39a671d7b9aa835458704d2a6db81360a5940292b587d6d760d484061&RequestTime=1669872112"
        );
        assert_eq!(
            &p.body[..],
            br#"{"Event": "SessionBegin" ,"SessionId":"s"}"#
        );
        assert_eq!(p.request_id.as_deref(), Some("r-1"));
    }

    #[test]
    fn as_is_keeps_the_captured_query() {
        let (event, rec) = record(LINE);
        let p = replayer(true, Some("t"))
            .prepare(Item {
                line: 1,
                event,
                record: rec,
            })
            .unwrap();
        assert!(p.url.as_str().ends_with("?tenant=1&SdkAppid=1&CallbackCommand=Desk.SessionEventNotify&RequestID=r-1&Sign=old&RequestTime=1"));
    }

    #[test]
    fn malformed_and_unreplayable_lines() {
        let r = replayer(false, None);
        assert!(parse_line(b"{not json", &r)
            .unwrap_err()
            .contains("not a capture record"));
        let get = LINE.replace("\"POST\"", "\"GET\"");
        assert!(parse_line(get.as_bytes(), &r).unwrap().is_none());
    }
}
