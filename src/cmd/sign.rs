//! `deskhook sign`: RequestTime and Sign for a token (PROTOCOL.md §1.1), shell-style or JSON.

use crate::cli::SignArgs;
use crate::exit::Code;
use crate::session::now_ms;
use crate::sign::sign;
use anyhow::Result;
use std::io::Write;

pub fn run(args: SignArgs) -> Result<Code> {
    let time = args.time.unwrap_or_else(|| now_ms() / 1000);
    let signature = sign(&args.token, time);
    let mut out = std::io::stdout().lock();
    if args.json {
        writeln!(
            out,
            "{}",
            serde_json::json!({"RequestTime": time, "Sign": signature})
        )?;
    } else {
        writeln!(out, "RequestTime={time}")?;
        writeln!(out, "Sign={signature}")?;
    }
    Ok(Code::Ok)
}
