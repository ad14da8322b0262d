//! Who may use the inspector. A loopback address is no trust: any web page open in the same
//! browser can send requests to `127.0.0.1`, and a page whose DNS name is rebound to
//! `127.0.0.1` even reads the answers. So:
//!
//! - every request must name the inspector itself in `Host`: `localhost`, an IP address (a
//!   rebinding page can only use a DNS name), or the `--host` given, with the inspector's
//!   port — else 421;
//! - every `/api/` request must carry the per-run key in `X-Deskhook-Key` — only the page
//!   opened from the URL listen printed knows it (it is in the URL's fragment, which no
//!   browser sends to a server) — else 401; a custom header also makes any cross-site `fetch`
//!   ask first (a CORS preflight), which the inspector never grants;
//! - a browser's own word that a request is cross-site refuses it: `Sec-Fetch-Site` other than
//!   `same-origin`, or an `Origin` other than the inspector's — else 403.
//!
//! Refusals never echo the key.

use hyper::http::request::Parts;
use std::net::IpAddr;
use subtle::ConstantTimeEq;

/// The header that carries the per-run key.
pub const KEY_HEADER: &str = "x-deskhook-key";

/// What a request asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// The page itself (HTML, CSS, script): holds no data.
    Page,
    /// Anything under `/api/`: data, the event stream, replay, download.
    Api,
}

/// A refused request: the status and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    pub status: u16,
    pub message: String,
}

fn refused(status: u16, message: impl Into<String>) -> Refused {
    Refused {
        status,
        message: message.into(),
    }
}

/// The inspector's key and address.
pub struct Guard {
    key: String,
    port: u16,
    /// `--host`, lowercased.
    host: String,
}

impl Guard {
    pub fn new(key: String, host: &str, port: u16) -> Guard {
        Guard {
            key,
            port,
            host: host
                .trim_start_matches('[')
                .trim_end_matches(']')
                .to_ascii_lowercase(),
        }
    }

    /// Let a request through, or say why not.
    pub fn check(&self, parts: &Parts, access: Access) -> Result<(), Refused> {
        let host = self.host_header(parts)?;
        if access == Access::Page {
            return Ok(());
        }
        let header = |name: &str| {
            parts
                .headers
                .get(name)
                .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        };
        if let Some(site) = header("sec-fetch-site") {
            if site != "same-origin" {
                return Err(refused(
                    403,
                    format!("cross-site request refused (Sec-Fetch-Site: {site}): only the inspector's own page may use its API"),
                ));
            }
        }
        if let Some(origin) = header("origin") {
            if !origin.eq_ignore_ascii_case(&format!("http://{host}")) {
                return Err(refused(
                    403,
                    format!("cross-site request refused (Origin: {origin}): only the inspector's own page may use its API"),
                ));
            }
        }
        let key = header(KEY_HEADER).unwrap_or_default();
        if key.is_empty() || !bool::from(key.as_bytes().ct_eq(self.key.as_bytes())) {
            return Err(refused(
                401,
                "missing or wrong X-Deskhook-Key: open the inspector from the URL `deskhook listen --inspect` printed",
            ));
        }
        Ok(())
    }

    /// The `Host` header, when it names this inspector.
    fn host_header(&self, parts: &Parts) -> Result<String, Refused> {
        let raw = parts
            .headers
            .get(hyper::header::HOST)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .or_else(|| parts.uri.authority().map(|a| a.to_string()))
            .unwrap_or_default();
        if self.names_me(&raw) {
            Ok(raw)
        } else {
            Err(refused(
                421,
                format!(
                    "Host {raw:?} is not this inspector's address (a guard against DNS rebinding): open http://127.0.0.1:{}/ or http://localhost:{}/",
                    self.port, self.port
                ),
            ))
        }
    }

    fn names_me(&self, raw: &str) -> bool {
        let (name, port) = split_host(raw);
        let port_ok = match port {
            Some(p) => p.parse::<u16>().ok() == Some(self.port),
            None => self.port == 80,
        };
        let name = name.to_ascii_lowercase();
        port_ok
            && !name.is_empty()
            && (name == "localhost" || name.parse::<IpAddr>().is_ok() || name == self.host)
    }
}

/// `host:port`, `[v6]:port`, `host` → (host without brackets, port).
fn split_host(raw: &str) -> (&str, Option<&str>) {
    if let Some(rest) = raw.strip_prefix('[') {
        return match rest.split_once(']') {
            Some((ip, tail)) => (ip, tail.strip_prefix(':')),
            None => ("", None),
        };
    }
    match raw.rsplit_once(':') {
        Some((h, p)) => (h, Some(p)),
        None => (raw, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(headers: &[(&str, &str)]) -> Parts {
        let mut b = hyper::Request::get("/api/info");
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        b.body(()).unwrap().into_parts().0
    }

    fn guard() -> Guard {
        Guard::new("k3y".into(), "127.0.0.1", 4000)
    }

    #[test]
    fn the_host_must_name_the_inspector() {
        let g = guard();
        for ok in [
            "127.0.0.1:4000",
            "localhost:4000",
            "[::1]:4000",
            "LOCALHOST:4000",
        ] {
            assert!(
                g.check(&parts(&[("host", ok)]), Access::Page).is_ok(),
                "{ok}"
            );
        }
        for bad in [
            "evil.example:4000",
            "127.0.0.1:4001",
            "127.0.0.1",
            "",
            "[::1",
        ] {
            let r = g.check(&parts(&[("host", bad)]), Access::Page).unwrap_err();
            assert_eq!(r.status, 421, "{bad}");
        }
        let named = Guard::new("k".into(), "devbox.lan", 4000);
        assert!(named.names_me("devbox.lan:4000"));
        assert!(!named.names_me("other.lan:4000"));
    }

    #[test]
    fn the_api_needs_the_key_and_a_same_origin_caller() {
        let g = guard();
        let host = ("host", "127.0.0.1:4000");
        let key = (KEY_HEADER, "k3y");
        assert!(g.check(&parts(&[host, key]), Access::Api).is_ok());
        assert!(g
            .check(
                &parts(&[
                    host,
                    key,
                    ("origin", "http://127.0.0.1:4000"),
                    ("sec-fetch-site", "same-origin")
                ]),
                Access::Api
            )
            .is_ok());
        assert_eq!(
            g.check(&parts(&[host]), Access::Api).unwrap_err().status,
            401
        );
        let wrong = g
            .check(&parts(&[host, (KEY_HEADER, "guess")]), Access::Api)
            .unwrap_err();
        assert_eq!(wrong.status, 401);
        assert!(!wrong.message.contains("k3y") && !wrong.message.contains("guess"));
        let site = g
            .check(
                &parts(&[host, key, ("sec-fetch-site", "cross-site")]),
                Access::Api,
            )
            .unwrap_err();
        assert_eq!(site.status, 403);
        let origin = g
            .check(
                &parts(&[host, key, ("origin", "http://evil.example")]),
                Access::Api,
            )
            .unwrap_err();
        assert_eq!(origin.status, 403);
        let null = g
            .check(&parts(&[host, key, ("origin", "null")]), Access::Api)
            .unwrap_err();
        assert_eq!(null.status, 403);
    }
}
