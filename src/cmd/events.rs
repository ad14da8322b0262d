//! `deskhook events`: the catalogue, one id per line or as JSON Lines.

use crate::catalogue::catalogue;
use crate::cli::EventsArgs;
use crate::exit::Code;
use anyhow::Result;
use colored::Colorize;
use std::io::Write;

pub fn run(args: EventsArgs) -> Result<Code> {
    let mut out = std::io::stdout().lock();
    for e in catalogue().of(args.provider) {
        if args.json {
            let rec = serde_json::json!({
                "id": e.id, "provider": e.provider.as_str(), "command": e.command, "description": e.description,
            });
            writeln!(out, "{rec}")?;
        } else {
            writeln!(
                out,
                "{:<30} {:<8} {}",
                e.id.bold(),
                e.provider.as_str(),
                e.description.dimmed()
            )?;
        }
    }
    Ok(Code::Ok)
}
