//! [`TransportError`]: why no answer came (exit code 3), one variant per thing a user fixes
//! differently.

use crate::clock::fmt_duration;
use std::time::Duration;

/// Why a callback got no answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransportError {
    #[error("timeout: no answer within {} (the platform's limit is 2s)", fmt_duration(*after))]
    TimedOut { after: Duration },
    #[error("connection refused: nothing listens at {addr}")]
    Refused { addr: String },
    #[error("connection closed: the server hung up without a complete answer ({detail})")]
    Closed { detail: String },
    #[error("connection error: {detail}")]
    Connect { detail: String },
    #[error("TLS: the certificate of {addr} is not trusted ({reason}): pass --cacert FILE with the CA certificate that issued it (PEM), or --insecure for a test backend")]
    Untrusted { addr: String, reason: String },
    #[error("TLS: the certificate of {addr} is not valid for that name ({detail}): use the host name the certificate was issued for")]
    WrongName { addr: String, detail: String },
    #[error("TLS: {addr} does not answer in TLS (is it a plain-HTTP server? then use http://)")]
    NotTls { addr: String },
    #[error("TLS: {detail}")]
    Tls { detail: String },
}

impl TransportError {
    /// A short kind for summaries and JSON `failures` keys: `timeout`, `connection refused`, …
    pub fn kind(&self) -> &'static str {
        match self {
            TransportError::TimedOut { .. } => "timeout",
            TransportError::Refused { .. } => "connection refused",
            TransportError::Closed { .. } => "connection closed",
            TransportError::Connect { .. } => "connection error",
            TransportError::Untrusted { .. } => "untrusted certificate",
            TransportError::WrongName { .. } => "certificate for another name",
            TransportError::NotTls { .. } => "not TLS",
            TransportError::Tls { .. } => "TLS error",
        }
    }

    /// What went wrong with a reqwest request that had `timeout`.
    pub fn from_reqwest(e: &reqwest::Error, timeout: Duration) -> TransportError {
        if e.is_timeout() {
            return TransportError::TimedOut { after: timeout };
        }
        let mut src: Option<&dyn std::error::Error> = Some(e);
        while let Some(s) = src {
            if let Some(tls) = tls_error(s) {
                return TransportError::from_tls(tls, host_of(e));
            }
            if let Some(io) = s.downcast_ref::<std::io::Error>() {
                return TransportError::from_io(io, &host_of(e), timeout);
            }
            src = s.source();
        }
        let detail = error_chain(e);
        if e.is_connect() {
            TransportError::Connect { detail }
        } else {
            TransportError::Closed { detail }
        }
    }

    /// What went wrong with a plain-HTTP exchange with `addr` (`host:port`).
    pub fn from_hyper(e: &hyper::Error, addr: &str, timeout: Duration) -> TransportError {
        let mut src: Option<&dyn std::error::Error> = Some(e);
        while let Some(s) = src {
            if let Some(io) = s.downcast_ref::<std::io::Error>() {
                return TransportError::from_io(io, addr, timeout);
            }
            src = s.source();
        }
        TransportError::Closed {
            detail: error_chain(e),
        }
    }

    /// An I/O error on the way to `addr`, or with it.
    pub fn from_io(io: &std::io::Error, addr: &str, timeout: Duration) -> TransportError {
        match io.kind() {
            std::io::ErrorKind::ConnectionRefused => TransportError::Refused {
                addr: addr.to_owned(),
            },
            std::io::ErrorKind::TimedOut => TransportError::TimedOut { after: timeout },
            std::io::ErrorKind::ConnectionReset | std::io::ErrorKind::UnexpectedEof => {
                TransportError::Closed {
                    detail: io.to_string(),
                }
            }
            _ => TransportError::Connect {
                detail: io.to_string(),
            },
        }
    }
}

impl TransportError {
    /// A failed TLS handshake, said in terms of what the user does about it.
    fn from_tls(e: &rustls::Error, addr: String) -> TransportError {
        use rustls::CertificateError as C;
        match e {
            rustls::Error::InvalidCertificate(c) => {
                let reason = match c {
                    C::UnknownIssuer => "unknown issuer".to_owned(),
                    C::BadSignature => "bad signature".to_owned(),
                    C::Expired | C::ExpiredContext { .. } => "expired".to_owned(),
                    C::NotValidYet | C::NotValidYetContext { .. } => "not valid yet".to_owned(),
                    C::Revoked => "revoked".to_owned(),
                    C::NotValidForName | C::NotValidForNameContext { .. } => {
                        return TransportError::WrongName {
                            addr,
                            detail: c.to_string(),
                        }
                    }
                    other => other.to_string(),
                };
                TransportError::Untrusted { addr, reason }
            }
            rustls::Error::InvalidMessage(_) | rustls::Error::InappropriateMessage { .. } => {
                TransportError::NotTls { addr }
            }
            other => TransportError::Tls {
                detail: other.to_string(),
            },
        }
    }
}

/// The TLS error an error is, or wraps as an I/O error's inner error (I/O errors nest, and
/// their `source` skips the inner error, so each level is looked into).
fn tls_error<'a>(e: &'a (dyn std::error::Error + 'static)) -> Option<&'a rustls::Error> {
    if let Some(tls) = e.downcast_ref::<rustls::Error>() {
        return Some(tls);
    }
    let inner = e.downcast_ref::<std::io::Error>()?.get_ref()?;
    tls_error(inner)
}

fn host_of(e: &reqwest::Error) -> String {
    e.url()
        .map(|u| {
            format!(
                "{}:{}",
                u.host_str().unwrap_or("?"),
                u.port_or_known_default().unwrap_or(0)
            )
        })
        .unwrap_or_default()
}

/// An error and its sources, each said once.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut parts = vec![e.to_string()];
    let mut src = e.source();
    while let Some(s) = src {
        let text = s.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        src = s.source();
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_and_kinds() {
        let t = TransportError::TimedOut {
            after: Duration::from_secs(2),
        };
        assert_eq!(
            t.to_string(),
            "timeout: no answer within 2s (the platform's limit is 2s)"
        );
        assert_eq!(t.kind(), "timeout");
        let r = TransportError::Refused {
            addr: "127.0.0.1:9".into(),
        };
        assert_eq!(
            r.to_string(),
            "connection refused: nothing listens at 127.0.0.1:9"
        );
        assert_eq!(r.kind(), "connection refused");
    }

    #[test]
    fn tls_failures_say_what_to_do() {
        let addr = || "127.0.0.1:8443".to_owned();
        let e = TransportError::from_tls(
            &rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer),
            addr(),
        );
        assert!(
            e.to_string()
                .contains("the certificate of 127.0.0.1:8443 is not trusted (unknown issuer): pass --cacert FILE"),
            "{e}"
        );
        assert_eq!(e.kind(), "untrusted certificate");
        let e = TransportError::from_tls(
            &rustls::Error::InvalidMessage(rustls::InvalidMessage::InvalidContentType),
            addr(),
        );
        assert!(
            e.to_string()
                .contains("plain-HTTP server? then use http://"),
            "{e}"
        );
        let wrapped = std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            rustls::Error::InvalidCertificate(rustls::CertificateError::Expired),
        );
        assert!(tls_error(&wrapped).is_some());
    }
}
