//! Playing one session of a scenario: each step built from the session, delivered (or shown,
//! in a dry run), and its answer carried forward. The first agent of an assignment answer's
//! `AgentIdList` (or an agent of its `AgentGroupId`) is the `AgentId` of later human-stage
//! events; variables returned in an `InterfaceInvocation` `Body` join the session and the next
//! `InterfaceInvocation` `Body`; a FAIL answer takes `on_fail`.

use super::scenario::MAX_STEPS_PER_STEP;
use super::{Next, Scenario, Step};
use crate::callback::{Callback, Identity};
use crate::catalogue::Event;
use crate::clock::Clock;
use crate::engine::{Lane, Sink};
use crate::envelope::{is_success, Expect};
use crate::payload::{self, Edits, Override};
use crate::session::{derive_seed, Session};
use crate::term::note;
use crate::transport::Verdict;
use anyhow::{Context, Result};
use serde_json::{json, Value};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use url::Url;

/// What every run of a flow shares.
pub struct Flow {
    pub scenario: Scenario,
    pub identity: Identity,
    pub clock: Clock,
    pub seed: Option<u64>,
    pub target: Url,
}

/// How a step's callback is answered: delivered for real, or shown and answered with the
/// event's documented success envelope (a dry run).
pub enum Driver<'a, S> {
    Live(&'a Lane<S>),
    DryRun(&'a mut dyn FnMut(&Callback) -> Result<()>),
}

impl Flow {
    /// Run number `run`: the scenario's steps in order, following answers and branches.
    pub async fn run_session<S: Sink>(&self, run: u64, mut driver: Driver<'_, S>) -> Result<()> {
        let sc = &self.scenario;
        let seed = self
            .seed
            .map_or_else(|| fastrand::u64(..), |s| derive_seed(s, run));
        let mut session = Session::new(seed, self.clock);
        let mut pc = 0;
        let mut taken = 0;
        while pc < sc.steps.len() && taken < MAX_STEPS_PER_STEP * sc.steps.len() {
            taken += 1;
            let step = &sc.steps[pc];
            if let (Some(p), Driver::Live(lane)) = (step.pause, &driver) {
                tokio::select! {
                    () = tokio::time::sleep(p) => {}
                    () = lane.until_stopped() => return Ok(()),
                }
            }
            let callback = self
                .build_step(step, &mut session)
                .with_context(|| format!("{} step {}", sc.name, pc + 1))?;
            let answer = match &mut driver {
                Driver::DryRun(show) => {
                    show(&callback)?;
                    Some(Arc::new(step.event.answers().ok.clone()))
                }
                Driver::Live(lane) => {
                    let expect = step.expect.unwrap_or(if step.on_fail.is_some() {
                        Expect::Any
                    } else {
                        lane.policy().expect
                    });
                    let Some(mut d) = lane.send_expecting(callback, expect).await else {
                        return Ok(());
                    };
                    d.context = Some(format!("{} run {} step {}", sc.name, run + 1, pc + 1));
                    lane.emit(&d);
                    if lane.stopped() {
                        return Ok(());
                    }
                    (d.verdict() == Verdict::Ok).then_some(d.answer).flatten()
                }
            };
            let accepted = answer.filter(|a| is_success(step.event, a));
            if let Some(a) = &accepted {
                learn(step.event, a, &mut session);
            }
            pc = match (accepted.is_some(), step.on_fail, step.next) {
                (false, Some(branch), _) => branch,
                (_, _, Next::End) => sc.steps.len(),
                (_, _, Next::Step(i)) => i,
                (_, _, Next::Following) => pc + 1,
            };
        }
        if pc < sc.steps.len() {
            note_loop_cut(&sc.name, run, taken, sc.steps.len());
        }
        Ok(())
    }

    /// The callback of one step: platform semantics first (an `AgentForward` hands the
    /// session from the current agent to another), then the template, then the step's edits,
    /// whose values may use placeholders (`"{{agent_id}}"`, `"{{vars.orderStatus}}"`).
    fn build_step(&self, step: &Step, session: &mut Session) -> Result<Callback> {
        if step.event.id == "AgentForward" {
            hand_over(session)?;
        }
        let mut set = Vec::with_capacity(step.set.len());
        for (path, value) in &step.set {
            set.push(Override {
                path: path.clone(),
                value: session.fill(value)?,
            });
        }
        let edits = Edits {
            set,
            unset: step.unset.clone(),
        };
        let body = payload::build(step.event, session, &edits)?;
        Ok(Callback::from_body(
            step.event,
            &body,
            session,
            &self.target,
            &self.identity,
            self.clock,
        ))
    }
}

/// Say once per process that a run stopped at the loop guard: a scenario whose step loops
/// back on itself would otherwise be cut short without a word.
fn note_loop_cut(name: &str, run: u64, taken: usize, len: usize) {
    static SAID: AtomicBool = AtomicBool::new(false);
    if !SAID.swap(true, Ordering::Relaxed) {
        note(format!(
            "{name} run {}: stopped after {taken} steps: the scenario loops (a `next` leads back to an earlier step, or to itself), and a run plays at most {MAX_STEPS_PER_STEP} times its {len} steps",
            run + 1
        ));
    }
}

/// The current agent becomes `forward_from_agent_id`; a different agent takes over.
fn hand_over(session: &mut Session) -> Result<()> {
    let from = session.resolve("agent_id")?;
    session
        .vars
        .insert("forward_from_agent_id".into(), from.clone());
    let mut next = from.clone();
    while next == from {
        session.vars.remove("agent_id");
        next = session.resolve("agent_id")?;
    }
    Ok(())
}

/// Carry what a success answer decided into the session.
fn learn(event: &Event, answer: &Value, session: &mut Session) {
    if event.is_assignment() {
        let first = answer
            .get("AgentIdList")
            .and_then(Value::as_array)
            .and_then(|l| l.first())
            .and_then(Value::as_str);
        let agent = match (first, answer.get("AgentGroupId").and_then(Value::as_i64)) {
            (Some(a), _) => Some(a.to_owned()),
            (None, Some(group)) => Some(format!(
                "agent{:02}@group{group}.example.com",
                session.rng().u8(1..40)
            )),
            (None, None) => None,
        };
        if let Some(a) = agent {
            session.vars.insert("agent_id".into(), json!(a));
        }
    } else if event.is_interface_invocation() {
        if let Some(Value::Object(vars)) = answer.get("Body") {
            for (k, v) in vars {
                let v = match v {
                    Value::String(_) => v.clone(),
                    other => json!(other.to_string()),
                };
                session.returned.insert(k.clone(), v);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::catalogue;

    #[test]
    fn assignment_answers_decide_the_agent() {
        let mut s = Session::new(1, Clock::Fixed(1));
        let ev = catalogue().find("ChatBot.OnAssignHuman").unwrap();
        learn(
            ev,
            &json!({"ActionStatus": "OK", "ErrorCode": 0, "AgentIdList": ["odd.name+1@x.io"]}),
            &mut s,
        );
        assert_eq!(s.resolve("agent_id").unwrap(), json!("odd.name+1@x.io"));
        learn(
            ev,
            &json!({"ActionStatus": "OK", "ErrorCode": 0, "AgentGroupId": 77}),
            &mut s,
        );
        assert!(s
            .resolve("agent_id")
            .unwrap()
            .as_str()
            .unwrap()
            .ends_with("@group77.example.com"));
    }

    #[test]
    fn interface_answers_become_session_variables() {
        let mut s = Session::new(1, Clock::Fixed(1));
        let ev = catalogue().find("Chatbot.InterfaceInvocation").unwrap();
        learn(
            ev,
            &json!({"Body": {"orderStatus": "shipped", "n": 3}}),
            &mut s,
        );
        assert_eq!(s.resolve("vars.orderStatus").unwrap(), json!("shipped"));
        assert_eq!(s.resolve("vars.n").unwrap(), json!("3"));
    }

    #[test]
    fn hand_over_picks_another_agent() {
        let mut s = Session::new(3, Clock::Fixed(1));
        let first = s.resolve("agent_id").unwrap();
        hand_over(&mut s).unwrap();
        assert_eq!(s.resolve("forward_from_agent_id").unwrap(), first);
        assert_ne!(s.resolve("agent_id").unwrap(), first);
    }
}
