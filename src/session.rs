//! One conversation's worth of realistic values: the placeholders of `fixtures/README.md`.
//!
//! A [`Session`] owns a seeded random generator and a clock. Session-scoped values (session
//! id, user, agent, …) are generated once and reused by every event of the session; event
//! values (`event_time`, `msg_key`, message bodies) are fresh each time, with `EventTime`
//! strictly increasing and `MsgKey`s unique. With `--seed`/`--now` everything is a pure
//! function of them, so `--dry-run` output is byte-identical across runs.
//!
//! The values themselves (texts in several scripts, agent names, ids) are generated here,
//! in Rust; the shapes they fill are the templates of `fixtures/events/`.

use crate::clock::{now_ms, Clock};
use crate::template::{placeholder, Piece, SessionIdFrom, Template};
use anyhow::{bail, Result};
use serde_json::{json, Map, Value};

/// Mix a base seed with an index (SplitMix64), so job `i` gets the same values whatever the
/// concurrency or completion order.
pub fn derive_seed(base: u64, index: u64) -> u64 {
    let mut z = base ^ index.wrapping_add(1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Session-scoped values by placeholder name. A session holds a handful, looked up for
/// every placeholder of every callback: a short list searched in order costs less than
/// hashing each name.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Vars(Vec<(String, Value)>);

impl Vars {
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v)
    }

    /// Set `name`, replacing its value if it has one.
    pub fn insert(&mut self, name: String, value: Value) {
        match self.0.iter_mut().find(|(k, _)| *k == name) {
            Some(slot) => slot.1 = value,
            None => self.0.push((name, value)),
        }
    }

    pub fn remove(&mut self, name: &str) -> Option<Value> {
        let at = self.0.iter().position(|(k, _)| k == name)?;
        Some(self.0.swap_remove(at).1)
    }
}

/// The values of one session.
pub struct Session {
    rng: fastrand::Rng,
    clock: Clock,
    last_ms: u64,
    seq: u64,
    msg_seq: u64,
    /// Session-scoped values, by placeholder name; flows may set them (`agent_id`).
    pub vars: Vars,
    /// Variables returned by `Chatbot.InterfaceInvocation` answers, carried forward.
    pub returned: Map<String, Value>,
}

impl Session {
    pub fn new(seed: u64, clock: Clock) -> Session {
        let mut rng = fastrand::Rng::with_seed(seed);
        let msg_seq = rng.u64(100..1000);
        Session {
            rng,
            clock,
            last_ms: 0,
            seq: 0,
            msg_seq,
            vars: Vars::default(),
            returned: Map::new(),
        }
    }

    pub fn rng(&mut self) -> &mut fastrand::Rng {
        &mut self.rng
    }

    /// The next `EventTime`: now (or the fixed clock plus realistic gaps), strictly increasing.
    pub fn next_event_time(&mut self) -> u64 {
        let t = match self.clock {
            Clock::Real => now_ms(),
            Clock::Fixed(start) if self.last_ms == 0 => start,
            Clock::Fixed(_) => self.last_ms + self.rng.u64(400..4000),
        };
        self.last_ms = t.max(self.last_ms + 1);
        self.last_ms
    }

    /// The time of the last event (or now, before any), in ms.
    pub fn current_ms(&self) -> u64 {
        if self.last_ms == 0 {
            self.clock.now_ms()
        } else {
            self.last_ms
        }
    }

    /// Replace every `"{{name}}"` string in `template` by its value.
    pub fn fill(&mut self, template: &Value) -> Result<Value> {
        // One event time per callback: every `{{event_time}}` of a body (a CEC push has two) agrees.
        let mut event_time = None;
        self.fill_inner(template, &mut event_time)
    }

    /// Fill a compiled template into `out`: the bytes `serde_json::to_vec(&self.fill(t))`
    /// would give, values drawn in the same order, without building the body as a `Value`.
    /// Returns the body's top-level `SessionId`, when it is a string.
    pub fn fill_into(&mut self, t: &Template, out: &mut Vec<u8>) -> Result<Option<String>> {
        let mut event_time = None;
        let mut session_id = match t.session_id() {
            Some(SessionIdFrom::Literal(s)) => Some(s.clone()),
            _ => None,
        };
        let id_slot = match t.session_id() {
            Some(SessionIdFrom::Slot(i)) => Some(*i),
            _ => None,
        };
        let mut slot = 0;
        for piece in t.pieces() {
            match piece {
                Piece::Raw(text) => out.extend_from_slice(text),
                Piece::Slot(name) if &**name == "event_time" => {
                    let ms = *event_time.get_or_insert_with(|| self.next_event_time());
                    serde_json::to_writer(&mut *out, &ms)?;
                    slot += 1;
                }
                Piece::Slot(name) => {
                    let is_id = id_slot == Some(slot);
                    let id = self.with_value(name, |value| {
                        serde_json::to_writer(&mut *out, value)
                            .map(|()| value.as_str().filter(|_| is_id).map(str::to_owned))
                    })??;
                    if is_id {
                        session_id = id;
                    }
                    slot += 1;
                }
            }
        }
        Ok(session_id)
    }

    fn fill_inner(&mut self, v: &Value, event_time: &mut Option<u64>) -> Result<Value> {
        Ok(match v {
            Value::String(s) => match placeholder(s) {
                Some("event_time") => {
                    json!(*event_time.get_or_insert_with(|| self.next_event_time()))
                }
                Some(name) => self.resolve(name)?,
                None => v.clone(),
            },
            Value::Array(items) => Value::Array(
                items
                    .iter()
                    .map(|i| self.fill_inner(i, event_time))
                    .collect::<Result<_>>()?,
            ),
            Value::Object(map) => {
                let mut out = Map::with_capacity(map.len());
                for (k, val) in map {
                    out.insert(k.clone(), self.fill_inner(val, event_time)?);
                }
                Value::Object(out)
            }
            _ => v.clone(),
        })
    }

    /// The value of one placeholder.
    pub fn resolve(&mut self, name: &str) -> Result<Value> {
        self.with_value(name, Value::clone)
    }

    /// `f` of the value of one placeholder, without copying a value the session keeps.
    fn with_value<T>(&mut self, name: &str, f: impl FnOnce(&Value) -> T) -> Result<T> {
        if let Some(var) = name.strip_prefix("vars.") {
            return match self.returned.get(var) {
                Some(v) => Ok(f(v)),
                None => bail!("{{{{{name}}}}}: no InterfaceInvocation answer returned a variable {var:?} in this session"),
            };
        }
        if let Some(v) = self.vars.get(name) {
            return Ok(f(v));
        }
        let (value, session_scoped) = self.generate(name)?;
        let out = f(&value);
        if session_scoped {
            self.vars.insert(name.to_owned(), value);
        }
        Ok(out)
    }

    fn generate(&mut self, name: &str) -> Result<(Value, bool)> {
        let r = &mut self.rng;
        let session = |v: Value| Ok((v, true));
        let event = |v: Value| Ok((v, false));
        match name {
            "session_id" | "execution_id" => session(json!(uuid_v4(r))),
            "client_user_id" => session(json!(format!("user_{}", alnum(r, 8)))),
            "customer_service_id" => session(json!(pick(r, CUSTOMER_SERVICE_IDS))),
            "agent_id" => session(json!(agent_email(r))),
            "forward_from_agent_id" => {
                let own = self.resolve("agent_id")?;
                let mut other = agent_email(&mut self.rng);
                while json!(other) == own {
                    other = agent_email(&mut self.rng);
                }
                session(json!(other))
            }
            "channel_type" => session(json!(if r.u8(0..10) < 7 { "SDK" } else { "Web" })),
            "cloud_custom_data" => session(json!(if r.bool() {
                String::new()
            } else {
                format!(r#"{{"orderId":"SO{}","source":"app"}}"#, digits(r, 12))
            })),
            "robot_id" => session(json!("@RBT#DeskDefaultRobot")),
            "order_no" => session(json!(format!("SO{}", digits(r, 12)))),
            "cec_channel_id" => session(json!(format!("2024{}", digits(r, 14)))),
            "cec_user_id" => session(json!(digits(r, 8))),
            "cec_call_id" => session(json!(format!("{}-{}", self.clock.now_ms(), digits(r, 6)))),
            "cec_agent_nickname" => session(json!(pick(r, AGENT_NICKNAMES))),
            "msg_key" => {
                self.msg_seq += 1;
                let secs = self.current_ms() / 1000;
                let tail = lower_alnum(&mut self.rng, 7);
                event(json!(format!("{}_{}_{}", self.msg_seq, secs, tail)))
            }
            "seq" => {
                self.seq += 1;
                event(json!(self.seq))
            }
            "user_msg_body" => event(user_msg_body(r)),
            "robot_msg_body" => event(robot_msg_body(r)),
            "agent_msg_body" => event(agent_msg_body(r)),
            "satisfaction" => event(json!(pick(r, &[5, 5, 5, 4, 4, 3, 2, 1]))),
            "member_status" => event(json!(pick(
                r,
                &["ready", "free", "notReady", "rest", "offline"]
            ))),
            "cec_agent_text" => event(json!(pick(r, AGENT_TEXTS))),
            "cec_message_ids" => {
                let n = r.usize(1..4);
                let ids: Vec<String> = (0..n).map(|_| digits(r, 19)).collect();
                event(json!(ids.join(",")))
            }
            "message_code" => event(json!(hex_id(r, 32))),
            other => bail!("unknown placeholder {{{{{other}}}}} (fixtures/README.md lists them)"),
        }
    }
}

/// An RFC 4122 version 4 UUID drawn from `r` (so it is reproducible under `--seed`).
pub fn uuid_v4(r: &mut fastrand::Rng) -> String {
    let mut bytes = [0u8; 16];
    r.fill(&mut bytes);
    let mut text = [0u8; uuid::fmt::Hyphenated::LENGTH];
    // Written by the crate's encoder, not through `fmt`: two of these a callback.
    uuid::Builder::from_random_bytes(bytes)
        .into_uuid()
        .hyphenated()
        .encode_lower(&mut text)
        .to_owned()
}

fn pick<T: Copy>(r: &mut fastrand::Rng, items: &[T]) -> T {
    items[r.usize(..items.len())]
}

fn digits(r: &mut fastrand::Rng, n: usize) -> String {
    let mut s = String::with_capacity(n);
    s.push(char::from(b'1' + r.u8(0..9)));
    s.extend((1..n).map(|_| char::from(b'0' + r.u8(0..10))));
    s
}

fn alnum(r: &mut fastrand::Rng, n: usize) -> String {
    (0..n).map(|_| r.alphanumeric()).collect()
}

fn lower_alnum(r: &mut fastrand::Rng, n: usize) -> String {
    const SET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    (0..n)
        .map(|_| char::from(SET[r.usize(..SET.len())]))
        .collect()
}

fn hex_id(r: &mut fastrand::Rng, n: usize) -> String {
    (0..n)
        .map(|_| char::from(b"0123456789abcdef"[r.usize(..16)]))
        .collect()
}

fn agent_email(r: &mut fastrand::Rng) -> String {
    let first = pick(
        r,
        &[
            "lena", "wei", "kevin", "mei", "sofia", "jun", "amir", "yuki", "chen", "maria",
        ],
    );
    let last = pick(
        r,
        &[
            "zhou", "li", "wang", "chan", "garcia", "sato", "khan", "liu", "nguyen", "smith",
        ],
    );
    let domain = pick(
        r,
        &[
            "example.com",
            "support.example.com",
            "qq.com",
            "corp.example.cn",
        ],
    );
    format!("{first}.{last}@{domain}")
}

const CUSTOMER_SERVICE_IDS: &[&str] = &[
    "@customer_service_account",
    "@cs_after_sales",
    "@cs_presales",
    "@cs_vip_desk",
];

const AGENT_NICKNAMES: &[&str] = &[
    "Agent 1005",
    "客服小王",
    "Lena (Support)",
    "李娜",
    "Agent 2231",
];

/// What users write: CJK, emoji, Latin, Japanese, Korean, the seed's own sample.
const USER_TEXTS: &[&str] = &[
    "How to request a refund?",
    "我的订单还没有发货，能帮我查一下吗？",
    "转人工",
    "退款什么时候到账？🙏",
    "Hi, I can't log in to my account 😕",
    "订单号 SO20240905123 的物流信息在哪里看",
    "Can I change my delivery address?",
    "発送状況を確認したいです",
    "배송 조회는 어디서 하나요?",
    "👍👍 thanks!",
    "人工客服在吗？？？",
    "The app crashes when I open 'My orders' — iOS 17.5",
];

const ROBOT_TEXTS: &[&str] = &[
    "您好，我是智能客服小D，请问有什么可以帮您？",
    "Refunds are usually processed within 3–5 business days.",
    "正在为您转接人工客服，请稍候…",
    "您可以在「我的订单」中查看物流进度 📦",
    "Sorry, I didn't catch that. Could you rephrase?",
];

const AGENT_TEXTS: &[&str] = &[
    "您好，我是客服 Lena，很高兴为您服务 😊",
    "I've checked your order: it shipped yesterday 📦",
    "退款已经提交，预计 1–3 个工作日到账。",
    "Could you share a screenshot of the error, please?",
    "感谢您的耐心等待！还有其他问题吗？",
    "お待たせしました。ご注文を確認しました。",
];

fn text_elem(text: &str) -> Value {
    json!({"MsgType": "TIMTextElem", "MsgContent": {"Text": text}})
}

fn image_elem(r: &mut fastrand::Rng) -> Value {
    let uuid = format!("1853095_{}", hex_id(r, 32).to_ascii_uppercase());
    let (w, h) = (r.u32(600..2000), r.u32(600..2000));
    let size = r.u32(80_000..2_000_000);
    let url = |t: u32| format!("https://cos.ap-shanghai.myqcloud.com/1400187352/{uuid}_{t}.jpg");
    json!({"MsgType": "TIMImageElem", "MsgContent": {
    "UUID": uuid, "ImageFormat": 1, "ImageInfoArray": [
        {"Type": 1, "Size": size, "Width": w, "Height": h, "URL": url(1)},
        {"Type": 2, "Size": size / 3, "Width": 0, "Height": 0, "URL": url(2)},
        {"Type": 3, "Size": size / 20, "Width": 0, "Height": 0, "URL": url(3)}
    ]}})
}

fn user_msg_body(r: &mut fastrand::Rng) -> Value {
    let roll = r.u8(0..100);
    let elem = match roll {
        0..=69 => text_elem(pick(r, USER_TEXTS)),
        70..=77 => {
            json!({"MsgType": "TIMFaceElem", "MsgContent": {"Index": r.u32(0..100), "Data": pick(r, &["[微笑]", "[OK]", "[捂脸]"])}})
        }
        78..=85 => image_elem(r),
        86..=90 => json!({"MsgType": "TIMLocationElem", "MsgContent": {
            "Desc": pick(r, &["深圳市南山区科技园", "Shanghai Hongqiao Railway Station"]),
            "Latitude": 22.5 + f64::from(r.u32(0..10_000)) / 100_000.0,
            "Longitude": 113.9 + f64::from(r.u32(0..10_000)) / 100_000.0}}),
        91..=95 => {
            let uuid = hex_id(r, 32);
            json!({"MsgType": "TIMFileElem", "MsgContent": {
                "Url": format!("https://cos.ap-shanghai.myqcloud.com/1400187352/{uuid}/invoice.pdf"),
                "UUID": uuid, "FileSize": r.u32(20_000..5_000_000), "FileName": "invoice.pdf", "Download_Flag": 2}})
        }
        _ => {
            let uuid = hex_id(r, 32);
            json!({"MsgType": "TIMSoundElem", "MsgContent": {
                "Url": format!("https://cos.ap-shanghai.myqcloud.com/1400187352/{uuid}.m4a"),
                "UUID": uuid, "Size": r.u32(4_000..200_000), "Second": r.u32(1..60), "Download_Flag": 2}})
        }
    };
    json!([elem])
}

fn robot_msg_body(r: &mut fastrand::Rng) -> Value {
    if r.u8(0..100) < 80 {
        return json!([text_elem(pick(r, ROBOT_TEXTS))]);
    }
    let card = json!({"type": "candidate_questions", "questions": ["如何申请退款？", "Where is my parcel?", "修改收货地址"]});
    json!([{"MsgType": "TIMCustomElem", "MsgContent": {
        "Data": card.to_string(), "Desc": "candidate questions", "Ext": "", "Sound": ""}}])
}

fn agent_msg_body(r: &mut fastrand::Rng) -> Value {
    if r.u8(0..100) < 85 {
        json!([text_elem(pick(r, AGENT_TEXTS))])
    } else {
        json!([image_elem(r)])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_values_are_stable_and_event_values_fresh() {
        let mut s = Session::new(7, Clock::Fixed(1_700_000_000_000));
        let t = json!({"a": "{{session_id}}", "b": "{{session_id}}", "k": "{{msg_key}}", "t": "{{event_time}}"});
        let one = s.fill(&t).unwrap();
        let two = s.fill(&t).unwrap();
        assert_eq!(one["a"], one["b"]);
        assert_eq!(one["a"], two["a"]);
        assert_ne!(one["k"], two["k"]);
        assert!(two["t"].as_u64().unwrap() > one["t"].as_u64().unwrap());
        assert_eq!(one["t"], json!(1_700_000_000_000u64));
    }

    #[test]
    fn same_seed_same_values() {
        let t = json!({"s": "{{session_id}}", "b": "{{user_msg_body}}", "k": "{{msg_key}}"});
        let a = Session::new(42, Clock::Fixed(1)).fill(&t).unwrap();
        let b = Session::new(42, Clock::Fixed(1)).fill(&t).unwrap();
        assert_eq!(a, b);
    }

    #[test]
    fn uuid_is_v4_and_msg_key_has_the_documented_shape() {
        let mut s = Session::new(1, Clock::Real);
        let id = s.resolve("session_id").unwrap();
        let parsed = uuid::Uuid::parse_str(id.as_str().unwrap()).unwrap();
        assert_eq!(parsed.get_version_num(), 4);
        let key = s.resolve("msg_key").unwrap();
        let parts: Vec<&str> = key.as_str().unwrap().split('_').collect();
        assert_eq!(parts.len(), 3);
        assert!(parts[0].chars().all(|c| c.is_ascii_digit()));
        assert_eq!(parts[1].len(), 10);
        assert_eq!(parts[2].len(), 7);
    }

    #[test]
    fn forward_from_agent_differs_from_agent() {
        for seed in 0..50 {
            let mut s = Session::new(seed, Clock::Real);
            assert_ne!(
                s.resolve("agent_id").unwrap(),
                s.resolve("forward_from_agent_id").unwrap()
            );
        }
    }

    #[test]
    fn vars_hold_one_value_per_name() {
        let mut v = Vars::default();
        v.insert("a".into(), json!(1));
        v.insert("b".into(), json!(2));
        v.insert("a".into(), json!(3));
        assert_eq!(v.get("a"), Some(&json!(3)));
        assert_eq!(v.remove("a"), Some(json!(3)));
        assert_eq!(v.get("a"), None);
        assert_eq!(v.remove("a"), None);
        assert_eq!(v.get("b"), Some(&json!(2)));
    }

    #[test]
    fn fill_into_fails_where_fill_fails() {
        for t in [json!({"a": "{{vars.orderStatus}}"}), json!(["{{nope}}"])] {
            let filled = Session::new(1, Clock::Real)
                .fill(&t)
                .map(|_| ())
                .map_err(|e| e.to_string());
            let written = Session::new(1, Clock::Real)
                .fill_into(&Template::compile(&t), &mut Vec::new())
                .map(|_| ())
                .map_err(|e| e.to_string());
            assert!(filled.is_err(), "{t}");
            assert_eq!(filled, written, "{t}");
        }
    }

    #[test]
    fn unknown_placeholder_is_an_error() {
        assert!(Session::new(1, Clock::Real)
            .fill(&json!("{{nope}}"))
            .is_err());
    }
}
