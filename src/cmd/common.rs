//! What `send`, `flow` and `replay` share: where the callbacks go (`--to`, or the in-process
//! receiver), how the engine runs them, and the rules of a dry run.

use crate::callback::Identity;
use crate::cli::groups::{DeliveryArgs, LoadArgs};
use crate::engine;
use crate::error::usage;
use crate::report::Format;
use crate::server::Embedded;
use crate::term::note;
use crate::transport::Connection;
use anyhow::Result;
use url::Url;

/// Where `--dry-run` shows callbacks going when there is no `--to`: `listen`'s default.
pub const DEFAULT_LISTEN_URL: &str = "http://127.0.0.1:8787/";

/// Where a run's callbacks go; the in-process receiver, when there is one, stops on drop.
pub struct Target {
    pub url: Url,
    _receiver: Option<Embedded>,
}

impl Target {
    /// `--to`, or the in-process receiver (checking `identity`), said on stderr.
    pub fn resolve(to: Option<&Url>, identity: &Identity) -> Result<Target> {
        match to {
            Some(url) => Ok(Target {
                url: url.clone(),
                _receiver: None,
            }),
            None => {
                let receiver = Embedded::start(identity)?;
                note(format!(
                    "no --to: sending to deskhook's built-in receiver at {} (it answers the documented success envelopes; pass --to URL for your backend)",
                    receiver.url
                ));
                Ok(Target {
                    url: receiver.url.clone(),
                    _receiver: Some(receiver),
                })
            }
        }
    }
}

/// The URL a dry run shows: `--to`, or `listen`'s default address (said on stderr).
pub fn dry_run_target(to: Option<&Url>) -> Url {
    match to {
        Some(url) => url.clone(),
        None => {
            note(format!("no --to: showing the requests as they would go to `deskhook listen` at {DEFAULT_LISTEN_URL}"));
            Url::parse(DEFAULT_LISTEN_URL).expect("constant URL")
        }
    }
}

/// A dry run prints requests, not results: there is nothing for a JUnit report.
pub fn check_dry_run_format(format: Format) -> Result<()> {
    if format == Format::Junit {
        return Err(usage(
            "--dry-run prints requests, not results: use --format human or json",
        ));
    }
    Ok(())
}

/// Engine options from the delivery, load and connection flags.
pub fn engine_options(
    delivery: &DeliveryArgs,
    load: &LoadArgs,
    connection: Connection,
    target: &Url,
) -> engine::Options {
    engine::Options {
        policy: delivery.into(),
        concurrency: load.concurrency,
        rate: load.rate,
        https: target.scheme() == "https",
        connection,
    }
}

/// Say so when a `--header Authorization` will not be sent on CEC pushes, which carry the
/// platform's own Bearer (`--token`): the platform's header wins, never silently.
pub fn note_authorization_kept(connection: &Connection, cec_bearer: bool) {
    if cec_bearer && connection.adds("authorization") {
        note("--header Authorization is not sent on CEC pushes: they carry the platform's own `Authorization: Bearer` from --token (Tencent callbacks get your header)");
    }
}
