//! The event catalogue: every callback deskhook can send, loaded from `fixtures/events/*.json`,
//! with its request and response schemas (`fixtures/schemas/*.json`).
//!
//! Schemas are composed per event (`allOf[family, refine]`, the family embedded under `$defs`
//! so the printed schema is self-contained) and compiled lazily, once per process.

use crate::cli::Provider;
use crate::exit::usage;
use anyhow::{Context, Result};
use serde::Deserialize;
use serde_json::{json, Value};
use std::sync::OnceLock;

/// One catalogue entry (`fixtures/events/<id>.json`).
#[derive(Debug, Deserialize)]
pub struct Event {
    pub id: String,
    #[serde(deserialize_with = "provider_from_str")]
    pub provider: Provider,
    pub command: String,
    pub description: String,
    pub request_schema: String,
    pub response_schema: String,
    #[serde(default)]
    pub refine: Value,
    pub template: Value,
    #[serde(skip)]
    compiled: [OnceLock<jsonschema::Validator>; 2],
}

/// Which side of an exchange.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Request,
    Response,
}

impl Side {
    pub fn as_str(self) -> &'static str {
        match self {
            Side::Request => "request",
            Side::Response => "response",
        }
    }
}

fn provider_from_str<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Provider, D::Error> {
    match String::deserialize(d)?.as_str() {
        "tencent" => Ok(Provider::Tencent),
        "huawei" => Ok(Provider::Huawei),
        other => Err(serde::de::Error::custom(format!(
            "unknown provider {other:?}"
        ))),
    }
}

impl Event {
    /// The `Event` body field for Desk session events, if this entry is one.
    pub fn session_event_name(&self) -> Option<&str> {
        (self.command == "Desk.SessionEventNotify").then_some(self.id.as_str())
    }

    pub fn is_cec(&self) -> bool {
        self.provider == Provider::Huawei
    }

    /// The self-contained JSON Schema for one side of this event.
    pub fn schema(&self, side: Side) -> Value {
        let (family, refine) = match side {
            Side::Request => (&self.request_schema, Some(&self.refine)),
            Side::Response => (&self.response_schema, None),
        };
        let base = schema_file(family);
        let base_id = base["$id"].as_str().unwrap_or_default().to_owned();
        let mut all_of = vec![json!({ "$ref": base_id })];
        if let Some(r) = refine.filter(|r| r.as_object().is_some_and(|o| !o.is_empty())) {
            all_of.push(r.clone());
        }
        json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": format!("https://deskhook.dev/schemas/events/{}.{}.json", self.id, side.as_str()),
            "title": format!("{} {}", self.id, side.as_str()),
            "description": format!("{} — {} ({})", self.description, self.command, side.as_str()),
            "allOf": all_of,
            "$defs": { family.as_str(): base },
        })
    }

    /// The compiled validator for one side, built on first use.
    pub fn validator(&self, side: Side) -> &jsonschema::Validator {
        let slot = &self.compiled[side as usize];
        slot.get_or_init(|| {
            jsonschema::options()
                .with_draft(jsonschema::Draft::Draft202012)
                .build(&self.schema(side))
                .unwrap_or_else(|e| {
                    panic!(
                        "embedded schema for {} {} does not compile: {e}",
                        self.id,
                        side.as_str()
                    )
                })
        })
    }
}

/// A family schema from `fixtures/schemas/`, parsed once.
pub fn schema_file(name: &str) -> Value {
    let path = format!("schemas/{name}.json");
    let text =
        crate::assets::get(&path).unwrap_or_else(|| panic!("missing embedded fixture {path}"));
    serde_json::from_str(text)
        .unwrap_or_else(|e| panic!("embedded fixture {path} is not JSON: {e}"))
}

/// Violations of a family schema alone (for bodies whose exact event is not known, such as
/// a CEC push mixing several message kinds).
pub fn family_violations(name: &str, doc: &Value) -> Vec<crate::envelope::Violation> {
    static CACHE: OnceLock<
        std::sync::Mutex<std::collections::HashMap<String, &'static jsonschema::Validator>>,
    > = OnceLock::new();
    let validator = {
        let mut map = CACHE
            .get_or_init(Default::default)
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        *map.entry(name.to_owned()).or_insert_with(|| {
            let v = jsonschema::options()
                .with_draft(jsonschema::Draft::Draft202012)
                .build(&schema_file(name))
                .unwrap_or_else(|e| panic!("embedded schema {name} does not compile: {e}"));
            Box::leak(Box::new(v))
        })
    };
    crate::envelope::validator_violations(validator, doc)
}

/// The whole catalogue.
pub struct Catalogue {
    pub events: Vec<Event>,
}

static CATALOGUE: OnceLock<Catalogue> = OnceLock::new();

/// The catalogue embedded in the binary, parsed on first use.
pub fn catalogue() -> &'static Catalogue {
    CATALOGUE
        .get_or_init(|| Catalogue::load().expect("embedded catalogue is valid (checked by tests)"))
}

impl Catalogue {
    fn load() -> Result<Catalogue> {
        let mut events = Vec::new();
        for (path, text) in crate::assets::under("events") {
            let ev: Event =
                serde_json::from_str(text).with_context(|| format!("fixtures/{path}"))?;
            events.push(ev);
        }
        events.sort_by_key(order_key);
        Ok(Catalogue { events })
    }

    /// Find an event by id, case-insensitively; an unknown id is a usage error that names the
    /// closest ids.
    pub fn find(&self, id: &str) -> Result<&Event> {
        if let Some(ev) = self.events.iter().find(|e| e.id.eq_ignore_ascii_case(id)) {
            return Ok(ev);
        }
        let suggestions = self.closest(id);
        let hint = if suggestions.is_empty() {
            String::from("run `deskhook events` for the list")
        } else {
            format!(
                "did you mean {}? (`deskhook events` lists all)",
                suggestions.join(", ")
            )
        };
        Err(usage(format!("unknown event {id:?}: {hint}")))
    }

    fn closest(&self, id: &str) -> Vec<&str> {
        let needle = id.to_ascii_lowercase();
        let mut scored: Vec<(f64, &str)> = self
            .events
            .iter()
            .map(|e| {
                let hay = e.id.to_ascii_lowercase();
                let mut score = strsim::jaro_winkler(&needle, &hay);
                if hay.contains(&needle) || hay.rsplit('.').next() == Some(needle.as_str()) {
                    score += 0.3;
                }
                (score, e.id.as_str())
            })
            .filter(|(s, _)| *s > 0.75)
            .collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0));
        scored.into_iter().take(3).map(|(_, id)| id).collect()
    }

    /// Events of one provider, or all.
    pub fn of(&self, provider: Option<Provider>) -> impl Iterator<Item = &Event> {
        self.events
            .iter()
            .filter(move |e| provider.is_none_or(|p| e.provider == p))
    }

    /// Recognise a Tencent callback by its `CallbackCommand` (and the body's `Event` for session events).
    pub fn recognise_tencent(&self, command: &str, body: Option<&Value>) -> Option<&Event> {
        if command == "Desk.SessionEventNotify" {
            let name = body?.get("Event")?.as_str()?;
            return self
                .events
                .iter()
                .find(|e| e.command == command && e.id == name);
        }
        self.events
            .iter()
            .find(|e| e.command == command && e.provider == Provider::Tencent)
    }

    /// Recognise a CEC push by its first message's controlType/sourceType (and isOfflineStatus).
    pub fn recognise_cec(&self, body: &Value) -> Option<&Event> {
        let first = body.get("messages")?.as_array()?.first()?;
        let control = first
            .get("controlType")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let source = first
            .get("sourceType")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let offline = matches!(first.get("isOfflineStatus"), Some(Value::Bool(true)))
            || first.get("isOfflineStatus").and_then(Value::as_str) == Some("true");
        let content = first
            .get("content")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let id = match (control, source) {
            ("DISCONNECT", "AGENT") => "cec.disconnect.agent",
            ("DISCONNECT", _) if offline => "cec.disconnect.offline",
            ("DISCONNECT", _) => "cec.disconnect.timeout",
            ("READ", _) => "cec.read",
            ("CHAT", "AGENT") => "cec.agent-message",
            ("CHAT", "SYSTEM") if content.to_ascii_lowercase().contains("queu") => "cec.queuing",
            ("CHAT", "SYSTEM") => "cec.connected",
            _ => return None,
        };
        self.events.iter().find(|e| e.id == id)
    }
}

/// Catalogue order: as CLI.md lists them (session events in lifecycle order first).
fn order_key(e: &Event) -> usize {
    const ORDER: &[&str] = &[
        "SessionBegin",
        "ChatBot.UserSendMsg",
        "ChatBot.RobotSendMsg",
        "Human.UserSendMsg",
        "Human.AgentSendMsg",
        "TransferringToHuman",
        "TransferringToHumanWait",
        "TransferToHumanSuccess",
        "NoAgentOnline",
        "AgentForward",
        "SatisfactionSelected",
        "SessionUserEnd",
        "SessionAgentEnd",
        "SessionUserTimeoutEnd",
        "SessionAgentTimeoutEnd",
        "SessionPendingAutoFinishEnd",
        "SessionEnd",
        "ChatBot.OnAssignAgent",
        "ChatBot.OnAssignHuman",
        "Chatbot.InterfaceInvocation",
        "Member.EventNotify",
        "Chatbot.TaskFlowEventNotify",
        "cec.connected",
        "cec.queuing",
        "cec.agent-message",
        "cec.disconnect.agent",
        "cec.disconnect.timeout",
        "cec.disconnect.offline",
        "cec.read",
    ];
    ORDER
        .iter()
        .position(|id| *id == e.id)
        .unwrap_or(ORDER.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn has_every_event_id_of_cli_md() {
        let cat = catalogue();
        assert_eq!(cat.events.len(), 29);
        for e in &cat.events {
            assert_ne!(order_key(e), 29, "{} is not an id of CLI.md", e.id);
        }
    }

    #[test]
    fn every_schema_compiles() {
        for e in &catalogue().events {
            e.validator(Side::Request);
            e.validator(Side::Response);
        }
    }

    #[test]
    fn unknown_event_suggests_close_ids() {
        let err = catalogue().find("sessionbgin").unwrap_err().to_string();
        assert!(err.contains("SessionBegin"), "{err}");
        let err = catalogue().find("UserSendMsg").unwrap_err().to_string();
        assert!(
            err.contains("ChatBot.UserSendMsg") && err.contains("Human.UserSendMsg"),
            "{err}"
        );
        assert_eq!(
            catalogue().find("chatbot.onassignhuman").unwrap().id,
            "ChatBot.OnAssignHuman"
        );
    }
}
