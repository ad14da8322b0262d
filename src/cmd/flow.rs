//! `deskhook flow`: play a whole conversation, each step driven by the backend's answers
//! (the domain is in `crate::flow`).

use super::common::{
    check_dry_run_format, dry_run_target, engine_options, note_authorization_kept, Target,
};
use crate::callback::{Callback, Identity};
use crate::cli::FlowArgs;
use crate::engine;
use crate::exit::Code;
use crate::flow::{Driver, Flow, Scenario};
use crate::report::{Reporter, RunReport};
use crate::term::note;
use crate::transport::Connection;
use anyhow::Result;
use url::Url;

pub fn run(args: FlowArgs) -> Result<Code> {
    let scenario = Scenario::load(&args.scenario)?;
    let identity = Identity::from(&args.identity);
    let connection = args.connection.connection()?;
    let cec_bearer = identity.token.is_some() && scenario.steps.iter().any(|s| s.event.is_cec());
    note_authorization_kept(&connection, cec_bearer);
    let flow = |target: Url| Flow {
        scenario,
        identity: identity.clone(),
        clock: args.repeat.clock(),
        seed: args.repeat.seed,
        target,
    };
    if args.dry_run {
        check_dry_run_format(args.output.format)?;
        return dry_run(&flow(dry_run_target(args.to.as_ref())), &args, &connection);
    }
    let target = Target::resolve(args.to.as_ref(), &identity)?;
    play(&flow(target.url.clone()), &args, connection)
}

fn dry_run(flow: &Flow, args: &FlowArgs, connection: &Connection) -> Result<Code> {
    note("dry run: each step is answered by the built-in receiver's documented success envelope; nothing is sent");
    let mut reporter = Reporter::new(args.output.format, args.output.verbose);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    for run in 0..args.load.count {
        let mut show = |c: &Callback| {
            let mut c = c.clone();
            connection.add_headers(&mut c);
            reporter.request(&c).map_err(anyhow::Error::from)
        };
        rt.block_on(flow.run_session::<RunReport>(run, Driver::DryRun(&mut show)))?;
    }
    Ok(Code::Ok)
}

fn play(flow: &Flow, args: &FlowArgs, connection: Connection) -> Result<Code> {
    let total = args.load.count;
    let steps = flow.scenario.steps.len() as u64;
    let title = format!("deskhook flow {}", flow.scenario.name);
    let opts = engine_options(&args.delivery, &args.load, connection, &flow.target);
    let report = RunReport::new(
        args.output.format,
        args.output.verbose,
        Some(total * steps),
        &title,
    )
    .counting(Some(total), "runs");
    let report = engine::run(
        opts,
        report,
        engine::indices(total),
        |run, lane| async move { flow.run_session(run, Driver::Live(&lane)).await },
    )?;
    Ok(report.finish()?.code())
}
