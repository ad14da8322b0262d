//! What the receiver accepts as a request at all: a POST, a head and a body within limits,
//! arriving in time, and a body that is a JSON object. Anything else is a [`Refusal`] that
//! says exactly what is wrong.

use super::Refusal;
use crate::violation::describe;
use bytes::Bytes;
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use hyper::http::request::Parts;
use serde_json::Value;
use std::time::Duration;

/// The platform's URLs and headers are well under 2 KiB; these leave room for proxies.
const MAX_URL: usize = 8 * 1024;
const MAX_HEADERS: usize = 16 * 1024;

/// Callbacks are POSTed.
pub fn method(parts: &Parts) -> Result<(), Refusal> {
    if parts.method == hyper::Method::POST {
        Ok(())
    } else {
        Err(Refusal::new(
            405,
            format!("method {} not allowed: callbacks are POSTed", parts.method),
        ))
    }
}

/// A URL or header block larger than any platform sends.
pub fn head(parts: &Parts) -> Result<(), Refusal> {
    let url_len = written_len(&parts.uri);
    if url_len > MAX_URL {
        let msg = format!("the URL is {url_len} bytes, over the {MAX_URL} byte limit");
        return Err(Refusal::new(414, msg));
    }
    let head: usize = parts
        .headers
        .iter()
        .map(|(k, v)| k.as_str().len() + v.len() + 4)
        .sum();
    if head > MAX_HEADERS {
        let msg = format!("the headers are {head} bytes, over the {MAX_HEADERS} byte limit");
        return Err(Refusal::new(431, msg));
    }
    Ok(())
}

/// How long `uri` is as written (what `to_string` gives), without writing it out.
fn written_len(uri: &hyper::Uri) -> usize {
    struct Count(usize);
    impl std::fmt::Write for Count {
        fn write_str(&mut self, s: &str) -> std::fmt::Result {
            self.0 += s.len();
            Ok(())
        }
    }
    let mut count = Count(0);
    let _ = std::fmt::write(&mut count, format_args!("{uri}"));
    count.0
}

/// The whole body, at most `max` bytes, arriving within `timeout`.
pub async fn body(
    parts: &Parts,
    body: Incoming,
    max: usize,
    timeout: Duration,
) -> Result<Bytes, Refusal> {
    let declared = parts
        .headers
        .get(hyper::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if let Some(n) = declared.filter(|n| *n > max as u64) {
        return Err(Refusal::new(
            413,
            format!("body of {n} bytes is over the {max} byte limit"),
        ));
    }
    match tokio::time::timeout(timeout, Limited::new(body, max).collect()).await {
        Err(_) => Err(Refusal::new(
            408,
            format!("the body did not arrive within {}s", timeout.as_secs()),
        )),
        Ok(Err(e))
            if e.downcast_ref::<http_body_util::LengthLimitError>()
                .is_some() =>
        {
            Err(Refusal::new(
                413,
                format!("body is over the {max} byte limit"),
            ))
        }
        Ok(Err(e)) => Err(Refusal::new(400, format!("could not read the body: {e}"))),
        Ok(Ok(collected)) => Ok(collected.to_bytes()),
    }
}

/// Parse a body as a JSON object, or say exactly why not.
pub fn json_object(bytes: &[u8]) -> Result<Value, Refusal> {
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) => {
            return Err(Refusal::new(
                400,
                format!(
                    "body is not UTF-8 (invalid byte at offset {})",
                    e.valid_up_to()
                ),
            ))
        }
    };
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(Refusal::new(400, "empty body: expected a JSON object"));
    }
    // Parsed as text already known to be UTF-8: its strings are not checked again one by one.
    match serde_json::from_str::<Value>(text) {
        Ok(v @ Value::Object(_)) => Ok(v),
        Ok(other) => Err(Refusal::new(
            400,
            format!("body is {}; expected a JSON object", describe(&other)),
        )),
        Err(e) => Err(Refusal::new(400, format!("body is not JSON: {e}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_that_are_not_objects_say_what_they_are() {
        assert_eq!(
            json_object(b"[1]").unwrap_err().message,
            "body is an array of 1 item(s); expected a JSON object"
        );
        assert_eq!(
            json_object(b"  ").unwrap_err().message,
            "empty body: expected a JSON object"
        );
        assert!(json_object(b"\xff")
            .unwrap_err()
            .message
            .contains("offset 0"));
        assert!(json_object(b"{")
            .unwrap_err()
            .message
            .starts_with("body is not JSON"));
        assert!(json_object(b"{}").is_ok());
    }

    #[test]
    fn a_url_is_measured_as_written() {
        for uri in ["/", "/desk/cb?a=1&b=%20", "http://h:8080/x?y"] {
            let uri: hyper::Uri = uri.parse().unwrap();
            assert_eq!(written_len(&uri), uri.to_string().len(), "{uri}");
        }
        let long = format!("/cb?{}", "a".repeat(MAX_URL));
        let (parts, ()) = hyper::Request::post(long).body(()).unwrap().into_parts();
        assert_eq!(head(&parts).unwrap_err().status, 414);
    }

    #[test]
    fn only_post_is_accepted() {
        let (parts, ()) = hyper::Request::get("/").body(()).unwrap().into_parts();
        assert_eq!(method(&parts).unwrap_err().status, 405);
        let (parts, ()) = hyper::Request::post("/").body(()).unwrap().into_parts();
        assert!(method(&parts).is_ok());
    }
}
