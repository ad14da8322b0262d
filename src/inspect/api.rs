//! The inspector's routes: the page (`/`, `/app.js`, `/app.css`), and its JSON API under
//! `/api/`, every request through [`Guard`] first.
//!
//! | route | what |
//! | --- | --- |
//! | `GET /api/info` | the run: listen's URL, `--forward-to`, whether a token is set, bounds, history |
//! | `GET /api/exchanges` | the list rows held, newest first |
//! | `GET /api/exchanges/ID` | one exchange whole (`view::Detail`) |
//! | `GET /api/stream` | server-sent events: `snapshot` (the rows held), then `exchange` for new ones, `skipped` when more came than a page can take |
//! | `GET /api/download?ids=1,2` | the capture lines (all held without `ids`), as a JSON Lines file |
//! | `POST /api/replay` | send one exchange again (`resend::Request` → `resend::Outcome`) |

use super::guard::{Access, Guard, Refused};
use super::hub::{Entry, Hub};
use super::resend::{self, Resender};
use super::view::{self, Context};
use super::Options;
use bytes::Bytes;
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Full, Limited, StreamBody};
use hyper::body::{Frame, Incoming};
use hyper::header::{self, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use serde::Serialize;
use serde_json::{json, Value};
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{broadcast, mpsc};

pub type Body = UnsyncBoxBody<Bytes, Infallible>;

const INDEX_HTML: &str = include_str!("page/index.html");
const APP_JS: &str = include_str!("page/app.js");
const APP_CSS: &str = include_str!("page/app.css");

/// Largest replay request accepted.
const MAX_REQUEST: usize = 64 * 1024;

/// How often an idle event stream says it is alive (so a dead page is noticed).
const PING: Duration = Duration::from_secs(15);

/// How often a page is sent the rows that arrived, and at most how many each time.
const BATCH_EVERY: Duration = Duration::from_millis(100);
const BATCH_MAX: usize = 200;

/// What the routes share.
pub struct App {
    hub: Arc<Hub>,
    guard: Guard,
    ctx: Context,
    resender: Resender,
    info: Value,
}

impl App {
    pub fn new(hub: Arc<Hub>, opts: &Options, key: String, port: u16) -> App {
        let forward = opts
            .forward
            .as_ref()
            .map(|u| crate::redact::url(u.as_str()).into_owned());
        let info = json!({
            "listen": opts.listen.as_str(),
            "forward": forward,
            "token": opts.token.is_some(),
            "keep": hub.keep(),
            "history": opts.history,
            "version": env!("CARGO_PKG_VERSION"),
        });
        App {
            guard: Guard::new(key, &opts.host, port),
            ctx: Context {
                listen: opts.listen.clone(),
                token_set: opts.token.is_some(),
                forward,
            },
            resender: Resender::new(
                opts.token.clone(),
                opts.forward.clone(),
                opts.timeout,
                opts.connection.clone(),
            ),
            hub,
            info,
        }
    }
}

/// Answer one request.
pub async fn handle(req: Request<Incoming>, app: Arc<App>) -> Response<Body> {
    let (parts, body) = req.into_parts();
    let path = parts.uri.path().to_owned();
    let access = if path.starts_with("/api/") {
        Access::Api
    } else {
        Access::Page
    };
    if let Err(Refused { status, message }) = app.guard.check(&parts, access) {
        return error(status, &message);
    }
    let get = parts.method == Method::GET || parts.method == Method::HEAD;
    match (path.as_str(), get) {
        ("/" | "/index.html", true) => page(INDEX_HTML, "text/html; charset=utf-8"),
        ("/app.js", true) => page(APP_JS, "text/javascript; charset=utf-8"),
        ("/app.css", true) => page(APP_CSS, "text/css; charset=utf-8"),
        ("/api/info", true) => json_response(StatusCode::OK, &info(&app)),
        ("/api/exchanges", true) => list(&app),
        ("/api/stream", true) => stream(app),
        ("/api/download", true) => download(&app, parts.uri.query().unwrap_or_default()),
        ("/api/replay", false) if parts.method == Method::POST => replay(&app, &parts, body).await,
        (p, true) if p.starts_with("/api/exchanges/") => one(&app, &p["/api/exchanges/".len()..]),
        ("/api/replay", _) => error(405, "POST a JSON replay request"),
        (_, false) => error(405, "the inspector answers GET (and POST /api/replay)"),
        _ => error(404, "no such page"),
    }
}

fn info(app: &App) -> Value {
    let (held, recorded) = app.hub.counts();
    let mut info = app.info.clone();
    info["held"] = json!(held);
    info["recorded"] = json!(recorded);
    info
}

fn list(app: &App) -> Response<Body> {
    let held = app.hub.snapshot();
    let rows: Vec<&str> = held
        .iter()
        .rev()
        .map(|e| e.summary_json(&app.ctx))
        .collect();
    raw_json(StatusCode::OK, format!("[{}]", rows.join(",")))
}

fn one(app: &App, id: &str) -> Response<Body> {
    let Some(entry) = id.parse().ok().and_then(|id| app.hub.get(id)) else {
        return not_held();
    };
    json_response(StatusCode::OK, &view::detail(&entry, &app.ctx))
}

fn not_held() -> Response<Body> {
    error(
        404,
        "no such exchange: the inspector holds only the latest ones (--inspect-keep)",
    )
}

/// The capture lines of the exchanges asked for (all held without `ids`), a `Sign` that may
/// be valid hidden as on the page.
fn download(app: &App, query: &str) -> Response<Body> {
    let ids = view::param(query, "ids");
    let wanted: Option<Vec<u64>> =
        ids.map(|s| s.split(',').filter_map(|i| i.trim().parse().ok()).collect());
    let entries: Vec<Arc<Entry>> = app
        .hub
        .snapshot()
        .into_iter()
        .filter(|e| wanted.as_ref().is_none_or(|w| w.contains(&e.id)))
        .collect();
    if entries.is_empty() {
        return not_held();
    }
    let mut out = String::new();
    for e in &entries {
        let mut ex = e.ex.clone();
        ex.query = view::shown_query(&e.ex);
        out.push_str(&ex.to_line());
        out.push('\n');
    }
    let mut resp = respond(StatusCode::OK, Bytes::from(out), "application/x-ndjson");
    resp.headers_mut().insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment; filename=\"deskhook-capture.jsonl\""),
    );
    resp
}

async fn replay(app: &App, parts: &hyper::http::request::Parts, body: Incoming) -> Response<Body> {
    let json_type = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .eq_ignore_ascii_case("application/json")
        });
    if !json_type {
        return error(
            415,
            "a replay request is JSON: Content-Type: application/json",
        );
    }
    let bytes = match Limited::new(body, MAX_REQUEST).collect().await {
        Ok(c) => c.to_bytes(),
        Err(_) => return error(413, "the replay request is too large (or was cut short)"),
    };
    let req: resend::Request = match serde_json::from_slice(&bytes) {
        Ok(r) => r,
        Err(e) => {
            return error(
                400,
                &format!("not a replay request ({e}): expected {{\"id\": N, \"to\": \"forward\"|\"url\", \"url\": \"http://…\", \"sign\": \"fresh\"|\"as_is\"}}"),
            )
        }
    };
    let Some(entry) = app.hub.get(req.id) else {
        return not_held();
    };
    match app.resender.resend(entry.id, &entry.ex, &req).await {
        Ok(outcome) => json_response(StatusCode::OK, &outcome),
        Err(why) => error(400, &why),
    }
}

/// The event stream: the rows held, then the new ones, as server-sent events.
fn stream(app: Arc<App>) -> Response<Body> {
    let (tx, rx) = mpsc::channel::<Bytes>(16);
    tokio::spawn(feed(app, tx));
    let frames = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv()
            .await
            .map(|b| (Ok::<_, Infallible>(Frame::data(b)), rx))
    });
    let mut resp = Response::new(BodyExt::boxed_unsync(StreamBody::new(frames)));
    secure(&mut resp, "text/event-stream");
    resp
}

/// Feed one page: a `snapshot` of the rows held, then every [`BATCH_EVERY`] the rows that
/// arrived meanwhile (`exchange` events), at most [`BATCH_MAX`] of them — the newest — and a
/// `skipped` event counting the others. A page cannot read thousands of rows a second, and
/// this way the news cost the receiver nothing: no task waits on the channel, so sending
/// wakes no one, and rows are summarised only for what a page is sent.
async fn feed(app: Arc<App>, tx: mpsc::Sender<Bytes>) {
    let (held, mut news) = app.hub.snapshot_and_subscribe();
    let rows: Vec<&str> = held.iter().map(|e| e.summary_json(&app.ctx)).collect();
    let snapshot = format!("event: snapshot\ndata: [{}]\n\n", rows.join(","));
    drop(rows);
    drop(held);
    if tx.send(Bytes::from(snapshot)).await.is_err() {
        return;
    }
    let mut tick = tokio::time::interval(BATCH_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut quiet = Duration::ZERO;
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = tx.closed() => return,
        }
        let Some(frames) = drain(&app.ctx, &mut news) else {
            return;
        };
        let frames = if frames.is_empty() {
            quiet += BATCH_EVERY;
            if quiet < PING {
                continue;
            }
            ": ping\n\n".to_owned()
        } else {
            frames
        };
        quiet = Duration::ZERO;
        if tx.send(Bytes::from(frames)).await.is_err() {
            return;
        }
    }
}

/// The rows that arrived since the last call, as events; `None` once the hub is gone.
fn drain(ctx: &Context, news: &mut broadcast::Receiver<Arc<Entry>>) -> Option<String> {
    let mut batch: std::collections::VecDeque<Arc<Entry>> = std::collections::VecDeque::new();
    let mut skipped: u64 = 0;
    loop {
        match news.try_recv() {
            Ok(e) => {
                if batch.len() == BATCH_MAX {
                    batch.pop_front();
                    skipped += 1;
                }
                batch.push_back(e);
            }
            Err(broadcast::error::TryRecvError::Lagged(n)) => skipped += n,
            Err(broadcast::error::TryRecvError::Empty) => break,
            Err(broadcast::error::TryRecvError::Closed) => return None,
        }
    }
    let mut out = String::new();
    if skipped > 0 {
        out.push_str(&format!(
            "event: skipped\ndata: {{\"count\":{skipped}}}\n\n"
        ));
    }
    for e in batch {
        out.push_str(&format!(
            "event: exchange\nid: {}\ndata: {}\n\n",
            e.id,
            e.summary_json(ctx)
        ));
    }
    Some(out)
}

fn page(text: &'static str, content_type: &'static str) -> Response<Body> {
    respond(
        StatusCode::OK,
        Bytes::from_static(text.as_bytes()),
        content_type,
    )
}

fn json_response<T: Serialize>(status: StatusCode, value: &T) -> Response<Body> {
    raw_json(status, serde_json::to_string(value).unwrap_or_default())
}

fn raw_json(status: StatusCode, text: String) -> Response<Body> {
    respond(status, Bytes::from(text), "application/json")
}

fn error(status: u16, message: &str) -> Response<Body> {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
    json_response(status, &json!({ "error": message }))
}

fn respond(status: StatusCode, body: Bytes, content_type: &'static str) -> Response<Body> {
    let mut resp = Response::new(BodyExt::boxed_unsync(Full::new(body)));
    *resp.status_mut() = status;
    secure(&mut resp, content_type);
    resp
}

/// Headers every answer carries: nothing cached, nothing sniffed, never framed, no script or
/// style but the page's own, and no cross-site reads even without CORS.
fn secure(resp: &mut Response<Body>, content_type: &'static str) {
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    h.insert("x-frame-options", HeaderValue::from_static("DENY"));
    h.insert("referrer-policy", HeaderValue::from_static("no-referrer"));
    h.insert(
        "cross-origin-resource-policy",
        HeaderValue::from_static("same-origin"),
    );
    h.insert(
        "content-security-policy",
        HeaderValue::from_static("default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inspect::hub::NEWS_BACKLOG_FOR_TESTS;
    use crate::inspect::testing::exchange;

    fn ctx() -> Context {
        Context {
            listen: url::Url::parse("http://127.0.0.1:1/").unwrap(),
            token_set: false,
            forward: None,
        }
    }

    fn events(frames: &str, name: &str) -> Vec<String> {
        frames
            .split("\n\n")
            .filter(|b| b.starts_with(&format!("event: {name}\n")))
            .map(|b| b.rsplit("data: ").next().unwrap().to_owned())
            .collect()
    }

    #[test]
    fn a_batch_sends_the_newest_rows_and_counts_the_others() {
        let hub = Hub::new(10_000);
        let (_, mut news) = hub.snapshot_and_subscribe();
        assert_eq!(
            drain(&ctx(), &mut news).unwrap(),
            "",
            "nothing new, nothing sent"
        );
        for i in 1..=(BATCH_MAX as u64 + 50) {
            hub.record(exchange(i, "{}"));
        }
        let frames = drain(&ctx(), &mut news).unwrap();
        let rows = events(&frames, "exchange");
        assert_eq!(rows.len(), BATCH_MAX);
        let first: Value = serde_json::from_str(&rows[0]).unwrap();
        assert_eq!(first["id"], 51, "the newest {BATCH_MAX}, oldest first");
        assert_eq!(events(&frames, "skipped"), [r#"{"count":50}"#]);
    }

    #[test]
    fn a_page_behind_the_backlog_is_told_how_many_it_missed() {
        let hub = Hub::new(10_000);
        let (_, mut news) = hub.snapshot_and_subscribe();
        let n = NEWS_BACKLOG_FOR_TESTS as u64 + 100;
        for i in 1..=n {
            hub.record(exchange(i, "{}"));
        }
        let frames = drain(&ctx(), &mut news).unwrap();
        let skipped: Value = serde_json::from_str(&events(&frames, "skipped")[0]).unwrap();
        assert_eq!(skipped["count"], n - BATCH_MAX as u64);
        let last: Value =
            serde_json::from_str(events(&frames, "exchange").last().unwrap()).unwrap();
        assert_eq!(last["id"], n);
    }
}
