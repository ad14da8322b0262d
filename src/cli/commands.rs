//! The flags of each command (`deskhook <command> --help` shows them).

use super::groups::{
    ConnectionArgs, DeliveryArgs, EditArgs, IdentityArgs, LineOutputArgs, LoadArgs, OutputArgs,
    RepeatArgs, SideArgs,
};
use super::values::{self, KeyValue, ProbeId, RespondArg};
use crate::audit::Probe;
use crate::catalogue::Provider;
use crate::clock::{parse_duration, parse_positive_duration};
use crate::report::{Format, LineFormat};
use crate::secret::Secret;
use clap::Args;
use std::path::PathBuf;
use std::time::Duration;
use url::Url;

#[derive(Debug, Args)]
pub struct SendArgs {
    /// Event ids to send (see `deskhook events`); matched case-insensitively.
    #[arg(value_name = "EVENT", required_unless_present_any = ["all", "provider"], value_parser = values::EventId, hide_possible_values = true)]
    pub events: Vec<String>,

    /// The callback URL (optional: without it, an in-process receiver on a loopback port answers).
    ///
    /// Tencent callbacks get the platform's URL parameters appended. CEC pushes go to
    /// <URL>/webhooks/v1/messages (URL is the base URL entered in AICC); a URL that already
    /// ends with /webhooks/v1/messages is used as given.
    #[arg(long, value_name = "URL", env = "DESKHOOK_TO", value_parser = values::http_url)]
    pub to: Option<Url>,

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
    pub connection: ConnectionArgs,

    #[command(flatten)]
    pub load: LoadArgs,

    #[command(flatten)]
    pub repeat: RepeatArgs,

    #[command(flatten)]
    pub output: OutputArgs,
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
    pub respond: RespondArg,

    /// Agents returned to ChatBot.OnAssignAgent/OnAssignHuman (comma-separated).
    #[arg(long, value_name = "A,B", value_delimiter = ',')]
    pub agents: Vec<String>,

    /// Agent group returned to ChatBot.OnAssignAgent/OnAssignHuman.
    #[arg(long, value_name = "N")]
    pub group: Option<i64>,

    /// Variables returned to Chatbot.InterfaceInvocation (k=v,k2=v2).
    #[arg(long, value_name = "K=V,...", value_delimiter = ',')]
    pub vars: Vec<KeyValue>,

    /// Wait DUR before answering (to test the platform's 2 s limit).
    ///
    /// Every DUR takes a unit: 2500ms, 2.5s, 1m30s, at most 24h. A bare number is refused
    /// (2000 could mean seconds or milliseconds), except 0.
    #[arg(long, value_name = "DUR", value_parser = parse_duration)]
    pub delay: Option<Duration>,

    /// Append every exchange to FILE as one JSON line (see fixtures/capture.schema.json).
    #[arg(long, value_name = "FILE")]
    pub save: Option<PathBuf>,

    /// With --save: answer only once the line is on disk (fdatasync), not just written.
    ///
    /// Every line is written to the capture file before its answer leaves (a killed listen
    /// loses no answered callback); --fsync also waits for the disk, so a power loss loses
    /// none either. Concurrent callbacks share each sync, but every answer waits for one.
    #[arg(long, requires = "save")]
    pub fsync: bool,

    /// Relay each callback unchanged to URL, hand its answer back, and validate that answer.
    ///
    /// CEC pushes are relayed to <URL>/webhooks/v1/messages, or to URL itself when it already
    /// ends with that path.
    #[arg(long, value_name = "URL", value_parser = values::http_url)]
    pub forward_to: Option<Url>,

    /// Timeout for --forward-to.
    #[arg(long, value_name = "DUR", default_value = "2s", value_parser = parse_positive_duration, hide_short_help = true)]
    pub timeout: Duration,

    /// For --forward-to: headers, trusted CAs, certificate checks.
    #[command(flatten)]
    pub connection: ConnectionArgs,

    /// Largest accepted body, 1 byte to 1 GiB; larger ones get 413.
    #[arg(long, value_name = "BYTES", default_value_t = 1024 * 1024, value_parser = clap::value_parser!(u64).range(1..=1 << 30), hide_short_help = true)]
    pub max_body: u64,

    /// Stop after N callbacks (for scripts and tests).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..), hide_short_help = true)]
    pub max_requests: Option<u64>,

    /// Output format on stdout.
    #[arg(long, value_enum, value_name = "FORMAT", default_value_t = LineFormat::Human)]
    pub format: LineFormat,

    /// Show request and answer bodies (human format).
    #[arg(short = 'v', long)]
    pub verbose: bool,

    /// Also serve a web inspector (on loopback, unless --host says otherwise); its URL is in the ready line.
    #[arg(long)]
    pub inspect: bool,

    /// Port of the inspector; 0 (the default) picks a free one.
    #[arg(long, value_name = "PORT", default_value_t = 0, requires = "inspect")]
    pub inspect_port: u16,

    /// With --save: show the last N exchanges the capture already holds when listen starts.
    #[arg(
        long,
        value_name = "N",
        default_value_t = 200,
        requires = "inspect",
        hide_short_help = true
    )]
    pub inspect_history: usize,

    /// The inspector keeps the last N exchanges in memory (older ones leave the page).
    #[arg(long, value_name = "N", default_value_t = 1000, requires = "inspect", value_parser = clap::value_parser!(u64).range(1..=1_000_000), hide_short_help = true)]
    pub inspect_keep: u64,
}

#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// A capture written by `listen --save` (JSON Lines); `-` reads stdin.
    #[arg(value_name = "CAPTURE.jsonl")]
    pub capture: PathBuf,

    /// Where to send the callbacks again (CEC pushes: <URL>/webhooks/v1/messages, or URL itself
    /// when it already ends with that path).
    #[arg(long, value_name = "URL", env = "DESKHOOK_TO", value_parser = values::http_url)]
    pub to: Url,

    /// Send the captured query untouched (stale Sign/RequestTime included).
    #[arg(long)]
    pub as_is: bool,

    /// Replay only these events (repeatable; event ids as in `deskhook events`).
    #[arg(long, value_name = "EVENT", value_parser = values::EventId, hide_possible_values = true)]
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
    pub connection: ConnectionArgs,

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
    #[arg(value_name = "SCENARIO|FILE", value_parser = values::ScenarioName, hide_possible_values = true)]
    pub scenario: String,

    /// The callback URL (optional: without it, an in-process receiver on a loopback port answers).
    ///
    /// CEC pushes go to <URL>/webhooks/v1/messages, or to URL itself when it already ends with
    /// /webhooks/v1/messages.
    #[arg(long, value_name = "URL", env = "DESKHOOK_TO", value_parser = values::http_url)]
    pub to: Option<Url>,

    /// Print each request that would be sent, answered by the built-in receiver's logic; send nothing.
    #[arg(long)]
    pub dry_run: bool,

    #[command(flatten)]
    pub identity: IdentityArgs,

    #[command(flatten)]
    pub delivery: DeliveryArgs,

    #[command(flatten)]
    pub connection: ConnectionArgs,

    #[command(flatten)]
    pub load: LoadArgs,

    #[command(flatten)]
    pub repeat: RepeatArgs,

    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct FlowsArgs {
    #[command(flatten)]
    pub output: LineOutputArgs,
}

#[derive(Debug, Args)]
pub struct EventsArgs {
    #[command(flatten)]
    pub output: LineOutputArgs,

    /// Only this provider's events.
    #[arg(long, value_enum, value_name = "PROVIDER")]
    pub provider: Option<Provider>,
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Event id (see `deskhook events`).
    #[arg(value_name = "EVENT", value_parser = values::EventId, hide_possible_values = true)]
    pub event: String,

    #[command(flatten)]
    pub side: SideArgs,

    /// The JSON document; `-` reads stdin.
    #[arg(value_name = "FILE|-")]
    pub input: PathBuf,

    /// Output format.
    #[arg(long, value_enum, value_name = "FORMAT", default_value_t = LineFormat::Human)]
    pub format: LineFormat,
}

#[derive(Debug, Args)]
pub struct SchemaArgs {
    /// Event id (see `deskhook events`).
    #[arg(value_name = "EVENT", value_parser = values::EventId, hide_possible_values = true)]
    pub event: String,

    #[command(flatten)]
    pub side: SideArgs,
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
    #[arg(long, value_name = "SECS", value_parser = clap::value_parser!(u64).range(0..=values::MAX_UNIX_S))]
    pub time: Option<u64>,

    #[command(flatten)]
    pub output: LineOutputArgs,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The full callback URL, query included.
    #[arg(value_name = "URL", value_parser = values::any_url)]
    pub url: Url,

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
    #[arg(long, value_name = "SECS", value_parser = clap::value_parser!(u64).range(0..=values::MAX_UNIX_S), hide_short_help = true)]
    pub now: Option<u64>,

    /// Accepted clock difference for `RequestTime`.
    #[arg(long, value_name = "DUR", default_value = "60s", value_parser = parse_duration, hide_short_help = true)]
    pub tolerance: Duration,
}

#[derive(Debug, Args)]
pub struct AuditArgs {
    /// The backend's callback URL (CEC: the base URL, as entered in AICC).
    #[arg(
        long,
        value_name = "URL",
        env = "DESKHOOK_TO",
        value_parser = values::http_url,
        required_unless_present = "list"
    )]
    pub to: Option<Url>,

    /// Which platform's callbacks to probe.
    #[arg(long, value_enum, value_name = "PROVIDER", default_value_t = Provider::Tencent)]
    pub provider: Provider,

    #[command(flatten)]
    pub identity: IdentityArgs,

    #[command(flatten)]
    pub connection: ConnectionArgs,

    /// Run only this probe (repeatable; `--list` shows the ids).
    #[arg(long, value_name = "ID", value_parser = ProbeId, hide_possible_values = true)]
    pub only: Vec<&'static Probe>,

    /// Do not run this probe (repeatable).
    #[arg(long, value_name = "ID", value_parser = ProbeId, hide_possible_values = true)]
    pub skip: Vec<&'static Probe>,

    /// Fail the run on warnings too (a refusal by a 5xx, a narrow clock window, …).
    #[arg(long)]
    pub strict: bool,

    /// List every probe: the attack or tolerance it covers and the documented rule it rests on.
    #[arg(long)]
    pub list: bool,

    /// Give up on an answer after DUR (the platform's limit is 2s); `burst` must fit in it.
    #[arg(long, value_name = "DUR", default_value = "2s", value_parser = parse_duration)]
    pub timeout: Duration,

    /// Output format on stdout: human (a line per probe), json (a record per probe, then a summary) or junit (a test case per probe).
    #[arg(long, value_enum, value_name = "FORMAT", default_value_t = Format::Human, hide_possible_values = true)]
    pub format: Format,

    /// Show every callback of each probe: URL, answer, violations (human and json).
    #[arg(short = 'v', long)]
    pub verbose: bool,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to write a completion script for.
    #[arg(value_enum, value_name = "SHELL")]
    pub shell: clap_complete::Shell,
}
