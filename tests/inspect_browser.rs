//! The inspector in a real browser: headless Chromium driven through chromedriver (WebDriver,
//! with fantoccini). One browser session walks through what a developer does: callbacks
//! appear in the list as they arrive; an invalid one shows its violation at its JSON path; a
//! refused one says why; a session reads as a conversation; Replay delivers to a test backend
//! and shows the new answer beside the old.
//!
//! chromedriver and Chromium must be installed (`apt-get install -y chromium chromium-driver`;
//! CI's `.ci/run` does it); `CHROMEDRIVER` and `CHROME` name other binaries. Without them the
//! test fails and says so: it is never skipped. `DESKHOOK_SCREENSHOT=FILE` saves a screenshot
//! of the page (README's `docs/inspector.png` comes from it).
//!
//! Waits poll with a generous deadline, a safety net that turns a hang into a failure naming
//! what it waited for; nothing asserts on speed.

mod support;

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};
use std::future::Future;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use support::inspect::{Inspected as Listen, TOKEN};
use support::listen::PROCESS_SAFETY as SAFETY;
use support::now_s;
use support::{sha256_hex, TestServer};

const INSTALL: &str = "install them with `apt-get install -y chromium chromium-driver` (Debian; CI's .ci/run does this), or name them with CHROMEDRIVER=/path/to/chromedriver and CHROME=/path/to/chromium";

/// A binary from an environment variable, else the first of `names` on PATH (or absolute).
fn find_binary(var: &str, names: &[&str]) -> PathBuf {
    if let Some(p) = std::env::var_os(var) {
        let p = PathBuf::from(p);
        assert!(
            p.is_file(),
            "{var}={} is not a file; {INSTALL}",
            p.display()
        );
        return p;
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    for name in names {
        if Path::new(name).is_absolute() && Path::new(name).is_file() {
            return PathBuf::from(name);
        }
        for dir in std::env::split_paths(&path) {
            let candidate = dir.join(name);
            if candidate.is_file() {
                return candidate;
            }
        }
    }
    panic!(
        "{} not found: the inspector's browser tests need Chromium and chromedriver; {INSTALL}",
        names[0]
    );
}

/// chromedriver on a free loopback port, stopped on drop.
struct Driver {
    child: Child,
    url: String,
}

impl Driver {
    fn start() -> Driver {
        let bin = find_binary("CHROMEDRIVER", &["/usr/bin/chromedriver", "chromedriver"]);
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let child = Command::new(&bin)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}; {INSTALL}", bin.display()));
        let deadline = Instant::now() + SAFETY;
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "chromedriver never listened on port {port}"
            );
            std::thread::sleep(Duration::from_millis(25));
        }
        Driver {
            child,
            url: format!("http://127.0.0.1:{port}"),
        }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A headless Chromium session with a fresh profile.
async fn browser(driver: &Driver, profile: &Path) -> Client {
    let chrome = find_binary(
        "CHROME",
        &["/usr/bin/chromium", "chromium", "google-chrome"],
    );
    let caps = json!({
        "browserName": "chrome",
        "goog:chromeOptions": {
            "binary": chrome,
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", "--window-size=1500,1000",
                format!("--user-data-dir={}", profile.display()),
            ]
        }
    });
    let Value::Object(caps) = caps else {
        unreachable!()
    };
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    ClientBuilder::new(connector)
        .capabilities(caps)
        .connect(&driver.url)
        .await
        .unwrap_or_else(|e| panic!("cannot start a Chromium session through chromedriver: {e}"))
}

/// Poll `f` until it gives a value (the deadline is only a safety net).
async fn eventually<T, F, Fut>(what: &str, mut f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = Instant::now() + SAFETY;
    loop {
        if let Some(v) = f().await {
            return v;
        }
        assert!(Instant::now() < deadline, "gave up waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The list as the page shows it, top (newest) first.
async fn list(c: &Client) -> Vec<Value> {
    let rows = c
        .execute(
            "return [...document.querySelectorAll('#rows tr')].map(tr => ({
                id: Number(tr.dataset.id),
                event: tr.querySelector('.event').textContent,
                verdict: tr.dataset.verdict,
                reason: (tr.querySelector('.reason') || {}).textContent || null,
                session: (tr.querySelector('a.session') || {dataset: {}}).dataset.session || null
            }))",
            vec![],
        )
        .await
        .expect("read the list");
    rows.as_array().cloned().unwrap_or_default()
}

/// Wait for the row of the newest exchange with this verdict.
async fn row_with(c: &Client, verdict: &str, event: &str) -> Value {
    eventually(&format!("a {verdict} {event} row in the list"), || async {
        list(c)
            .await
            .into_iter()
            .find(|r| r["verdict"] == verdict && r["event"] == event)
    })
    .await
}

async fn click_row(c: &Client, id: &Value) {
    c.find(Locator::Css(&format!("#rows tr[data-id='{id}'] td.event")))
        .await
        .expect("the row")
        .click()
        .await
        .expect("click the row");
}

/// The text of the first element matching `css`, once it exists.
async fn text_of(c: &Client, css: &str) -> String {
    eventually(css, || async {
        match c.find(Locator::Css(css)).await {
            Ok(e) => e.text().await.ok(),
            Err(_) => None,
        }
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_inspector_in_a_real_browser() {
    let backend = TestServer::documented();
    let listen = Listen::start(&["--token", TOKEN]);
    let driver = Driver::start();
    let profile = tempfile::tempdir().expect("a profile directory");
    let c = browser(&driver, profile.path()).await;
    // End the session (and its Chromium) whatever happens, then report.
    let result = futures_util::FutureExt::catch_unwind(std::panic::AssertUnwindSafe(walk_through(
        &c, &listen, &backend,
    )))
    .await;
    let _ = c.close().await;
    if let Err(panic) = result {
        std::panic::resume_unwind(panic);
    }
}

async fn walk_through(c: &Client, listen: &Listen, backend: &TestServer) {
    c.goto(&listen.inspector).await.expect("open the inspector");
    eventually("the event stream to be live", || async {
        let conn = c.find(Locator::Css("#conn")).await.ok()?;
        (conn.attr("data-state").await.ok()?? == "live").then_some(())
    })
    .await;

    // A sent callback appears in the list; a whole session reads as a conversation.
    let out = listen.flow("bot-resolved");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let begin = row_with(c, "accepted", "SessionBegin").await;
    let session = begin["session"].as_str().expect("a session").to_owned();
    c.find(Locator::Css(&format!(
        "#rows tr[data-id='{}'] a.session",
        begin["id"]
    )))
    .await
    .expect("the session link")
    .click()
    .await
    .unwrap();
    let user = text_of(c, "#conversation .say.user .text").await;
    assert!(
        !user.is_empty() && user != "(no text)",
        "a user message with its text"
    );
    let bot = text_of(c, "#conversation .say.bot .text").await;
    assert!(!bot.is_empty(), "a bot message with its text");
    assert_eq!(text_of(c, "#conversation .sid").await, session);

    // A refused one says why.
    let stale = (now_s() - 600) * 1000;
    listen.send(&["SessionEnd", "--token", TOKEN, "--now", &stale.to_string()]);
    let refused = row_with(c, "refused", "SessionEnd").await;
    let reason = refused["reason"].as_str().unwrap_or_default();
    assert!(reason.contains("stale RequestTime"), "{refused}");
    click_row(c, &refused["id"]).await;
    let why = text_of(c, "#refusal").await;
    assert!(
        why.contains("401") && why.contains("stale RequestTime"),
        "{why}"
    );
    let auth = text_of(c, "#auth").await;
    assert!(
        auth.contains("clock skew") && auth.contains("behind"),
        "{auth}"
    );
    assert!(!auth.contains(TOKEN));

    // The filters: by verdict, and by free text (which reaches into the body).
    let verdict = c
        .find(Locator::Css("#f-verdict"))
        .await
        .expect("the verdict filter");
    verdict.select_by_value("refused").await.unwrap();
    let shown = list(c).await;
    assert!(
        !shown.is_empty() && shown.iter().all(|r| r["verdict"] == "refused"),
        "{shown:?}"
    );
    verdict.select_by_value("").await.unwrap();
    c.find(Locator::Css("#f-text"))
        .await
        .unwrap()
        .send_keys(&session)
        .await
        .unwrap();
    let shown = list(c).await;
    assert!(
        shown.len() >= 3 && shown.iter().all(|r| r["session"] == session.as_str()),
        "{shown:?}"
    );
    c.find(Locator::Css("#clear-filters"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();

    // An invalid one shows its violation at its path.
    listen.send(&[
        "SessionBegin",
        "--token",
        TOKEN,
        "--set",
        "EventTime=\"soon\"",
    ]);
    let invalid = row_with(c, "invalid", "SessionBegin").await;
    click_row(c, &invalid["id"]).await;
    let note = text_of(c, "#body .node.violation[data-path='/EventTime'] .vnote").await;
    assert!(note.contains("expected") && note.contains("soon"), "{note}");
    let listed = text_of(c, "#problem-list li[data-path='/EventTime']").await;
    assert!(listed.contains("/EventTime"), "{listed}");
    c.find(Locator::Css("#conversation button:last-child"))
        .await
        .expect("the conversation's close button")
        .click()
        .await
        .unwrap();
    if let Some(path) = std::env::var_os("DESKHOOK_SCREENSHOT") {
        let png = c.screenshot().await.expect("a screenshot");
        std::fs::write(&path, png).expect("write the screenshot");
    }

    // Copy as curl shows the command, which signs afresh and carries no credential.
    c.find(Locator::Css("#copy-curl"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let curl = text_of(c, "#command").await;
    assert!(
        curl.contains("curl -sS -X 'POST'") && curl.contains("$DESKHOOK_TOKEN"),
        "{curl}"
    );
    assert!(!curl.contains(TOKEN), "{curl}");

    // Replay delivers to a test backend and shows the new answer beside the old.
    let url_box = c
        .find(Locator::Css("#replay-url"))
        .await
        .expect("the URL box");
    url_box
        .send_keys(&format!("{}replayed", backend.url()))
        .await
        .unwrap();
    c.find(Locator::Css("#replay-button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let status = text_of(c, "#replay-result .replay-status").await;
    assert_eq!(status, "200");
    let after = text_of(c, "#replay-result .after").await;
    assert!(
        after.contains("ActionStatus") && after.contains("fresh"),
        "{after}"
    );
    let before = text_of(c, "#replay-result .before").await;
    assert!(before.contains("invalid"), "{before}");
    let got = backend.requests();
    assert_eq!(got.len(), 1, "one replayed callback");
    assert_eq!(got[0].path, "/replayed");
    let t: u64 = got[0].query_param("RequestTime").unwrap().parse().unwrap();
    assert_eq!(
        got[0].query_param("Sign"),
        Some(sha256_hex(&format!("{TOKEN}{t}")).as_str()),
        "freshly signed with listen's token"
    );
    assert!(
        c.find(Locator::Css("#fail"))
            .await
            .unwrap()
            .attr("hidden")
            .await
            .unwrap()
            .is_some(),
        "the page reported no failure"
    );
}
