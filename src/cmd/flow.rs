//! `deskhook flow` and `deskhook flows`: whole conversations played as the platform would.
//!
//! A scenario is data (`fixtures/flows/*.toml`, format in `fixtures/flows/README.md`). One run
//! is one session: one `SessionId`, user and customer-service account, strictly increasing
//! `EventTime`, unique `MsgKey`s. Each step is driven by earlier answers: the first agent of
//! an assignment answer's `AgentIdList` (or an agent of its `AgentGroupId`) is the `AgentId`
//! of later human-stage events; variables returned in an `InterfaceInvocation` `Body` join the
//! session and the next `InterfaceInvocation` `Body`; a FAIL answer takes `on_fail`.

use super::send::{options_of, prepare_for, repeat_of, target_of, DEFAULT_LISTEN_URL};
use crate::catalogue::{catalogue, Event};
use crate::cli::{Expect, FlowArgs, FlowsArgs};
use crate::engine::{self, Lane};
use crate::envelope::is_success;
use crate::exit::{usage, Code};
use crate::http::{parse_target, Identity, Outcome, Prepared, Verdict};
use crate::output::{note, Reporter};
use crate::payload::{self, Edits};
use crate::server::{answer_for, Answers};
use crate::session::{derive_seed, Clock, Session};
use anyhow::{Context, Result};
use serde::Deserialize;
use serde_json::{json, Map, Value};
use std::io::Write;
use std::time::Duration;
use url::Url;

/// A scenario file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioFile {
    #[serde(default)]
    pub name: Option<String>,
    pub description: String,
    #[serde(rename = "step")]
    pub steps: Vec<StepFile>,
}

/// One `[[step]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StepFile {
    pub event: String,
    #[serde(default)]
    pub label: Option<String>,
    #[serde(default)]
    pub set: Map<String, Value>,
    #[serde(default)]
    pub unset: Vec<String>,
    #[serde(default)]
    pub pause: Option<String>,
    #[serde(default)]
    pub expect: Option<Expect>,
    #[serde(default)]
    pub on_fail: Option<String>,
    #[serde(default)]
    pub next: Option<String>,
}

/// A checked scenario, ready to run.
#[derive(Debug)]
pub struct Scenario {
    pub name: String,
    pub description: String,
    pub steps: Vec<Step>,
}

#[derive(Debug)]
pub struct Step {
    pub event: &'static Event,
    pub label: Option<String>,
    pub set: Vec<(String, Value)>,
    pub unset: Vec<String>,
    pub pause: Option<Duration>,
    pub expect: Option<Expect>,
    pub on_fail: Option<usize>,
    pub next: Next,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    Following,
    End,
    Step(usize),
}

impl Scenario {
    /// Parse and check a scenario; `origin` names it in errors (a file path or `built-in NAME`).
    pub fn parse(name: &str, text: &str, origin: &str) -> Result<Scenario> {
        let file: ScenarioFile =
            toml::from_str(text).map_err(|e| usage(format!("{origin}: {e}")))?;
        if file.steps.is_empty() {
            return Err(usage(format!(
                "{origin}: a scenario needs at least one [[step]]"
            )));
        }
        let labels: Vec<Option<&str>> = file.steps.iter().map(|s| s.label.as_deref()).collect();
        let find = |l: &str, i: usize| -> Result<usize> {
            labels.iter().position(|x| *x == Some(l)).ok_or_else(|| {
                usage(format!(
                    "{origin}: step {} refers to label {l:?}, which no step has",
                    i + 1
                ))
            })
        };
        let mut steps = Vec::with_capacity(file.steps.len());
        for (i, s) in file.steps.iter().enumerate() {
            let event = catalogue()
                .find(&s.event)
                .map_err(|e| usage(format!("{origin}: step {}: {e}", i + 1)))?;
            let pause = s
                .pause
                .as_deref()
                .map(crate::cli::parse_duration)
                .transpose()
                .map_err(|e| usage(format!("{origin}: step {}: pause: {e}", i + 1)))?;
            let next = match s.next.as_deref() {
                None => Next::Following,
                Some("end") => Next::End,
                Some(l) => Next::Step(find(l, i)?),
            };
            let on_fail = s.on_fail.as_deref().map(|l| find(l, i)).transpose()?;
            let set = s.set.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
            steps.push(Step {
                event,
                label: s.label.clone(),
                set,
                unset: s.unset.clone(),
                pause,
                expect: s.expect,
                on_fail,
                next,
            });
        }
        Ok(Scenario {
            name: file.name.unwrap_or_else(|| name.to_owned()),
            description: file.description,
            steps,
        })
    }

    /// A built-in scenario by name, or a scenario file.
    pub fn load(spec: &str) -> Result<Scenario> {
        if let Some(text) = crate::assets::get(&format!("flows/{spec}.toml")) {
            return Scenario::parse(spec, text, &format!("built-in scenario {spec}"));
        }
        let path = std::path::Path::new(spec);
        if !path.exists() {
            let names: Vec<String> = builtin().map(|(n, _)| n).collect();
            return Err(usage(format!(
                "{spec:?} is neither a built-in scenario ({}) nor a file",
                names.join(", ")
            )));
        }
        let text =
            std::fs::read_to_string(path).map_err(|e| usage(format!("cannot read {spec}: {e}")))?;
        let stem = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("scenario");
        Scenario::parse(stem, &text, spec)
    }
}

/// The built-in scenarios as (name, text).
fn builtin() -> impl Iterator<Item = (String, &'static str)> {
    crate::assets::under("flows")
        .filter(|(p, _)| p.ends_with(".toml"))
        .map(|(p, t)| {
            (
                p.trim_start_matches("flows/")
                    .trim_end_matches(".toml")
                    .to_owned(),
                t,
            )
        })
}

/// `deskhook flows`.
pub fn list(args: FlowsArgs) -> Result<Code> {
    let mut out = std::io::stdout().lock();
    for (name, text) in builtin() {
        let sc = Scenario::parse(&name, text, &format!("built-in scenario {name}"))?;
        if args.json {
            let steps: Vec<&str> = sc.steps.iter().map(|s| s.event.id.as_str()).collect();
            writeln!(
                out,
                "{}",
                json!({"name": sc.name, "description": sc.description, "steps": steps})
            )?;
        } else {
            use colored::Colorize;
            writeln!(
                out,
                "{:<18} {} {}",
                sc.name.bold(),
                sc.description,
                format!("({} steps)", sc.steps.len()).dimmed()
            )?;
        }
    }
    Ok(Code::Ok)
}

/// What every run of a flow shares.
struct FlowCtx {
    scenario: Scenario,
    identity: Identity,
    clock: Clock,
    seed: Option<u64>,
    target: Url,
}

pub fn run(args: FlowArgs) -> Result<Code> {
    let scenario = Scenario::load(&args.scenario)?;
    let (seed, clock) = repeat_of(&args.repeat);
    let target = match &args.to {
        Some(u) => parse_target(u)?,
        None => Url::parse(DEFAULT_LISTEN_URL).expect("constant URL"),
    };
    let ctx = FlowCtx {
        scenario,
        identity: Identity::from(&args.identity),
        clock,
        seed,
        target,
    };
    if args.dry_run {
        if args.output.format == crate::cli::Format::Junit {
            return Err(usage(
                "--dry-run prints requests, not results: use --format human or json",
            ));
        }
        return dry_run(&ctx, &args);
    }
    play(ctx, &args)
}

fn dry_run(ctx: &FlowCtx, args: &FlowArgs) -> Result<Code> {
    if args.to.is_none() {
        note(format!("no --to: showing the requests as they would go to `deskhook listen` at {DEFAULT_LISTEN_URL}"));
    }
    note("dry run: each step is answered by the built-in receiver's documented success envelope; nothing is sent");
    let mut reporter = Reporter::new(args.output.format, args.output.verbose);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    for run in 0..args.load.count {
        let mut show = |p: &Prepared| reporter.dry_run(p).map_err(anyhow::Error::from);
        rt.block_on(run_session(ctx, run, Driver::DryRun(&mut show)))?;
    }
    Ok(Code::Ok)
}

fn play(mut ctx: FlowCtx, args: &FlowArgs) -> Result<Code> {
    let (target, _receiver) = target_of(args.to.as_deref(), &ctx.identity)?;
    ctx.target = target;
    let total = args.load.count;
    let steps = ctx.scenario.steps.len() as u64;
    let title = format!("deskhook flow {}", ctx.scenario.name);
    let opts = options_of(
        &args.delivery,
        &args.load,
        &args.output,
        &ctx.target,
        Some(total * steps),
        &title,
    );
    let ctx = &ctx;
    let summary = engine::run(opts, engine::indices(total), |run, lane| async move {
        run_session(ctx, run, Driver::Live(&lane)).await
    })?;
    Ok(summary.code())
}

/// How a step's request is answered: for real, or by the built-in receiver's logic.
enum Driver<'a> {
    Live(&'a Lane),
    DryRun(&'a mut dyn FnMut(&Prepared) -> Result<()>),
}

/// One session: the scenario's steps in order, following answers and branches.
async fn run_session(ctx: &FlowCtx, run: u64, mut driver: Driver<'_>) -> Result<()> {
    let sc = &ctx.scenario;
    let seed = ctx
        .seed
        .map_or_else(|| fastrand::u64(..), |s| derive_seed(s, run));
    let mut session = Session::new(seed, ctx.clock);
    let mut pc = 0;
    let mut taken = 0;
    while pc < sc.steps.len() && taken < 10 * sc.steps.len() {
        taken += 1;
        let step = &sc.steps[pc];
        if let (Some(p), Driver::Live(..)) = (step.pause, &driver) {
            tokio::time::sleep(p).await;
        }
        let prepared = build_step(ctx, step, &mut session)
            .with_context(|| format!("{} step {}", sc.name, pc + 1))?;
        let answer = match &mut driver {
            Driver::DryRun(show) => {
                show(&prepared)?;
                Some(answer_for(
                    Some(step.event),
                    step.event.is_cec(),
                    &Answers::default(),
                ))
            }
            Driver::Live(lane) => {
                let expect = step.expect.unwrap_or(if step.on_fail.is_some() {
                    Expect::Any
                } else {
                    lane.policy().expect
                });
                let mut o: Outcome = lane.send_expecting(prepared, expect).await;
                o.context = Some(format!("{} run {} step {}", sc.name, run + 1, pc + 1));
                lane.emit(&o);
                if lane.stopped() {
                    return Ok(());
                }
                (o.verdict() == Verdict::Ok).then_some(o.answer).flatten()
            }
        };
        let accepted = answer.filter(|a| is_success(step.event, a));
        if let Some(a) = &accepted {
            learn(step.event, a, &mut session);
        }
        let success = accepted.is_some();
        pc = match (success, step.on_fail, step.next) {
            (false, Some(branch), _) => branch,
            (_, _, Next::End) => break,
            (_, _, Next::Step(i)) => i,
            (_, _, Next::Following) => pc + 1,
        };
    }
    Ok(())
}

/// The request of one step: platform semantics first (an `AgentForward` hands the session
/// from the current agent to another), then the template, then the step's edits, whose
/// values may use placeholders (`"{{agent_id}}"`, `"{{vars.orderStatus}}"`).
fn build_step(ctx: &FlowCtx, step: &Step, session: &mut Session) -> Result<Prepared> {
    if step.event.id == "AgentForward" {
        let from = session.resolve("agent_id")?;
        session.vars.remove("forward_from_agent_id");
        session
            .vars
            .insert("forward_from_agent_id".into(), from.clone());
        let mut next = from.clone();
        while next == from {
            session.vars.remove("agent_id");
            next = session.resolve("agent_id")?;
        }
    }
    let mut set = Vec::with_capacity(step.set.len());
    for (path, value) in &step.set {
        set.push(crate::cli::Override {
            path: path.clone(),
            value: session.fill(value)?,
        });
    }
    let edits = Edits {
        set,
        unset: step.unset.clone(),
    };
    let body = payload::build(step.event, session, &edits)?;
    Ok(prepare_for(
        step.event,
        &body,
        session,
        &ctx.target,
        &ctx.identity,
        ctx.clock,
    ))
}

/// Carry what a success answer decided into the session.
fn learn(event: &Event, answer: &Value, session: &mut Session) {
    match event.command.as_str() {
        "ChatBot.OnAssignAgent" | "ChatBot.OnAssignHuman" => {
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
        }
        "Chatbot.InterfaceInvocation" => {
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
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_scenario_parses() {
        let names: Vec<String> = builtin().map(|(n, _)| n).collect();
        for want in [
            "bot-resolved",
            "bot-to-human",
            "no-agent-online",
            "queue-abandoned",
            "agent-forward",
            "user-timeout",
            "api-call",
            "cec-chat",
        ] {
            assert!(
                names.iter().any(|n| n == want),
                "missing built-in scenario {want}"
            );
        }
        for (name, text) in builtin() {
            Scenario::parse(&name, text, &name).unwrap();
        }
    }

    #[test]
    fn bad_scenarios_name_the_problem() {
        let e = Scenario::parse(
            "x",
            "description = 'd'\n[[step]]\nevent = 'Nope'\n",
            "x.toml",
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("x.toml: step 1") && e.contains("unknown event"),
            "{e}"
        );
        let e = Scenario::parse(
            "x",
            "description = 'd'\n[[step]]\nevent = 'SessionBegin'\non_fail = 'nowhere'\n",
            "x.toml",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("label \"nowhere\""), "{e}");
        let e = Scenario::parse(
            "x",
            "description = 'd'\n[[step]]\nevnt = 'SessionBegin'\n",
            "x.toml",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("x.toml") && e.contains("evnt"), "{e}");
    }

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
}
