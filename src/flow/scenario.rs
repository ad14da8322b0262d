//! Scenarios: a whole conversation as data (`fixtures/flows/*.toml`, format in
//! `fixtures/flows/README.md`), parsed and checked once: every event known, every label a
//! step refers to defined, every pause a duration.

use crate::catalogue::{catalogue, Event};
use crate::clock::parse_duration;
use crate::envelope::Expect;
use crate::error::usage;
use anyhow::Result;
use serde::Deserialize;
use serde_json::{Map, Value};
use std::time::Duration;

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

/// A step loops back at most this many times the scenario's length: a guard, not a limit a
/// scenario should reach (a run that reaches it says so).
pub const MAX_STEPS_PER_STEP: usize = 10;

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
                .map(parse_duration)
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

    /// The steps one run plays when every answer is a success, in order: `on_fail` branches
    /// are not taken, `next` is followed, and a loop stops where a run would (at
    /// [`MAX_STEPS_PER_STEP`] times the scenario's length).
    pub fn success_path(&self) -> Vec<&Step> {
        let mut path = Vec::new();
        let mut pc = 0;
        while pc < self.steps.len() && path.len() < MAX_STEPS_PER_STEP * self.steps.len() {
            let step = &self.steps[pc];
            path.push(step);
            pc = match step.next {
                Next::End => break,
                Next::Step(i) => i,
                Next::Following => pc + 1,
            };
        }
        path
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
pub fn builtin() -> impl Iterator<Item = (String, &'static str)> {
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
    fn the_success_path_skips_failure_branches() {
        let sc = Scenario::load("bot-to-human").unwrap();
        assert_eq!(sc.steps.len(), 15);
        let path: Vec<&str> = sc
            .success_path()
            .iter()
            .map(|s| s.event.id.as_str())
            .collect();
        assert_eq!(path.len(), 13, "{path:?}");
        assert!(!path.contains(&"NoAgentOnline"), "{path:?}");
        let looping = Scenario::parse(
            "x",
            "description = 'd'\n[[step]]\nlabel = 'a'\nevent = 'SessionBegin'\nnext = 'a'\n",
            "x.toml",
        )
        .unwrap();
        assert_eq!(looping.success_path().len(), MAX_STEPS_PER_STEP);
    }

    #[test]
    fn a_step_may_expect_a_refusal() {
        let sc = Scenario::parse(
            "x",
            "description = 'd'\n[[step]]\nevent = 'SessionBegin'\nexpect = 'refused'\n",
            "x.toml",
        )
        .unwrap();
        assert_eq!(sc.steps[0].expect, Some(Expect::Refused));
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
}
