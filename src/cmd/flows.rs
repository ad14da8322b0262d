//! `deskhook flows`: the built-in conversation scenarios, one per line or as JSON Lines, with
//! the steps a run plays when every answer succeeds (a step reached only from an `on_fail`
//! branch is in the file but not on that path).

use crate::cli::FlowsArgs;
use crate::exit::Code;
use crate::flow::{builtin, Scenario, Step};
use crate::report::LineFormat;
use crate::term;
use anyhow::Result;
use colored::Colorize;
use serde_json::json;
use std::io::Write;

pub fn run(args: FlowsArgs) -> Result<Code> {
    let mut out = term::stdout();
    for (name, text) in builtin() {
        let sc = Scenario::parse(&name, text, &format!("built-in scenario {name}"))?;
        let path = sc.success_path();
        match args.output.format() {
            LineFormat::Json => {
                let ids = |steps: &mut dyn Iterator<Item = &Step>| -> Vec<String> {
                    steps.map(|s| s.event.id.clone()).collect()
                };
                writeln!(
                    out,
                    "{}",
                    json!({
                        "name": sc.name,
                        "description": sc.description,
                        "steps": ids(&mut sc.steps.iter()),
                        "success_path": ids(&mut path.iter().copied()),
                    })
                )?;
            }
            LineFormat::Human => writeln!(
                out,
                "{:<18} {} {}",
                sc.name.bold(),
                sc.description,
                steps_said(path.len(), sc.steps.len()).dimmed()
            )?,
        }
    }
    Ok(Code::Ok)
}

/// `(7 steps)`, or `(13 steps played, 15 in the file)` when a step is only reached from a
/// failure branch (`on_fail`).
fn steps_said(played: usize, in_file: usize) -> String {
    if played == in_file {
        format!("({played} steps)")
    } else {
        format!(
            "({played} steps played when every answer succeeds, {in_file} with the failure branch)"
        )
    }
}
