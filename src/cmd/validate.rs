//! `deskhook validate`: one JSON document against an event's request or response envelope.

use super::input::{display_name, read_json};
use crate::catalogue::{catalogue, Side};
use crate::cli::ValidateArgs;
use crate::envelope::check_document;
use crate::exit::Code;
use crate::report::human::write_violations;
use crate::report::LineFormat;
use crate::term;
use anyhow::Result;
use colored::Colorize;
use std::io::Write;

pub fn run(args: ValidateArgs) -> Result<Code> {
    let event = catalogue().find(&args.event)?;
    let side = Side::from(args.side);
    let doc = read_json(&args.input)?;
    let violations = check_document(event, side, &doc);
    let name = display_name(&args.input);
    let valid = violations.is_empty();
    let mut out = term::stdout();
    match args.format {
        LineFormat::Human if valid => writeln!(
            out,
            "{} {name} is a valid {} {}",
            "✓".green().bold(),
            event.id,
            side.as_str()
        )?,
        LineFormat::Human => {
            writeln!(
                out,
                "{} {name} is not a valid {} {}:",
                "✗".red().bold(),
                event.id,
                side.as_str()
            )?;
            write_violations(&mut out, &violations)?;
        }
        LineFormat::Json => {
            let rec = serde_json::json!({
                "type": "validation", "file": name, "event": event.id, "side": side.as_str(),
                "verdict": if valid { "ok" } else { "invalid" }, "violations": violations,
            });
            writeln!(out, "{rec}")?;
        }
    }
    Ok(if valid { Code::Ok } else { Code::CheckFailed })
}
