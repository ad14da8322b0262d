//! Every clap definition of deskhook, and nothing else.
//!
//! House rules (after xh's `cli.rs`):
//! - names of commands, flags and event ids follow `shared/spec/CLI.md` exactly;
//! - value names are UPPERCASE; short letters only for the flags used all the time;
//! - the first line of a doc comment is the `-h` text, later paragraphs only show in `--help`;
//! - every flag that carries a secret or an id can come from a `DESKHOOK_*` variable, and a
//!   secret's value is never shown in help (`hide_env_values`);
//! - illegal combinations are rejected here (`conflicts_with`, `requires`, typed values), not in `run`.

use crate::sign::Secret;
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

const EXIT_CODES: &str = "\
Exit codes:
  0  everything sent was answered and every answer was valid
  1  a check failed: an answer, document or signature does not match the documentation
  2  usage or input error: bad flag, unknown event, unreadable or malformed file
  3  transport error: connection refused, DNS, TLS, timeout";

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

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
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
    ///   deskhook events --json | jq -r .id
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

    /// Print a shell completion script (bash, zsh, fish, powershell, elvish).
    ///
    /// Example:
    ///   deskhook completions zsh > ~/.zfunc/_deskhook
    Completions(CompletionsArgs),
}

/// Which platform an event comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Provider {
    /// Tencent Cloud Contact Center (Desk) callbacks.
    Tencent,
    /// Huawei Cloud CEC message push.
    Huawei,
}

impl Provider {
    pub fn as_str(self) -> &'static str {
        match self {
            Provider::Tencent => "tencent",
            Provider::Huawei => "huawei",
        }
    }
}

/// What the answers are expected to say.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Expect {
    /// A success envelope (`ActionStatus` OK / `resultCode` "0").
    #[default]
    Ok,
    /// A well-formed failure envelope (`ActionStatus` FAIL / `resultCode` not "0").
    Fail,
    /// Any well-formed envelope.
    Any,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// One line per request on stdout.
    Human,
    /// JSON Lines, one object per request, then a summary object.
    Json,
    /// A JUnit XML report, one test case per request.
    Junit,
}

#[derive(Debug, Args)]
pub struct SendArgs {
    /// Event ids to send (see `deskhook events`); matched case-insensitively.
    #[arg(value_name = "EVENT", required_unless_present_any = ["all", "provider"])]
    pub events: Vec<String>,

    /// The callback URL. Without it, an in-process receiver on a loopback port answers.
    #[arg(long, value_name = "URL", env = "DESKHOOK_TO")]
    pub to: Option<String>,

    /// Send every event in the catalogue.
    #[arg(short = 'a', long, conflicts_with = "events")]
    pub all: bool,

    /// Send every event of one provider.
    #[arg(long, value_enum, value_name = "PROVIDER", conflicts_with = "events")]
    pub provider: Option<Provider>,

    #[command(flatten)]
    pub edit: EditArgs,

    /// Print the URL, headers and body that would be sent; send nothing.
    #[arg(long)]
    pub dry_run: bool,

    #[command(flatten)]
    pub identity: IdentityArgs,

    #[command(flatten)]
    pub delivery: DeliveryArgs,

    #[command(flatten)]
    pub load: LoadArgs,

    #[command(flatten)]
    pub repeat: RepeatArgs,

    #[command(flatten)]
    pub output: OutputArgs,
}

/// Ways to change the body that is sent.
#[derive(Debug, Args, Clone, Default)]
pub struct EditArgs {
    /// Override a body field: dotted PATH (`MsgBody.0.MsgContent.Text`), VALUE parsed as JSON when it parses, else a string. Repeatable.
    #[arg(long = "set", value_name = "PATH=VALUE")]
    pub set: Vec<Override>,

    /// Remove a body field (dotted PATH). Repeatable.
    #[arg(long = "unset", value_name = "PATH")]
    pub unset: Vec<String>,

    /// Send this JSON body instead of the built-in one (still signed, still validated); `-` reads stdin.
    #[arg(long, value_name = "FILE|-")]
    pub body: Option<PathBuf>,
}

/// `--set PATH=VALUE`, parsed once at the command line.
#[derive(Debug, Clone, PartialEq)]
pub struct Override {
    pub path: String,
    pub value: serde_json::Value,
}

impl FromStr for Override {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (path, raw) = s.split_once('=').ok_or_else(|| {
            format!("expected PATH=VALUE (for example MsgBody.0.MsgContent.Text=hello), got {s:?}")
        })?;
        if path.is_empty() {
            return Err(format!("the PATH before '=' is empty in {s:?}"));
        }
        let value =
            serde_json::from_str(raw).unwrap_or_else(|_| serde_json::Value::String(raw.to_owned()));
        Ok(Override {
            path: path.to_owned(),
            value,
        })
    }
}

/// Who the platform says it is: URL parameters and the signing token.
#[derive(Debug, Args, Clone)]
pub struct IdentityArgs {
    /// SDKAppID sent as the `SdkAppid` URL parameter.
    #[arg(
        long,
        value_name = "ID",
        env = "DESKHOOK_SDKAPPID",
        default_value = "1400187352"
    )]
    pub sdkappid: String,

    /// Callback token: Tencent `Sign`/`RequestTime` parameters, CEC `Authorization: Bearer`.
    #[arg(
        long,
        value_name = "TOKEN",
        env = "DESKHOOK_TOKEN",
        hide_env_values = true
    )]
    pub token: Option<Secret>,

    /// The `ClientIP` URL parameter.
    #[arg(
        long,
        value_name = "IP",
        env = "DESKHOOK_CLIENT_IP",
        default_value = "127.0.0.1"
    )]
    pub client_ip: String,

    /// The `OptPlatform` URL parameter (Desk's value is undocumented: RESTAPI by default).
    #[arg(
        long,
        value_name = "NAME",
        env = "DESKHOOK_PLATFORM",
        default_value = "RESTAPI"
    )]
    pub platform: String,

    /// Add or replace a URL parameter (for example RequestID=fixed-1). Repeatable.
    #[arg(long = "query", value_name = "KEY=VALUE", hide_short_help = true)]
    pub query: Vec<QueryPair>,
}

/// `--query KEY=VALUE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryPair {
    pub key: String,
    pub value: String,
}

impl FromStr for QueryPair {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.split_once('=') {
            Some((k, v)) if !k.is_empty() => Ok(QueryPair {
                key: k.to_owned(),
                value: v.to_owned(),
            }),
            _ => Err(format!(
                "expected KEY=VALUE (for example OptPlatform=Android), got {s:?}"
            )),
        }
    }
}

/// How each callback is delivered and judged.
#[derive(Debug, Args, Clone)]
pub struct DeliveryArgs {
    /// Give up on an answer after DUR (the platform's limit is 2s); a slower answer is a transport failure.
    #[arg(long, value_name = "DUR", default_value = "2s", value_parser = parse_duration)]
    pub timeout: Duration,

    /// An answer slower than DUR counts as a failed check (default: the timeout).
    #[arg(long, value_name = "DUR", value_parser = parse_duration)]
    pub max_latency: Option<Duration>,

    /// Re-deliver a failed callback up to N times, with the same RequestID, as the platform does.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub retries: u32,

    /// Wait DUR before the first retry, doubling before each further one.
    #[arg(long, value_name = "DUR", default_value = "500ms", value_parser = parse_duration, hide_short_help = true)]
    pub backoff: Duration,

    /// What the answers must say: ok (a success envelope), fail, or any well-formed envelope.
    #[arg(long, value_enum, value_name = "WHAT", default_value_t = Expect::Ok)]
    pub expect: Expect,
}

/// Load: how many, how many at once, how fast.
#[derive(Debug, Args, Clone)]
pub struct LoadArgs {
    /// Send each event (or run the scenario, or the capture) N times, each with fresh ids.
    #[arg(short = 'n', long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..))]
    pub count: u64,

    /// At most C requests (or scenario runs) in flight at once.
    #[arg(short = 'c', long, value_name = "C", default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..=10_000))]
    pub concurrency: u64,

    /// At most R requests per second.
    #[arg(long, value_name = "R", value_parser = parse_rate)]
    pub rate: Option<f64>,
}

/// Repeatable output: ids, times and signatures as a pure function of these.
#[derive(Debug, Args, Clone, Default)]
pub struct RepeatArgs {
    /// Seed every random choice (ids, texts, RequestID) for byte-identical output.
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,

    /// Take NOW (Unix milliseconds) as the current time for EventTime and RequestTime.
    #[arg(long, value_name = "MILLIS")]
    pub now: Option<u64>,
}

#[derive(Debug, Args, Clone)]
pub struct OutputArgs {
    /// Output format on stdout.
    #[arg(long, value_enum, value_name = "FORMAT", default_value_t = Format::Human)]
    pub format: Format,

    /// Show request and answer bodies (human format).
    #[arg(short = 'v', long)]
    pub verbose: bool,
}

#[derive(Debug, Args)]
pub struct ListenArgs {
    /// Address to bind.
    #[arg(long, value_name = "HOST", default_value = "127.0.0.1")]
    pub host: String,

    /// Port to bind; 0 picks a free one (the ready line tells which).
    #[arg(short = 'p', long, value_name = "PORT", default_value_t = 8787)]
    pub port: u16,

    /// Refuse (403) callbacks whose `SdkAppid` is not ID.
    #[arg(long, value_name = "ID", env = "DESKHOOK_SDKAPPID")]
    pub sdkappid: Option<String>,

    /// Check `Sign`/`RequestTime` (Tencent) and `Authorization: Bearer` (CEC) against TOKEN.
    #[arg(
        long,
        value_name = "TOKEN",
        env = "DESKHOOK_TOKEN",
        hide_env_values = true
    )]
    pub token: Option<Secret>,

    /// Accepted clock difference for `RequestTime`.
    #[arg(long, value_name = "DUR", default_value = "60s", value_parser = parse_duration, hide_short_help = true)]
    pub tolerance: Duration,

    /// Answer: ok (documented success envelope), fail (documented failure envelope) or a JSON FILE.
    #[arg(long, value_name = "ok|fail|FILE", default_value = "ok")]
    pub respond: String,

    /// Agents returned to ChatBot.OnAssignAgent/OnAssignHuman (comma-separated).
    #[arg(long, value_name = "A,B", value_delimiter = ',')]
    pub agents: Vec<String>,

    /// Agent group returned to ChatBot.OnAssignAgent/OnAssignHuman.
    #[arg(long, value_name = "N")]
    pub group: Option<i64>,

    /// Variables returned to Chatbot.InterfaceInvocation (k=v,k2=v2).
    #[arg(long, value_name = "K=V,...", value_delimiter = ',')]
    pub vars: Vec<QueryPair>,

    /// Wait DUR before answering (to test the platform's 2 s limit).
    #[arg(long, value_name = "DUR", value_parser = parse_duration)]
    pub delay: Option<Duration>,

    /// Append every exchange to FILE as one JSON line (see fixtures/capture.schema.json).
    #[arg(long, value_name = "FILE")]
    pub save: Option<PathBuf>,

    /// Relay each callback unchanged to URL, hand its answer back, and validate that answer.
    #[arg(long, value_name = "URL")]
    pub forward_to: Option<String>,

    /// Timeout for --forward-to.
    #[arg(long, value_name = "DUR", default_value = "2s", value_parser = parse_duration, hide_short_help = true)]
    pub timeout: Duration,

    /// Largest accepted body; larger ones get 413.
    #[arg(long, value_name = "BYTES", default_value_t = 1024 * 1024, hide_short_help = true)]
    pub max_body: usize,

    /// Stop after N callbacks (for scripts and tests).
    #[arg(long, value_name = "N", hide_short_help = true)]
    pub max_requests: Option<u64>,

    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// A capture written by `listen --save` (JSON Lines); `-` reads stdin.
    #[arg(value_name = "CAPTURE.jsonl")]
    pub capture: PathBuf,

    /// Where to send the callbacks again.
    #[arg(long, value_name = "URL", env = "DESKHOOK_TO")]
    pub to: String,

    /// Send the captured query untouched (stale Sign/RequestTime included).
    #[arg(long)]
    pub as_is: bool,

    /// Replay only these events (repeatable; event ids as in `deskhook events`).
    #[arg(long, value_name = "EVENT")]
    pub only: Vec<String>,

    /// Fail on the first malformed capture line instead of reporting and skipping it.
    #[arg(long)]
    pub strict: bool,

    /// Token for fresh `Sign`/`RequestTime` (Tencent) and Bearer (CEC).
    #[arg(
        long,
        value_name = "TOKEN",
        env = "DESKHOOK_TOKEN",
        hide_env_values = true
    )]
    pub token: Option<Secret>,

    #[command(flatten)]
    pub delivery: DeliveryArgs,

    #[command(flatten)]
    pub load: LoadArgs,

    #[command(flatten)]
    pub repeat: RepeatArgs,

    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct FlowArgs {
    /// A built-in scenario name (see `deskhook flows`) or a scenario FILE (.toml).
    #[arg(value_name = "SCENARIO|FILE")]
    pub scenario: String,

    /// The callback URL (CEC: the base URL). Without it, the in-process receiver answers.
    #[arg(long, value_name = "URL", env = "DESKHOOK_TO")]
    pub to: Option<String>,

    /// Print each request that would be sent, answered by the built-in receiver's logic; send nothing.
    #[arg(long)]
    pub dry_run: bool,

    #[command(flatten)]
    pub identity: IdentityArgs,

    #[command(flatten)]
    pub delivery: DeliveryArgs,

    #[command(flatten)]
    pub load: LoadArgs,

    #[command(flatten)]
    pub repeat: RepeatArgs,

    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct FlowsArgs {
    /// JSON Lines with name, description and steps.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct EventsArgs {
    /// JSON Lines with id, provider, command and description.
    #[arg(long)]
    pub json: bool,

    /// Only this provider's events.
    #[arg(long, value_enum, value_name = "PROVIDER")]
    pub provider: Option<Provider>,
}

/// Which side of the exchange a schema describes.
#[derive(Debug, Args, Clone, Copy)]
#[group(required = true, multiple = false)]
pub struct Side {
    /// The callback body the platform sends.
    #[arg(long)]
    pub request: bool,

    /// The answer the backend returns.
    #[arg(long)]
    pub response: bool,
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Event id (see `deskhook events`).
    #[arg(value_name = "EVENT")]
    pub event: String,

    #[command(flatten)]
    pub side: Side,

    /// The JSON document; `-` reads stdin.
    #[arg(value_name = "FILE|-")]
    pub input: PathBuf,

    /// Output format.
    #[arg(long, value_enum, value_name = "FORMAT", default_value_t = Format::Human)]
    pub format: Format,
}

#[derive(Debug, Args)]
pub struct SchemaArgs {
    /// Event id (see `deskhook events`).
    #[arg(value_name = "EVENT")]
    pub event: String,

    #[command(flatten)]
    pub side: Side,
}

#[derive(Debug, Args)]
pub struct SignArgs {
    /// The callback token configured in the console.
    #[arg(
        long,
        value_name = "TOKEN",
        env = "DESKHOOK_TOKEN",
        hide_env_values = true
    )]
    pub token: Secret,

    /// RequestTime in Unix seconds (default: now).
    #[arg(long, value_name = "SECS")]
    pub time: Option<u64>,

    /// Print {"RequestTime":…,"Sign":…} instead of shell-style lines.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The full callback URL, query included.
    #[arg(value_name = "URL")]
    pub url: String,

    /// The callback token configured in the console.
    #[arg(
        long,
        value_name = "TOKEN",
        env = "DESKHOOK_TOKEN",
        hide_env_values = true
    )]
    pub token: Secret,

    /// Also check that `SdkAppid` is ID.
    #[arg(long, value_name = "ID", env = "DESKHOOK_SDKAPPID")]
    pub sdkappid: Option<String>,

    /// Take SECS (Unix seconds) as the current time.
    #[arg(long, value_name = "SECS", hide_short_help = true)]
    pub now: Option<u64>,

    /// Accepted clock difference for `RequestTime`.
    #[arg(long, value_name = "DUR", default_value = "60s", value_parser = parse_duration, hide_short_help = true)]
    pub tolerance: Duration,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to write a completion script for.
    #[arg(value_enum, value_name = "SHELL")]
    pub shell: clap_complete::Shell,
}

/// A positive, finite number of requests per second.
fn parse_rate(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(r) if r.is_finite() && r > 0.0 => Ok(r),
        _ => Err(format!(
            "expected a positive number of requests per second (for example 50 or 0.5), got {s:?}"
        )),
    }
}

/// Parse `2s`, `500ms`, `1m30s`, or a plain number of seconds (`1.5`).
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    if let Ok(secs) = s.parse::<f64>() {
        if secs.is_finite() && secs >= 0.0 {
            return Ok(Duration::from_secs_f64(secs));
        }
    }
    humantime::parse_duration(s)
        .map_err(|e| format!("{e}: expected a duration such as 2s, 500ms or 1m30s"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn clap_definitions_are_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn override_parses_json_then_falls_back_to_string() {
        let o: Override = "SatisfactionSelected=4".parse().unwrap();
        assert_eq!(o.value, serde_json::json!(4));
        let o: Override = "MsgBody.0.MsgContent.Text=退款 please".parse().unwrap();
        assert_eq!(o.value, serde_json::json!("退款 please"));
        let o: Override = "A.B={\"x\":[1]}".parse().unwrap();
        assert_eq!(o.value, serde_json::json!({"x": [1]}));
        assert!("no-equals".parse::<Override>().is_err());
        assert!("=3".parse::<Override>().is_err());
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("2s").unwrap(), Duration::from_secs(2));
        assert_eq!(parse_duration("250ms").unwrap(), Duration::from_millis(250));
        assert_eq!(parse_duration("1.5").unwrap(), Duration::from_millis(1500));
        assert!(parse_duration("soon").is_err());
    }
}
