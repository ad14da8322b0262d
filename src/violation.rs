//! [`Violation`]: one reason a document, an answer or a request is not what the documentation
//! says — where ([`Where`]), what was expected and what came — and the helpers that describe
//! JSON values in those messages.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::fmt;

/// One reason a document or an answer is not what the documentation says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Violation {
    /// Where the problem is. Serialised as `path` (a JSON Pointer or a word, see [`Where`]).
    #[serde(rename = "path")]
    pub at: Where,
    pub expected: String,
    pub got: String,
}

impl Violation {
    pub fn new(at: Where, expected: impl Into<String>, got: impl Into<String>) -> Self {
        Violation {
            at,
            expected: expected.into(),
            got: got.into(),
        }
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: expected {}, got {}",
            self.at, self.expected, self.got
        )
    }
}

/// Where a violation is. In JSON records it is one string: a JSON Pointer into the body
/// (`/AgentIdList/0`; the empty pointer is the whole body), or one of the words below.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(into = "String", from = "String")]
pub enum Where {
    /// A JSON Pointer into the body.
    Pointer(String),
    /// The HTTP status of an answer (`HTTP status`).
    Status,
    /// The answer's body as a whole: empty, or not JSON (`body`).
    Body,
    /// How long the answer took (`latency`).
    Latency,
    /// The request as a whole, refused by the receiver (`request`).
    Request,
    /// The `--forward-to` backend as a whole: it did not answer (`backend`).
    Backend,
    /// A URL query parameter, by name (`CallbackCommand`).
    Param(String),
}

impl Where {
    /// A JSON Pointer.
    pub fn pointer(p: impl Into<String>) -> Where {
        Where::Pointer(p.into())
    }
}

impl fmt::Display for Where {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Where::Pointer(p) | Where::Param(p) => p,
            Where::Status => "HTTP status",
            Where::Body => "body",
            Where::Latency => "latency",
            Where::Request => "request",
            Where::Backend => "backend",
        })
    }
}

impl From<Where> for String {
    fn from(w: Where) -> String {
        w.to_string()
    }
}

impl From<String> for Where {
    /// The inverse of `Display`, for captures read back by `replay`.
    fn from(s: String) -> Where {
        match s.as_str() {
            "HTTP status" => Where::Status,
            "body" => Where::Body,
            "latency" => Where::Latency,
            "request" => Where::Request,
            "backend" => Where::Backend,
            _ if s.is_empty() || s.starts_with('/') => Where::Pointer(s),
            _ => Where::Param(s),
        }
    }
}

/// "a string", "an integer", … for messages.
pub fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "an integer",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// A value as it appears in a message: its kind and a short rendering.
pub fn describe(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Array(a) => format!("an array of {} item(s)", a.len()),
        Value::Object(_) => "an object".into(),
        other => format!("{} {}", json_kind(other), clip(&other.to_string(), 80)),
    }
}

/// At most `max` characters, with an ellipsis when cut.
pub fn clip(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_owned()
    } else {
        let mut out: String = s.chars().take(max).collect();
        out.push('…');
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn where_round_trips_through_its_string() {
        for w in [
            Where::pointer("/ErrorCode"),
            Where::pointer(""),
            Where::Status,
            Where::Body,
            Where::Latency,
            Where::Request,
            Where::Backend,
            Where::Param("CallbackCommand".into()),
        ] {
            assert_eq!(Where::from(String::from(w.clone())), w);
        }
        let v = Violation::new(Where::Status, "200", "500");
        assert_eq!(serde_json::to_value(&v).unwrap()["path"], "HTTP status");
        assert_eq!(v.to_string(), "HTTP status: expected 200, got 500");
    }

    #[test]
    fn values_are_described_briefly() {
        assert_eq!(describe(&json!("0")), "a string \"0\"");
        assert_eq!(describe(&json!([1, 2])), "an array of 2 item(s)");
        assert_eq!(describe(&json!(1.5)), "a number 1.5");
        assert_eq!(clip("abcdef", 3), "abc…");
    }
}
