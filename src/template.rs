//! An event's template (`fixtures/events/<id>.json`), compiled once into the bytes of its
//! compact JSON and the slots its placeholders leave.
//!
//! A placeholder is a string value that is exactly `"{{name}}"` (`fixtures/README.md` lists
//! the names); keys are never placeholders. Filling a compiled template writes each run of
//! bytes and each slot's value, in the template's order, straight into the body: no
//! `serde_json::Value` is built and serialised again per callback. The bytes are what
//! `serde_json::to_vec` writes for the filled template (a test checks it for every event).

use serde_json::Value;

/// `Some(name)` when `s` is exactly `{{name}}` (spaces inside the braces allowed).
pub fn placeholder(s: &str) -> Option<&str> {
    s.strip_prefix("{{")?.strip_suffix("}}").map(str::trim)
}

/// One part of a compiled template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    /// JSON text written as it is.
    Raw(Box<[u8]>),
    /// Where the value of the placeholder `name` goes.
    Slot(Box<str>),
}

/// Where a template's top-level `SessionId` comes from, when it has one that is a string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionIdFrom {
    /// A fixed string in the template.
    Literal(String),
    /// The value of slot number N (counted from 0, in the template's order).
    Slot(usize),
}

/// A template compiled into pieces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    pieces: Vec<Piece>,
    session_id: Option<SessionIdFrom>,
}

impl Template {
    /// Compile `template`: adjacent JSON text merged into one piece.
    pub fn compile(template: &Value) -> Template {
        let mut c = Compiler::default();
        c.value(template);
        c.flush();
        let session_id = match template.get("SessionId") {
            Some(Value::String(s)) => Some(match placeholder(s) {
                Some(_) => SessionIdFrom::Slot(c.session_id_slot.unwrap_or_default()),
                None => SessionIdFrom::Literal(s.clone()),
            }),
            _ => None,
        };
        Template {
            pieces: c.pieces,
            session_id,
        }
    }

    /// The pieces, in order.
    pub fn pieces(&self) -> &[Piece] {
        &self.pieces
    }

    /// Where the top-level `SessionId` comes from.
    pub fn session_id(&self) -> Option<&SessionIdFrom> {
        self.session_id.as_ref()
    }
}

#[derive(Default)]
struct Compiler {
    pieces: Vec<Piece>,
    raw: Vec<u8>,
    slots: usize,
    depth: usize,
    /// The slot of the top-level `SessionId`, when it is a placeholder.
    session_id_slot: Option<usize>,
    at_top_level_session_id: bool,
}

impl Compiler {
    fn value(&mut self, v: &Value) {
        match v {
            Value::String(s) => match placeholder(s) {
                Some(name) => {
                    self.flush();
                    if self.at_top_level_session_id {
                        self.session_id_slot = Some(self.slots);
                    }
                    self.pieces.push(Piece::Slot(name.into()));
                    self.slots += 1;
                }
                None => self.json(v),
            },
            Value::Array(items) => {
                self.raw.push(b'[');
                self.depth += 1;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        self.raw.push(b',');
                    }
                    self.at_top_level_session_id = false;
                    self.value(item);
                }
                self.depth -= 1;
                self.raw.push(b']');
            }
            Value::Object(map) => {
                self.raw.push(b'{');
                self.depth += 1;
                for (i, (key, item)) in map.iter().enumerate() {
                    if i > 0 {
                        self.raw.push(b',');
                    }
                    self.json(&Value::String(key.clone()));
                    self.raw.push(b':');
                    self.at_top_level_session_id = self.depth == 1 && key == "SessionId";
                    self.value(item);
                    self.at_top_level_session_id = false;
                }
                self.depth -= 1;
                self.raw.push(b'}');
            }
            _ => self.json(v),
        }
    }

    /// A value with no placeholder in it, as serde_json writes it.
    fn json(&mut self, v: &Value) {
        serde_json::to_writer(&mut self.raw, v).expect("a JSON value always serialises");
    }

    fn flush(&mut self) {
        if !self.raw.is_empty() {
            let raw = std::mem::take(&mut self.raw);
            self.pieces.push(Piece::Raw(raw.into_boxed_slice()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn raw(s: &str) -> Piece {
        Piece::Raw(s.as_bytes().into())
    }

    fn slot(s: &str) -> Piece {
        Piece::Slot(s.into())
    }

    #[test]
    fn text_runs_merge_and_placeholders_become_slots() {
        let t = Template::compile(&json!({
            "SessionId": "{{session_id}}", "Event": "SessionBegin", "EventTime": "{{ event_time }}",
            "Body": {"Text": "{{not closed", "{{key}}": [1, 2.5, null, true, "{{msg_key}}"]}
        }));
        assert_eq!(
            t.pieces(),
            [
                raw(r#"{"SessionId":"#),
                slot("session_id"),
                raw(r#","Event":"SessionBegin","EventTime":"#),
                slot("event_time"),
                raw(r#","Body":{"Text":"{{not closed","{{key}}":[1,2.5,null,true,"#),
                slot("msg_key"),
                raw("]}}"),
            ]
        );
        assert_eq!(t.session_id(), Some(&SessionIdFrom::Slot(0)));
    }

    #[test]
    fn session_id_is_found_only_at_the_top_level() {
        let t = Template::compile(&json!({"A": "{{a}}", "SessionId": "{{session_id}}"}));
        assert_eq!(t.session_id(), Some(&SessionIdFrom::Slot(1)));
        let t = Template::compile(&json!({"SessionId": "fixed"}));
        assert_eq!(
            t.session_id(),
            Some(&SessionIdFrom::Literal("fixed".into()))
        );
        let t = Template::compile(&json!({"Body": {"SessionId": "{{session_id}}"}}));
        assert_eq!(t.session_id(), None);
        let t = Template::compile(&json!({"SessionId": 7}));
        assert_eq!(t.session_id(), None);
        let t = Template::compile(&json!([{"SessionId": "{{session_id}}"}]));
        assert_eq!(t.session_id(), None);
    }

    #[test]
    fn a_template_with_no_placeholder_is_one_piece_of_its_json() {
        let v = json!({"a": ["x\"y", {"b": "退款 🙏"}], "c": {}});
        let t = Template::compile(&v);
        assert_eq!(t.pieces(), [raw(&serde_json::to_string(&v).unwrap())]);
        assert_eq!(
            Template::compile(&json!("{{x}}")).pieces(),
            [slot("x")],
            "a bare placeholder"
        );
    }

    #[test]
    fn placeholder_needs_both_braces() {
        assert_eq!(placeholder("{{a}}"), Some("a"));
        assert_eq!(placeholder("{{ a }}"), Some("a"));
        assert_eq!(placeholder("{{a}"), None);
        assert_eq!(placeholder("x{{a}}"), None);
    }
}
