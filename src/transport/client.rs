//! The HTTP client, set up like the platform's sender: keep-alive, no redirects; and what a
//! backend behind real infrastructure needs of it ([`Connection`]: a private CA, no
//! certificate check, a gateway's header).
//!
//! Proxies come from the environment, as for curl: `HTTPS_PROXY` (https:// URLs),
//! `HTTP_PROXY` (http:// URLs), `ALL_PROXY`, and `NO_PROXY` for hosts to reach directly (the
//! lower-case names too). The trusted roots are the system's (`SSL_CERT_FILE` and
//! `SSL_CERT_DIR` replace them) plus any `--cacert`.

use super::plain::Plain;
use super::TransportError;
use crate::callback::Callback;
use anyhow::Result;
use bytes::Bytes;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue, ACCEPT, USER_AGENT};
use std::sync::Arc;
use std::time::Duration;

/// How to reach the backend, beyond its URL.
#[derive(Debug, Clone, Default)]
pub struct Connection {
    /// Certificates trusted as roots besides the system's (`--cacert`).
    pub roots: Vec<reqwest::Certificate>,
    /// Accept any certificate (`--insecure`).
    pub insecure: bool,
    /// Headers added to every request (`--header`), never replacing one the request already
    /// has: what the platform sets wins.
    pub headers: HeaderMap,
}

impl Connection {
    /// Whether `name` is among the added headers.
    pub fn adds(&self, name: &str) -> bool {
        self.headers.contains_key(name)
    }

    /// The callback with the added headers it would carry (for `--dry-run`): the same rule as
    /// the client's, the platform's own headers win.
    pub fn add_headers(&self, c: &mut Callback) {
        for name in self.headers.keys() {
            if c.headers
                .iter()
                .any(|(k, _)| k.eq_ignore_ascii_case(name.as_str()))
            {
                continue;
            }
            let values: Vec<String> = self
                .headers
                .get_all(name)
                .iter()
                .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
                .collect();
            c.headers
                .push((name.as_str().to_owned(), values.join(", ")));
        }
    }
}

/// How callbacks are POSTed: hyper driven directly for a plain `http://` target reached
/// without a proxy (the fast path of a load test), reqwest for TLS and proxies.
#[derive(Clone)]
pub enum Client {
    Plain(Arc<Plain>),
    /// With the time-out it was built with, to name it when it runs out.
    Reqwest(reqwest::Client, Duration),
}

impl Client {
    /// POST the callback: the answer's status and body.
    pub async fn post(&self, c: &Callback) -> Result<(u16, Bytes), TransportError> {
        match self {
            Client::Plain(plain) => plain.post(&c.url, &c.headers, c.body.clone()).await,
            Client::Reqwest(client, timeout) => {
                let mut req = client.post(c.url.clone()).body(c.body.clone());
                for (k, v) in &c.headers {
                    req = req.header(k, v);
                }
                let answered = async {
                    let resp = req.send().await?;
                    let status = resp.status().as_u16();
                    Ok::<_, reqwest::Error>((status, resp.bytes().await?))
                };
                answered
                    .await
                    .map_err(|e| TransportError::from_reqwest(&e, *timeout))
            }
        }
    }
}

/// A client whose requests give up after `timeout`, keeping up to `pool` idle connections.
///
/// For a plain `http://` target the TLS root store stays empty: loading the system's
/// certificates costs a few milliseconds of start-up (150 files read), which is most of a
/// single `send`, and without redirects such a client never reaches an https URL (a proxy is
/// reached in plain HTTP too). Without a proxy in the environment, such a target gets the
/// [`Plain`] client, which sends the same requests with less work each.
pub fn client(timeout: Duration, pool: usize, https: bool, conn: &Connection) -> Result<Client> {
    if !https && !proxy_in_environment() {
        let mut defaults = joined(&conn.headers);
        for (name, value) in [
            (USER_AGENT, HeaderValue::from_static(USER_AGENT_VALUE)),
            (ACCEPT, HeaderValue::from_static("*/*")),
        ] {
            defaults.entry(name).or_insert(value);
        }
        return Ok(Client::Plain(Arc::new(Plain::new(timeout, pool, defaults))));
    }
    reqwest_client(timeout, pool, https, conn).map(|c| Client::Reqwest(c, timeout))
}

/// A reqwest client set up as [`client`]'s, for what is more than a callback's POST (the
/// receiver's `--forward-to` passes on any request).
pub fn reqwest_client(
    timeout: Duration,
    pool: usize,
    https: bool,
    conn: &Connection,
) -> Result<reqwest::Client> {
    let mut builder = reqwest::Client::builder()
        .timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(pool)
        .tcp_nodelay(true)
        .user_agent(USER_AGENT_VALUE)
        .default_headers(joined(&conn.headers));
    if !https {
        builder = builder.tls_certs_only([]);
    } else if conn.insecure {
        builder = builder.tls_danger_accept_invalid_certs(true);
    } else if !conn.roots.is_empty() {
        builder = builder.tls_certs_merge(conn.roots.iter().cloned());
    }
    builder
        .build()
        .map_err(|e| anyhow::anyhow!("cannot set up the HTTP client: {e}"))
}

const USER_AGENT_VALUE: &str = concat!("deskhook/", env!("CARGO_PKG_VERSION"));

/// Whether a proxy for plain HTTP is set in the environment (then reqwest, which knows
/// `NO_PROXY`, sends the callbacks).
fn proxy_in_environment() -> bool {
    ["HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"]
        .iter()
        .any(|name| std::env::var_os(name).is_some_and(|v| !v.is_empty()))
}

/// One value per name (repeated `--header`s of one name joined with `, `, as HTTP allows):
/// a client's default headers keep only one.
fn joined(headers: &HeaderMap) -> HeaderMap {
    let mut out = HeaderMap::new();
    for name in headers.keys() {
        let values: Vec<&[u8]> = headers
            .get_all(name)
            .iter()
            .map(HeaderValue::as_bytes)
            .collect();
        let value = HeaderValue::from_bytes(&values.join(&b", "[..]))
            .expect("values that were valid alone are valid joined");
        out.insert(HeaderName::from(name), value);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_headers_are_joined() {
        let mut h = HeaderMap::new();
        h.append("x-tag", HeaderValue::from_static("a"));
        h.append("x-tag", HeaderValue::from_static("b"));
        h.append("x-one", HeaderValue::from_static("1"));
        let j = joined(&h);
        assert_eq!(j["x-tag"], "a, b");
        assert_eq!(j["x-one"], "1");
    }
}
