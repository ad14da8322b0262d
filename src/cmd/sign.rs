//! `deskhook sign`: RequestTime and Sign for a token, shell-style or as JSON.

use crate::cli::SignArgs;
use crate::clock::now_ms;
use crate::exit::Code;
use crate::report::LineFormat;
use crate::sign::sign;
use crate::term;
use anyhow::Result;
use std::io::Write;

pub fn run(args: SignArgs) -> Result<Code> {
    let time = args.time.unwrap_or_else(|| now_ms() / 1000);
    let signature = sign(&args.token, time);
    let mut out = term::stdout();
    match args.output.format() {
        LineFormat::Json => writeln!(
            out,
            "{}",
            serde_json::json!({"RequestTime": time, "Sign": signature})
        )?,
        LineFormat::Human => {
            writeln!(out, "RequestTime={time}")?;
            writeln!(out, "Sign={signature}")?;
        }
    }
    Ok(Code::Ok)
}
