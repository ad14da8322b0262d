//! Replaying a capture: each captured exchange that is a POST of a recognised event becomes a
//! callback again, its body byte for byte as captured. By default the query is re-signed (the
//! captured `Sign`/`RequestTime` go; fresh ones come with a token, since a captured
//! `RequestTime` is stale after 60 s); `as_is` keeps the captured query untouched. The
//! captured `RequestID` is kept, so a replay exercises the backend's de-duplication.

use crate::callback::{bearer, cec_url, with_raw_query, Callback};
use crate::catalogue::{catalogue, Event};
use crate::clock::Clock;
use crate::error::usage;
use crate::exchange;
use crate::query;
use crate::secret::Secret;
use crate::sign::sign;
use anyhow::Result;
use bytes::Bytes;
use serde::Deserialize;
use serde_json::Value;
use std::borrow::Cow;
use url::Url;

/// How captured exchanges become callbacks again.
pub struct Replayer {
    pub target: Url,
    pub token: Option<Secret>,
    pub as_is: bool,
    pub clock: Clock,
    /// Replay only these events (all when empty).
    pub only: Vec<&'static Event>,
}

/// One captured exchange to send again, with its line number for messages.
pub struct Item {
    pub line: u64,
    pub event: &'static Event,
    pub exchange: Captured,
}

/// What replay reads of a capture line ([`exchange::Exchange`]'s fields of the same names):
/// serde skips the rest of the record without building it, which a replay of a million
/// lines notices.
#[derive(Debug, Deserialize)]
pub struct Captured {
    /// The record's format version: a JSON line without it is no capture record.
    #[serde(rename = "v")]
    _version: u64,
    method: String,
    query: String,
    #[serde(default)]
    body: Option<String>,
    #[serde(default)]
    body_base64: Option<String>,
    #[serde(default)]
    event: Option<String>,
    #[serde(default)]
    session_id: Option<String>,
}

impl From<&exchange::Exchange> for Captured {
    /// An exchange held in memory (the inspector's history), to be sent again.
    fn from(ex: &exchange::Exchange) -> Captured {
        Captured {
            _version: ex.v.into(),
            method: ex.method.clone(),
            query: ex.query.clone(),
            body: ex.body.clone(),
            body_base64: ex.body_base64.clone(),
            event: ex.event.clone(),
            session_id: ex.session_id.clone(),
        }
    }
}

impl Replayer {
    /// A capture line: `Ok(None)` for exchanges that are not replayable callbacks (refused
    /// GETs, unrecognised bodies) or are filtered out; `Err` says why the line is malformed.
    pub fn parse_line(&self, line: u64, bytes: &[u8]) -> Result<Option<Item>, String> {
        let text = std::str::from_utf8(bytes)
            .map_err(|_| "not UTF-8: a capture line is JSON".to_owned())?;
        let exchange: Captured =
            serde_json::from_str(text).map_err(|e| format!("not a capture record: {e}"))?;
        if exchange.method != "POST" {
            return Ok(None);
        }
        let Some(event) = exchange
            .event
            .as_deref()
            .and_then(|id| catalogue().find(id).ok())
        else {
            return Ok(None);
        };
        if !self.only.is_empty() && !self.only.iter().any(|o| std::ptr::eq(*o, event)) {
            return Ok(None);
        }
        if exchange.body.is_none() && exchange.body_base64.is_none() {
            return Err("the record has neither body nor body_base64".into());
        }
        Ok(Some(Item {
            line,
            event,
            exchange,
        }))
    }

    /// The callback for a captured exchange: the same body bytes, the target URL with the
    /// captured query (re-signed unless `as_is`), a Bearer from the token for CEC.
    pub fn callback(&self, item: Item) -> Result<Callback> {
        let Item {
            line,
            event,
            exchange,
        } = item;
        let Captured {
            query,
            body,
            body_base64,
            session_id,
            ..
        } = exchange;
        let body = exchange::body_bytes(body, body_base64.as_deref())
            .map_err(|e| usage(format!("capture line {line}: {e}")))?;
        let mut headers = vec![("Content-Type".to_owned(), "application/json".to_owned())];
        let url = if event.is_cec() {
            if let Some(t) = &self.token {
                headers.push(bearer(t));
            }
            with_raw_query(&cec_url(&self.target), &query)
        } else if self.as_is {
            with_raw_query(&self.target, &query)
        } else {
            self.resigned(&query)
        };
        let request_id = query::param(&query, "RequestID").map(Cow::into_owned);
        // listen kept the body's SessionId in the record; a record written by hand may not.
        let session_id = session_id.or_else(|| {
            serde_json::from_slice::<Value>(&body).ok().and_then(|b| {
                b.get("SessionId")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
            })
        });
        Ok(Callback {
            event,
            url,
            headers,
            body: Bytes::from(body),
            request_id,
            session_id,
        })
    }

    /// The captured query without the stale signature, plus a fresh one. The other
    /// parameters stay as they were captured, encoding included.
    fn resigned(&self, query: &str) -> Url {
        let mut kept = String::with_capacity(query.len() + 96);
        for segment in query::segments(query) {
            if matches!(
                &*query::decoded(query::raw_key(segment)),
                "Sign" | "RequestTime"
            ) {
                continue;
            }
            if !kept.is_empty() {
                kept.push('&');
            }
            kept.push_str(segment);
        }
        if let Some(token) = &self.token {
            let now = self.clock.now_ms() / 1000;
            if !kept.is_empty() {
                kept.push('&');
            }
            // Hex digits and decimal digits: nothing to encode.
            kept.push_str(&format!("Sign={}&RequestTime={now}", sign(token, now)));
        }
        with_raw_query(&self.target, &kept)
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

    fn item(line: &str) -> Item {
        replayer(false, None)
            .parse_line(1, line.as_bytes())
            .unwrap()
            .unwrap()
    }

    const LINE: &str = r#"{"v":1,"seq":1,"received_at_ms":1,"answered_at_ms":2,"remote":"127.0.0.1:1","method":"POST","path":"/cb","query":"SdkAppid=1&CallbackCommand=Desk.SessionEventNotify&RequestID=r-1&Sign=old&RequestTime=1","headers":[],"body":"{\"Event\": \"SessionBegin\" ,\"SessionId\":\"s\"}","event":"SessionBegin","provider":"tencent","verdict":"accepted","problems":[],"status":200,"answer":"{}","latency_ms":0.1}"#;

    #[test]
    fn resigns_by_default_and_keeps_the_body_bytes() {
        let c = replayer(false, Some("xxxxyyyy"))
            .callback(item(LINE))
            .unwrap();
        assert_eq!(
            c.url.as_str(),
            "http://backend.test/cb?tenant=1&SdkAppid=1&CallbackCommand=Desk.SessionEventNotify&RequestID=r-1\
             &Sign=17773bc39a671d7b9aa835458704d2a6db81360a5940292b587d6d760d484061&RequestTime=1669872112"
        );
        assert_eq!(
            &c.body[..],
            br#"{"Event": "SessionBegin" ,"SessionId":"s"}"#
        );
        assert_eq!(c.request_id.as_deref(), Some("r-1"));
        assert_eq!(c.session_id.as_deref(), Some("s"));
    }

    #[test]
    fn reads_the_lines_listen_writes() {
        // Captured reads Exchange's own field names: a record written by Exchange::to_line
        // replays with its body, query and SessionId.
        let mut ex: crate::exchange::Exchange = serde_json::from_str(LINE).unwrap();
        ex.session_id = Some("from-the-record".into());
        let c = replayer(true, None).callback(item(&ex.to_line())).unwrap();
        assert_eq!(&c.body[..], ex.body.as_deref().unwrap().as_bytes());
        assert!(c.url.as_str().ends_with(&ex.query));
        assert_eq!(c.session_id.as_deref(), Some("from-the-record"));
        assert!(replayer(false, None)
            .parse_line(1, br#"{"method":"POST","query":""}"#)
            .err()
            .unwrap()
            .contains("missing field `v`"));
    }

    #[test]
    fn resigning_keeps_the_other_parameters_as_captured() {
        // Encoded keys and values are neither decoded nor re-encoded; an encoded `Sign` key
        // is still the stale signature.
        let line = LINE.replace(
            "RequestID=r-1&Sign=old",
            "Extra=a+b%2Fc&RequestID=r%2D1&Sig%6E=old&&",
        );
        let c = replayer(false, Some("xxxxyyyy"))
            .callback(item(&line))
            .unwrap();
        assert_eq!(
            c.url.as_str(),
            "http://backend.test/cb?tenant=1&SdkAppid=1&CallbackCommand=Desk.SessionEventNotify\
             &Extra=a+b%2Fc&RequestID=r%2D1\
             &Sign=17773bc39a671d7b9aa835458704d2a6db81360a5940292b587d6d760d484061&RequestTime=1669872112"
        );
        assert_eq!(
            c.request_id.as_deref(),
            Some("r-1"),
            "RequestID is read decoded"
        );
        // Without a token the stale signature goes and none comes.
        let c = replayer(false, None).callback(item(LINE)).unwrap();
        assert_eq!(
            c.url.as_str(),
            "http://backend.test/cb?tenant=1&SdkAppid=1&CallbackCommand=Desk.SessionEventNotify&RequestID=r-1"
        );
    }

    #[test]
    fn as_is_keeps_the_captured_query() {
        let c = replayer(true, Some("t")).callback(item(LINE)).unwrap();
        assert!(c.url.as_str().ends_with("?tenant=1&SdkAppid=1&CallbackCommand=Desk.SessionEventNotify&RequestID=r-1&Sign=old&RequestTime=1"));
    }

    #[test]
    fn malformed_and_unreplayable_lines() {
        let r = replayer(false, None);
        assert!(r
            .parse_line(1, b"{not json")
            .err()
            .unwrap()
            .contains("not a capture record"));
        let get = LINE.replace("\"POST\"", "\"GET\"");
        assert!(r.parse_line(1, get.as_bytes()).unwrap().is_none());
        let only_end = Replayer {
            only: vec![catalogue().find("SessionEnd").unwrap()],
            ..replayer(false, None)
        };
        assert!(only_end.parse_line(1, LINE.as_bytes()).unwrap().is_none());
    }
}
