//! [`Plain`]: a plain-HTTP/1.1 client driven on hyper's connection API, for `http://`
//! targets reached without a proxy, which is what a load test runs against.
//!
//! It sends what reqwest sends (the same headers: the callback's own, then `--header`s,
//! `User-Agent`, `Accept: */*`, `Host`, `Content-Length`) and keeps idle connections the
//! same way, without reqwest's per-request layers: no URL re-parse, no redirect policy, no
//! header-map merge per request. A kept connection that the server closed in the meantime is
//! noticed before use, and a request it never carried is sent again on a fresh connection,
//! as reqwest's pool does.

use super::TransportError;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::{self, SendRequest};
use hyper::header::{HeaderMap, HeaderName, HeaderValue, InvalidHeaderValue, HOST};
use hyper::{Method, Request, Uri};
use hyper_util::rt::TokioIo;
use std::cell::RefCell;
use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::Duration;
use tokio::net::TcpStream;
use url::{Host, Position, Url};

type Sender = SendRequest<Full<Bytes>>;

/// An idle connection and the origin it is open to.
struct Idle {
    host: String,
    port: u16,
    sender: Sender,
}

/// A keep-alive HTTP/1.1 client for `http://` URLs.
pub struct Plain {
    timeout: Duration,
    /// Headers every request carries unless it has its own of that name.
    defaults: HeaderMap,
    max_idle: usize,
    idle: Mutex<Vec<Idle>>,
}

impl Plain {
    /// A client whose requests give up after `timeout` (connecting included), keeping up to
    /// `max_idle` idle connections; `defaults` are added to requests that lack them.
    pub fn new(timeout: Duration, max_idle: usize, defaults: HeaderMap) -> Plain {
        Plain {
            timeout,
            defaults,
            max_idle,
            idle: Mutex::new(Vec::new()),
        }
    }

    /// POST `body` to `url` with `headers`: the answer's status and body.
    pub async fn post(
        &self,
        url: &Url,
        headers: &[(String, String)],
        body: Bytes,
    ) -> Result<(u16, Bytes), TransportError> {
        match tokio::time::timeout(self.timeout, self.exchange(url, headers, body)).await {
            Ok(answered) => answered,
            Err(_) => Err(TransportError::TimedOut {
                after: self.timeout,
            }),
        }
    }

    async fn exchange(
        &self,
        url: &Url,
        headers: &[(String, String)],
        body: Bytes,
    ) -> Result<(u16, Bytes), TransportError> {
        let origin = Origin::of(url)?;
        let mut req = self.request(url, &origin, headers, body)?;
        // Kept connections first; one the server closed meanwhile hands the request back.
        while let Some(mut sender) = self.checkout(&origin) {
            if sender.ready().await.is_err() {
                continue;
            }
            match sender.try_send_request(req).await {
                Ok(resp) => return self.answer(origin, sender, resp).await,
                Err(mut e) => match e.take_message() {
                    Some(unsent) => req = unsent,
                    None => return Err(self.failed(e.error(), &origin)),
                },
            }
        }
        let mut fresh = origin.connect(self.timeout).await?;
        match fresh.send_request(req).await {
            Ok(resp) => self.answer(origin, fresh, resp).await,
            Err(e) => Err(self.failed(&e, &origin)),
        }
    }

    fn failed(&self, e: &hyper::Error, origin: &Origin<'_>) -> TransportError {
        TransportError::from_hyper(e, &origin.addr(), self.timeout)
    }

    /// Read the whole answer, then keep the connection for the next request.
    async fn answer(
        &self,
        origin: Origin<'_>,
        sender: Sender,
        resp: hyper::Response<hyper::body::Incoming>,
    ) -> Result<(u16, Bytes), TransportError> {
        let status = resp.status().as_u16();
        let body = resp
            .into_body()
            .collect()
            .await
            .map_err(|e| self.failed(&e, &origin))?
            .to_bytes();
        self.checkin(origin, sender);
        Ok((status, body))
    }

    fn request(
        &self,
        url: &Url,
        origin: &Origin<'_>,
        headers: &[(String, String)],
        body: Bytes,
    ) -> Result<Request<Full<Bytes>>, TransportError> {
        let target = &url[Position::BeforePath..Position::AfterQuery];
        let uri = Uri::try_from(target).map_err(|e| TransportError::Connect {
            detail: format!("cannot send to {url}: {e}"),
        })?;
        let mut req = Request::new(Full::new(body));
        *req.method_mut() = Method::POST;
        *req.uri_mut() = uri;
        let map = req.headers_mut();
        map.reserve(headers.len() + self.defaults.len() + 1);
        for (name, value) in headers {
            let bad = |e: &dyn std::fmt::Display| TransportError::Connect {
                detail: format!("cannot send the header {name}: {e}"),
            };
            let name = HeaderName::from_bytes(name.as_bytes()).map_err(|e| bad(&e))?;
            let value = HeaderValue::from_str(value).map_err(|e| bad(&e))?;
            map.append(name, value);
        }
        for (name, value) in &self.defaults {
            if !map.contains_key(name) {
                map.insert(name, value.clone());
            }
        }
        if !map.contains_key(HOST) {
            let host = host_value(origin.host, url.port());
            map.insert(
                HOST,
                host.map_err(|e| TransportError::Connect {
                    detail: format!("cannot send to {url}: {e}"),
                })?,
            );
        }
        Ok(req)
    }

    /// The most recently used idle connection to `origin`.
    fn checkout(&self, origin: &Origin<'_>) -> Option<Sender> {
        let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        let i = idle
            .iter()
            .rposition(|c| c.port == origin.port && c.host == origin.host)?;
        Some(idle.swap_remove(i).sender)
    }

    fn checkin(&self, origin: Origin<'_>, sender: Sender) {
        if sender.is_closed() {
            return;
        }
        let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        if idle.len() < self.max_idle {
            idle.push(Idle {
                host: origin.host.to_owned(),
                port: origin.port,
                sender,
            });
        }
    }
}

/// Where a URL's requests go.
struct Origin<'a> {
    host: &'a str,
    port: u16,
    /// The host parsed, for connecting (an IPv6 address without its brackets).
    parsed: Host<&'a str>,
}

impl<'a> Origin<'a> {
    fn of(url: &'a Url) -> Result<Origin<'a>, TransportError> {
        let unsupported = || TransportError::Connect {
            detail: format!("{url} is not a plain http:// URL with a host"),
        };
        if url.scheme() != "http" {
            return Err(unsupported());
        }
        let (Some(host), Some(parsed)) = (url.host_str(), url.host()) else {
            return Err(unsupported());
        };
        Ok(Origin {
            host,
            port: url.port_or_known_default().unwrap_or(80),
            parsed,
        })
    }

    /// `host:port`, as errors name it.
    fn addr(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }

    async fn connect(&self, timeout: Duration) -> Result<Sender, TransportError> {
        let stream = match self.parsed {
            Host::Domain(name) => TcpStream::connect((name, self.port)).await,
            Host::Ipv4(ip) => TcpStream::connect(SocketAddr::from((ip, self.port))).await,
            Host::Ipv6(ip) => TcpStream::connect(SocketAddr::from((ip, self.port))).await,
        }
        .map_err(|e| TransportError::from_io(&e, &self.addr(), timeout))?;
        let _ = stream.set_nodelay(true);
        let (sender, conn) = http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| TransportError::from_hyper(&e, &self.addr(), timeout))?;
        tokio::spawn(async move {
            // Its end is noticed through the sender (closed, or the request handed back).
            let _ = conn.await;
        });
        Ok(sender)
    }
}

/// The `Host` header for `host` and the URL's explicit `port`. A run sends to one host:
/// each thread keeps the last value it made instead of formatting it for every request.
fn host_value(host: &str, port: Option<u16>) -> Result<HeaderValue, InvalidHeaderValue> {
    thread_local! {
        static LAST: RefCell<Option<(String, Option<u16>, HeaderValue)>> = const { RefCell::new(None) };
    }
    LAST.with_borrow_mut(|last| {
        if let Some((_, _, value)) = last.as_ref().filter(|(h, p, _)| h == host && *p == port) {
            return Ok(value.clone());
        }
        let value = match port {
            Some(port) => HeaderValue::from_str(&format!("{host}:{port}")),
            None => HeaderValue::from_str(host),
        }?;
        *last = Some((host.to_owned(), port, value.clone()));
        Ok(value)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    /// What the raw server does once it has read a request.
    #[derive(Clone, Copy)]
    enum Then {
        /// Answer, and keep the connection for the next request.
        KeepAlive,
        /// Answer, then close the connection without saying so.
        CloseSilently,
        /// Answer with `Connection: close`, and close.
        CloseHeader,
        /// Never answer.
        Hang,
        /// Send part of an answer, then close.
        CutShort,
    }

    /// A bare HTTP/1.1 server on 127.0.0.1:0, recording request heads and connections.
    struct Raw {
        url: Url,
        heads: Arc<Mutex<Vec<String>>>,
        connections: Arc<AtomicUsize>,
        closed: Arc<tokio::sync::Notify>,
    }

    impl Raw {
        async fn start(then: Then) -> Raw {
            let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
            let addr = listener.local_addr().expect("an address");
            let raw = Raw {
                url: Url::parse(&format!("http://{addr}/cb?RequestID=r1&Sign=s")).expect("url"),
                heads: Arc::default(),
                connections: Arc::default(),
                closed: Arc::default(),
            };
            let (heads, connections, closed) = (
                raw.heads.clone(),
                raw.connections.clone(),
                raw.closed.clone(),
            );
            tokio::spawn(async move {
                while let Ok((mut s, _)) = listener.accept().await {
                    connections.fetch_add(1, Ordering::SeqCst);
                    let (heads, closed) = (heads.clone(), closed.clone());
                    tokio::spawn(async move {
                        while let Some(head) = read_request(&mut s).await {
                            heads.lock().expect("heads").push(head);
                            const OK: &str = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n";
                            let answer = match then {
                                Then::KeepAlive | Then::CloseSilently => format!("{OK}\r\n{{}}"),
                                Then::CloseHeader => format!("{OK}Connection: close\r\n\r\n{{}}"),
                                Then::Hang => std::future::pending().await,
                                Then::CutShort => {
                                    "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"Act"
                                        .to_owned()
                                }
                            };
                            s.write_all(answer.as_bytes()).await.expect("answer");
                            if !matches!(then, Then::KeepAlive) {
                                break;
                            }
                        }
                        drop(s);
                        closed.notify_one();
                    });
                }
            });
            raw
        }

        fn heads(&self) -> Vec<String> {
            self.heads.lock().expect("heads").clone()
        }

        fn connections(&self) -> usize {
            self.connections.load(Ordering::SeqCst)
        }
    }

    /// The head of one request (its body read and dropped), or `None` at the end.
    async fn read_request(s: &mut TcpStream) -> Option<String> {
        let mut buf = Vec::new();
        let mut chunk = [0u8; 4096];
        loop {
            if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&buf[..end]).into_owned();
                let len: usize = head
                    .lines()
                    .find_map(|l| {
                        let (k, v) = l.split_once(':')?;
                        k.eq_ignore_ascii_case("content-length")
                            .then(|| v.trim().parse().ok())?
                    })
                    .unwrap_or(0);
                while buf.len() < end + 4 + len {
                    let n = s.read(&mut chunk).await.ok()?;
                    if n == 0 {
                        return None;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                }
                return Some(head);
            }
            let n = s.read(&mut chunk).await.ok()?;
            if n == 0 {
                return None;
            }
            buf.extend_from_slice(&chunk[..n]);
        }
    }

    fn plain(timeout: Duration) -> Plain {
        let mut defaults = HeaderMap::new();
        defaults.insert("x-gateway", HeaderValue::from_static("g1"));
        defaults.insert("content-type", HeaderValue::from_static("text/plain"));
        defaults.insert("user-agent", HeaderValue::from_static("deskhook/test"));
        Plain::new(timeout, 4, defaults)
    }

    fn json() -> Vec<(String, String)> {
        vec![("Content-Type".to_owned(), "application/json".to_owned())]
    }

    const SECOND: Duration = Duration::from_secs(1);
    const BODY: &[u8] = b"{\"SessionId\":\"s\"}";

    /// A JSON callback body POSTed to `url`.
    async fn post(client: &Plain, url: &Url) -> Result<(u16, Bytes), TransportError> {
        client.post(url, &json(), Bytes::from_static(BODY)).await
    }

    #[tokio::test]
    async fn requests_carry_the_callbacks_headers_then_the_defaults_and_the_host() {
        let server = Raw::start(Then::KeepAlive).await;
        let client = plain(5 * SECOND);
        let (status, body) = post(&client, &server.url).await.expect("answered");
        assert_eq!((status, &body[..]), (200, &b"{}"[..]));
        let heads = server.heads();
        let lines: Vec<String> = heads[0].lines().map(str::to_ascii_lowercase).collect();
        assert_eq!(lines[0], "post /cb?requestid=r1&sign=s http/1.1");
        let port = server.url.port().expect("a port");
        for want in [
            "content-type: application/json".to_owned(),
            "x-gateway: g1".to_owned(),
            "user-agent: deskhook/test".to_owned(),
            format!("host: 127.0.0.1:{port}"),
            format!("content-length: {}", BODY.len()),
        ] {
            assert!(lines.contains(&want), "{want:?} missing from {lines:?}");
        }
        assert_eq!(
            lines
                .iter()
                .filter(|l| l.starts_with("content-type:"))
                .count(),
            1,
            "the callback's own Content-Type wins over a default: {lines:?}"
        );
    }

    #[tokio::test]
    async fn a_kept_connection_carries_the_next_request() {
        let server = Raw::start(Then::KeepAlive).await;
        let client = plain(5 * SECOND);
        for _ in 0..3 {
            post(&client, &server.url).await.expect("answered");
        }
        assert_eq!(server.heads().len(), 3);
        assert_eq!(server.connections(), 1);
    }

    #[test]
    fn the_host_header_follows_the_host_and_port_asked_for() {
        for (host, port, want) in [
            ("127.0.0.1", Some(8080), "127.0.0.1:8080"),
            ("127.0.0.1", Some(8080), "127.0.0.1:8080"),
            ("127.0.0.1", Some(9090), "127.0.0.1:9090"),
            ("127.0.0.1", None, "127.0.0.1"),
            ("[::1]", Some(1), "[::1]:1"),
            ("localhost", Some(1), "localhost:1"),
        ] {
            assert_eq!(host_value(host, port).expect("valid"), want);
        }
        assert!(host_value("bad\nhost", None).is_err());
    }

    #[tokio::test]
    async fn a_kept_connection_serves_only_its_own_host_and_port() {
        let (a, b) = (
            Raw::start(Then::KeepAlive).await,
            Raw::start(Then::KeepAlive).await,
        );
        let client = plain(5 * SECOND);
        for url in [&a.url, &b.url] {
            post(&client, url).await.expect("answered");
        }
        assert_eq!((a.connections(), b.connections()), (1, 1), "another port");
        assert_eq!(b.heads().len(), 1);
        let mut by_name = a.url.clone();
        by_name.set_host(Some("localhost")).expect("a host");
        post(&client, &by_name).await.expect("answered");
        assert_eq!(
            a.connections(),
            2,
            "localhost is another origin than 127.0.0.1"
        );
    }

    #[tokio::test]
    async fn at_most_max_idle_connections_are_kept() {
        let server = Raw::start(Then::KeepAlive).await;
        let client = plain(5 * SECOND);
        let headers = json();
        let posts = (0..8).map(|_| client.post(&server.url, &headers, Bytes::from_static(BODY)));
        for answered in futures_util::future::join_all(posts).await {
            answered.expect("answered");
        }
        assert_eq!(
            server.connections(),
            8,
            "eight requests at once, eight connections"
        );
        assert_eq!(client.idle.lock().expect("idle").len(), 4);
    }

    #[tokio::test]
    async fn an_answer_that_closes_the_connection_is_followed_by_a_new_one() {
        let server = Raw::start(Then::CloseHeader).await;
        let client = plain(5 * SECOND);
        for _ in 0..3 {
            post(&client, &server.url).await.expect("answered");
        }
        assert_eq!(server.heads().len(), 3);
        assert_eq!(server.connections(), 3);
    }

    #[tokio::test]
    async fn a_kept_connection_the_server_closed_is_not_used_again() {
        let server = Raw::start(Then::CloseSilently).await;
        let client = plain(5 * SECOND);
        post(&client, &server.url).await.expect("answered");
        server.closed.notified().await;
        // Let the connection's task read the server's end of the stream.
        while client
            .idle
            .lock()
            .expect("idle")
            .iter()
            .any(|c| !c.sender.is_closed())
        {
            tokio::task::yield_now().await;
        }
        post(&client, &server.url)
            .await
            .expect("answered on a new connection");
        assert_eq!(server.connections(), 2);
    }

    #[tokio::test]
    async fn no_answer_within_the_timeout_is_a_timeout_and_the_connection_is_dropped() {
        let server = Raw::start(Then::Hang).await;
        let client = plain(Duration::from_millis(200));
        let e = post(&client, &server.url).await.expect_err("no answer");
        assert_eq!(
            e,
            TransportError::TimedOut {
                after: Duration::from_millis(200)
            }
        );
        assert!(client.idle.lock().expect("idle").is_empty());
    }

    #[tokio::test]
    async fn an_answer_cut_short_is_a_closed_connection() {
        let server = Raw::start(Then::CutShort).await;
        let client = plain(5 * SECOND);
        let e = post(&client, &server.url)
            .await
            .expect_err("no whole answer");
        assert_eq!(e.kind(), "connection closed", "{e}");
    }

    #[tokio::test]
    async fn nothing_listening_is_a_refused_connection_naming_the_address() {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("an address");
        drop(listener);
        let url = Url::parse(&format!("http://{addr}/cb")).expect("url");
        let e = post(&plain(5 * SECOND), &url).await.expect_err("refused");
        assert_eq!(
            e,
            TransportError::Refused {
                addr: addr.to_string()
            }
        );
    }

    #[tokio::test]
    async fn only_plain_http_urls_are_taken() {
        let url = Url::parse("https://127.0.0.1:9/cb").expect("url");
        let e = plain(SECOND)
            .post(&url, &json(), Bytes::new())
            .await
            .expect_err("not http");
        assert!(e.to_string().contains("not a plain http:// URL"), "{e}");
    }
}
