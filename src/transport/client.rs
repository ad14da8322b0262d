//! The HTTP client, set up like the platform's sender: keep-alive, no redirects; and what a
//! backend behind real infrastructure needs of it ([`Connection`]: a private CA, no
//! certificate check, a gateway's header).
//!
//! Proxies come from the environment, as for curl: `HTTPS_PROXY` (https:// URLs),
//! `HTTP_PROXY` (http:// URLs), `ALL_PROXY`, and `NO_PROXY` for hosts to reach directly (the
//! lower-case names too). The trusted roots are the system's (`SSL_CERT_FILE` and
//! `SSL_CERT_DIR` replace them) plus any `--cacert`.

use crate::callback::Callback;
use anyhow::Result;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
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

/// A client whose requests give up after `timeout`, keeping up to `pool` idle connections.
///
/// For a plain `http://` target the TLS root store stays empty: loading the system's
/// certificates costs a few milliseconds of start-up (150 files read), which is most of a
/// single `send`, and without redirects such a client never reaches an https URL (a proxy is
/// reached in plain HTTP too).
pub fn client(
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
        .user_agent(concat!("deskhook/", env!("CARGO_PKG_VERSION")))
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
