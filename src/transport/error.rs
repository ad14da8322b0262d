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
}

impl TransportError {
    /// A short kind for summaries and JSON `failures` keys: `timeout`, `connection refused`, …
    pub fn kind(&self) -> &'static str {
        match self {
            TransportError::TimedOut { .. } => "timeout",
            TransportError::Refused { .. } => "connection refused",
            TransportError::Closed { .. } => "connection closed",
            TransportError::Connect { .. } => "connection error",
        }
    }

    /// What went wrong with a reqwest request that had `timeout`.
    pub fn from_reqwest(e: &reqwest::Error, timeout: Duration) -> TransportError {
        if e.is_timeout() {
            return TransportError::TimedOut { after: timeout };
        }
        let mut src: Option<&dyn std::error::Error> = Some(e);
        while let Some(s) = src {
            if let Some(io) = s.downcast_ref::<std::io::Error>() {
                return match io.kind() {
                    std::io::ErrorKind::ConnectionRefused => {
                        TransportError::Refused { addr: host_of(e) }
                    }
                    std::io::ErrorKind::TimedOut => TransportError::TimedOut { after: timeout },
                    std::io::ErrorKind::ConnectionReset | std::io::ErrorKind::UnexpectedEof => {
                        TransportError::Closed {
                            detail: io.to_string(),
                        }
                    }
                    _ => TransportError::Connect {
                        detail: io.to_string(),
                    },
                };
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
}
