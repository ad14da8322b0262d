//! The probes: each one a named question about a backend, with the documented rule it rests
//! on, and the callbacks that ask it — built from the catalogue like any `send`, then
//! deliberately mis-signed, re-timed, re-addressed or edited.
//!
//! Ids are fixed (scripts and tests outside the project select them); `--list` prints the
//! table below.

use super::Kind;
use crate::callback::{Callback, Identity};
use crate::catalogue::{catalogue, Event, Provider};
use crate::clock::{now_ms, Clock};
use crate::envelope::Expect;
use crate::payload::{self, Edits};
use crate::schema;
use crate::secret::Secret;
use crate::session::{uuid_v4, Session};
use crate::sign::{sign, sign_text};
use anyhow::{Context, Result};
use bytes::Bytes;
use serde_json::{json, Value};
use url::Url;

/// How far a stale or future `RequestTime` is from now: twice the documented 60 s window.
pub const OFF_WINDOW_S: u64 = 120;
/// Clock skew a backend should tolerate: inside the documented 60 s window.
pub const EDGE_S: u64 = 45;
/// The size of the `large-body` callback: hundreds of KB, well under the 1 MiB body limit
/// that web frameworks and proxies often default to.
pub const LARGE_BODY_BYTES: usize = 400 * 1024;
/// How many valid callbacks `burst` sends at once.
pub const BURST: usize = 300;

/// One probe: what it asks, why, and what a backend that fails it should do.
#[derive(Debug)]
pub struct Probe {
    pub id: &'static str,
    pub kind: Kind,
    /// The provider it applies to; `None`: both.
    pub provider: Option<Provider>,
    /// Whether it needs `--token` (signature and Bearer probes).
    pub needs_token: bool,
    /// What it sends, in words that read after "accepted" too.
    pub sends: &'static str,
    /// The attack or the tolerance it covers, one sentence.
    pub covers: &'static str,
    /// The documented rule it rests on.
    pub rule: &'static str,
    /// When it fails: what that gives away, and what the backend should check.
    pub advice: &'static str,
}

impl Probe {
    pub fn applies_to(&self, provider: Provider) -> bool {
        self.provider.is_none_or(|p| p == provider)
    }
}

const TIME_RULE: &str = "A receiver refuses a RequestTime more than 60 s away from its own clock, in either direction (docs/protocol.md, Tencent signature).";
const SIGN_RULE: &str = "Sign = lowercase hex sha256(token + RequestTime), RequestTime in Unix seconds; with callback authentication on, every callback carries both (docs/protocol.md, Tencent signature).";
const SDKAPPID_RULE: &str = "SdkAppid is the app's SDKAppID, and the backend must check that it is its own (docs/protocol.md, Tencent callback URL).";
const BEARER_RULE: &str = "A CEC push authenticated the OAuth way carries Authorization: Bearer <token>, one space after Bearer (docs/protocol.md, CEC authentication).";

/// Every probe, in the order a run takes them: the baseline first (the refusals are read
/// against it), then what must be refused, what must be accepted, and the warnings.
pub static PROBES: [Probe; 22] = [
    Probe {
        id: "baseline",
        kind: Kind::MustAccept,
        provider: None,
        needs_token: false,
        sends: "a valid, correctly signed callback of each command family",
        covers: "The reference point: a backend that refuses valid callbacks loses real traffic, and its refusals of the forged ones prove nothing.",
        rule: "The platform counts a callback as delivered only on HTTP 200 with the documented success envelope (ActionStatus \"OK\" and ErrorCode 0; CEC resultCode \"0\") within 2 s (docs/protocol.md, Tencent transport, CEC push endpoint).",
        advice: "check --to, --sdkappid and --token first; then answer HTTP 200 with the documented success envelope (`deskhook schema EVENT --response` prints it).",
    },
    Probe {
        id: "sign-missing",
        kind: Kind::MustRefuse,
        provider: Some(Provider::Tencent),
        needs_token: true,
        sends: "a callback without Sign and RequestTime",
        covers: "Forgery: anyone who knows the callback URL posts callbacks without a signature.",
        rule: SIGN_RULE,
        advice: "anyone who knows the callback URL can forge callbacks (sessions, messages, agent assignments, API-call variables). Refuse a callback whose Sign or RequestTime is missing.",
    },
    Probe {
        id: "sign-empty",
        kind: Kind::MustRefuse,
        provider: Some(Provider::Tencent),
        needs_token: true,
        sends: "an empty Sign with a current RequestTime",
        covers: "Forgery through a check that skips an empty Sign (`if sign and sign != expected`).",
        rule: SIGN_RULE,
        advice: "an empty Sign skips the check, so forging a callback needs no token. Refuse unless Sign equals sha256(token + RequestTime), compared in constant time.",
    },
    Probe {
        id: "sign-wrong",
        kind: Kind::MustRefuse,
        provider: Some(Provider::Tencent),
        needs_token: true,
        sends: "a callback signed with the wrong token",
        covers: "Forgery: a signature made with a guessed, old or other app's token.",
        rule: SIGN_RULE,
        advice: "the signature is not checked against your token, so anyone can forge callbacks. Compare Sign with lowercase hex sha256(token + RequestTime), in constant time.",
    },
    Probe {
        id: "time-stale",
        kind: Kind::MustRefuse,
        provider: Some(Provider::Tencent),
        needs_token: true,
        sends: "RequestTime 120 s in the past, correctly signed",
        covers: "Replay: a captured or logged callback URL sent again later.",
        rule: TIME_RULE,
        advice: "a captured callback URL can be replayed at any later time. Compare |now − RequestTime| ≤ 60 s, in both directions.",
    },
    Probe {
        id: "time-future",
        kind: Kind::MustRefuse,
        provider: Some(Provider::Tencent),
        needs_token: true,
        sends: "RequestTime 120 s in the future, correctly signed",
        covers: "Replay of a URL dated ahead: a check of old times only lets it through until its time comes.",
        rule: TIME_RULE,
        advice: "a signed URL dated ahead stays valid until then, so one leaked or pre-computed URL can be replayed all that time. Compare |now − RequestTime| ≤ 60 s, in both directions.",
    },
    Probe {
        id: "time-millis",
        kind: Kind::MustRefuse,
        provider: Some(Provider::Tencent),
        needs_token: true,
        sends: "RequestTime in milliseconds (13 digits), signed over that value",
        covers: "A time check that never bites: read as seconds, a millisecond time lies tens of thousands of years ahead.",
        rule: "RequestTime is Unix time in seconds, and a receiver refuses one more than 60 s from its clock (docs/protocol.md, Tencent signature).",
        advice: "the time window is not enforced on this value (or the unit is guessed), so a signed URL never expires. Parse RequestTime as Unix seconds and compare |now − RequestTime| ≤ 60 s, in both directions.",
    },
    Probe {
        id: "sdkappid-wrong",
        kind: Kind::MustRefuse,
        provider: Some(Provider::Tencent),
        needs_token: false,
        sends: "another app's SdkAppid (correctly signed when --token is given)",
        covers: "Confusion: callbacks of another app (another tenant, a test app) that reach this URL are processed as this app's.",
        rule: SDKAPPID_RULE,
        advice: "callbacks for another app are processed as yours. Compare SdkAppid with your own SDKAppID and refuse the rest.",
    },
    Probe {
        id: "sdkappid-missing",
        kind: Kind::MustRefuse,
        provider: Some(Provider::Tencent),
        needs_token: false,
        sends: "a callback without SdkAppid",
        covers: "Confusion: a callback that names no app is taken as this app's.",
        rule: SDKAPPID_RULE,
        advice: "a callback that names no app is processed as yours. Refuse a callback whose SdkAppid is missing or not yours.",
    },
    Probe {
        id: "bearer-missing",
        kind: Kind::MustRefuse,
        provider: Some(Provider::Huawei),
        needs_token: true,
        sends: "a push without an Authorization header",
        covers: "Forgery: anyone who knows the push URL posts messages and session events.",
        rule: BEARER_RULE,
        advice: "anyone who knows the push URL can push fake messages and session events. Refuse a push unless Authorization is exactly \"Bearer <token>\".",
    },
    Probe {
        id: "bearer-wrong",
        kind: Kind::MustRefuse,
        provider: Some(Provider::Huawei),
        needs_token: true,
        sends: "a push with the wrong Bearer token",
        covers: "Forgery with a guessed, expired or other tenant's token.",
        rule: BEARER_RULE,
        advice: "the token is not compared, so any Bearer value gets in. Compare the value after \"Bearer \" with your token, in constant time.",
    },
    Probe {
        id: "bearer-empty",
        kind: Kind::MustRefuse,
        provider: Some(Provider::Huawei),
        needs_token: true,
        sends: "a push with \"Authorization: Bearer \" and no token",
        covers: "Forgery through a comparison over the shorter length, or a check of the scheme word only.",
        rule: BEARER_RULE,
        advice: "an empty token gets in, so anyone can push. Compare the whole value with \"Bearer <token>\" in constant time, lengths included.",
    },
    Probe {
        id: "unknown-fields",
        kind: Kind::MustAccept,
        provider: None,
        needs_token: false,
        sends: "a documented message callback plus unknown fields at the top level and nested",
        covers: "Tolerance: the platform adds fields over time; a receiver that rejects unknown fields breaks on the next release.",
        rule: "Fields arrive over time: ForwardFromAgentId and RequestID appear only on the newer pages, and CEC pushes may carry web-client fields such as interIdx (docs/protocol.md, Session events, CEC push body).",
        advice: "a field the platform adds tomorrow breaks your receiver. Ignore fields you do not know (no deny_unknown_fields or additionalProperties: false on callback bodies).",
    },
    Probe {
        id: "unknown-params",
        kind: Kind::MustAccept,
        provider: Some(Provider::Tencent),
        needs_token: false,
        sends: "the callback URL with extra query parameters",
        covers: "Tolerance: the platform appends URL parameters, and has added new ones before.",
        rule: "The platform appends its parameters after any query the URL already has; RequestID appears only on the newer pages (docs/protocol.md, Tencent callback URL).",
        advice: "a parameter the platform adds breaks your receiver. Read the parameters you need and ignore the rest.",
    },
    Probe {
        id: "optional-absent",
        kind: Kind::MustAccept,
        provider: None,
        needs_token: false,
        sends: "each command family's body with only its required fields",
        covers: "Tolerance: optional fields (ChannelType, CloudCustomData, ClientInfo, CEC senderNickname, …) are not always sent.",
        rule: "Every session event has its first four fields, plus the fields its event needs (MsgKey and MsgBody for a message); the rest is optional, and the vendor samples differ in which optional fields they carry (docs/protocol.md, Session events, CEC push body; `deskhook schema EVENT --request`).",
        advice: "a callback without an optional field is refused. Treat every field the schema does not require as optional.",
    },
    Probe {
        id: "large-body",
        kind: Kind::MustAccept,
        provider: None,
        needs_token: false,
        sends: "a callback of about 400 KB: a long message of TIM elements (CEC: a push of many messages)",
        covers: "Tolerance: long transcripts and image-heavy messages make large bodies; a body limit far below 1 MiB refuses them.",
        rule: "MsgBody is an array of TIM elements, several per message, and no limit on a callback body is documented (docs/protocol.md, TIM message elements).",
        advice: "a large, valid callback is refused or breaks the backend. Accept bodies of at least 1 MiB.",
    },
    Probe {
        id: "unicode",
        kind: Kind::MustAccept,
        provider: None,
        needs_token: false,
        sends: "CJK, emoji, astral-plane and right-to-left text, as raw UTF-8 and \\u-escaped",
        covers: "Tolerance: users write in every script; a wrong charset or a naive escape decoder garbles or refuses their messages.",
        rule: "Bodies are JSON, so UTF-8 with \\u escapes allowed, surrogate pairs included; message texts are whatever users typed (docs/protocol.md, TIM message elements).",
        advice: "real messages in these scripts are refused. Decode the body as UTF-8 JSON, \\uD83D\\uDE4F surrogate pairs and U+2028 included.",
    },
    Probe {
        id: "duplicate",
        kind: Kind::MustAccept,
        provider: None,
        needs_token: false,
        sends: "the same callback twice: same URL, RequestID, signature and body",
        covers: "Tolerance: the platform re-delivers with the same RequestID; a duplicate must still get the success answer (and be processed once).",
        rule: "RequestID is the same on every retry of a callback, so that the backend can drop duplicates (docs/protocol.md, Tencent callback URL).",
        advice: "a re-delivered callback is refused, so the platform counts it as failed. Recognise the RequestID, skip the work, and answer success as the first time.",
    },
    Probe {
        id: "burst",
        kind: Kind::MustAccept,
        provider: None,
        needs_token: false,
        sends: "300 valid callbacks at once",
        covers: "Load: a busy contact center sends many callbacks together, and each must be answered within 2 s.",
        rule: "The platform gives up on a callback after 2 seconds; backends should answer at once and do the work asynchronously (docs/protocol.md, Tencent transport).",
        advice: "under a burst some callbacks are not answered in time, and the platform counts them as failed. Answer at once and do the work asynchronously (a queue).",
    },
    Probe {
        id: "time-edge",
        kind: Kind::Tolerance,
        provider: Some(Provider::Tencent),
        needs_token: true,
        sends: "RequestTime 45 s in the past and 45 s in the future, correctly signed",
        covers: "Tolerance: sender and receiver clocks drift; a window narrower than the documented one refuses real callbacks.",
        rule: TIME_RULE,
        advice: "a window narrower than 60 s refuses real callbacks whenever the clocks drift. Allow |now − RequestTime| ≤ 60 s and keep the clock in sync (NTP).",
    },
    Probe {
        id: "doc-variants",
        kind: Kind::Tolerance,
        provider: None,
        needs_token: false,
        sends: "the forms the vendor's own pages disagree on (EventTime as a string, Status \"free\"; CEC: timestamp and isOfflineStatus as strings)",
        covers: "Tolerance: where the vendor's pages disagree, the platform may send either form.",
        rule: "The older assignment page types EventTime as a String while its sample sends a number; the agent-status sample sends Status \"free\", absent from its table; the CEC web-client page types timestamp and isOfflineStatus as strings (docs/protocol.md, Where the documentation is silent).",
        advice: "a form the vendor's own pages show is refused. Accept both forms.",
    },
    Probe {
        id: "malformed-body",
        kind: Kind::Robustness,
        provider: None,
        needs_token: false,
        sends: "truncated JSON, wrong field types and an empty body, correctly signed",
        covers: "Robustness: bad input gets a clean 4xx or failure envelope, never a 5xx or a hang (the checks Schemathesis runs on OpenAPI services as negative data and not_a_server_error).",
        rule: "A callback body is a JSON object of the documented fields, and any answer but HTTP 200 with the success envelope is a failed callback (docs/protocol.md, Tencent transport).",
        advice: "refuse a malformed callback with a 4xx or a failure envelope: a 5xx reads as an outage to monitoring, a hang holds the sender for its whole timeout, and a success means bad input was acted on.",
    },
];

/// A probe by id (exact; ids are lower case).
pub fn probe(id: &str) -> Option<&'static Probe> {
    PROBES.iter().find(|p| p.id == id)
}

/// Up to three ids close to `id`, best first (for "did you mean").
pub fn closest(id: &str) -> Vec<&'static str> {
    let needle = id.to_ascii_lowercase();
    let mut scored: Vec<(f64, &'static str)> = PROBES
        .iter()
        .map(|p| {
            let mut score = strsim::jaro_winkler(&needle, p.id);
            if p.id.contains(needle.as_str()) && needle.len() > 2 {
                score += 0.2;
            }
            (score, p.id)
        })
        .filter(|(s, _)| *s > 0.7)
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0));
    scored.into_iter().take(3).map(|(_, id)| id).collect()
}

/// One callback a probe sends, and what its answer is judged against.
pub struct Planned {
    /// Which of the probe's callbacks this is (`truncated JSON`, `SessionBegin`, …).
    pub label: String,
    pub callback: Callback,
    pub expect: Expect,
}

/// What a probe sends, ready to go: the words for the report and the callbacks.
pub struct Built {
    pub sent: String,
    pub planned: Vec<Planned>,
}

/// Everything the callbacks of an audit are built from.
pub struct Builder<'a> {
    pub target: &'a Url,
    pub identity: &'a Identity,
    pub provider: Provider,
}

fn event(id: &str) -> &'static Event {
    catalogue()
        .find(id)
        .unwrap_or_else(|_| panic!("{id} is in the catalogue (checked by tests)"))
}

/// A session with fresh random values on the real clock: the platform's callbacks are now.
fn session() -> Session {
    Session::new(fastrand::u64(..), Clock::Real)
}

/// `pairs[key] = value`, replacing the first one of that name or appending.
fn set_param(pairs: &mut Vec<(String, String)>, key: &str, value: impl Into<String>) {
    let value = value.into();
    match pairs.iter_mut().find(|(k, _)| k == key) {
        Some(slot) => slot.1 = value,
        None => pairs.push((key.to_owned(), value)),
    }
}

fn remove_param(pairs: &mut Vec<(String, String)>, key: &str) {
    pairs.retain(|(k, _)| k != key);
}

/// `c` with its URL query edited as decoded pairs.
fn edit_query(mut c: Callback, edit: impl FnOnce(&mut Vec<(String, String)>)) -> Callback {
    let mut pairs: Vec<(String, String)> = c.url.query_pairs().into_owned().collect();
    edit(&mut pairs);
    c.url.set_query(None);
    if !pairs.is_empty() {
        c.url.query_pairs_mut().extend_pairs(&pairs);
    }
    c
}

/// `c` with its `Authorization` header replaced (`None`: removed).
fn with_authorization(mut c: Callback, value: Option<String>) -> Callback {
    c.headers
        .retain(|(k, _)| !k.eq_ignore_ascii_case("authorization"));
    if let Some(v) = value {
        c.headers.push(("Authorization".to_owned(), v));
    }
    c
}

fn with_body(mut c: Callback, body: impl Into<Bytes>) -> Callback {
    c.body = body.into();
    c
}

/// A token that is certainly not `token`.
fn other_token(token: &Secret) -> Secret {
    let mut r = fastrand::Rng::new();
    loop {
        let t: String = (0..32).map(|_| r.alphanumeric()).collect();
        if t != token.expose() {
            return Secret::new(t);
        }
    }
}

/// Another app's id, close to this one (a neighbour id trips a check that compares prefixes).
fn other_sdkappid(own: &str) -> String {
    match own.parse::<u64>() {
        Ok(n) if n < u64::MAX => (n + 1).to_string(),
        _ if own != "1400187352" => "1400187352".to_owned(),
        _ => "888888".to_owned(),
    }
}

/// One event of each command family of a provider (CEC: of each control type), in
/// catalogue order.
pub fn baseline_events(provider: Provider) -> Vec<&'static Event> {
    let mut seen: Vec<String> = Vec::new();
    let mut out = Vec::new();
    for e in catalogue().of(Some(provider)) {
        let control = e.template["messages"][0]["controlType"]
            .as_str()
            .unwrap_or_default();
        let key = format!("{} {control}", e.command);
        if !seen.contains(&key) {
            seen.push(key);
            out.push(e);
        }
    }
    out
}

/// The body of `event` reduced to the fields its request schema requires (CEC: in each
/// message, too).
pub fn required_only(event: &Event, body: &Value) -> Value {
    let family = schema::family(&event.request_schema);
    let names = |a: &Value, b: &Value| -> Vec<String> {
        [a, b]
            .iter()
            .filter_map(|v| v.as_array())
            .flatten()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect()
    };
    let keep = |v: &mut Value, required: &[String]| {
        if let Value::Object(map) = v {
            map.retain(|k, _| required.contains(k));
        }
    };
    let mut out = body.clone();
    keep(
        &mut out,
        &names(&family["required"], &event.refine["required"]),
    );
    if event.is_cec() {
        let item = names(
            &family["$defs"]["DownLinkMsg"]["required"],
            &event.refine["properties"]["messages"]["items"]["required"],
        );
        if let Some(Value::Array(messages)) = out.get_mut("messages") {
            for m in messages {
                keep(m, &item);
            }
        }
    }
    out
}

/// Texts that break naive decoders: CJK, astral-plane characters (CJK extension B,
/// mathematical letters, emoji), right-to-left scripts with bidi marks, ZWJ sequences,
/// combining marks, U+2028, and the characters JSON must escape.
pub const UNICODE_TEXTS: [&str; 7] = [
    "退款申请：订单 SO2024 还没到账，麻烦尽快处理 🙏",
    "𠮷野家の牛丼が届きません 𩸽 — 𝐔𝐑𝐆𝐄𝐍𝐓 🀄",
    "مرحبا، أريد استرداد المبلغ للطلب رقم ١٢٣٤٥",
    "שלום,\u{200F} ההזמנה שלי (#4821) לא הגיעה\u{200E} OK?",
    "👩\u{200D}💻 👨\u{200D}👩\u{200D}👧 🇨🇳🇯🇵 ✋🏽 1️⃣",
    "e\u{301} vs é · ﬁ · zero\u{200B}width · line\u{2028}separator · tab\tquote\" backslash\\",
    "배송 문의 · Русский · ελληνικά · हिन्दी",
];

/// `v` as JSON with every non-ASCII character written `\uXXXX` (astral ones as surrogate
/// pairs): the same document, the other way JSON may spell it.
pub fn ascii_json(v: &Value) -> Vec<u8> {
    let text = v.to_string();
    let mut out = String::with_capacity(text.len() * 2);
    for c in text.chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            let mut units = [0u16; 2];
            for u in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{u:04X}"));
            }
        }
    }
    out.into_bytes()
}

impl Builder<'_> {
    fn body(&self, event: &'static Event, session: &mut Session) -> Result<Value> {
        payload::build(event, session, &Edits::default())
            .with_context(|| format!("building {}", event.id))
    }

    /// `body` addressed and signed as the platform does, `RequestTime` now.
    fn signed(&self, event: &'static Event, body: &Value, session: &mut Session) -> Callback {
        Callback::from_body(
            event,
            body,
            session,
            self.target,
            self.identity,
            Clock::Real,
        )
    }

    /// A fresh, correctly signed callback of `event`.
    fn fresh(&self, event: &'static Event) -> Result<Callback> {
        let mut s = session();
        let body = self.body(event, &mut s)?;
        Ok(self.signed(event, &body, &mut s))
    }

    /// The event a probe about the request itself uses: the provider's first baseline event.
    fn plain_event(&self) -> &'static Event {
        match self.provider {
            Provider::Tencent => event("SessionBegin"),
            Provider::Huawei => event("cec.agent-message"),
        }
    }

    /// The message event of the provider (text the user or agent wrote).
    fn message_event(&self) -> &'static Event {
        match self.provider {
            Provider::Tencent => event("Human.UserSendMsg"),
            Provider::Huawei => event("cec.agent-message"),
        }
    }

    fn token(&self) -> Result<&Secret> {
        self.identity
            .token
            .as_ref()
            .context("this probe needs --token")
    }

    /// A correctly signed callback of the plain event with `RequestTime` = `time` (as written)
    /// and `Sign` = `sign`.
    fn timed(&self, time: Option<&str>, sign: Option<String>) -> Result<Callback> {
        let c = self.fresh(self.plain_event())?;
        Ok(edit_query(c, |q| {
            remove_param(q, "Sign");
            remove_param(q, "RequestTime");
            if let Some(s) = sign {
                q.push(("Sign".into(), s));
            }
            if let Some(t) = time {
                q.push(("RequestTime".into(), t.to_owned()));
            }
        }))
    }

    /// The callbacks of `probe`.
    pub fn build(&self, probe: &Probe) -> Result<Built> {
        let now = now_ms() / 1000;
        let one = |label: &str, callback: Callback, expect: Expect| {
            vec![Planned {
                label: label.to_owned(),
                callback,
                expect,
            }]
        };
        let refused = |callback: Callback| one(probe.id, callback, Expect::Refused);
        let mut sent = probe.sends.to_owned();
        let planned = match probe.id {
            "baseline" => {
                let events = baseline_events(self.provider);
                sent = format!(
                    "a valid, correctly signed callback of each command family ({})",
                    events.len()
                );
                events
                    .into_iter()
                    .map(|e| {
                        Ok(Planned {
                            label: e.id.clone(),
                            callback: self.fresh(e)?,
                            expect: Expect::Ok,
                        })
                    })
                    .collect::<Result<_>>()?
            }
            "sign-missing" => refused(self.timed(None, None)?),
            "sign-empty" => refused(self.timed(Some(&now.to_string()), Some(String::new()))?),
            "sign-wrong" => {
                let wrong = other_token(self.token()?);
                refused(self.timed(Some(&now.to_string()), Some(sign(&wrong, now)))?)
            }
            "time-stale" | "time-future" => {
                let t = if probe.id == "time-stale" {
                    now - OFF_WINDOW_S
                } else {
                    now + OFF_WINDOW_S
                };
                let token = self.token()?;
                refused(self.timed(Some(&t.to_string()), Some(sign(token, t)))?)
            }
            "time-millis" => {
                let ms = now_ms().to_string();
                let token = self.token()?;
                refused(self.timed(Some(&ms), Some(sign_text(token, &ms)))?)
            }
            "sdkappid-wrong" => {
                let other = other_sdkappid(&self.identity.sdkappid);
                sent = format!("another app's SdkAppid {other}, otherwise a valid callback");
                let c = self.fresh(self.plain_event())?;
                refused(edit_query(c, |q| set_param(q, "SdkAppid", other)))
            }
            "sdkappid-missing" => {
                let c = self.fresh(self.plain_event())?;
                refused(edit_query(c, |q| remove_param(q, "SdkAppid")))
            }
            "bearer-missing" => refused(with_authorization(self.fresh(self.plain_event())?, None)),
            "bearer-wrong" => {
                let wrong = other_token(self.token()?);
                let c = self.fresh(self.plain_event())?;
                refused(with_authorization(
                    c,
                    Some(format!("Bearer {}", wrong.expose())),
                ))
            }
            "bearer-empty" => {
                let c = self.fresh(self.plain_event())?;
                refused(with_authorization(c, Some("Bearer ".to_owned())))
            }
            "unknown-fields" => one(probe.id, self.unknown_fields()?, Expect::Ok),
            "unknown-params" => {
                let c = self.fresh(self.plain_event())?;
                let trace = uuid_v4(&mut fastrand::Rng::new());
                one(
                    probe.id,
                    edit_query(c, |q| {
                        q.push(("CallbackVersion".into(), "2".into()));
                        q.push(("Region".into(), "ap-guangzhou".into()));
                        q.push(("TraceId".into(), trace));
                    }),
                    Expect::Ok,
                )
            }
            "optional-absent" => baseline_events(self.provider)
                .into_iter()
                .map(|e| {
                    let mut s = session();
                    let body = required_only(e, &self.body(e, &mut s)?);
                    Ok(Planned {
                        label: e.id.clone(),
                        callback: self.signed(e, &body, &mut s),
                        expect: Expect::Ok,
                    })
                })
                .collect::<Result<_>>()?,
            "large-body" => {
                let c = self.large_body()?;
                sent = format!(
                    "a callback of {} KB: {}",
                    c.body.len() / 1024,
                    match self.provider {
                        Provider::Tencent => "a long message of TIM elements",
                        Provider::Huawei => "a push of many messages",
                    }
                );
                one(probe.id, c, Expect::Ok)
            }
            "unicode" => {
                let (raw, escaped) = self.unicode()?;
                vec![
                    Planned {
                        label: "raw UTF-8".into(),
                        callback: raw,
                        expect: Expect::Ok,
                    },
                    Planned {
                        label: "\\u-escaped".into(),
                        callback: escaped,
                        expect: Expect::Ok,
                    },
                ]
            }
            "duplicate" => {
                let c = self.fresh(self.message_event())?;
                vec![
                    Planned {
                        label: "first delivery".into(),
                        callback: c.clone(),
                        expect: Expect::Ok,
                    },
                    Planned {
                        label: "second delivery".into(),
                        callback: c,
                        expect: Expect::Ok,
                    },
                ]
            }
            "burst" => {
                let events: Vec<&'static Event> = match self.provider {
                    Provider::Tencent => catalogue()
                        .of(Some(Provider::Tencent))
                        .filter(|e| e.command == "Desk.SessionEventNotify")
                        .collect(),
                    Provider::Huawei => catalogue().of(Some(Provider::Huawei)).collect(),
                };
                (0..BURST)
                    .map(|i| {
                        let e = events[i % events.len()];
                        Ok(Planned {
                            label: format!("#{} {}", i + 1, e.id),
                            callback: self.fresh(e)?,
                            expect: Expect::Ok,
                        })
                    })
                    .collect::<Result<_>>()?
            }
            "time-edge" => {
                let token = self.token()?;
                [("45 s ago", now - EDGE_S), ("45 s ahead", now + EDGE_S)]
                    .into_iter()
                    .map(|(label, t)| {
                        Ok(Planned {
                            label: label.into(),
                            callback: self.timed(Some(&t.to_string()), Some(sign(token, t)))?,
                            expect: Expect::Ok,
                        })
                    })
                    .collect::<Result<_>>()?
            }
            "doc-variants" => {
                sent = match self.provider {
                    Provider::Tencent => "EventTime as a numeric string, Status \"free\"",
                    Provider::Huawei => "timestamp and isOfflineStatus as strings",
                }
                .to_owned();
                sent.push_str(" (forms the vendor's own pages show)");
                self.doc_variants()?
            }
            "malformed-body" => self.malformed()?,
            other => anyhow::bail!("probe {other} has no callbacks (a bug)"),
        };
        Ok(Built { sent, planned })
    }

    /// The message event with unknown fields: at the top level and nested (in a message
    /// element and its content; CEC: in each message, the web-client fields).
    fn unknown_fields(&self) -> Result<Callback> {
        let e = self.message_event();
        let mut s = session();
        let mut body = self.body(e, &mut s)?;
        let Some(top) = body.as_object_mut() else {
            anyhow::bail!("{} body is not an object", e.id);
        };
        if e.is_cec() {
            top.insert("pushId".into(), json!(uuid_v4(s.rng())));
            top.insert("tenantSpaceId".into(), json!("202405290001"));
            if let Some(Value::Array(messages)) = top.get_mut("messages") {
                for m in messages.iter_mut().filter_map(Value::as_object_mut) {
                    m.insert("interIdx".into(), json!(3));
                    m.insert("queueFlag".into(), json!("N"));
                    m.insert("receiveTime".into(), json!(now_ms()));
                    m.insert(
                        "extInfo".into(),
                        json!({"robotGender": null, "tags": ["vip"]}),
                    );
                }
            }
        } else {
            top.insert("SessionSource".into(), json!("MiniProgram"));
            top.insert(
                "ExtInfo".into(),
                json!({"Channel": {"Name": "app", "Version": 2}, "Tags": ["vip", "退款"]}),
            );
            if let Some(Value::Array(elements)) = top.get_mut("MsgBody") {
                for el in elements.iter_mut().filter_map(Value::as_object_mut) {
                    el.insert("MsgPriority".into(), json!("Normal"));
                    if let Some(Value::Object(content)) = el.get_mut("MsgContent") {
                        content.insert("TextFormat".into(), json!("plain"));
                    }
                }
            }
        }
        Ok(self.signed(e, &body, &mut s))
    }

    /// About `LARGE_BODY_BYTES` of realistic content in one valid callback.
    fn large_body(&self) -> Result<Callback> {
        let e = self.message_event();
        let mut s = session();
        let mut body = self.body(e, &mut s)?;
        let mut size = 0;
        if e.is_cec() {
            let mut messages = Vec::new();
            while size < LARGE_BODY_BYTES {
                let m = s.fill(&e.template)?["messages"][0].clone();
                size += m.to_string().len() + 1;
                messages.push(m);
            }
            body["messages"] = Value::Array(messages);
        } else {
            let mut elements = Vec::new();
            let mut i = 0u32;
            while size < LARGE_BODY_BYTES {
                i += 1;
                let part = s.resolve(if i % 3 == 0 {
                    "agent_msg_body"
                } else {
                    "user_msg_body"
                })?;
                for el in part.as_array().into_iter().flatten() {
                    size += el.to_string().len() + 1;
                    elements.push(el.clone());
                }
            }
            body["MsgBody"] = Value::Array(elements);
        }
        Ok(self.signed(e, &body, &mut s))
    }

    /// The message event carrying [`UNICODE_TEXTS`], raw and `\u`-escaped (one signature:
    /// the body bytes differ, the document does not).
    fn unicode(&self) -> Result<(Callback, Callback)> {
        let e = self.message_event();
        let mut s = session();
        let mut body = self.body(e, &mut s)?;
        if e.is_cec() {
            let text = UNICODE_TEXTS.join(" ");
            body["messages"][0]["content"] = json!(text.chars().take(500).collect::<String>());
            body["messages"][0]["senderNickname"] = json!("客服小王 🌸 مريم");
        } else {
            body["MsgBody"] = UNICODE_TEXTS
                .iter()
                .map(|t| json!({"MsgType": "TIMTextElem", "MsgContent": {"Text": t}}))
                .collect();
            body["CloudCustomData"] =
                json!(json!({"备注": "VIP 客户 ⭐", "note": "עברית"}).to_string());
        }
        let raw = self.signed(e, &body, &mut s);
        let escaped = with_body(raw.clone(), ascii_json(&body));
        Ok((raw, escaped))
    }

    /// Where the vendor's pages disagree on a type or a value, the other form.
    fn doc_variants(&self) -> Result<Vec<Planned>> {
        let variant = |id: &str, label: &str, edit: &dyn Fn(&mut Value)| -> Result<Planned> {
            let e = event(id);
            let mut s = session();
            let mut body = self.body(e, &mut s)?;
            edit(&mut body);
            Ok(Planned {
                label: label.to_owned(),
                callback: self.signed(e, &body, &mut s),
                expect: Expect::Ok,
            })
        };
        let stringify = |v: &mut Value| {
            if let Some(n) = v.as_u64() {
                *v = json!(n.to_string());
            }
        };
        Ok(match self.provider {
            Provider::Tencent => vec![
                variant(
                    "ChatBot.OnAssignAgent",
                    "EventTime as a string (ChatBot.OnAssignAgent)",
                    &|b| stringify(&mut b["EventTime"]),
                )?,
                variant(
                    "Member.EventNotify",
                    "Status \"free\" (Member.EventNotify)",
                    &|b| b["Status"] = json!("free"),
                )?,
            ],
            Provider::Huawei => vec![
                variant("cec.connected", "timestamps as strings", &|b| {
                    stringify(&mut b["timestamp"]);
                    if let Some(Value::Array(ms)) = b.get_mut("messages") {
                        for m in ms {
                            stringify(&mut m["timestamp"]);
                        }
                    }
                })?,
                variant(
                    "cec.disconnect.offline",
                    "isOfflineStatus as a string",
                    &|b| {
                        if let Some(Value::Array(ms)) = b.get_mut("messages") {
                            for m in ms {
                                m["isOfflineStatus"] = json!("true");
                            }
                        }
                    },
                )?,
            ],
        })
    }

    /// Bodies that are not a valid callback, each under a valid signature.
    fn malformed(&self) -> Result<Vec<Planned>> {
        let e = self.plain_event();
        let c = self.fresh(e)?;
        let bytes = c.body.clone();
        let truncated = bytes.slice(..bytes.len() / 2);
        let wrong_types = if e.is_cec() {
            json!({"timestamp": "soon", "messages": {"channel": 1, "from": null, "content": ["x"]}})
        } else {
            json!({"CallbackCommand": "Desk.SessionEventNotify", "SessionId": 42,
                   "Event": ["SessionBegin"], "EventTime": "yesterday", "ChannelType": {}})
        };
        let case = |label: &str, body: Bytes| Planned {
            label: label.to_owned(),
            callback: with_body(c.clone(), body),
            expect: Expect::Refused,
        };
        Ok(vec![
            case("truncated JSON", truncated),
            case("wrong types", Bytes::from(wrong_types.to_string())),
            case("empty body", Bytes::new()),
        ])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::Side;
    use crate::envelope::check_document;
    use serde_json::Map;

    fn keys(v: &Value) -> Vec<String> {
        v.as_object()
            .map(Map::keys)
            .into_iter()
            .flatten()
            .cloned()
            .collect()
    }

    fn identity(token: Option<&str>) -> Identity {
        Identity {
            sdkappid: "1400187352".into(),
            token: token.map(Secret::new),
            client_ip: "127.0.0.1".into(),
            platform: "RESTAPI".into(),
            extra_query: vec![],
        }
    }

    fn build(provider: Provider, id: &str) -> Built {
        let target = Url::parse("http://127.0.0.1:9/cb").unwrap();
        let identity = identity(Some("tok"));
        let b = Builder {
            target: &target,
            identity: &identity,
            provider,
        };
        b.build(probe(id).unwrap()).unwrap()
    }

    fn param(c: &Callback, key: &str) -> Option<String> {
        c.url
            .query_pairs()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.into_owned())
    }

    #[test]
    fn ids_are_unique_and_every_probe_builds_for_its_providers() {
        let mut ids: Vec<&str> = PROBES.iter().map(|p| p.id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), PROBES.len());
        for p in &PROBES {
            for provider in [Provider::Tencent, Provider::Huawei] {
                if p.applies_to(provider) {
                    let built = build(provider, p.id);
                    assert!(!built.planned.is_empty(), "{}", p.id);
                }
            }
            assert!(p.covers.ends_with('.') && p.rule.ends_with('.'), "{}", p.id);
        }
        assert_eq!(PROBES[0].id, "baseline", "the baseline runs first");
    }

    #[test]
    fn must_accept_bodies_are_valid_requests() {
        for provider in [Provider::Tencent, Provider::Huawei] {
            for id in [
                "baseline",
                "unknown-fields",
                "optional-absent",
                "large-body",
                "unicode",
                "duplicate",
            ] {
                for p in build(provider, id).planned {
                    let c = &p.callback;
                    let doc: Value = serde_json::from_slice(&c.body).unwrap();
                    let v = check_document(c.event, Side::Request, &doc);
                    assert!(v.is_empty(), "{id} {}: {v:?}", p.label);
                }
            }
        }
    }

    #[test]
    fn signature_probes_break_exactly_one_thing() {
        let now = now_ms() / 1000;
        let token = Secret::new("tok");
        let c = &build(Provider::Tencent, "time-stale").planned[0].callback;
        let t: u64 = param(c, "RequestTime").unwrap().parse().unwrap();
        assert!(now - t >= OFF_WINDOW_S);
        assert_eq!(param(c, "Sign").unwrap(), sign(&token, t));
        let c = &build(Provider::Tencent, "time-millis").planned[0].callback;
        let ms = param(c, "RequestTime").unwrap();
        assert_eq!(ms.len(), 13);
        assert_eq!(param(c, "Sign").unwrap(), sign_text(&token, &ms));
        let c = &build(Provider::Tencent, "sign-missing").planned[0].callback;
        assert!(param(c, "Sign").is_none() && param(c, "RequestTime").is_none());
        assert!(param(c, "SdkAppid").is_some());
        let c = &build(Provider::Tencent, "sdkappid-wrong").planned[0].callback;
        assert_eq!(param(c, "SdkAppid").unwrap(), "1400187353");
        let t: u64 = param(c, "RequestTime").unwrap().parse().unwrap();
        assert_eq!(param(c, "Sign").unwrap(), sign(&token, t));
        let c = &build(Provider::Tencent, "sdkappid-missing").planned[0].callback;
        assert!(param(c, "SdkAppid").is_none());
        let c = &build(Provider::Tencent, "sign-wrong").planned[0].callback;
        let t: u64 = param(c, "RequestTime").unwrap().parse().unwrap();
        assert_ne!(param(c, "Sign").unwrap(), sign(&token, t));
        let c = &build(Provider::Huawei, "bearer-wrong").planned[0].callback;
        let auth: Vec<_> = c
            .headers
            .iter()
            .filter(|(k, _)| k == "Authorization")
            .collect();
        assert_eq!(auth.len(), 1);
        assert!(auth[0].1.starts_with("Bearer ") && auth[0].1 != "Bearer tok");
        let c = &build(Provider::Huawei, "bearer-missing").planned[0].callback;
        assert!(!c.headers.iter().any(|(k, _)| k == "Authorization"));
    }

    #[test]
    fn large_and_unicode_bodies_are_what_they_say() {
        let c = &build(Provider::Tencent, "large-body").planned[0].callback;
        assert!(c.body.len() >= LARGE_BODY_BYTES && c.body.len() < 1024 * 1024);
        let u = build(Provider::Tencent, "unicode").planned;
        assert!(std::str::from_utf8(&u[0].callback.body)
            .unwrap()
            .contains("𠮷"));
        assert!(u[1].callback.body.is_ascii());
        let escaped = std::str::from_utf8(&u[1].callback.body).unwrap();
        assert!(escaped.contains("\\uD842\\uDFB7"), "𠮷 as a surrogate pair");
        let a: Value = serde_json::from_slice(&u[0].callback.body).unwrap();
        let b: Value = serde_json::from_slice(&u[1].callback.body).unwrap();
        assert_eq!(a, b, "the same document, spelled two ways");
        assert_eq!(u[0].callback.url, u[1].callback.url);
    }

    #[test]
    fn optional_absent_keeps_only_required_fields() {
        let e = event("Human.UserSendMsg");
        let mut s = session();
        let body = payload::build(e, &mut s, &Edits::default()).unwrap();
        let slim = required_only(e, &body);
        let mut k = keys(&slim);
        k.sort();
        assert_eq!(
            k,
            [
                "AgentId",
                "CallbackCommand",
                "Event",
                "EventTime",
                "MsgBody",
                "MsgKey",
                "SessionId"
            ]
        );
        let e = event("cec.agent-message");
        let body = payload::build(e, &mut s, &Edits::default()).unwrap();
        let slim = required_only(e, &body);
        assert!(slim["messages"][0].get("senderNickname").is_none());
        assert!(slim["messages"][0].get("content").is_some());
    }

    #[test]
    fn baseline_covers_each_command_family() {
        let ids: Vec<&str> = baseline_events(Provider::Tencent)
            .iter()
            .map(|e| e.id.as_str())
            .collect();
        assert_eq!(
            ids,
            [
                "SessionBegin",
                "ChatBot.OnAssignAgent",
                "ChatBot.OnAssignHuman",
                "Chatbot.InterfaceInvocation",
                "Member.EventNotify",
                "Chatbot.TaskFlowEventNotify"
            ]
        );
        assert_eq!(baseline_events(Provider::Huawei).len(), 3);
    }

    #[test]
    fn close_ids_are_suggested() {
        assert_eq!(closest("time-stail")[0], "time-stale");
        assert!(closest("bearer").iter().all(|id| id.starts_with("bearer-")));
        assert!(closest("zzzzzz").is_empty());
    }
}
