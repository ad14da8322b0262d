//! Exchanges for the inspector's unit tests.

use crate::exchange::{Exchange, ExchangeVerdict};

/// An accepted POST exchange with this body, received at a fixed time plus `seq` ms.
pub fn exchange(seq: u64, body: &str) -> Exchange {
    let mut ex = Exchange {
        v: 1,
        seq,
        received_at_ms: 1_700_000_000_000 + seq,
        answered_at_ms: 1_700_000_000_001 + seq,
        remote: "127.0.0.1:1".into(),
        method: "POST".into(),
        path: "/".into(),
        query: String::new(),
        headers: vec![("content-type".into(), "application/json".into())],
        body: None,
        body_base64: None,
        event: None,
        session_id: None,
        provider: None,
        verdict: ExchangeVerdict::Accepted,
        problems: vec![],
        status: 200,
        answer: "{}".into(),
        latency_ms: 0.1,
        answer_problems: vec![],
        auth: None,
        caller_closed_after_ms: None,
    };
    ex.set_body(body.as_bytes());
    ex
}
