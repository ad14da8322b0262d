//! [`Plan`]: everything `send` needs to build callback number `i` of a run — the events in
//! order (repeated for `--count`), a fresh session per callback, the user's edits or body.

use crate::callback::{Callback, Identity};
use crate::catalogue::Event;
use crate::clock::Clock;
use crate::payload::{self, Edits};
use crate::session::{derive_seed, Session};
use anyhow::Result;
use bytes::Bytes;
use serde_json::Value;
use url::Url;

/// Room for a generated body, so that writing one rarely grows the buffer (most are under
/// 1 KiB).
const BODY_CAPACITY: usize = 1024;

/// The callbacks of one `send` run.
pub struct Plan {
    pub events: Vec<&'static Event>,
    /// `--body`: this body instead of the event's template.
    pub body: Option<Value>,
    pub edits: Edits,
    pub identity: Identity,
    pub clock: Clock,
    pub seed: Option<u64>,
}

impl Plan {
    /// The seed of callback `i`: a pure function of `--seed` and `i`, or random.
    pub fn seed_for(&self, i: u64) -> u64 {
        self.seed
            .map_or_else(|| fastrand::u64(..), |s| derive_seed(s, i))
    }

    /// Callback number `i` to `target` (events in order, then repeated for `--count`).
    pub fn callback(&self, i: u64, target: &Url) -> Result<Callback> {
        let event = self.events[(i % self.events.len() as u64) as usize];
        let mut session = Session::new(self.seed_for(i), self.clock);
        let body = match &self.body {
            Some(b) => {
                let mut b = b.clone();
                payload::apply(&mut b, &self.edits, &event.id)?;
                b
            }
            None if self.edits.is_empty() => {
                // The common case: the template written straight into the body's bytes.
                let mut out = Vec::with_capacity(BODY_CAPACITY);
                let session_id = payload::render(event, &mut session, &mut out)?;
                return Ok(Callback::from_bytes(
                    event,
                    Bytes::from(out),
                    session_id,
                    &mut session,
                    target,
                    &self.identity,
                    self.clock,
                ));
            }
            None => payload::build(event, &mut session, &self.edits)?,
        };
        Ok(Callback::from_body(
            event,
            &body,
            &mut session,
            target,
            &self.identity,
            self.clock,
        ))
    }

    /// The body the edits apply to, before them: `--body`, or the event's template filled
    /// with fixed values (for notes about what `--set` adds).
    pub fn unedited_body(&self, event: &Event) -> Value {
        match &self.body {
            Some(b) => b.clone(),
            None => Session::new(0, Clock::Fixed(1))
                .fill(&event.template)
                .unwrap_or(Value::Null),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::catalogue;

    fn plan(seed: Option<u64>) -> Plan {
        Plan {
            events: vec![
                catalogue().find("SessionBegin").unwrap(),
                catalogue().find("SessionEnd").unwrap(),
            ],
            body: None,
            edits: Edits::default(),
            identity: Identity {
                sdkappid: "1".into(),
                token: None,
                client_ip: "127.0.0.1".into(),
                platform: "RESTAPI".into(),
                extra_query: vec![],
            },
            clock: Clock::Fixed(1_700_000_000_000),
            seed,
        }
    }

    #[test]
    fn events_repeat_in_order_with_fresh_sessions() {
        let p = plan(Some(7));
        let target = Url::parse("http://h/").unwrap();
        let ids: Vec<String> = (0..4)
            .map(|i| p.callback(i, &target).unwrap().event.id.clone())
            .collect();
        assert_eq!(
            ids,
            ["SessionBegin", "SessionEnd", "SessionBegin", "SessionEnd"]
        );
        let a = p.callback(0, &target).unwrap();
        let b = p.callback(2, &target).unwrap();
        assert_ne!(a.session_id, b.session_id);
        assert_eq!(
            a.body,
            p.callback(0, &target).unwrap().body,
            "seeded: repeatable"
        );
    }
}
