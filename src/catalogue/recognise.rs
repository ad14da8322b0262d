//! Recognising a received callback: which catalogue event it is.
//!
//! Tencent callbacks name themselves in the `CallbackCommand` URL parameter (and, for session
//! events, the body's `Event`); a CEC push is recognised by its first message's
//! `controlType`/`sourceType` (and `isOfflineStatus`, `content`).

use super::{Catalogue, Event, Provider};
use serde_json::Value;

impl Catalogue {
    /// Recognise a Tencent callback by its `CallbackCommand` (and the body's `Event` for
    /// session events).
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

    /// Recognise a CEC push by its first message.
    pub fn recognise_cec(&self, body: &Value) -> Option<&Event> {
        let first = body.get("messages")?.as_array()?.first()?;
        let text = |key: &str| first.get(key).and_then(Value::as_str).unwrap_or_default();
        let offline = matches!(first.get("isOfflineStatus"), Some(Value::Bool(true)))
            || text("isOfflineStatus") == "true";
        let id = match (text("controlType"), text("sourceType")) {
            ("DISCONNECT", "AGENT") => "cec.disconnect.agent",
            ("DISCONNECT", _) if offline => "cec.disconnect.offline",
            ("DISCONNECT", _) => "cec.disconnect.timeout",
            ("READ", _) => "cec.read",
            ("CHAT", "AGENT") => "cec.agent-message",
            ("CHAT", "SYSTEM") if text("content").to_ascii_lowercase().contains("queu") => {
                "cec.queuing"
            }
            ("CHAT", "SYSTEM") => "cec.connected",
            _ => return None,
        };
        self.events.iter().find(|e| e.id == id)
    }
}

#[cfg(test)]
mod tests {
    use crate::catalogue::catalogue;
    use serde_json::json;

    #[test]
    fn tencent_by_command_and_event() {
        let cat = catalogue();
        let body = json!({"Event": "SessionEnd"});
        assert_eq!(
            cat.recognise_tencent("Desk.SessionEventNotify", Some(&body))
                .unwrap()
                .id,
            "SessionEnd"
        );
        assert!(cat
            .recognise_tencent("Desk.SessionEventNotify", None)
            .is_none());
        assert_eq!(
            cat.recognise_tencent("Chatbot.InterfaceInvocation", None)
                .unwrap()
                .id,
            "Chatbot.InterfaceInvocation"
        );
        assert!(cat.recognise_tencent("Nope", None).is_none());
    }

    #[test]
    fn cec_by_first_message() {
        let cat = catalogue();
        let push = |m: serde_json::Value| json!({"messages": [m]});
        let id = |m| cat.recognise_cec(&push(m)).map(|e| e.id.as_str());
        assert_eq!(
            id(
                json!({"controlType": "DISCONNECT", "sourceType": "SYSTEM", "isOfflineStatus": "true"})
            ),
            Some("cec.disconnect.offline")
        );
        assert_eq!(
            id(json!({"controlType": "CHAT", "sourceType": "SYSTEM", "content": "Queuing..."})),
            Some("cec.queuing")
        );
        assert_eq!(id(json!({"controlType": "TYPING"})), None);
    }
}
