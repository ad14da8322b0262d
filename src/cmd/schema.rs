//! `deskhook schema`: print the self-contained JSON Schema deskhook validates against.

use crate::catalogue::{catalogue, Side};
use crate::cli::SchemaArgs;
use crate::exit::Code;
use anyhow::Result;
use std::io::Write;

pub fn run(args: SchemaArgs) -> Result<Code> {
    let event = catalogue().find(&args.event)?;
    let side = if args.side.request {
        Side::Request
    } else {
        Side::Response
    };
    writeln!(
        std::io::stdout().lock(),
        "{}",
        serde_json::to_string_pretty(&event.schema(side))?
    )?;
    Ok(Code::Ok)
}
