//! `deskhook listen --inspect` over HTTP: the ready record, the event stream, the detail of an
//! exchange (violations at their paths, the credential check explained), Replay, Download,
//! history from the capture, and every refusal of the guards (Host, key, cross-site).
//!
//! Callbacks are sent with `deskhook send`/`flow` to the receiver; the inspector is spoken to
//! with hand-written HTTP so that each guarded header can be forged. No test asserts on speed.

mod support;

use serde_json::{json, Value};
use support::inspect::{all_text, request as http, wait_for, Events, Inspected as Listen, TOKEN};
use support::{now_s, sha256_hex, TestServer};

/// Every valid Sign that listen's token makes within `window` s of now: none may be shown.
fn valid_signs(window: u64) -> Vec<String> {
    let now = now_s();
    (now - window..=now + 5)
        .map(|t| sha256_hex(&format!("{TOKEN}{t}")))
        .collect()
}

fn assert_no_secret(what: &str, text: &str) {
    assert!(!text.contains(TOKEN), "{what} shows the token:\n{text}");
    for s in valid_signs(1200) {
        assert!(!text.contains(&s), "{what} shows a valid Sign {s}:\n{text}");
    }
}

fn row_where(rows: &[Value], key: &str, value: &str) -> Value {
    rows.iter()
        .find(|r| r[key] == value)
        .unwrap_or_else(|| panic!("no row with {key} = {value}: {rows:#?}"))
        .clone()
}

// ---------------------------------------------------------------------------------------------
// the ready record and the flags

#[test]
fn the_ready_record_and_the_ready_line_name_the_inspector() {
    let l = Listen::start(&[]);
    assert!(
        l.inspector.starts_with("http://127.0.0.1:"),
        "{}",
        l.inspector
    );
    assert_eq!(l.key.len(), 32, "a 128-bit key in hex: {}", l.inspector);
    assert!(l.url.starts_with("http://127.0.0.1:"));
    assert_ne!(
        l.url,
        format!("http://{}/", l.addr),
        "the inspector has its own port"
    );
    let schema = support::read_json("fixtures/output.schema.json");
    let errors = support::schema_errors(&schema, &l.ready);
    assert!(errors.is_empty(), "{errors:?}");
    l.stop();

    let mut human = support::inspect::bin()
        .args(["listen", "--port", "0", "--inspect"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(human.stdout.take().unwrap()),
        &mut line,
    )
    .unwrap();
    let _ = human.kill();
    let _ = human.wait();
    assert!(
        line.starts_with("deskhook listening on http://127.0.0.1:")
            && line.contains("; inspector on http://127.0.0.1:")
            && line.contains("/#key="),
        "{line}"
    );
}

#[test]
fn inspect_flags_need_inspect() {
    for flag in [
        ["--inspect-port", "0"],
        ["--inspect-keep", "5"],
        ["--inspect-history", "5"],
    ] {
        let out = support::deskhook()
            .args(["listen", "--port", "0"])
            .args(flag)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{flag:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("--inspect"), "{err}");
    }
}

#[test]
fn inspect_port_is_the_port_given() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let l = Listen::start(&["--inspect-port", &port.to_string()]);
    assert_eq!(l.addr, format!("127.0.0.1:{port}"));
}

// ---------------------------------------------------------------------------------------------
// the event stream and the rows

#[test]
fn the_event_stream_sends_a_snapshot_then_each_new_exchange() {
    let l = Listen::start(&["--token", TOKEN]);
    l.send(&["SessionBegin", "--token", TOKEN]);
    l.wait_rows(1);
    let mut events = Events::open(&l);
    assert_eq!(events.status, 200);
    let snap = events.next();
    assert_eq!(snap.name, "snapshot");
    let held = snap.data.as_array().unwrap();
    assert_eq!(held.len(), 1);
    assert_eq!(held[0]["event"], "SessionBegin");
    assert_eq!(held[0]["verdict"], "accepted");

    l.send(&[
        "ChatBot.UserSendMsg",
        "--token",
        TOKEN,
        "--set",
        r#"MsgBody=[{"MsgType":"TIMTextElem","MsgContent":{"Text":"where is my parcel?"}}]"#,
    ]);
    let news = events.next();
    assert_eq!(news.name, "exchange");
    let row = &news.data;
    assert_eq!(row["event"], "ChatBot.UserSendMsg");
    assert_eq!(row["provider"], "tencent");
    assert_eq!(row["command"], "Desk.SessionEventNotify");
    assert_eq!(row["verdict"], "accepted");
    assert_eq!(row["status"], 200);
    assert!(row["id"].as_u64().unwrap() > held[0]["id"].as_u64().unwrap());
    assert!(
        row["session"].as_str().is_some_and(|s| !s.is_empty()),
        "{row}"
    );
    assert_eq!(
        row["talk"],
        json!({"role": "user", "text": "where is my parcel?"})
    );
    assert!(row["latency_ms"].as_f64().unwrap() >= 0.0);
    assert_no_secret("a stream row", &news.data.to_string());
}

#[test]
fn rows_are_newest_first_and_the_ring_keeps_the_last_n() {
    let l = Listen::start(&["--inspect-keep", "3"]);
    l.send(&["SessionBegin", "--count", "5"]);
    let rows = wait_for("the 5th exchange", || {
        let info = l.get_json("/api/info");
        (info["recorded"] == 5).then_some(l.rows())
    });
    assert_eq!(rows.len(), 3, "{rows:#?}");
    let ids: Vec<u64> = rows.iter().map(|r| r["id"].as_u64().unwrap()).collect();
    assert_eq!(ids, [5, 4, 3]);
    let gone = l.api("GET", "/api/exchanges/1", &[], b"");
    assert_eq!(gone.status, 404);
    assert!(gone.json()["error"]
        .as_str()
        .unwrap()
        .contains("--inspect-keep"));
}

// ---------------------------------------------------------------------------------------------
// the detail

#[test]
fn an_invalid_body_has_its_violation_at_its_json_path() {
    let l = Listen::start(&[]);
    l.send(&["SessionBegin", "--set", "EventTime=\"soon\""]);
    let row = l.wait_rows(1).remove(0);
    assert_eq!(row["verdict"], "invalid");
    assert!(
        row["reason"].as_str().unwrap().contains("/EventTime"),
        "{row}"
    );
    let d = l.get_json(&format!("/api/exchanges/{}", row["id"]));
    let v = d["problems"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["path"] == "/EventTime")
        .unwrap_or_else(|| panic!("no violation at /EventTime: {:#}", d["problems"]));
    assert_eq!(v["kind"], "pointer");
    assert!(v["got"].as_str().unwrap().contains("soon"), "{v}");
    assert_eq!(d["body"]["json"]["EventTime"], "soon");
    assert_eq!(d["answer"]["by"], "deskhook");
    assert_eq!(d["answer"]["status"], 200);
    assert_eq!(d["auth"]["state"], "not_checked");
}

#[test]
fn a_stale_signature_is_explained_with_the_skew_and_never_a_valid_sign() {
    let l = Listen::start(&["--token", TOKEN]);
    let ten_minutes_ago = (now_s() - 600) * 1000;
    l.send(&[
        "SessionBegin",
        "--token",
        TOKEN,
        "--now",
        &ten_minutes_ago.to_string(),
    ]);
    let row = l.wait_rows(1).remove(0);
    assert_eq!(row["verdict"], "refused");
    assert_eq!(row["status"], 401);
    assert!(
        row["reason"]
            .as_str()
            .unwrap()
            .contains("stale RequestTime"),
        "{row}"
    );
    let r = l.api("GET", &format!("/api/exchanges/{}", row["id"]), &[], b"");
    assert_no_secret("the detail of a stale callback", &r.text());
    let d = r.json();
    let a = &d["auth"];
    assert_eq!(a["scheme"], "sign");
    assert_eq!(a["state"], "failed");
    assert_eq!(a["outcome"], "stale");
    let skew = a["skew_s"].as_i64().unwrap();
    assert!((-660..=-600).contains(&skew), "{a}");
    assert_eq!(a["tolerance_s"], 60);
    assert!(a["headline"].as_str().unwrap().contains("behind"), "{a}");
    let steps: Vec<(&str, &str)> = a["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["check"].as_str().unwrap(), s["result"].as_str().unwrap()))
        .collect();
    assert_eq!(
        steps.iter().filter(|(_, r)| *r == "failed").count(),
        1,
        "{steps:?}"
    );
    assert!(steps.last().unwrap().0.contains("±60 s") && steps.last().unwrap().1 == "failed");
    // The Sign was right for its time: it is hidden, in the parameters and in the commands.
    let sign = d["params"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p[0] == "Sign")
        .unwrap();
    assert_eq!(sign[1], "(hidden)");
    assert!(d["commands"]["curl"]
        .as_str()
        .unwrap()
        .contains("$DESKHOOK_TOKEN"));
}

#[test]
fn a_wrong_token_is_explained_and_its_sign_shown_a_valid_one_never() {
    let l = Listen::start(&["--token", TOKEN]);
    l.send(&["SessionBegin", "--token", "another-token"]);
    l.send(&["SessionEnd", "--token", TOKEN]);
    let rows = l.wait_rows(2);
    let wrong = row_where(&rows, "verdict", "refused");
    let d = l.get_json(&format!("/api/exchanges/{}", wrong["id"]));
    assert_eq!(d["auth"]["outcome"], "wrong_token");
    let came = d["auth"]["came"].as_str().unwrap();
    let sent = d["params"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p[0] == "Sign")
        .unwrap()[1]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(sent.len(), 64, "a wrong Sign is no credential here: shown");
    assert!(came.contains(&sent), "{came}");

    let ok = row_where(&rows, "verdict", "accepted");
    let r = l.api("GET", &format!("/api/exchanges/{}", ok["id"]), &[], b"");
    assert_no_secret("the detail of a verified callback", &r.text());
    let d = r.json();
    assert_eq!(d["auth"]["state"], "ok");
    assert_eq!(d["auth"]["steps"].as_array().unwrap().len(), 5);
    assert!(
        d["query"].as_str().unwrap().contains("Sign=%28hidden%29"),
        "{}",
        d["query"]
    );
}

#[test]
fn a_cec_bearer_check_is_explained_with_the_value_redacted() {
    let l = Listen::start(&["--token", TOKEN]);
    l.send(&["cec.agent-message", "--token", "not-it"]);
    let row = l.wait_rows(1).remove(0);
    assert_eq!(row["verdict"], "refused");
    let r = l.api("GET", &format!("/api/exchanges/{}", row["id"]), &[], b"");
    assert!(!r.text().contains("not-it"), "{}", r.text());
    let d = r.json();
    assert_eq!(d["auth"]["scheme"], "bearer");
    assert_eq!(d["auth"]["outcome"], "wrong_token");
    assert_eq!(d["auth"]["came"], "Authorization: Bearer (redacted)");
    assert!(d["commands"]["curl"]
        .as_str()
        .unwrap()
        .contains("Authorization: Bearer $DESKHOOK_TOKEN"));
}

#[test]
fn a_session_reads_as_a_conversation() {
    let l = Listen::start(&["--token", TOKEN]);
    let out = l.flow("bot-resolved");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let rows = wait_for("the whole flow", || {
        let rows = l.rows();
        (rows.len() >= 3 && l.get_json("/api/info")["recorded"].as_u64() == Some(rows.len() as u64))
            .then_some(rows)
    });
    let session = rows[0]["session"].as_str().unwrap().to_owned();
    assert!(
        rows.iter().all(|r| r["session"] == session.as_str()),
        "{rows:#?}"
    );
    let roles: Vec<&str> = rows
        .iter()
        .rev()
        .map(|r| r["talk"]["role"].as_str().unwrap())
        .collect();
    assert!(
        roles.contains(&"user") && roles.contains(&"bot"),
        "{roles:?}"
    );
    let said: Vec<&Value> = rows
        .iter()
        .filter(|r| r["talk"]["role"] == "user" || r["talk"]["role"] == "bot")
        .collect();
    assert!(
        said.iter()
            .all(|r| r["talk"]["text"].as_str().is_some_and(|t| !t.is_empty())),
        "{said:#?}"
    );
}

// ---------------------------------------------------------------------------------------------
// copy as a command

#[test]
fn the_copied_send_command_reproduces_the_callback() {
    let l = Listen::start(&["--token", TOKEN]);
    l.send(&["SessionBegin", "--token", TOKEN]);
    let row = l.wait_rows(1).remove(0);
    let d = l.get_json(&format!("/api/exchanges/{}", row["id"]));
    let cmd = d["commands"]["send"].as_str().unwrap();
    assert!(cmd.contains("deskhook send SessionBegin"), "{cmd}");
    let bin = env!("CARGO_BIN_EXE_deskhook");
    let script = cmd.replace("| deskhook send", &format!("| '{bin}' send"));
    let out = std::process::Command::new("sh")
        .args(["-c", &script])
        .env("DESKHOOK_TOKEN", TOKEN)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{script}\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let rows = l.wait_rows(2);
    let again = &rows[0];
    assert_eq!(again["verdict"], "accepted", "{again}");
    let first = l.get_json(&format!("/api/exchanges/{}", row["id"]));
    let second = l.get_json(&format!("/api/exchanges/{}", again["id"]));
    assert_eq!(first["body"], second["body"], "the same body");
    assert_eq!(first["path"], second["path"]);
}

// ---------------------------------------------------------------------------------------------
// replay

#[test]
fn replay_delivers_freshly_signed_to_a_typed_url_and_returns_the_new_answer() {
    let backend = TestServer::start(|_| {
        (
            200,
            br#"{"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":"from the backend"}"#.to_vec(),
            None,
        )
    });
    let l = Listen::start(&["--token", TOKEN]);
    let old = (now_s() - 600) * 1000;
    l.send(&["SessionBegin", "--token", TOKEN, "--now", &old.to_string()]);
    let row = l.wait_rows(1).remove(0);
    assert_eq!(
        row["verdict"], "refused",
        "stale on purpose: a replay must re-sign"
    );
    let before = l.get_json(&format!("/api/exchanges/{}", row["id"]));
    let target = format!("{}hook?tenant=7", backend.url());
    let r = l.replay(&json!({"id": row["id"], "to": "url", "url": target, "sign": "fresh"}));
    assert_eq!(r.status, 200, "{}", r.text());
    assert_no_secret("a replay outcome", &r.text());
    let o = r.json();
    assert_eq!(o["status"], 200);
    assert_eq!(o["verdict"], "ok");
    assert_eq!(o["signing"], "fresh");
    assert_eq!(o["answer_json"]["ErrorInfo"], "from the backend");
    assert!(
        o["url"].as_str().unwrap().contains("Sign=%28hidden%29"),
        "{o}"
    );

    let got = backend.requests();
    assert_eq!(got.len(), 1);
    let req = &got[0];
    assert_eq!(req.path, "/hook");
    assert_eq!(req.query_param("tenant"), Some("7"));
    let t: u64 = req.query_param("RequestTime").unwrap().parse().unwrap();
    assert!(t + 60 >= now_s(), "a fresh RequestTime");
    assert_eq!(
        req.query_param("Sign"),
        Some(sha256_hex(&format!("{TOKEN}{t}")).as_str())
    );
    let line = l.api("GET", &format!("/api/download?ids={}", row["id"]), &[], b"");
    let captured: Value = serde_json::from_str(line.text().trim()).unwrap();
    assert_eq!(
        req.body,
        captured["body"].as_str().unwrap().as_bytes(),
        "the body byte for byte"
    );
    assert_eq!(
        before["answer"]["status"], 401,
        "the old answer stays beside the new"
    );
}

#[test]
fn replay_to_the_forward_backend_as_captured() {
    let backend = TestServer::documented();
    let l = Listen::start(&["--token", TOKEN, "--forward-to", &backend.url()]);
    l.send(&["SessionBegin", "--token", TOKEN]);
    let row = l.wait_rows(1).remove(0);
    assert_eq!(row["verdict"], "accepted");
    let d = l.get_json(&format!("/api/exchanges/{}", row["id"]));
    assert_eq!(d["answer"]["by"], "backend");
    let r = l.replay(&json!({"id": row["id"], "to": "forward", "sign": "as_is"}));
    assert_eq!(r.status, 200, "{}", r.text());
    assert_no_secret("an as-is replay outcome", &r.text());
    let o = r.json();
    assert_eq!(o["signing"], "as_is");
    assert_eq!(o["status"], 200);
    let got = backend.requests();
    assert_eq!(got.len(), 2, "relayed once by listen, once by Replay");
    assert_eq!(
        got[0].raw_query, got[1].raw_query,
        "as captured: the same query"
    );
    assert_eq!(got[0].body, got[1].body);
}

#[test]
fn replay_says_why_it_cannot() {
    let l = Listen::start(&[]);
    l.send(&["SessionBegin"]);
    let row = l.wait_rows(1).remove(0);
    let id = row["id"].clone();
    let cases = [
        (
            json!({"id": id, "to": "forward", "sign": "fresh"}),
            400,
            "--forward-to",
        ),
        (
            json!({"id": id, "to": "url", "url": "ftp://x/", "sign": "fresh"}),
            400,
            "http",
        ),
        (
            json!({"id": id, "to": "url", "url": "not a url", "sign": "fresh"}),
            400,
            "not a URL",
        ),
        (
            json!({"id": 999, "to": "url", "url": "http://127.0.0.1:9/", "sign": "fresh"}),
            404,
            "no such exchange",
        ),
        (json!({"id": id, "to": "url"}), 400, "not a replay request"),
    ];
    for (req, status, says) in cases {
        let r = l.replay(&req);
        assert_eq!(r.status, status, "{req}: {}", r.text());
        let msg = r.json()["error"].as_str().unwrap().to_owned();
        assert!(msg.contains(says), "{req}: {msg}");
    }
    let closed = support::closed_port();
    let r = l.replay(&json!({"id": id, "to": "url", "url": closed, "sign": "fresh"}));
    assert_eq!(
        r.status,
        200,
        "a transport error is an outcome: {}",
        r.text()
    );
    let o = r.json();
    assert_eq!(o["verdict"], "transport_error");
    assert!(
        o["error"].as_str().unwrap().contains("connection refused"),
        "{o}"
    );
}

// ---------------------------------------------------------------------------------------------
// download and history

#[test]
fn download_gives_capture_lines_with_a_valid_sign_hidden() {
    let l = Listen::start(&["--token", TOKEN]);
    l.send(&["SessionBegin", "--token", TOKEN]);
    l.send(&["SessionEnd", "--token", TOKEN]);
    l.wait_rows(2);
    let r = l.api("GET", "/api/download", &[], b"");
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("application/x-ndjson"));
    assert!(r
        .header("content-disposition")
        .unwrap()
        .contains("attachment"));
    assert_no_secret("a download", &r.text());
    let schema = support::read_json("fixtures/capture.schema.json");
    let lines: Vec<Value> = r
        .text()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    for line in &lines {
        let errors = support::schema_errors(&schema, line);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(line["auth"]["outcome"], "ok");
        assert!(line["query"]
            .as_str()
            .unwrap()
            .contains("Sign=%28hidden%29"));
    }
    let one = l.api("GET", "/api/download?ids=2", &[], b"");
    assert_eq!(one.text().lines().count(), 1);
    assert_eq!(l.api("GET", "/api/download?ids=77", &[], b"").status, 404);
}

#[test]
fn history_from_the_capture_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let capture = dir.path().join("c.jsonl");
    let path = capture.to_str().unwrap();
    let first = Listen::start(&["--save", path]);
    first.send(&["SessionBegin", "--count", "3"]);
    first.wait_rows(3);
    first.stop();
    std::fs::OpenOptions::new()
        .append(true)
        .open(&capture)
        .and_then(|mut f| std::io::Write::write_all(&mut f, b"{cut short\n"))
        .unwrap();

    // The last 3 lines: 2 exchanges and the line a crash cut short.
    let second = Listen::start(&["--save", path, "--inspect-history", "3"]);
    let rows = second.rows();
    assert_eq!(rows.len(), 2, "the last lines of the capture: {rows:#?}");
    assert!(rows.iter().all(|r| r["history"] == true));
    let seqs: Vec<&Value> = rows.iter().map(|r| &r["seq"]).collect();
    assert_eq!(seqs, [&json!(3), &json!(2)], "newest first");
    let info = second.get_json("/api/info");
    assert_eq!(info["history"], json!({"exchanges": 2, "malformed": 1}));
    second.send(&["SessionEnd"]);
    let rows = second.wait_rows(3);
    assert_eq!(rows[0]["history"], false);
    assert_eq!(rows[0]["event"], "SessionEnd");
    let d = second.get_json(&format!("/api/exchanges/{}", rows[1]["id"]));
    assert_eq!(d["auth"]["state"], "not_recorded");
    assert!(
        d["answer"]["by"].is_null(),
        "who answered a past run is not known"
    );
    let stopped = second.stop();
    assert!(
        stopped.stderr.contains("skipped 1 line"),
        "{}",
        stopped.stderr
    );
}

// ---------------------------------------------------------------------------------------------
// the guards: each refusal

#[test]
fn a_foreign_host_is_refused_on_the_page_and_the_api() {
    let l = Listen::start(&["--token", TOKEN]);
    for path in ["/", "/app.js", "/api/info", "/api/stream", "/api/download"] {
        let r = http(
            &l.addr,
            "GET",
            path,
            &[("Host", "rebound.example:80"), ("X-Deskhook-Key", &l.key)],
            b"",
        );
        assert_eq!(r.status, 421, "{path}: {}", r.text());
        assert!(r.text().contains("DNS rebinding"), "{}", r.text());
        assert!(!all_text(&r).contains(&l.key));
    }
    let port = l.addr.rsplit(':').next().unwrap();
    for host in ["localhost", "127.0.0.1"] {
        let r = http(
            &l.addr,
            "GET",
            "/",
            &[("Host", &format!("{host}:{port}"))],
            b"",
        );
        assert_eq!(r.status, 200, "{host}");
    }
    let wrong_port = http(&l.addr, "GET", "/", &[("Host", "127.0.0.1:1")], b"");
    assert_eq!(wrong_port.status, 421);
    let r = l.replay(&json!({"id": 1, "to": "forward", "sign": "fresh"}));
    assert_ne!(r.status, 421, "its own Host passes");
    let forged = http(
        &l.addr,
        "POST",
        "/api/replay",
        &[
            ("Host", "rebound.example"),
            ("X-Deskhook-Key", &l.key),
            ("Content-Type", "application/json"),
        ],
        b"{}",
    );
    assert_eq!(forged.status, 421);
}

#[test]
fn the_api_refuses_a_missing_or_wrong_key() {
    let l = Listen::start(&["--token", TOKEN]);
    for path in [
        "/api/info",
        "/api/exchanges",
        "/api/exchanges/1",
        "/api/stream",
        "/api/download",
    ] {
        for key in [None, Some("0123456789abcdef0123456789abcdef")] {
            let mut headers = vec![("Host", l.addr.as_str())];
            if let Some(k) = key {
                headers.push(("X-Deskhook-Key", k));
            }
            let r = http(&l.addr, "GET", path, &headers, b"");
            assert_eq!(r.status, 401, "{path} {key:?}: {}", r.text());
            assert!(!all_text(&r).contains(&l.key));
            assert!(
                key.is_none_or(|k| !all_text(&r).contains(k)),
                "echoes the key it got"
            );
        }
    }
    let no_key = http(
        &l.addr,
        "POST",
        "/api/replay",
        &[("Host", &l.addr), ("Content-Type", "application/json")],
        br#"{"id":1,"to":"forward","sign":"fresh"}"#,
    );
    assert_eq!(no_key.status, 401);
    let page = http(&l.addr, "GET", "/", &[("Host", &l.addr)], b"");
    assert_eq!(
        page.status, 200,
        "the page itself holds no data and needs no key"
    );
    assert!(!all_text(&page).contains(&l.key), "the key is never served");
}

#[test]
fn replay_and_download_refuse_cross_site_requests() {
    let backend = TestServer::documented();
    let l = Listen::start(&["--token", TOKEN]);
    l.send(&["SessionBegin", "--token", TOKEN]);
    let row = l.wait_rows(1).remove(0);
    let replay =
        json!({"id": row["id"], "to": "url", "url": backend.url(), "sign": "fresh"}).to_string();
    let json_type = ("Content-Type", "application/json");
    let own_origin = format!("http://{}", l.addr);
    let cross: [(&str, &str); 5] = [
        ("Sec-Fetch-Site", "cross-site"),
        ("Sec-Fetch-Site", "same-site"),
        ("Sec-Fetch-Site", "none"),
        ("Origin", "http://evil.example"),
        ("Origin", "null"),
    ];
    for header in cross {
        let r = l.api(
            "POST",
            "/api/replay",
            &[json_type, header],
            replay.as_bytes(),
        );
        assert_eq!(r.status, 403, "replay with {header:?}: {}", r.text());
        assert!(r.text().contains("cross-site"), "{}", r.text());
        let d = l.api("GET", "/api/download", &[header], b"");
        assert_eq!(d.status, 403, "download with {header:?}");
        let s = l.api("GET", "/api/stream", &[header], b"");
        assert_eq!(s.status, 403, "stream with {header:?}");
    }
    assert!(backend.requests().is_empty(), "no refused replay was sent");
    let plain = l.api(
        "POST",
        "/api/replay",
        &[("Content-Type", "text/plain")],
        replay.as_bytes(),
    );
    assert_eq!(
        plain.status,
        415,
        "a form or no-cors post cannot be JSON: {}",
        plain.text()
    );
    let form = l.api(
        "POST",
        "/api/replay",
        &[("Content-Type", "application/x-www-form-urlencoded")],
        replay.as_bytes(),
    );
    assert_eq!(form.status, 415);
    assert!(backend.requests().is_empty());
    let same = l.api(
        "POST",
        "/api/replay",
        &[
            json_type,
            ("Origin", &own_origin),
            ("Sec-Fetch-Site", "same-origin"),
        ],
        replay.as_bytes(),
    );
    assert_eq!(same.status, 200, "the page's own request: {}", same.text());
    assert_eq!(backend.requests().len(), 1);
}

#[test]
fn every_answer_forbids_framing_sniffing_and_cross_origin_reads() {
    let l = Listen::start(&[]);
    let page = http(&l.addr, "GET", "/", &[("Host", &l.addr)], b"");
    let csp = page.header("content-security-policy").unwrap();
    assert!(
        csp.contains("frame-ancestors 'none'") && csp.contains("script-src 'self'"),
        "{csp}"
    );
    for r in [
        page,
        l.api("GET", "/api/info", &[], b""),
        l.api("GET", "/api/nothing", &[], b""),
    ] {
        assert_eq!(r.header("x-frame-options"), Some("DENY"));
        assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
        assert_eq!(
            r.header("cross-origin-resource-policy"),
            Some("same-origin")
        );
        assert_eq!(r.header("cache-control"), Some("no-store"));
        assert!(r.header("access-control-allow-origin").is_none());
    }
    let preflight = l.api(
        "OPTIONS",
        "/api/replay",
        &[
            ("Origin", "http://evil.example"),
            ("Access-Control-Request-Method", "POST"),
        ],
        b"",
    );
    assert!(preflight.status >= 400, "a CORS preflight is never granted");
    assert!(preflight.header("access-control-allow-origin").is_none());
}

#[test]
fn nothing_the_inspector_serves_shows_the_token() {
    let backend = TestServer::documented();
    let l = Listen::start(&["--token", TOKEN, "--forward-to", &backend.url()]);
    l.send(&["SessionBegin", "--token", TOKEN]);
    l.send(&["cec.agent-message", "--token", TOKEN]);
    l.send(&["SessionEnd", "--token", "wrong"]);
    let rows = l.wait_rows(3);
    let mut seen = vec![
        l.api("GET", "/api/info", &[], b""),
        l.api("GET", "/api/exchanges", &[], b""),
        l.api("GET", "/api/download", &[], b""),
        http(&l.addr, "GET", "/", &[("Host", &l.addr)], b""),
        http(&l.addr, "GET", "/app.js", &[("Host", &l.addr)], b""),
    ];
    for r in &rows {
        seen.push(l.api("GET", &format!("/api/exchanges/{}", r["id"]), &[], b""));
        for sign in ["fresh", "as_is"] {
            seen.push(l.replay(&json!({"id": r["id"], "to": "forward", "sign": sign})));
        }
    }
    for r in &seen {
        assert!(r.status < 500, "{}", r.text());
        assert_no_secret("an inspector answer", &all_text(r));
    }
    let stopped = l.stop();
    assert!(!stopped.stderr.contains(TOKEN) && !stopped.stdout.join("\n").contains(TOKEN));
}
