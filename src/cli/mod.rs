//! Every clap definition of deskhook: the commands ([`Command`]), their flags
//! ([`commands`], shared groups in [`groups`]), typed flag values ([`values`]), and the
//! lowering of flags into domain types (`From` impls and small methods beside each group).
//! Nothing below the command line imports this module.
//!
//! House rules:
//! - command, flag and event names are the documented ones (scripts and tests rely on them);
//! - value names are UPPERCASE; short letters only for the flags used all the time;
//! - the first line of a doc comment is the `-h` text, later paragraphs only show in `--help`;
//! - every flag that carries a secret or an id can come from a `DESKHOOK_*` variable, and a
//!   secret's value is never shown in help (`hide_env_values`);
//! - illegal values and combinations are rejected here (typed values, `ValueEnum`,
//!   `conflicts_with`, `requires`), not in the commands.

pub mod commands;
pub mod groups;
pub mod values;

pub use commands::*;

use crate::term::ColorChoice;
use clap::{Parser, Subcommand};

const EXIT_CODES: &str = "\
Exit codes:
  0  everything sent was answered and every answer was valid
  1  a check failed: an answer, document or signature does not match the documentation
  2  usage or input error: bad flag, unknown event, unreadable or malformed file
  3  transport error: connection refused, DNS, TLS, timeout";

const AUDIT_EXIT_CODES: &str = "\
Exit codes:
  0  no probe failed (warnings do not fail the run unless --strict)
  1  a probe failed: the backend took what it must refuse, or refused what it must take
  2  usage error: bad flag, unknown probe id
  3  the backend cannot be reached at all: every callback went unanswered";

/// Mock sender, validator and receiver for Tencent Desk and Huawei CEC webhook callbacks.
///
/// deskhook fires realistic, signed callbacks at your backend exactly as the contact-center
/// platform would, and checks every answer against the documented envelope.
#[derive(Debug, Parser)]
#[command(name = "deskhook", version, after_help = EXIT_CODES, max_term_width = 100)]
pub struct Cli {
    /// When to use colour: auto (a terminal, and NO_COLOR unset), always or never.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, global = true, value_name = "WHEN")]
    pub color: ColorChoice,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Send realistic, signed callbacks and validate the answers.
    ///
    /// Without --to, deskhook starts its own receiver on a free loopback port and sends there.
    ///
    /// Example:
    ///   deskhook send SessionBegin ChatBot.UserSendMsg --to https://api.example.com/desk/callback --token "$TOKEN"
    ///   deskhook send --all --format junit > report.xml
    ///   deskhook send Human.AgentSendMsg --set MsgBody.0.MsgContent.Text='退款 🙏' --dry-run
    #[command(after_help = EXIT_CODES, verbatim_doc_comment)]
    Send(SendArgs),

    /// Run the built-in receiver: inspect, verify, answer and capture incoming callbacks.
    ///
    /// Example:
    ///   deskhook listen --port 8787 --token "$TOKEN" --sdkappid 1400187352 --save calls.jsonl
    ///   deskhook listen --forward-to http://localhost:3000/callback -v
    ///   deskhook listen --token "$TOKEN" --inspect    # then open the inspector URL it prints
    #[command(verbatim_doc_comment)]
    Listen(ListenArgs),

    /// Send captured callbacks again, bodies byte-for-byte as captured.
    ///
    /// Example:
    ///   deskhook replay calls.jsonl --to http://localhost:3000/callback --token "$TOKEN"
    #[command(after_help = EXIT_CODES, verbatim_doc_comment)]
    Replay(ReplayArgs),

    /// Play a whole conversation, each step driven by the backend's answers.
    ///
    /// Example:
    ///   deskhook flow bot-to-human --to http://localhost:3000/callback
    ///   deskhook flow ./my-scenario.toml --count 400 --concurrency 16
    #[command(after_help = EXIT_CODES, verbatim_doc_comment)]
    Flow(FlowArgs),

    /// List the built-in conversation scenarios.
    #[command(verbatim_doc_comment)]
    Flows(FlowsArgs),

    /// List every event deskhook can send.
    ///
    /// Example:
    ///   deskhook events --provider huawei
    ///   deskhook events --format json | jq -r .id
    #[command(verbatim_doc_comment)]
    Events(EventsArgs),

    /// Check one JSON document against an event's request or response envelope, offline.
    ///
    /// Example:
    ///   deskhook validate ChatBot.OnAssignHuman --response answer.json
    ///   echo '{"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":""}' | deskhook validate SessionBegin --response -
    #[command(after_help = EXIT_CODES)]
    Validate(ValidateArgs),

    /// Print the JSON Schema deskhook validates an event's request or response against.
    ///
    /// Example:
    ///   deskhook schema Chatbot.InterfaceInvocation --response
    Schema(SchemaArgs),

    /// Print RequestTime and Sign for a token, as the platform computes them.
    ///
    /// Sign = lowercase hex sha256(token + RequestTime), RequestTime in Unix seconds.
    ///
    /// Example:
    ///   deskhook sign --token xxxxyyyy --time 1669872112
    Sign(SignArgs),

    /// Check the signature of a full callback URL and say exactly what is wrong.
    ///
    /// Example:
    ///   deskhook verify 'https://example.com/cb?SdkAppid=1400187352&Sign=…&RequestTime=1669872112' --token "$TOKEN"
    #[command(after_help = EXIT_CODES)]
    Verify(VerifyArgs),

    /// Probe one backend: does it refuse forged, stale and foreign callbacks, and take odd valid ones?
    ///
    /// Each probe sends real callbacks built from the catalogue, signed correctly or on
    /// purpose not, and says what came back and, for a hole, what to check.
    ///
    /// Example:
    ///   deskhook audit --to https://api.example.com/desk/callback --token "$TOKEN" --sdkappid 1400187352
    ///   deskhook audit --provider huawei --to https://api.example.com --token "$BEARER" --format junit
    ///   deskhook audit --list
    #[command(after_help = AUDIT_EXIT_CODES, verbatim_doc_comment)]
    Audit(AuditArgs),

    /// Print a shell completion script (bash, zsh, fish, powershell, elvish).
    ///
    /// Example:
    ///   deskhook completions zsh > ~/.zfunc/_deskhook
    Completions(CompletionsArgs),
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn clap_definitions_are_consistent() {
        Cli::command().debug_assert();
    }
}
