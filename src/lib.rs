//! deskhook: a mock sender, validator and receiver for contact-center webhook callbacks
//! (Tencent Cloud Desk and Huawei Cloud CEC).
//!
//! `run` is the whole program behind the command line; `main.rs` only parses and exits.
//! ARCHITECTURE.md is the map: the command line (`cli`, `cmd`) sits on top and lowers flags
//! into the domain modules below, which never import it.

// The command line, and how its outcome becomes an exit code.
pub mod cli;
pub mod cmd;
pub mod exit;

// Running things: delivery at load, the audit, the receiver, what the user sees.
pub mod audit;
pub mod engine;
pub mod flow;
pub mod inspect;
pub mod plan;
pub mod replay;
pub mod report;
pub mod server;
pub mod term;

// The wire: building, sending, receiving and recording callbacks.
pub mod callback;
pub mod capture;
pub mod exchange;
pub mod transport;

// The protocol as data and rules.
pub mod catalogue;
pub mod envelope;
pub mod payload;
pub mod query;
pub mod schema;
pub mod session;
pub mod sign;
pub mod template;
pub mod violation;

// Foundations.
pub mod assets;
pub mod clock;
pub mod error;
pub mod json_text;
pub mod latency;
pub mod redact;
pub mod secret;

use cli::{Cli, Command};
use exit::Code;

/// Run one command line.
pub fn run(cli: Cli) -> anyhow::Result<Code> {
    match cli.command {
        Command::Send(a) => cmd::send::run(a),
        Command::Listen(a) => cmd::listen::run(a),
        Command::Replay(a) => cmd::replay::run(a),
        Command::Flow(a) => cmd::flow::run(a),
        Command::Flows(a) => cmd::flows::run(a),
        Command::Events(a) => cmd::events::run(a),
        Command::Validate(a) => cmd::validate::run(a),
        Command::Schema(a) => cmd::schema::run(a),
        Command::Sign(a) => cmd::sign::run(a),
        Command::Verify(a) => cmd::verify::run(a),
        Command::Audit(a) => cmd::audit::run(a),
        Command::Completions(a) => cmd::completions::run(a),
    }
}
