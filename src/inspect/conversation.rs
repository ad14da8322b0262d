//! The conversation a callback belongs to: who speaks in it (user, bot, agent, or the system)
//! and what they say, so that the inspector can show a session's callbacks as a chat.
//!
//! Tencent session events name the speaker in their `Event` (`ChatBot.UserSendMsg`,
//! `ChatBot.RobotSendMsg`, `Human.AgentSendMsg`, ...) and carry the text in `MsgBody`, a list of
//! TIM message elements; every other callback is a system step. A CEC push names the speaker in
//! each message's `sourceType` and carries the text in `content`; its conversation is the user
//! it is pushed `to` (CEC has no session id).

use serde::Serialize;
use serde_json::Value;

/// One line of a conversation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Talk {
    /// `user`, `bot`, `agent` or `system`.
    pub role: &'static str,
    pub text: String,
}

/// Longest text kept for a line of the list (the detail has the whole body).
const MAX_TEXT: usize = 400;

/// The conversation key of a callback: its `SessionId`, or for a CEC push the user it goes to.
pub fn key(session_id: Option<&str>, cec: bool, body: Option<&Value>) -> Option<String> {
    if let Some(s) = session_id.filter(|s| !s.is_empty()) {
        return Some(s.to_owned());
    }
    let body = body?;
    if cec {
        let to = first_message(body)?.get("to")?;
        return match to {
            Value::String(s) if !s.is_empty() => Some(format!("cec:{s}")),
            Value::Number(n) => Some(format!("cec:{n}")),
            _ => None,
        };
    }
    body.get("SessionId")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

fn first_message(body: &Value) -> Option<&Value> {
    body.get("messages")?.as_array()?.first()
}

/// Who speaks in a callback and what they say; `None` when the body says nothing usable.
pub fn talk(cec: bool, body: &Value) -> Option<Talk> {
    let talk = if cec {
        cec_talk(body)?
    } else {
        tencent_talk(body)?
    };
    Some(Talk {
        role: talk.role,
        text: crate::violation::clip(&talk.text, MAX_TEXT),
    })
}

fn tencent_talk(body: &Value) -> Option<Talk> {
    let obj = body.as_object()?;
    let event = obj
        .get("Event")
        .and_then(Value::as_str)
        .or_else(|| obj.get("CallbackCommand").and_then(Value::as_str))?;
    let role = match event {
        "ChatBot.UserSendMsg" | "Human.UserSendMsg" => "user",
        "ChatBot.RobotSendMsg" => "bot",
        "Human.AgentSendMsg" => "agent",
        _ => "system",
    };
    let text = if role == "system" {
        system_step(event, body)
    } else {
        body.get("MsgBody").map(tim_text).unwrap_or_default()
    };
    Some(Talk { role, text })
}

/// A system step: the event, and the agent it concerns when it names one.
fn system_step(event: &str, body: &Value) -> String {
    match body.get("AgentId").and_then(Value::as_str) {
        Some(agent) if !agent.is_empty() => format!("{event} (agent {agent})"),
        _ => event.to_owned(),
    }
}

/// The text of a TIM `MsgBody`: text elements as they are, the others as a short tag.
pub fn tim_text(msg_body: &Value) -> String {
    let Some(elems) = msg_body.as_array() else {
        return String::new();
    };
    let parts: Vec<String> = elems.iter().map(tim_elem).collect();
    parts.join(" ")
}

fn tim_elem(elem: &Value) -> String {
    let kind = elem.get("MsgType").and_then(Value::as_str).unwrap_or("");
    let content = elem.get("MsgContent").unwrap_or(&Value::Null);
    let field = |k: &str| content.get(k).and_then(Value::as_str).unwrap_or("");
    match kind {
        "TIMTextElem" => field("Text").to_owned(),
        "TIMFaceElem" if !field("Data").is_empty() => field("Data").to_owned(),
        "TIMFaceElem" => "[face]".to_owned(),
        "TIMImageElem" => "[image]".to_owned(),
        "TIMSoundElem" => match content.get("Second").and_then(Value::as_u64) {
            Some(s) => format!("[voice {s} s]"),
            None => "[voice]".to_owned(),
        },
        "TIMFileElem" => format!("[file {}]", field("FileName")),
        "TIMLocationElem" => format!("[location {}]", field("Desc")),
        "TIMCustomElem" if !field("Desc").is_empty() => format!("[{}]", field("Desc")),
        "TIMCustomElem" => "[custom message]".to_owned(),
        "" => "[?]".to_owned(),
        other => format!("[{other}]"),
    }
}

fn cec_talk(body: &Value) -> Option<Talk> {
    let messages = body.get("messages")?.as_array()?;
    let first = messages.first()?;
    let text = |m: &Value, k: &str| m.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
    let control = text(first, "controlType");
    let role = match (control.as_str(), text(first, "sourceType").as_str()) {
        ("DISCONNECT" | "READ", _) => "system",
        (_, "AGENT") => "agent",
        (_, "CUSTOMER" | "USER") => "user",
        (_, "BOT" | "ROBOT") => "bot",
        _ => "system",
    };
    let lines: Vec<String> = messages
        .iter()
        .map(|m| match text(m, "controlType").as_str() {
            "DISCONNECT" => format!("disconnected ({})", text(m, "sourceType").to_lowercase()),
            "READ" => "read receipt".to_owned(),
            _ => text(m, "content"),
        })
        .collect();
    Some(Talk {
        role,
        text: lines.join("\n"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn tencent_speakers_and_their_text() {
        let user = json!({"Event": "ChatBot.UserSendMsg", "SessionId": "s1", "MsgBody": [
            {"MsgType": "TIMTextElem", "MsgContent": {"Text": "where is my parcel?"}},
            {"MsgType": "TIMImageElem", "MsgContent": {}}]});
        assert_eq!(
            talk(false, &user),
            Some(Talk {
                role: "user",
                text: "where is my parcel? [image]".into()
            })
        );
        let agent = json!({"Event": "Human.AgentSendMsg", "MsgBody": [
            {"MsgType": "TIMSoundElem", "MsgContent": {"Second": 4}}]});
        assert_eq!(talk(false, &agent).unwrap().text, "[voice 4 s]");
        assert_eq!(
            talk(
                false,
                &json!({"Event": "ChatBot.RobotSendMsg", "MsgBody": []})
            )
            .unwrap()
            .role,
            "bot"
        );
        let step = json!({"Event": "TransferToHumanSuccess", "AgentId": "a@x"});
        assert_eq!(
            talk(false, &step).unwrap(),
            Talk {
                role: "system",
                text: "TransferToHumanSuccess (agent a@x)".into()
            }
        );
        assert_eq!(talk(false, &json!([1])), None);
        assert_eq!(key(None, false, Some(&user)).as_deref(), Some("s1"));
    }

    #[test]
    fn cec_speakers_and_the_user_as_the_conversation() {
        let push = json!({"messages": [{"to": "12345678", "controlType": "CHAT",
            "sourceType": "AGENT", "content": "Hello, how can I help?"}]});
        assert_eq!(
            talk(true, &push),
            Some(Talk {
                role: "agent",
                text: "Hello, how can I help?".into()
            })
        );
        assert_eq!(
            key(None, true, Some(&push)).as_deref(),
            Some("cec:12345678")
        );
        let bye = json!({"messages": [{"controlType": "DISCONNECT", "sourceType": "SYSTEM"}]});
        assert_eq!(
            talk(true, &bye).unwrap(),
            Talk {
                role: "system",
                text: "disconnected (system)".into()
            }
        );
    }
}
