//! `deskhook audit`: lower the flags into an [`Audit`], run its probes against `--to`, and
//! show each outcome as it comes (the domain is in `crate::audit`).

use crate::audit::report::{list_record, write_list, Reporter};
use crate::audit::{Audit, Probe, Tally, PROBES};
use crate::callback::Identity;
use crate::catalogue::Provider;
use crate::cli::AuditArgs;
use crate::error::usage;
use crate::exit::Code;
use crate::redact;
use crate::report::Format;
use crate::term::{self, note};
use anyhow::Result;
use std::io::Write;

pub fn run(args: AuditArgs) -> Result<Code> {
    if args.list {
        return list(&args);
    }
    let Some(target) = args.to.clone() else {
        return Err(usage("--to URL is required: the backend to audit"));
    };
    let probes = select(&args)?;
    let identity = Identity::from(&args.identity);
    let connection = args.connection.connection()?;
    let cec_bearer = identity.token.is_some() && args.provider == Provider::Huawei;
    super::common::note_authorization_kept(&connection, cec_bearer);
    if identity.token.is_none() && probes.iter().any(|p| p.needs_token) {
        let which = match args.provider {
            Provider::Tencent => "signature",
            Provider::Huawei => "Bearer",
        };
        note(format!(
            "no --token: the {which} probes are skipped (each says so); pass the backend's token to run them"
        ));
    }
    let shown = redact::url(target.as_str()).into_owned();
    note(format!(
        "auditing {shown} as a {} backend: {} probe(s)",
        args.provider.as_str(),
        probes.len()
    ));
    let audit = Audit {
        target,
        provider: args.provider,
        identity,
        timeout: args.timeout,
        probes,
        connection,
    };
    let mut reporter = Reporter::new(args.format, args.verbose, args.strict);
    let outcomes = crate::audit::run(&audit, |o| reporter.outcome(o))?;
    reporter.finish(&outcomes, &shown, args.provider)?;
    Ok(Tally::of(&outcomes).code(args.strict))
}

/// The probes of this provider, narrowed by `--only` and `--skip`, in table order.
fn select(args: &AuditArgs) -> Result<Vec<&'static Probe>> {
    for p in &args.only {
        if !p.applies_to(args.provider) {
            let other = p.provider.map_or("both", Provider::as_str);
            return Err(usage(format!(
                "--only {}: a {other} probe, and this audit is --provider {}",
                p.id,
                args.provider.as_str()
            )));
        }
    }
    let chosen = |p: &Probe| {
        (args.only.is_empty() || args.only.iter().any(|o| std::ptr::eq(*o, p)))
            && !args.skip.iter().any(|s| std::ptr::eq(*s, p))
    };
    let probes: Vec<&'static Probe> = PROBES
        .iter()
        .filter(|p| p.applies_to(args.provider) && chosen(p))
        .collect();
    if probes.is_empty() {
        return Err(usage(
            "no probe left to run: --skip removed every probe --only chose",
        ));
    }
    Ok(probes)
}

/// `--list`: every probe of both providers, each naming the one it is for.
fn list(args: &AuditArgs) -> Result<Code> {
    let probes: Vec<&Probe> = PROBES.iter().collect();
    let mut out = term::stdout();
    match args.format {
        Format::Human => write_list(&mut out, &probes)?,
        Format::Json => {
            for p in probes {
                writeln!(out, "{}", list_record(p))?;
            }
        }
        Format::Junit => {
            return Err(usage(
                "--list prints the probes, not results: use --format human or json",
            ))
        }
    }
    Ok(Code::Ok)
}
