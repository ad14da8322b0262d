//! Hyper answers a request it cannot parse (garbage instead of HTTP, a head over its buffer
//! limit, an over-long URL) by itself, before any handler runs, with an empty body. The
//! receiver promises a JSON body saying what is wrong for every bad input, so its connections
//! are wrapped in [`JsonErrors`], which rewrites exactly those answers.

use serde_json::json;
use std::pin::Pin;
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// A connection whose hyper-generated error answers become JSON refusals: exactly the 4xx
/// answers with `content-length: 0` and no content type, which our handler never produces.
pub struct JsonErrors<T> {
    inner: T,
    /// A replacement being written: (bytes, written so far, length to report to hyper).
    pending: Option<(Vec<u8>, usize, usize)>,
}

impl<T> JsonErrors<T> {
    pub fn new(inner: T) -> Self {
        JsonErrors {
            inner,
            pending: None,
        }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for JsonErrors<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_read(cx, buf)
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for JsonErrors<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let this = self.get_mut();
        if this.pending.is_none() {
            match hyper_error_as_json(buf) {
                Some(replacement) => this.pending = Some((replacement, 0, buf.len())),
                None => return Pin::new(&mut this.inner).poll_write(cx, buf),
            }
        }
        loop {
            let (data, written, report) = this.pending.as_mut().expect("set above");
            if *written == data.len() {
                let n = *report;
                this.pending = None;
                return Poll::Ready(Ok(n));
            }
            match Pin::new(&mut this.inner).poll_write(cx, &data[*written..]) {
                Poll::Ready(Ok(0)) => {
                    return Poll::Ready(Err(std::io::ErrorKind::WriteZero.into()))
                }
                Poll::Ready(Ok(n)) => *written += n,
                other => return other,
            }
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

/// The JSON version of one of hyper's own error answers, or `None` for any other bytes.
fn hyper_error_as_json(buf: &[u8]) -> Option<Vec<u8>> {
    if !(buf.starts_with(b"HTTP/1.1 4") || buf.starts_with(b"HTTP/1.0 4")) {
        return None;
    }
    let text = std::str::from_utf8(buf).ok()?;
    let end = text.find("\r\n\r\n")?;
    let (status_line, headers) = text[..end].split_once("\r\n").unwrap_or((&text[..end], ""));
    let lower = headers.to_ascii_lowercase();
    if !lower.lines().any(|l| l.trim() == "content-length: 0")
        || lower.contains("content-type")
        || end + 4 != text.len()
    {
        return None;
    }
    let status: u16 = status_line.get(9..12)?.parse().ok()?;
    let msg = match status {
        414 => "the URL is too long".to_owned(),
        431 => "the request headers are too large".to_owned(),
        _ => format!(
            "malformed HTTP request ({}): the request line or headers could not be parsed",
            status_line.get(9..)?.trim()
        ),
    };
    let body = json!({"ActionStatus": "FAIL", "ErrorCode": status, "ErrorInfo": msg}).to_string();
    let kept: Vec<&str> = headers
        .split("\r\n")
        .filter(|l| !l.to_ascii_lowercase().starts_with("content-length"))
        .collect();
    let mut out = format!("{status_line}\r\n");
    for h in kept.iter().filter(|h| !h.is_empty()) {
        out.push_str(h);
        out.push_str("\r\n");
    }
    out.push_str(&format!(
        "content-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    ));
    Some(out.into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    #[test]
    fn hyper_errors_become_json_and_nothing_else_changes() {
        let raw = b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\ndate: Sat, 21 Nov 2026 18:00:00 GMT\r\n\r\n";
        let out = String::from_utf8(hyper_error_as_json(raw).unwrap()).unwrap();
        assert!(
            out.starts_with("HTTP/1.1 400 Bad Request\r\ndate: Sat"),
            "{out}"
        );
        let body = out.split("\r\n\r\n").nth(1).unwrap();
        let v: Value = serde_json::from_str(body).unwrap();
        assert_eq!(v["ErrorCode"], 400);
        assert!(out.contains(&format!("content-length: {}", body.len())));
        let ours = b"HTTP/1.1 401 Unauthorized\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}";
        assert!(hyper_error_as_json(ours).is_none());
        assert!(hyper_error_as_json(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n").is_none());
    }
}
