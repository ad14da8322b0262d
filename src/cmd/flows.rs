//! `deskhook flows`: the built-in conversation scenarios, one per line or as JSON Lines.

use crate::cli::FlowsArgs;
use crate::exit::Code;
use crate::flow::{builtin, Scenario};
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
        match args.output.format() {
            LineFormat::Json => {
                let steps: Vec<&str> = sc.steps.iter().map(|s| s.event.id.as_str()).collect();
                writeln!(
                    out,
                    "{}",
                    json!({"name": sc.name, "description": sc.description, "steps": steps})
                )?;
            }
            LineFormat::Human => writeln!(
                out,
                "{:<18} {} {}",
                sc.name.bold(),
                sc.description,
                format!("({} steps)", sc.steps.len()).dimmed()
            )?,
        }
    }
    Ok(Code::Ok)
}
