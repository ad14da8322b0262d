//! Property tests: the parsers of what users and callers hand deskhook never panic, and what
//! they accept means what it says. Durations (every DUR flag and `pause`), `--set`/`--unset`
//! paths, capture lines (`replay`), and the receiver's handling of query strings.

use deskhook::clock::{parse_duration, MAX_DURATION};
use deskhook::exchange::{Exchange, ExchangeVerdict};
use deskhook::payload::{self, Override};
use deskhook::replay::Replayer;
use proptest::prelude::*;
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::time::Duration;

// ---------------------------------------------------------------------------------------------
// durations
// ---------------------------------------------------------------------------------------------

proptest! {
    #[test]
    fn durations_never_panic_and_stay_within_a_day(s in "\\PC{0,12}") {
        if let Ok(d) = parse_duration(&s) {
            prop_assert!(d <= MAX_DURATION, "{s:?} gave {d:?}");
        }
    }

    #[test]
    fn number_like_durations_never_panic(
        n in prop_oneof![any::<f64>().prop_map(|f| f.to_string()), "[-+0-9.eE]{1,30}"],
        unit in prop::sample::select(vec!["", "s", "ms", "us", "ns", "m", "h", "d", "x", " s", "sec"]),
    ) {
        let s = format!("{n}{unit}");
        if let Ok(d) = parse_duration(&s) {
            prop_assert!(d <= MAX_DURATION, "{s:?} gave {d:?}");
            prop_assert!(!unit.is_empty() || d.is_zero(), "{s:?}: a bare number was accepted");
        }
    }

    #[test]
    fn written_durations_read_back(ms in 0u64..=86_400_000) {
        prop_assert_eq!(parse_duration(&format!("{ms}ms")), Ok(Duration::from_millis(ms)));
        let secs = ms as f64 / 1000.0;
        let back = parse_duration(&format!("{secs}s")).unwrap();
        prop_assert!((back.as_secs_f64() - secs).abs() < 1e-6, "{secs}s gave {back:?}");
    }

    #[test]
    fn bare_numbers_other_than_zero_are_refused(n in 1u64..u64::MAX) {
        let e = parse_duration(&n.to_string()).unwrap_err();
        prop_assert!(e.contains("no unit") || e.contains("24h"), "{e}");
    }
}

// ---------------------------------------------------------------------------------------------
// --set / --unset paths
// ---------------------------------------------------------------------------------------------

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        "\\PC{0,6}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 32, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec(("[A-Za-z0-9]{0,3}", inner), 0..4)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

fn path() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            "[A-Za-z]{0,3}",
            "[0-9]{1,3}",
            "\\PC{0,4}",
            Just(String::new())
        ],
        1..5,
    )
    .prop_map(|segs| segs.join("."))
}

proptest! {
    #[test]
    fn set_and_unset_never_panic(mut body in json_value(), path in path(), value in json_value()) {
        let before = body.clone();
        match payload::set(&mut body, &path, value.clone()) {
            Ok(()) => {
                // A set that succeeded can be undone by path (unless it appended to an array).
                let mut again = body.clone();
                let _ = payload::unset(&mut again, &path);
            }
            Err(e) => prop_assert!(!e.to_string().is_empty()),
        }
        let mut b = before;
        let _ = payload::unset(&mut b, &path);
        let _ = payload::new_field_note(&b, &path);
    }

    #[test]
    fn set_then_read_back_by_object_path(key in "[A-Za-z]{1,8}", sub in "[A-Za-z]{1,8}", value in json_value()) {
        let mut body = json!({"Event": "X"});
        payload::set(&mut body, &format!("{key}.{sub}"), value.clone()).unwrap();
        prop_assert_eq!(&body[&key][&sub], &value);
    }

    #[test]
    fn override_arguments_never_panic(s in "\\PC{0,24}") {
        if let Ok(o) = s.parse::<Override>() {
            prop_assert!(!o.path.is_empty());
        }
    }
}

// ---------------------------------------------------------------------------------------------
// capture lines
// ---------------------------------------------------------------------------------------------

fn replayer() -> Replayer {
    Replayer {
        target: url::Url::parse("http://backend.test/cb").unwrap(),
        token: Some(deskhook::secret::Secret::new("t")),
        as_is: false,
        clock: deskhook::clock::Clock::Fixed(1_669_872_112_000),
        only: vec![],
    }
}

fn exchange() -> impl Strategy<Value = Exchange> {
    (
        prop::collection::vec(any::<u8>(), 0..64),
        "[ -~]{0,40}",
        prop::sample::select(vec![
            None,
            Some("SessionBegin"),
            Some("cec.read"),
            Some("Nope"),
        ]),
        any::<u16>(),
        prop::option::of(0.0f64..1e6),
    )
        .prop_map(|(body, query, event, status, closed)| {
            let mut ex = Exchange {
                v: 1,
                seq: 1,
                received_at_ms: 1,
                answered_at_ms: 2,
                remote: "127.0.0.1:1".into(),
                method: "POST".into(),
                path: "/cb".into(),
                query,
                headers: vec![("content-type".into(), "application/json".into())],
                body: None,
                body_base64: None,
                event: event.map(str::to_owned),
                session_id: None,
                provider: None,
                verdict: ExchangeVerdict::Accepted,
                problems: vec![],
                status,
                answer: "{}".into(),
                latency_ms: 0.1,
                answer_problems: vec![],
                auth: None,
                caller_closed_after_ms: closed,
            };
            ex.set_body(&body);
            ex
        })
}

proptest! {
    #[test]
    fn capture_lines_of_any_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        let _ = replayer().parse_line(1, &bytes);
    }

    #[test]
    fn mangled_capture_lines_never_panic(ex in exchange(), cut in any::<prop::sample::Index>(), byte in any::<u8>()) {
        let mut line = ex.to_line().into_bytes();
        let i = cut.index(line.len());
        line[i] = byte;
        let r = replayer();
        if let Ok(Some(item)) = r.parse_line(1, &line) {
            let _ = r.callback(item);
        }
        line.truncate(i);
        let _ = r.parse_line(1, &line);
    }

    #[test]
    fn capture_lines_round_trip_their_body_bytes(ex in exchange()) {
        let line = ex.to_line();
        let r = replayer();
        match r.parse_line(1, line.as_bytes()) {
            Ok(Some(item)) => {
                let c = r.callback(item).unwrap();
                prop_assert_eq!(c.body.to_vec(), ex.body_bytes().unwrap());
            }
            Ok(None) => prop_assert!(!matches!(ex.event.as_deref(), Some("SessionBegin") | Some("cec.read"))),
            Err(e) => prop_assert!(false, "a line deskhook wrote is malformed: {e}"),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// the receiver's query handling
// ---------------------------------------------------------------------------------------------

/// Any query string (percent-encoded where HTTP requires it), with or without a signature, to
/// a receiver that checks SdkAppid and the token: an answer, never a dropped connection (a
/// panic in a handler would drop it) and never a 5xx.
#[test]
fn any_query_string_gets_a_clean_answer() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let cfg = deskhook::server::Config {
        sdkappid: Some("1400187352".into()),
        token: Some(deskhook::secret::Secret::new("T")),
        ..Default::default()
    };
    let server = rt
        .block_on(deskhook::server::start("127.0.0.1", 0, cfg))
        .unwrap();
    let addr = server.addr;
    let body = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures/seeds/000-session-event.request.json"),
    )
    .unwrap();
    let pair = (
        prop::sample::select(vec![
            "SdkAppid",
            "CallbackCommand",
            "Sign",
            "RequestTime",
            "RequestID",
            "contenttype",
            "",
            "%FF",
            "a+b",
        ]),
        prop::collection::vec(any::<u8>(), 0..24),
    );
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig::with_cases(128));
    runner
        .run(&prop::collection::vec(pair, 0..6), |pairs| {
            let query: String = pairs
                .iter()
                .map(|(k, v)| {
                    let v: String = v.iter().map(|b| format!("%{b:02X}")).collect();
                    format!("{k}={v}")
                })
                .collect::<Vec<_>>()
                .join("&");
            let mut s = std::net::TcpStream::connect(addr).unwrap();
            s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
            let mut raw = format!(
                "POST /cb?{query} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
                body.len()
            )
            .into_bytes();
            raw.extend_from_slice(&body);
            s.write_all(&raw).unwrap();
            let mut r = BufReader::new(s);
            let mut status_line = String::new();
            r.read_line(&mut status_line).unwrap();
            let mut rest = Vec::new();
            let _ = r.read_to_end(&mut rest);
            let status: u16 = status_line
                .split(' ')
                .nth(1)
                .and_then(|s| s.parse().ok())
                .unwrap_or_else(|| panic!("no answer to ?{query}: {status_line:?}"));
            prop_assert!(status < 500, "?{query} → {status_line}");
            Ok(())
        })
        .unwrap();
    rt.block_on(server.shutdown(Duration::from_secs(1)));
}
