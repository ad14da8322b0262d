//! Exit codes, and the one place where an error becomes a message and a code.
//!
//! Errors are `anyhow` chains; their code comes from the types in the chain: a
//! [`TransportError`] is a failed connection (3); anything else, a
//! [`UsageError`](crate::error::UsageError) above all, is the user's input (2).

use crate::transport::TransportError;
use std::io::Write;

/// The documented exit codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    /// Everything sent was answered and every answer was valid.
    Ok = 0,
    /// A check failed: an answer, document or signature does not match the documentation.
    CheckFailed = 1,
    /// Usage or input error: bad flag, unknown event, unreadable or malformed file.
    Usage = 2,
    /// Transport error: connection refused, DNS, TLS, timeout.
    Transport = 3,
    /// Interrupted (Ctrl-C) before the planned work finished; the summary says so.
    Interrupted = 130,
}

impl From<Code> for std::process::ExitCode {
    fn from(c: Code) -> Self {
        std::process::ExitCode::from(c as u8)
    }
}

/// The code an error maps to: its types decide; anything else is an input problem (2).
pub fn code_of(err: &anyhow::Error) -> Code {
    if err.chain().any(|e| e.is::<TransportError>()) {
        Code::Transport
    } else {
        Code::Usage
    }
}

/// Print `deskhook: error: ...` with the whole cause chain on stderr (the ripgrep way) and
/// return the code. A closed stdout (`deskhook events | head -1`) is a quiet success.
pub fn report(err: &anyhow::Error) -> Code {
    if is_broken_pipe(err) {
        return Code::Ok;
    }
    let mut stderr = anstream::stderr().lock();
    let mut chain = err.chain();
    if let Some(top) = chain.next() {
        let _ = writeln!(stderr, "deskhook: error: {top}");
    }
    for cause in chain {
        let _ = writeln!(stderr, "  caused by: {cause}");
    }
    code_of(err)
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|e| {
        e.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::usage;
    use std::time::Duration;

    #[test]
    fn codes_come_from_the_error_types() {
        assert_eq!(code_of(&usage("bad flag")), Code::Usage);
        let transport = anyhow::Error::new(TransportError::TimedOut {
            after: Duration::from_secs(2),
        })
        .context("sending");
        assert_eq!(code_of(&transport), Code::Transport);
        assert_eq!(code_of(&anyhow::anyhow!("anything else")), Code::Usage);
    }
}
