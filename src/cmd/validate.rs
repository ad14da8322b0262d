//! `deskhook validate`: one JSON document against an event's request or response envelope.

use crate::catalogue::{catalogue, Side};
use crate::cli::{Format, ValidateArgs};
use crate::envelope::check_document;
use crate::exit::Code;
use crate::output::write_violations;
use anyhow::Result;
use colored::Colorize;
use std::io::Write;

pub fn run(args: ValidateArgs) -> Result<Code> {
    let event = catalogue().find(&args.event)?;
    let side = if args.side.request {
        Side::Request
    } else {
        Side::Response
    };
    let doc = super::read_json(&args.input)?;
    let violations = check_document(event, side, &doc);
    let name = if args.input.as_os_str() == "-" {
        "<stdin>".to_owned()
    } else {
        args.input.display().to_string()
    };
    let mut out = std::io::stdout().lock();
    if args.format == Format::Human {
        if violations.is_empty() {
            writeln!(
                out,
                "{} {name} is a valid {} {}",
                "✓".green().bold(),
                event.id,
                side.as_str()
            )?;
        } else {
            writeln!(
                out,
                "{} {name} is not a valid {} {}:",
                "✗".red().bold(),
                event.id,
                side.as_str()
            )?;
            write_violations(&mut out, &violations)?;
        }
    } else {
        let rec = serde_json::json!({
            "type": "validation", "file": name, "event": event.id, "side": side.as_str(),
            "verdict": if violations.is_empty() { "ok" } else { "invalid" }, "violations": violations,
        });
        writeln!(out, "{rec}")?;
    }
    Ok(if violations.is_empty() {
        Code::Ok
    } else {
        Code::CheckFailed
    })
}
