//! [`AnswerPolicy`]: what the receiver answers a callback that passed its checks — the
//! documented envelope of the event's family (`fixtures/answers/`), the failure envelope, or a
//! fixed document, with `--agents`, `--group` and `--vars` filled into the decisions.

use crate::catalogue::{self, Event};
use bytes::Bytes;
use serde_json::{json, Map, Value};

/// Which envelope the receiver answers with.
#[derive(Debug, Clone, Default)]
pub enum Respond {
    /// The documented success envelope.
    #[default]
    Ok,
    /// The documented failure envelope.
    Fail,
    /// This document, whatever the event.
    Fixed(Value),
}

/// What the receiver answers.
#[derive(Debug, Clone, Default)]
pub struct AnswerPolicy {
    pub respond: Respond,
    /// Agents returned to an assignment decision (`AgentIdList`).
    pub agents: Vec<String>,
    /// Agent group returned to an assignment decision (`AgentGroupId`).
    pub group: Option<i64>,
    /// Variables returned to `Chatbot.InterfaceInvocation` (`Body`).
    pub vars: Map<String, Value>,
}

impl AnswerPolicy {
    /// The answer to `event` (or, when the event is unknown, to its provider's plain callback).
    pub fn answer_for(&self, event: Option<&Event>, cec: bool) -> Value {
        let answers = match event {
            Some(e) => e.answers(),
            // An unknown callback gets its provider's plain acknowledgement.
            None if cec => catalogue::answers("cec-answer"),
            None => catalogue::answers("tencent-ack"),
        };
        match &self.respond {
            Respond::Fixed(v) => v.clone(),
            Respond::Fail => answers.fail.clone(),
            Respond::Ok => {
                let mut v = answers.ok.clone();
                match event {
                    Some(e) if e.is_assignment() => self.fill_assignment(&mut v),
                    Some(e) if e.is_interface_invocation() && !self.vars.is_empty() => {
                        v["Body"] = Value::Object(self.vars.clone());
                    }
                    _ => {}
                }
                v
            }
        }
    }

    /// `--group` alone lets the platform pick from that group (no `AgentIdList`); `--agents`
    /// replaces the documented list.
    fn fill_assignment(&self, v: &mut Value) {
        if let Some(group) = self.group {
            v["AgentGroupId"] = json!(group);
        }
        if !self.agents.is_empty() {
            v["AgentIdList"] = json!(self.agents);
        } else if self.group.is_some() {
            if let Some(map) = v.as_object_mut() {
                map.shift_remove("AgentIdList");
            }
        }
    }
}

/// A policy's answers written out once, for every event of the catalogue and for an unknown
/// callback of each provider: the receiver answers from these bytes, with no `Value` cloned
/// and printed per request.
pub struct AnswerTexts {
    policy: AnswerPolicy,
    known: Vec<(&'static Event, Bytes)>,
    /// An unknown Tencent callback's answer, then an unknown CEC push's.
    unknown: [Bytes; 2],
}

impl AnswerTexts {
    pub fn new(policy: &AnswerPolicy) -> AnswerTexts {
        let text = |v: Value| Bytes::from(v.to_string());
        AnswerTexts {
            known: catalogue::catalogue()
                .events
                .iter()
                .map(|e| (e, text(policy.answer_for(Some(e), e.is_cec()))))
                .collect(),
            unknown: [
                text(policy.answer_for(None, false)),
                text(policy.answer_for(None, true)),
            ],
            policy: policy.clone(),
        }
    }

    /// What `AnswerPolicy::answer_for` says, as JSON text.
    pub fn get(&self, event: Option<&Event>, cec: bool) -> Bytes {
        let Some(event) = event else {
            return self.unknown[usize::from(cec)].clone();
        };
        match self.known.iter().find(|(e, _)| std::ptr::eq(*e, event)) {
            Some((_, text)) if event.is_cec() == cec => text.clone(),
            _ => Bytes::from(self.policy.answer_for(Some(event), cec).to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(id: &str) -> &'static Event {
        catalogue::catalogue().find(id).unwrap()
    }

    #[test]
    fn documented_success_envelopes() {
        let p = AnswerPolicy::default();
        assert_eq!(
            p.answer_for(Some(ev("SessionBegin")), false),
            json!({"ActionStatus": "OK", "ErrorInfo": "", "ErrorCode": 0})
        );
        assert_eq!(p.answer_for(None, true)["resultCode"], "0");
        let assign = p.answer_for(Some(ev("ChatBot.OnAssignAgent")), false);
        assert_eq!(assign["AgentGroupId"], 6521);
        assert_eq!(assign["AgentIdList"].as_array().unwrap().len(), 2);
        assert!(p.answer_for(Some(ev("Chatbot.InterfaceInvocation")), false)["Body"].is_object());
    }

    #[test]
    fn agents_group_and_vars_fill_the_decisions() {
        let p = AnswerPolicy {
            group: Some(77),
            ..Default::default()
        };
        let a = p.answer_for(Some(ev("ChatBot.OnAssignHuman")), false);
        assert_eq!(a["AgentGroupId"], 77);
        assert!(a.get("AgentIdList").is_none());
        let p = AnswerPolicy {
            agents: vec!["a@x.io".into()],
            vars: [("k".to_owned(), json!("v"))].into_iter().collect(),
            ..Default::default()
        };
        let a = p.answer_for(Some(ev("ChatBot.OnAssignHuman")), false);
        assert_eq!(a["AgentIdList"], json!(["a@x.io"]));
        assert_eq!(a["AgentGroupId"], 6521);
        let i = p.answer_for(Some(ev("Chatbot.InterfaceInvocation")), false);
        assert_eq!(i["Body"], json!({"k": "v"}));
    }

    #[test]
    fn the_texts_say_what_the_policy_says() {
        let policies = [
            AnswerPolicy::default(),
            AnswerPolicy {
                respond: Respond::Fail,
                ..Default::default()
            },
            AnswerPolicy {
                agents: vec!["a@x.io".into()],
                group: Some(7),
                vars: [("k".to_owned(), json!("v"))].into_iter().collect(),
                ..Default::default()
            },
        ];
        for p in &policies {
            let texts = AnswerTexts::new(p);
            let mut events: Vec<Option<&Event>> =
                catalogue::catalogue().events.iter().map(Some).collect();
            events.push(None);
            for event in events {
                for cec in [false, true] {
                    let text = texts.get(event, cec);
                    let doc: Value = serde_json::from_slice(&text).unwrap();
                    assert_eq!(
                        doc,
                        p.answer_for(event, cec),
                        "{:?} {cec}",
                        event.map(|e| &e.id)
                    );
                }
            }
        }
    }

    #[test]
    fn fail_and_fixed() {
        let p = AnswerPolicy {
            respond: Respond::Fail,
            ..Default::default()
        };
        assert_eq!(p.answer_for(None, false)["ActionStatus"], "FAIL");
        assert_eq!(p.answer_for(None, true)["resultCode"], "1");
        let p = AnswerPolicy {
            respond: Respond::Fixed(json!({"x": 1})),
            ..Default::default()
        };
        assert_eq!(p.answer_for(Some(ev("SessionEnd")), false), json!({"x": 1}));
    }
}
