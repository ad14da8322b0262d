//! [`UsageError`]: the user's input is wrong (exit code 2) — an unknown event, a bad `--set`
//! path, an unreadable or malformed file. Everything below the command line raises it with
//! [`usage`]; `exit` turns it into the code.

/// The user's input is wrong.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// A usage error with a message, ready for `?`.
pub fn usage(msg: impl Into<String>) -> anyhow::Error {
    UsageError(msg.into()).into()
}
