//! `deskhook send`: build, sign and POST realistic callbacks, then judge every answer.
//!
//! Without `--to`, an in-process receiver on a free loopback port answers (the same code as
//! `listen`), so the first run needs no backend at all.

use super::common::{
    check_dry_run_format, dry_run_target, engine_options, note_authorization_kept, Target,
};
use super::input::read_json;
use crate::callback::Identity;
use crate::catalogue::{catalogue, Event, Side};
use crate::cli::SendArgs;
use crate::engine;
use crate::envelope::check_document;
use crate::error::usage;
use crate::exit::Code;
use crate::payload;
use crate::plan::Plan;
use crate::report::{Reporter, RunReport};
use crate::term::note;
use crate::transport::Connection;
use anyhow::Result;
use serde_json::Value;
use url::Url;

pub fn run(args: SendArgs) -> Result<Code> {
    let events = select_events(&args)?;
    let body = args.edit.body.as_deref().map(read_json).transpose()?;
    if body.is_some() && events.len() != 1 {
        return Err(usage(
            "--body replaces the body of one event: name exactly one EVENT",
        ));
    }
    let plan = Plan {
        events,
        body,
        edits: args.edit.edits(),
        identity: Identity::from(&args.identity),
        clock: args.repeat.clock(),
        seed: args.repeat.seed,
    };
    check_plan(&plan)?;
    let connection = args.connection.connection()?;
    let cec_bearer = plan.identity.token.is_some() && plan.events.iter().any(|e| e.is_cec());
    note_authorization_kept(&connection, cec_bearer);
    let total = args.load.count * plan.events.len() as u64;
    if args.dry_run {
        check_dry_run_format(args.output.format)?;
        return dry_run(&plan, &args, &connection, total);
    }
    deliver_all(plan, &args, connection, total)
}

/// The events named on the command line, `--all`, or one `--provider`'s.
fn select_events(args: &SendArgs) -> Result<Vec<&'static Event>> {
    let cat = catalogue();
    if args.all || args.provider.is_some() {
        return Ok(cat.of(args.provider).collect());
    }
    args.events.iter().map(|id| cat.find(id)).collect()
}

/// Build the first callback of each event once before anything is sent: a bad `--set` path
/// fails as a usage error up front, a `--set` that adds a field gets a note, and an edited or
/// replaced body that breaks the event's request schema gets a note naming each violation (it
/// is still sent: a deliberately broken request is a legitimate negative test).
fn check_plan(plan: &Plan) -> Result<()> {
    let target = Url::parse(super::common::DEFAULT_LISTEN_URL).expect("constant URL");
    for (i, ev) in plan.events.iter().enumerate() {
        let c = plan
            .callback(i as u64, &target)
            .map_err(|e| usage(format!("{e:#}")))?;
        if plan.body.is_some() || !plan.edits.is_empty() {
            let sent: Value = serde_json::from_slice(&c.body)?;
            for v in check_document(ev, Side::Request, &sent) {
                note(format!(
                    "the {} body you send breaks its request schema (sent anyway): {v}",
                    ev.id
                ));
            }
        }
        if i == 0 {
            note_new_fields(plan, ev);
        }
    }
    Ok(())
}

/// A note for each `--set` path whose last key the body does not have (the field is added).
fn note_new_fields(plan: &Plan, ev: &Event) {
    let mut before = plan.unedited_body(ev);
    let unset_only = payload::Edits {
        set: vec![],
        unset: plan.edits.unset.clone(),
    };
    let _ = payload::apply(&mut before, &unset_only, &ev.id);
    for o in &plan.edits.set {
        if let Some(n) = payload::new_field_note(&before, &o.path) {
            note(n);
        }
    }
}

fn dry_run(plan: &Plan, args: &SendArgs, connection: &Connection, total: u64) -> Result<Code> {
    let target = dry_run_target(args.to.as_ref());
    let mut reporter = Reporter::new(args.output.format, args.output.verbose);
    for i in 0..total {
        let mut c = plan.callback(i, &target)?;
        connection.add_headers(&mut c);
        reporter.request(&c)?;
    }
    Ok(Code::Ok)
}

fn deliver_all(plan: Plan, args: &SendArgs, connection: Connection, total: u64) -> Result<Code> {
    let target = Target::resolve(args.to.as_ref(), &plan.identity)?;
    let opts = engine_options(&args.delivery, &args.load, connection, &target.url);
    let report = RunReport::new(
        args.output.format,
        args.output.verbose,
        Some(total),
        "deskhook send",
    );
    let (plan, url) = (&plan, &target.url);
    let report = engine::run(opts, report, engine::indices(total), |i, lane| async move {
        let c = plan.callback(i, url)?;
        if let Some(d) = lane.send(c).await {
            lane.emit(&d);
        }
        Ok(())
    })?;
    Ok(report.finish()?.code())
}
