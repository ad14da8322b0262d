//! deskhook: a mock sender, validator and receiver for contact-center webhook callbacks
//! (Tencent Cloud Desk and Huawei Cloud CEC).
//!
//! `run` is the whole program behind the command line; `main.rs` only parses and exits.
//! Modules, one concern each: `catalogue` (events as data), `session` (realistic values),
//! `payload` (bodies and edits), `sign` (Tencent signatures), `http` (requests and delivery),
//! `envelope` (judging answers), `engine` (load), `server` (the receiver), `json_errors` (its answer to unparsable requests), `capture`,
//! `output`, `exit`; one file per subcommand under `cmd/`.

pub mod assets;
pub mod capture;
pub mod catalogue;
pub mod cli;
pub mod cmd;
pub mod engine;
pub mod envelope;
pub mod exit;
pub mod http;
pub mod json_errors;
pub mod output;
pub mod payload;
pub mod server;
pub mod session;
pub mod sign;

use cli::{Cli, Command};
use exit::Code;

/// Run one command line.
pub fn run(cli: Cli) -> anyhow::Result<Code> {
    match cli.command {
        Command::Send(a) => cmd::send::run(a),
        Command::Listen(a) => cmd::listen::run(a),
        Command::Replay(a) => cmd::replay::run(a),
        Command::Flow(a) => cmd::flow::run(a),
        Command::Flows(a) => cmd::flow::list(a),
        Command::Events(a) => cmd::events::run(a),
        Command::Validate(a) => cmd::validate::run(a),
        Command::Schema(a) => cmd::schema::run(a),
        Command::Sign(a) => cmd::sign::run(a),
        Command::Verify(a) => cmd::verify::run(a),
        Command::Completions(a) => cmd::completions::run(a),
    }
}
