//! Flag groups shared by several commands (flattened into their `Args`), each with the
//! lowering into the domain type it stands for.

use super::values::{self, HeaderArg, KeyValue};
use crate::callback::Identity;
use crate::catalogue::Side;
use crate::clock::{parse_duration, parse_positive_duration, Clock};
use crate::envelope::Expect;
use crate::error::usage;
use crate::payload::{Edits, Override};
use crate::report::{Format, LineFormat};
use crate::secret::Secret;
use crate::term::warn;
use crate::transport::{Connection, Policy};
use clap::Args;
use std::path::PathBuf;
use std::time::Duration;

/// Ways to change the body that is sent.
#[derive(Debug, Args, Clone, Default)]
pub struct EditArgs {
    /// Override a body field: dotted PATH (`MsgBody.0.MsgContent.Text`), VALUE parsed as JSON when it parses, else a string. Repeatable.
    ///
    /// A PATH the body does not have is added, with a note. Setting MsgBody.N.MsgContent.Text
    /// makes message element N a text element (TIMTextElem) when it was another kind.
    #[arg(long = "set", value_name = "PATH=VALUE")]
    pub set: Vec<Override>,

    /// Remove a body field (dotted PATH). Repeatable.
    #[arg(long = "unset", value_name = "PATH")]
    pub unset: Vec<String>,

    /// Send this JSON body instead of the built-in one (still signed, still validated); `-` reads stdin.
    #[arg(long, value_name = "FILE|-")]
    pub body: Option<PathBuf>,
}

impl EditArgs {
    pub fn edits(&self) -> Edits {
        Edits {
            set: self.set.clone(),
            unset: self.unset.clone(),
        }
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
    pub query: Vec<KeyValue>,
}

impl From<&IdentityArgs> for Identity {
    fn from(a: &IdentityArgs) -> Identity {
        Identity {
            sdkappid: a.sdkappid.clone(),
            token: a.token.clone(),
            client_ip: a.client_ip.clone(),
            platform: a.platform.clone(),
            extra_query: a
                .query
                .iter()
                .map(|q| (q.key.clone(), q.value.clone()))
                .collect(),
        }
    }
}

/// How each callback is delivered and judged.
#[derive(Debug, Args, Clone)]
pub struct DeliveryArgs {
    /// Give up on an answer after DUR (the platform's limit is 2s); a slower answer is a transport failure.
    ///
    /// Every DUR takes a unit: 2s, 500ms, 1.5s, 1m30s, at most 24h. A bare number is refused
    /// (2000 could mean seconds or milliseconds), except 0. A timeout of 0 is refused.
    #[arg(long, value_name = "DUR", default_value = "2s", value_parser = parse_positive_duration)]
    pub timeout: Duration,

    /// An answer slower than DUR counts as a failed check (default: the timeout).
    #[arg(long, value_name = "DUR", value_parser = parse_positive_duration)]
    pub max_latency: Option<Duration>,

    /// Re-deliver a failed callback up to N times (at most 100), with the same RequestID, as the platform does.
    #[arg(long, value_name = "N", default_value_t = 0, value_parser = clap::value_parser!(u32).range(0..=100))]
    pub retries: u32,

    /// Wait DUR before the first retry, doubling before each further one.
    #[arg(long, value_name = "DUR", default_value = "500ms", value_parser = parse_duration, hide_short_help = true)]
    pub backoff: Duration,

    /// What the answers must say: ok (a success envelope), fail (a failure envelope), refused (a 4xx or a failure envelope), or any well-formed envelope.
    ///
    /// refused asserts that the backend refuses what it must (a forged or stale callback): a
    /// 4xx passes whatever its body, HTTP 200 passes with ActionStatus FAIL / a non-zero
    /// ErrorCode (CEC: resultCode not "0"), a 5xx passes with a warning (refused by crashing),
    /// and an answer that accepts the callback fails.
    #[arg(long, value_enum, value_name = "WHAT", default_value_t = Expect::Ok)]
    pub expect: Expect,
}

impl From<&DeliveryArgs> for Policy {
    fn from(d: &DeliveryArgs) -> Policy {
        Policy {
            timeout: d.timeout,
            max_latency: d.max_latency,
            retries: d.retries,
            backoff: d.backoff,
            expect: d.expect,
        }
    }
}

/// Reaching a backend behind real infrastructure: a private CA, a gateway's header. Proxies
/// come from `HTTPS_PROXY`/`HTTP_PROXY`/`NO_PROXY`, trusted roots from the system (or
/// `SSL_CERT_FILE`) plus `--cacert`.
#[derive(Debug, Args, Clone, Default)]
pub struct ConnectionArgs {
    /// Add a header to every request ('Name: value'), for an API gateway. Repeatable.
    ///
    /// Never replaces a header the platform sets: Content-Type is refused, and a CEC push
    /// keeps its own `Authorization: Bearer` (--token).
    #[arg(short = 'H', long = "header", value_name = "'NAME: VALUE'", value_hint = clap::ValueHint::Other)]
    pub headers: Vec<HeaderArg>,

    /// Also trust the CA certificates in FILE (PEM) for https:// URLs (a private CA).
    #[arg(long, value_name = "FILE", value_hint = clap::ValueHint::FilePath)]
    pub cacert: Vec<PathBuf>,

    /// Do not check TLS certificates at all (said on stderr): for a test backend only.
    #[arg(long, conflicts_with = "cacert")]
    pub insecure: bool,
}

impl ConnectionArgs {
    /// Read `--cacert` files, collect `--header`s; `--insecure` is said loudly on stderr.
    pub fn connection(&self) -> anyhow::Result<Connection> {
        let mut conn = Connection {
            insecure: self.insecure,
            ..Connection::default()
        };
        for path in &self.cacert {
            let name = path.display();
            let pem = std::fs::read(path)
                .map_err(|e| usage(format!("--cacert {name}: cannot read it: {e}")))?;
            let certs = reqwest::Certificate::from_pem_bundle(&pem)
                .map_err(|e| usage(format!("--cacert {name}: not PEM certificates: {e}")))?;
            if certs.is_empty() {
                return Err(usage(format!(
                    "--cacert {name}: no certificate in it (expected PEM: -----BEGIN CERTIFICATE-----)"
                )));
            }
            conn.roots.extend(certs);
        }
        for h in &self.headers {
            conn.headers.append(h.name.clone(), h.value.clone());
        }
        if self.insecure {
            warn("--insecure: TLS certificates are NOT checked; anyone between deskhook and the backend can read and change these callbacks");
        }
        Ok(conn)
    }
}

/// The largest `--count`: a trillion callbacks is weeks at full speed, and the total of a run
/// (count × events or steps) stays far from overflowing.
pub const MAX_COUNT: u64 = 1_000_000_000_000;

/// Load: how many, how many at once, how fast.
#[derive(Debug, Args, Clone)]
pub struct LoadArgs {
    /// Send each event (or run the scenario) N times, each with fresh ids.
    #[arg(short = 'n', long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..=MAX_COUNT))]
    pub count: u64,

    /// At most C requests (or scenario runs) in flight at once.
    #[arg(short = 'c', long, value_name = "C", default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..=10_000))]
    pub concurrency: u64,

    /// At most R requests per second.
    #[arg(long, value_name = "R", value_parser = values::rate)]
    pub rate: Option<f64>,
}

/// Repeatable output: ids, times and signatures as a pure function of these.
#[derive(Debug, Args, Clone, Default)]
pub struct RepeatArgs {
    /// Seed every random choice (ids, texts, RequestID) for byte-identical output.
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,

    /// Take NOW (Unix milliseconds, up to the year 9999) as the current time for EventTime and RequestTime.
    #[arg(long, value_name = "MILLIS", value_parser = clap::value_parser!(u64).range(0..=values::MAX_UNIX_MS))]
    pub now: Option<u64>,
}

impl RepeatArgs {
    pub fn clock(&self) -> Clock {
        Clock::from_arg(self.now)
    }
}

/// Results on stdout: one line each, JSON Lines, or a JUnit report.
#[derive(Debug, Args, Clone)]
pub struct OutputArgs {
    /// Output format on stdout.
    #[arg(long, value_enum, value_name = "FORMAT", default_value_t = Format::Human)]
    pub format: Format,

    /// Show request and answer bodies (human format).
    #[arg(short = 'v', long)]
    pub verbose: bool,
}

/// Records on stdout, as lines for people or JSON Lines (`--json` is the old spelling).
#[derive(Debug, Args, Clone)]
pub struct LineOutputArgs {
    /// Output format on stdout.
    #[arg(long, value_enum, value_name = "FORMAT", default_value_t = LineFormat::Human)]
    pub format: LineFormat,

    /// The same as --format json.
    #[arg(long, hide = true, conflicts_with = "format")]
    pub json: bool,
}

impl LineOutputArgs {
    pub fn format(&self) -> LineFormat {
        if self.json {
            LineFormat::Json
        } else {
            self.format
        }
    }
}

/// Which side of the exchange a document is.
#[derive(Debug, Args, Clone, Copy)]
#[group(required = true, multiple = false)]
pub struct SideArgs {
    /// The callback body the platform sends.
    #[arg(long)]
    pub request: bool,

    /// The answer the backend returns.
    #[arg(long)]
    pub response: bool,
}

impl From<SideArgs> for Side {
    fn from(s: SideArgs) -> Side {
        if s.request {
            Side::Request
        } else {
            Side::Response
        }
    }
}
