//! A tiny hand-written HTTP/1.1 client over `std::net::TcpStream`, so that malformed requests
//! can be sent byte for byte. Every socket read and write has a safety time-out that turns a
//! hang into an error naming it, never a stuck suite.

use serde_json::Value;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::thread;
use std::time::Duration;

/// Safety net for every socket read/write: a hang becomes an error, never a stuck suite.
pub const IO_SAFETY: Duration = Duration::from_secs(25);

#[derive(Debug, Clone)]
pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("answer is not JSON ({e}): {self:?} {:?}", self.text()))
    }
}

pub fn connect(addr: &str) -> TcpStream {
    let s = TcpStream::connect(addr).unwrap_or_else(|e| panic!("connect {addr}: {e}"));
    s.set_read_timeout(Some(IO_SAFETY)).unwrap();
    s.set_write_timeout(Some(IO_SAFETY)).unwrap();
    let _ = s.set_nodelay(true);
    s
}

/// Read one response (Content-Length, chunked, or until close).
pub fn read_response(r: &mut impl BufRead) -> io::Result<Resp> {
    let mut line = Vec::new();
    if r.read_until(b'\n', &mut line)? == 0 {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "connection closed without an answer",
        ));
    }
    let status_line = String::from_utf8_lossy(&line).trim_end().to_owned();
    let mut parts = status_line.split(' ');
    let version = parts.next().unwrap_or_default();
    let status: u16 = parts
        .next()
        .and_then(|s| s.parse().ok())
        .filter(|_| version.starts_with("HTTP/1."))
        .ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("not an HTTP status line: {status_line:?}"),
            )
        })?;
    let mut headers = Vec::new();
    loop {
        line.clear();
        if r.read_until(b'\n', &mut line)? == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "connection closed inside the answer's headers",
            ));
        }
        let l = String::from_utf8_lossy(&line).trim_end().to_owned();
        if l.is_empty() {
            break;
        }
        if let Some((k, v)) = l.split_once(':') {
            headers.push((k.trim().to_owned(), v.trim().to_owned()));
        }
    }
    let mut resp = Resp {
        status,
        headers,
        body: Vec::new(),
    };
    if let Some(n) = resp.header("content-length") {
        let n: usize = n.parse().map_err(|_| {
            io::Error::new(io::ErrorKind::InvalidData, "bad Content-Length in answer")
        })?;
        resp.body = vec![0; n];
        r.read_exact(&mut resp.body)?;
    } else if resp
        .header("transfer-encoding")
        .is_some_and(|v| v.to_ascii_lowercase().contains("chunked"))
    {
        loop {
            line.clear();
            r.read_until(b'\n', &mut line)?;
            let size = String::from_utf8_lossy(&line);
            let size = usize::from_str_radix(size.trim().split(';').next().unwrap_or(""), 16)
                .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "bad chunk size"))?;
            if size == 0 {
                line.clear();
                r.read_until(b'\n', &mut line)?;
                break;
            }
            let mut chunk = vec![0; size + 2];
            r.read_exact(&mut chunk)?;
            resp.body.extend_from_slice(&chunk[..size]);
        }
    } else if status >= 200 && status != 204 && status != 304 {
        r.read_to_end(&mut resp.body)?;
    }
    Ok(resp)
}

/// An HTTP/1.1 request; adds Host, `Connection: close` (unless `keep_alive`) and
/// Content-Length (unless the caller set Content-Length or Transfer-Encoding).
pub fn request_bytes(
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: &[u8],
    keep_alive: bool,
) -> Vec<u8> {
    let mut s = format!("{method} {target} HTTP/1.1\r\nHost: 127.0.0.1\r\n");
    if !keep_alive {
        s.push_str("Connection: close\r\n");
    }
    for (k, v) in headers {
        s.push_str(&format!("{k}: {v}\r\n"));
    }
    let framed = headers.iter().any(|(k, _)| {
        k.eq_ignore_ascii_case("content-length") || k.eq_ignore_ascii_case("transfer-encoding")
    });
    if !framed {
        s.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    s.push_str("\r\n");
    let mut v = s.into_bytes();
    v.extend_from_slice(body);
    v
}

/// Write `raw` (from a second thread, so a server that answers early and closes cannot
/// deadlock a large upload), optionally half-close, and read one answer.
pub fn roundtrip_opts(addr: &str, raw: Vec<u8>, half_close: bool) -> io::Result<Resp> {
    let stream = connect(addr);
    let mut w = stream.try_clone()?;
    let writer = thread::spawn(move || {
        let r = w.write_all(&raw).and_then(|_| w.flush());
        if half_close {
            let _ = w.shutdown(Shutdown::Write);
        }
        r
    });
    let mut reader = BufReader::new(stream);
    let resp = read_response(&mut reader);
    let _ = writer.join();
    resp
}

pub fn roundtrip(addr: &str, raw: Vec<u8>) -> io::Result<Resp> {
    roundtrip_opts(addr, raw, false)
}

/// POST a JSON body.
pub fn post(addr: &str, target: &str, headers: &[(&str, &str)], body: &[u8]) -> io::Result<Resp> {
    let mut h = vec![("Content-Type", "application/json")];
    h.extend_from_slice(headers);
    roundtrip(addr, request_bytes("POST", target, &h, body, false))
}

pub fn post_ok(addr: &str, target: &str, headers: &[(&str, &str)], body: &[u8]) -> Resp {
    post(addr, target, headers, body).unwrap_or_else(|e| panic!("POST {target}: no answer: {e}"))
}

/// `body` in the chunked transfer coding, `chunk` bytes a chunk.
pub fn chunked(body: &[u8], chunk: usize) -> Vec<u8> {
    let mut out = Vec::new();
    for c in body.chunks(chunk) {
        out.extend_from_slice(format!("{:x}\r\n", c.len()).as_bytes());
        out.extend_from_slice(c);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"0\r\n\r\n");
    out
}
