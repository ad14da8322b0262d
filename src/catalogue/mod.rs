//! The event catalogue: every callback deskhook can send, loaded from `fixtures/events/*.json`
//! (template, schemas, order), with the documented answers of `fixtures/answers/*.json`.
//!
//! An event's request schema is composed (`allOf[family, refine]`, the family embedded under
//! `$defs`, so the printed schema is self-contained) and compiled lazily, once per process.

mod recognise;

use crate::error::usage;
use crate::schema;
use crate::template::Template;
use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::sync::OnceLock;

/// Which platform an event comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Provider {
    /// Tencent Cloud Contact Center (Desk) callbacks.
    Tencent,
    /// Huawei Cloud CEC message push.
    Huawei,
}

impl Provider {
    pub fn as_str(self) -> &'static str {
        match self {
            Provider::Tencent => "tencent",
            Provider::Huawei => "huawei",
        }
    }
}

/// Which side of an exchange a document is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// The callback body the platform sends.
    Request,
    /// The answer the backend returns.
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

/// One catalogue entry (`fixtures/events/<id>.json`).
#[derive(Debug, Deserialize)]
pub struct Event {
    pub id: String,
    /// Position in `deskhook events` (session events in lifecycle order first).
    pub order: u32,
    pub provider: Provider,
    /// The `CallbackCommand` URL parameter (Tencent); `cec.push` for Huawei.
    pub command: String,
    pub description: String,
    pub request_schema: String,
    pub response_schema: String,
    #[serde(default)]
    pub refine: Value,
    pub template: Value,
    #[serde(skip)]
    compiled: [OnceLock<jsonschema::Validator>; 2],
    #[serde(skip)]
    compiled_template: OnceLock<Template>,
}

/// The documented answers to one response family (`fixtures/answers/<family>.json`).
#[derive(Debug, Deserialize)]
pub struct Answers {
    pub ok: Value,
    pub fail: Value,
}

impl Event {
    pub fn is_cec(&self) -> bool {
        self.provider == Provider::Huawei
    }

    /// Whether this is an agent-assignment decision (`ChatBot.OnAssignAgent`/`OnAssignHuman`).
    pub fn is_assignment(&self) -> bool {
        matches!(
            self.command.as_str(),
            "ChatBot.OnAssignAgent" | "ChatBot.OnAssignHuman"
        )
    }

    /// Whether this is the API-call node callback (`Chatbot.InterfaceInvocation`).
    pub fn is_interface_invocation(&self) -> bool {
        self.command == "Chatbot.InterfaceInvocation"
    }

    /// The self-contained JSON Schema for one side of this event.
    pub fn schema(&self, side: Side) -> Value {
        let (family, refine) = match side {
            Side::Request => (&self.request_schema, Some(&self.refine)),
            Side::Response => (&self.response_schema, None),
        };
        let base = schema::family(family);
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
        self.compiled[side as usize].get_or_init(|| {
            schema::compile(
                &self.schema(side),
                &format!("{} {}", self.id, side.as_str()),
            )
        })
    }

    /// The template compiled into JSON text and slots, built on first use.
    pub fn compiled_template(&self) -> &Template {
        self.compiled_template
            .get_or_init(|| Template::compile(&self.template))
    }

    /// The documented answers to this event.
    pub fn answers(&self) -> &'static Answers {
        answers(&self.response_schema)
    }
}

/// The documented answers of a response family (`fixtures/answers/<family>.json`), parsed once.
pub fn answers(family: &str) -> &'static Answers {
    static ALL: OnceLock<Vec<(String, Answers)>> = OnceLock::new();
    let all = ALL.get_or_init(|| {
        crate::assets::under("answers")
            .map(|(path, text)| {
                let name = path
                    .trim_start_matches("answers/")
                    .trim_end_matches(".json");
                let a: Answers = serde_json::from_str(text)
                    .unwrap_or_else(|e| panic!("embedded fixture {path} is invalid: {e}"));
                (name.to_owned(), a)
            })
            .collect()
    });
    all.iter()
        .find(|(name, _)| name == family)
        .map(|(_, a)| a)
        .unwrap_or_else(|| panic!("no fixtures/answers/{family}.json"))
}

/// The whole catalogue.
pub struct Catalogue {
    pub events: Vec<Event>,
}

/// The catalogue embedded in the binary, parsed on first use.
pub fn catalogue() -> &'static Catalogue {
    static CATALOGUE: OnceLock<Catalogue> = OnceLock::new();
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
        events.sort_by_key(|e| e.order);
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn has_every_documented_event_in_order() {
        let ids: Vec<&str> = catalogue().events.iter().map(|e| e.id.as_str()).collect();
        assert_eq!(ids.len(), 29);
        assert_eq!(ids[0], "SessionBegin");
        assert_eq!(ids[16], "SessionEnd");
        assert_eq!(ids[28], "cec.read");
        let orders: Vec<u32> = catalogue().events.iter().map(|e| e.order).collect();
        assert_eq!(orders, (1..=29).collect::<Vec<_>>());
    }

    #[test]
    fn every_schema_compiles_and_every_documented_answer_is_valid() {
        for e in &catalogue().events {
            e.validator(Side::Request);
            let response = e.validator(Side::Response);
            for answer in [&e.answers().ok, &e.answers().fail] {
                let found = schema::violations(response, answer);
                assert!(found.is_empty(), "{}: {answer}: {found:?}", e.id);
            }
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
