//! `deskhook verify`: check a full callback URL's signature and say exactly what is wrong:
//! a missing parameter, a stale or millisecond `RequestTime`, the wrong token, the wrong order.

use crate::cli::VerifyArgs;
use crate::clock::now_ms;
use crate::exit::Code;
use crate::sign::{relative, verify};
use crate::term;
use anyhow::Result;
use colored::Colorize;
use std::io::Write;

pub fn run(args: VerifyArgs) -> Result<Code> {
    let pairs: Vec<(String, String)> = args.url.query_pairs().into_owned().collect();
    let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    let now = args.now.unwrap_or_else(|| now_ms() / 1000);
    let mut problems = Vec::new();
    for p in ["SdkAppid", "CallbackCommand"] {
        if get(p).is_none() {
            problems.push(format!("missing URL parameter {p}"));
        }
    }
    if let (Some(want), Some(got)) = (&args.sdkappid, get("SdkAppid")) {
        if want != got {
            problems.push(format!(
                "SdkAppid: expected {want:?} (this app), got {got:?}"
            ));
        }
    }
    let checked = verify(
        &args.token,
        get("Sign"),
        get("RequestTime"),
        now,
        args.tolerance.as_secs(),
    );
    if let Err(p) = &checked {
        problems.push(p.to_string());
    }
    let mut out = term::stdout();
    if problems.is_empty() {
        let t = checked.unwrap_or_default();
        writeln!(
            out,
            "{} signature valid: Sign = sha256(token + {t}), RequestTime {}",
            "✓".green().bold(),
            relative(t, now)
        )?;
        return Ok(Code::Ok);
    }
    for p in &problems {
        writeln!(out, "{} {p}", "✗".red().bold())?;
    }
    Ok(Code::CheckFailed)
}
