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

/// The exit codes, under every command that sends or checks.
const EXIT_CODES: &str = "\
Exit codes:
    0  everything sent was answered and every answer was valid
    1  a check failed: an answer, document or signature does not match the documentation
    2  usage or input error: bad flag, unknown event, unreadable or malformed file
    3  transport error: connection refused, DNS, TLS, timeout
  130  interrupted (Ctrl-C) before the planned work finished; the summary says so";

// Examples are shown as written, never re-wrapped (see `help_width`): every line fits in 78
// columns, and a longer command goes on with `\` as a shell accepts it, so a pasted example
// runs. `http://localhost:3000/cb` stands for your backend; tests/help_examples.rs runs each one.

const SEND_AFTER: &str = "\
Examples:
  deskhook send --all
  deskhook send SessionBegin ChatBot.UserSendMsg \\
    --to http://localhost:3000/cb --token \"$TOKEN\"
  deskhook send --all --to http://localhost:3000/cb \\
    --format junit > report.xml
  deskhook send --provider huawei --to http://localhost:3000/cb
  deskhook send Human.AgentSendMsg --dry-run \\
    --set MsgBody.0.MsgContent.Text='退款 🙏'

Exit codes:
    0  everything sent was answered and every answer was valid
    1  a check failed: an answer does not match the documentation (or --expect)
    2  usage or input error: bad flag, unknown event, unreadable or malformed file
    3  transport error: connection refused, DNS, TLS, timeout
  130  interrupted (Ctrl-C) before the planned work finished; the summary says so";

/// What to send is required (events, --all or --provider); where (--to) is not.
const SEND_USAGE: &str = "\
deskhook send [OPTIONS] <EVENT>... [--to <URL>]
       deskhook send [OPTIONS] --all [--to <URL>]
       deskhook send [OPTIONS] --provider <PROVIDER> [--to <URL>]";

const LISTEN_AFTER: &str = "\
Examples:
  deskhook listen
  deskhook listen --port 0 --format json
  deskhook listen --token \"$TOKEN\" --sdkappid 1400187352 --save calls.jsonl
  deskhook listen --forward-to http://localhost:3000/cb -v
  deskhook listen --token \"$TOKEN\" --inspect   # then open the URL it prints

Ctrl-C stops it: requests in flight are answered, the capture flushed (exit 0, or 1 when a
callback was refused or invalid).";

const REPLAY_AFTER: &str = "\
Examples:
  deskhook replay calls.jsonl --to http://localhost:3000/cb --token \"$TOKEN\"
  deskhook replay calls.jsonl --to http://localhost:3000/cb --as-is \\
    --only SessionEnd

Exit codes:
    0  every callback was answered and every answer was valid
    1  a check failed: an answer does not match the documentation (or --expect)
    2  usage or input error: bad flag, unreadable capture, nothing to replay
    3  transport error: connection refused, DNS, TLS, timeout
  130  interrupted (Ctrl-C) before the capture was replayed; the summary says so";

const FLOW_AFTER: &str = "\
Examples:
  deskhook flow bot-to-human
  deskhook flow bot-to-human --to http://localhost:3000/cb --token \"$TOKEN\"
  deskhook flow api-call --dry-run --seed 1
  deskhook flow ./my-scenario.toml --count 400 --concurrency 16

Exit codes:
    0  every step was answered and every answer was valid
    1  a check failed: an answer does not match the documentation (or the step's expect)
    2  usage or input error: bad flag, unknown scenario, malformed scenario file
    3  transport error: connection refused, DNS, TLS, timeout
  130  interrupted (Ctrl-C) before the planned runs finished; the summary says so";

const FLOWS_AFTER: &str = "\
Examples:
  deskhook flows
  deskhook flows --format json";

const EVENTS_AFTER: &str = "\
Examples:
  deskhook events --provider huawei
  deskhook events --format json | jq -r .id";

const VALIDATE_AFTER: &str = "\
Examples:
  deskhook validate ChatBot.OnAssignHuman --response answer.json
  echo '{\"ActionStatus\":\"OK\",\"ErrorCode\":0,\"ErrorInfo\":\"\"}' \\
    | deskhook validate SessionBegin --response -

Exit codes:
  0  the document matches the envelope
  1  it does not: each violation names the JSON path, what was expected and what came
  2  usage or input error: unknown event, unreadable file, not JSON";

const SCHEMA_AFTER: &str = "\
Examples:
  deskhook schema Chatbot.InterfaceInvocation --response
  deskhook schema cec.read --request";

const SIGN_AFTER: &str = "\
Examples:
  deskhook sign --token xxxxyyyy --time 1669872112
  deskhook sign --token \"$TOKEN\" --format json";

const VERIFY_AFTER: &str = "\
Examples:
  deskhook verify --token xxxxyyyy --now 1669872112 \\
    \"https://example.com/cb?SdkAppid=1400187352&CallbackCommand=\\
Desk.SessionEventNotify&RequestTime=1669872112&Sign=\\
17773bc39a671d7b9aa835458704d2a6db81360a5940292b587d6d760d484061\"

(the official test vector: token xxxxyyyy at RequestTime 1669872112)

Exit codes:
  0  the signature is valid
  1  it is not: a missing parameter, a stale or millisecond RequestTime, the wrong token
  2  usage error: not a URL";

const COMPLETIONS_AFTER: &str = "\
Examples:
  mkdir -p ~/.zfunc && deskhook completions zsh > ~/.zfunc/_deskhook
  eval \"$(deskhook completions bash)\"";

const AUDIT_AFTER: &str = "\
Examples:
  deskhook audit --list
  deskhook audit --to http://localhost:3000/cb --token \"$TOKEN\" \\
    --sdkappid 1400187352
  deskhook audit --provider huawei --to http://localhost:3000 \\
    --token \"$TOKEN\" --format junit > audit.xml

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
    #[command(after_help = SEND_AFTER, override_usage = SEND_USAGE)]
    Send(SendArgs),

    /// Run the built-in receiver: inspect, verify, answer and capture incoming callbacks.
    #[command(after_help = LISTEN_AFTER)]
    Listen(ListenArgs),

    /// Send captured callbacks again, bodies byte-for-byte as captured.
    #[command(
        after_help = REPLAY_AFTER,
        mut_arg("count", |a| a.help("Replay the whole capture N times: the same callbacks each time, ids included (bodies byte for byte, the captured RequestID kept)"))
    )]
    Replay(ReplayArgs),

    /// Play a whole conversation, each step driven by the backend's answers.
    ///
    /// Without --to, deskhook starts its own receiver on a free loopback port and plays there.
    #[command(after_help = FLOW_AFTER)]
    Flow(FlowArgs),

    /// List the built-in conversation scenarios.
    ///
    /// Each line counts the steps a run plays when every answer is a success, and the steps
    /// in the file (a step reached only from an `on_fail` branch plays when an answer fails).
    #[command(after_help = FLOWS_AFTER)]
    Flows(FlowsArgs),

    /// List every event deskhook can send.
    #[command(after_help = EVENTS_AFTER)]
    Events(EventsArgs),

    /// Check one JSON document against an event's request or response envelope, offline.
    #[command(after_help = VALIDATE_AFTER)]
    Validate(ValidateArgs),

    /// Print the JSON Schema deskhook validates an event's request or response against.
    #[command(after_help = SCHEMA_AFTER)]
    Schema(SchemaArgs),

    /// Print RequestTime and Sign for a token, as the platform computes them.
    ///
    /// Sign = lowercase hex sha256(token + RequestTime), RequestTime in Unix seconds.
    #[command(after_help = SIGN_AFTER)]
    Sign(SignArgs),

    /// Check the signature of a full callback URL and say exactly what is wrong.
    #[command(after_help = VERIFY_AFTER)]
    Verify(VerifyArgs),

    /// Probe one backend: does it refuse forged, stale and foreign callbacks, and take odd valid ones?
    ///
    /// Each probe sends real callbacks built from the catalogue, signed correctly or on
    /// purpose not, and says what came back and, for a hole, what to check.
    #[command(after_help = AUDIT_AFTER)]
    Audit(AuditArgs),

    /// Print a shell completion script (bash, zsh, fish, powershell, elvish).
    #[command(after_help = COMPLETIONS_AFTER)]
    Completions(CompletionsArgs),
}

/// The narrowest width help is wrapped at. Examples are at most 78 columns wide, so they are
/// never broken (a terminal narrower than this folds long lines for display only, which a
/// copy keeps whole).
const MIN_HELP_WIDTH: usize = 80;

/// The width help is wrapped at: the terminal's (or `COLUMNS`), between 80 and 100.
pub fn help_width() -> usize {
    let columns = terminal_size::terminal_size()
        .map(|(w, _)| usize::from(w.0))
        .or_else(|| std::env::var("COLUMNS").ok()?.trim().parse().ok())
        .unwrap_or(100);
    columns.clamp(MIN_HELP_WIDTH, 100)
}

/// Parse the command line (help and usage errors exit here), with help wrapped at
/// [`help_width`].
pub fn parse() -> Cli {
    use clap::{CommandFactory, FromArgMatches};
    let mut cmd = Cli::command().term_width(help_width());
    let mut matches = cmd.get_matches_mut();
    Cli::from_arg_matches_mut(&mut matches).unwrap_or_else(|e| e.format(&mut cmd).exit())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn clap_definitions_are_consistent() {
        Cli::command().debug_assert();
    }

    /// Every example line fits within the narrowest help width, so clap never re-wraps one.
    #[test]
    fn examples_are_never_wrapped() {
        let cmd = Cli::command();
        for sub in cmd.get_subcommands() {
            let after = sub
                .get_after_help()
                .map(ToString::to_string)
                .unwrap_or_default();
            assert!(
                after.starts_with("Examples:\n"),
                "{} has no examples",
                sub.get_name()
            );
            for line in after.lines().take_while(|l| !l.is_empty()) {
                assert!(
                    line.chars().count() < MIN_HELP_WIDTH - 1,
                    "{}: {line:?} is wider than {} columns",
                    sub.get_name(),
                    MIN_HELP_WIDTH - 2
                );
            }
        }
    }
}
