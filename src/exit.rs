//! Exit codes (CLI.md, "Exit codes") and the one place where an error becomes a message and
//! a code. Errors are plain `anyhow` chains; the two markers below decide the code.

use std::fmt;
use std::io::Write;

/// The documented exit codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Code {
    /// Everything sent was answered and every answer was valid.
    Ok = 0,
    /// A check failed: an answer, document or signature does not match the documentation.
    CheckFailed = 1,
    /// Usage or input error: bad flag, unknown event, unreadable or malformed file.
    Usage = 2,
    /// Transport error: connection refused, DNS, TLS, timeout.
    Transport = 3,
}

impl Code {
    /// Combine two outcomes: a transport error outranks a failed check, which outranks success.
    pub fn worst(self, other: Code) -> Code {
        fn rank(c: Code) -> u8 {
            match c {
                Code::Ok => 0,
                Code::CheckFailed => 1,
                Code::Usage => 2,
                Code::Transport => 3,
            }
        }
        if rank(other) > rank(self) {
            other
        } else {
            self
        }
    }
}

impl From<Code> for std::process::ExitCode {
    fn from(c: Code) -> Self {
        std::process::ExitCode::from(c as u8)
    }
}

/// Marks an error as the user's input (exit 2): unknown event, bad `--set`, unreadable file.
#[derive(Debug)]
pub struct UsageError(pub String);

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
impl std::error::Error for UsageError {}

/// Marks an error as a transport failure (exit 3).
#[derive(Debug)]
pub struct TransportError(pub String);

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
impl std::error::Error for TransportError {}

/// A usage error with a message, ready for `?`.
pub fn usage(msg: impl Into<String>) -> anyhow::Error {
    UsageError(msg.into()).into()
}

/// The code an error maps to: its markers decide, anything else is an input problem (2).
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
    let mut stderr = std::io::stderr().lock();
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
