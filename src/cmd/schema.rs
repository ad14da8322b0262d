//! `deskhook schema`: print the self-contained JSON Schema deskhook validates against.

use crate::catalogue::catalogue;
use crate::cli::SchemaArgs;
use crate::exit::Code;
use crate::term;
use anyhow::Result;
use std::io::Write;

pub fn run(args: SchemaArgs) -> Result<Code> {
    let event = catalogue().find(&args.event)?;
    let schema = event.schema(args.side.into());
    writeln!(term::stdout(), "{}", serde_json::to_string_pretty(&schema)?)?;
    Ok(Code::Ok)
}
