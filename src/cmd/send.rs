//! `deskhook send`: build, sign and POST realistic callbacks, then judge every answer.
//!
//! Without `--to`, an in-process receiver on a free loopback port answers (the same code as
//! `listen`), so the first run needs no backend at all.

use crate::catalogue::{catalogue, Event, Side};
use crate::cli::{EditArgs, Format, IdentityArgs, RepeatArgs, SendArgs};
use crate::engine;
use crate::envelope::check_document;
use crate::exit::{usage, Code};
use crate::http::{self, parse_target, Identity, Policy, Prepared};
use crate::output::{note, Reporter};
use crate::payload::{self, Edits};
use crate::server;
use crate::session::{derive_seed, uuid_v4, Clock, Session};
use anyhow::Result;
use bytes::Bytes;
use serde_json::Value;
use url::Url;

/// Where `--dry-run` shows requests going when there is no `--to`: `listen`'s default.
pub const DEFAULT_LISTEN_URL: &str = "http://127.0.0.1:8787/";

/// Everything needed to build callback number `i` of a run, shared by the workers.
pub struct Plan {
    pub events: Vec<&'static Event>,
    pub body: Option<Value>,
    pub edits: Edits,
    pub identity: Identity,
    pub clock: Clock,
    pub seed: Option<u64>,
}

impl Plan {
    /// The seed of job `i`: a pure function of `--seed` and `i`, or random.
    pub fn seed_for(&self, i: u64) -> u64 {
        self.seed
            .map_or_else(|| fastrand::u64(..), |s| derive_seed(s, i))
    }

    /// Callback number `i` (events in order, then repeated for `--count`).
    pub fn prepare(&self, i: u64, target: &Url) -> Result<Prepared> {
        let event = self.events[(i % self.events.len() as u64) as usize];
        let mut session = Session::new(self.seed_for(i), self.clock);
        let body = match &self.body {
            Some(b) => {
                let mut b = b.clone();
                payload::apply(&mut b, &self.edits, &event.id)?;
                b
            }
            None => payload::build(event, &mut session, &self.edits)?,
        };
        Ok(prepare_for(
            event,
            &body,
            &mut session,
            target,
            &self.identity,
            self.clock,
        ))
    }
}

/// Sign and address one body: a fresh `RequestID` from the session, `RequestTime` now.
pub fn prepare_for(
    event: &'static Event,
    body: &Value,
    session: &mut Session,
    target: &Url,
    identity: &Identity,
    clock: Clock,
) -> Prepared {
    let request_id = uuid_v4(session.rng());
    let session_id = body
        .get("SessionId")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let bytes = Bytes::from(serde_json::to_vec(body).expect("a JSON value always serialises"));
    http::prepare(
        event,
        target,
        identity,
        bytes,
        request_id,
        clock.now_ms() / 1000,
        session_id,
    )
}

/// The events named on the command line, `--all`, or one `--provider`'s.
fn select_events(args: &SendArgs) -> Result<Vec<&'static Event>> {
    let cat = catalogue();
    if args.all || args.provider.is_some() {
        return Ok(cat.of(args.provider).collect());
    }
    args.events.iter().map(|id| cat.find(id)).collect()
}

impl From<&IdentityArgs> for Identity {
    fn from(a: &IdentityArgs) -> Identity {
        Identity {
            sdkappid: a.sdkappid.clone(),
            token: a.token.clone(),
            client_ip: a.client_ip.clone(),
            platform: a.platform.clone(),
            extra_query: a.query.clone(),
        }
    }
}

/// `--set`/`--unset`/`--body` as edits and an optional replacement body.
pub fn edits_of(a: &EditArgs) -> Result<(Edits, Option<Value>)> {
    let body = a.body.as_deref().map(super::read_json).transpose()?;
    Ok((
        Edits {
            set: a.set.clone(),
            unset: a.unset.clone(),
        },
        body,
    ))
}

/// The seed and clock of a run.
pub fn repeat_of(r: &RepeatArgs) -> (Option<u64>, Clock) {
    (r.seed, Clock::from_arg(r.now))
}

pub fn run(args: SendArgs) -> Result<Code> {
    let events = select_events(&args)?;
    let (edits, body) = edits_of(&args.edit)?;
    if body.is_some() && events.len() != 1 {
        return Err(usage(
            "--body replaces the body of one event: name exactly one EVENT",
        ));
    }
    let (seed, clock) = repeat_of(&args.repeat);
    let plan = Plan {
        events,
        body,
        edits,
        identity: Identity::from(&args.identity),
        clock,
        seed,
    };
    check_plan(&plan)?;
    let total = args.load.count * plan.events.len() as u64;
    if args.dry_run {
        if args.output.format == Format::Junit {
            return Err(usage(
                "--dry-run prints requests, not results: use --format human or json",
            ));
        }
        return dry_run(&plan, &args, total);
    }
    send_all(plan, &args, total)
}

/// Build the first callback of each event once before anything is sent: a bad `--set` path
/// fails as a usage error up front, a `--set` that adds a field gets a note, and an edited or
/// replaced body that breaks the event's request schema gets a note naming each violation (it
/// is still sent: a deliberately broken request is a legitimate negative test).
fn check_plan(plan: &Plan) -> Result<()> {
    let target = Url::parse(DEFAULT_LISTEN_URL).expect("constant URL");
    for (i, ev) in plan.events.iter().enumerate() {
        let p = plan
            .prepare(i as u64, &target)
            .map_err(|e| usage(format!("{e:#}")))?;
        if plan.body.is_some() || !plan.edits.is_empty() {
            let sent: Value = serde_json::from_slice(&p.body)?;
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
    let mut before = match &plan.body {
        Some(b) => b.clone(),
        None => Session::new(0, Clock::Fixed(1))
            .fill(&ev.template)
            .unwrap_or(Value::Null),
    };
    let unset_only = Edits {
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

fn dry_run(plan: &Plan, args: &SendArgs, total: u64) -> Result<Code> {
    let target = match &args.to {
        Some(u) => parse_target(u)?,
        None => {
            note(format!("no --to: showing the requests as they would go to `deskhook listen` at {DEFAULT_LISTEN_URL}"));
            Url::parse(DEFAULT_LISTEN_URL).expect("constant URL")
        }
    };
    let mut reporter = Reporter::new(args.output.format, args.output.verbose);
    for i in 0..total {
        reporter.dry_run(&plan.prepare(i, &target)?)?;
    }
    Ok(Code::Ok)
}

/// The run's delivery policy from the command line.
pub fn policy_of(d: &crate::cli::DeliveryArgs) -> Policy {
    Policy {
        timeout: d.timeout,
        max_latency: d.max_latency,
        retries: d.retries,
        backoff: d.backoff,
        expect: d.expect,
    }
}

/// The in-process receiver (verifying what the sender signs) on its own runtime thread, so
/// the engine's lanes can block the calling thread; it stops when dropped.
pub struct Embedded {
    rt: Option<tokio::runtime::Runtime>,
    server: Option<server::Server>,
    pub url: Url,
}

impl Embedded {
    pub fn start(identity: &Identity) -> Result<Embedded> {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()?;
        let cfg = server::Config {
            sdkappid: Some(identity.sdkappid.clone()),
            token: identity.token.clone(),
            ..Default::default()
        };
        let server = rt.block_on(server::start("127.0.0.1", 0, cfg))?;
        let url = Url::parse(&server.url())?;
        note(format!(
            "no --to: sending to deskhook's built-in receiver at {url} (it answers the documented success envelopes; pass --to URL for your backend)"
        ));
        Ok(Embedded {
            rt: Some(rt),
            server: Some(server),
            url,
        })
    }
}

impl Drop for Embedded {
    fn drop(&mut self) {
        if let (Some(rt), Some(server)) = (self.rt.take(), self.server.take()) {
            rt.block_on(server.shutdown(std::time::Duration::from_millis(100)));
            rt.shutdown_background();
        }
    }
}

/// The target of a run: `--to`, or the in-process receiver.
pub fn target_of(to: Option<&str>, identity: &Identity) -> Result<(Url, Option<Embedded>)> {
    match to {
        Some(u) => Ok((parse_target(u)?, None)),
        None => {
            let e = Embedded::start(identity)?;
            Ok((e.url.clone(), Some(e)))
        }
    }
}

/// Engine options from the command line.
pub fn options_of(
    d: &crate::cli::DeliveryArgs,
    load: &crate::cli::LoadArgs,
    out: &crate::cli::OutputArgs,
    target: &Url,
    total: Option<u64>,
    title: &str,
) -> engine::Options {
    engine::Options {
        policy: policy_of(d),
        https: target.scheme() == "https",
        concurrency: load.concurrency,
        rate: load.rate,
        reporter: Reporter::new(out.format, out.verbose),
        total,
        progress: total.is_none_or(|t| t > 1),
        title: title.to_owned(),
    }
}

fn send_all(plan: Plan, args: &SendArgs, total: u64) -> Result<Code> {
    let (target, _receiver) = target_of(args.to.as_deref(), &plan.identity)?;
    let opts = options_of(
        &args.delivery,
        &args.load,
        &args.output,
        &target,
        Some(total),
        "deskhook send",
    );
    let (plan, target) = (&plan, &target);
    let summary = engine::run(opts, engine::indices(total), |i, lane| async move {
        let p = plan.prepare(i, target)?;
        lane.emit(&lane.send(p).await);
        Ok(())
    })?;
    Ok(summary.code())
}
