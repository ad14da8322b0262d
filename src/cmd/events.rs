//! `deskhook events`: the catalogue, one id per line or as JSON Lines.

use crate::catalogue::catalogue;
use crate::cli::EventsArgs;
use crate::exit::Code;
use crate::report::LineFormat;
use crate::term;
use anyhow::Result;
use colored::Colorize;
use std::io::Write;

pub fn run(args: EventsArgs) -> Result<Code> {
    let mut out = term::stdout();
    for e in catalogue().of(args.provider) {
        match args.output.format() {
            LineFormat::Json => {
                let rec = serde_json::json!({
                    "id": e.id, "provider": e.provider, "command": e.command, "description": e.description,
                });
                writeln!(out, "{rec}")?;
            }
            LineFormat::Human => writeln!(
                out,
                "{:<30} {:<8} {}",
                e.id.bold(),
                e.provider.as_str(),
                e.description.dimmed()
            )?,
        }
    }
    Ok(Code::Ok)
}
