//! Building the body of one callback: the event's template filled from a [`Session`], the
//! session's returned variables merged into an `InterfaceInvocation` `Body`, then the user's
//! `--set`/`--unset` edits applied by dotted path.
//!
//! Edits never fail silently: a path that does not exist is an error for `--unset` and a
//! note for `--set` (which adds the field, or the object holding it), with the closest
//! existing key. Setting `MsgBody.N.MsgContent.Text` makes element N a text element.

use crate::catalogue::Event;
use crate::session::Session;
use crate::violation::json_kind;
use anyhow::{bail, Result};
use serde_json::{Map, Value};
use std::str::FromStr;

/// `--set PATH=VALUE`: a dotted PATH (`MsgBody.0.MsgContent.Text`) and a VALUE parsed as
/// JSON when it parses, else taken as a string.
#[derive(Debug, Clone, PartialEq)]
pub struct Override {
    pub path: String,
    pub value: Value,
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
        let value = serde_json::from_str(raw).unwrap_or_else(|_| Value::String(raw.to_owned()));
        Ok(Override {
            path: path.to_owned(),
            value,
        })
    }
}

/// The edits of one run, checked once.
#[derive(Debug, Clone, Default)]
pub struct Edits {
    pub set: Vec<Override>,
    pub unset: Vec<String>,
}

impl Edits {
    pub fn is_empty(&self) -> bool {
        self.set.is_empty() && self.unset.is_empty()
    }
}

/// The body for `event` in `session`.
pub fn build(event: &Event, session: &mut Session, edits: &Edits) -> Result<Value> {
    let mut body = session.fill(&event.template)?;
    if event.is_interface_invocation() {
        merge_returned_vars(&mut body, session);
    }
    apply(&mut body, edits, &event.id)?;
    Ok(body)
}

/// The body for `event` in `session` with no edits, written as JSON into `out`: the bytes of
/// `serde_json::to_vec(&build(event, session, &Edits::default()))`, straight from the compiled
/// template. Returns the body's `SessionId`.
pub fn render(event: &Event, session: &mut Session, out: &mut Vec<u8>) -> Result<Option<String>> {
    if event.is_interface_invocation() && !session.returned.is_empty() {
        // Returned variables join the `Body` object: built as a `Value`, as `build` does.
        let body = build(event, session, &Edits::default())?;
        serde_json::to_writer(&mut *out, &body)?;
        return Ok(session_id(&body));
    }
    session.fill_into(event.compiled_template(), out)
}

/// A body's top-level `SessionId`, when it is a string.
pub fn session_id(body: &Value) -> Option<String> {
    body.get("SessionId")
        .and_then(Value::as_str)
        .map(str::to_owned)
}

/// Variables that earlier InterfaceInvocation answers returned join the next request's `Body`.
fn merge_returned_vars(body: &mut Value, session: &Session) {
    if let Some(Value::Object(b)) = body.get_mut("Body") {
        for (k, v) in &session.returned {
            b.insert(k.clone(), v.clone());
        }
    }
}

/// Apply `--unset` then `--set` to a body; `what` names the body in messages.
pub fn apply(body: &mut Value, edits: &Edits, what: &str) -> Result<()> {
    for path in &edits.unset {
        unset(body, path).map_err(|e| anyhow::anyhow!("--unset {path}: {e} in the {what} body"))?;
    }
    for o in &edits.set {
        text_element_for(body, &o.path, edits);
        set(body, &o.path, o.value.clone())
            .map_err(|e| anyhow::anyhow!("--set {}: {e} in the {what} body", o.path))?;
    }
    Ok(())
}

fn segments(path: &str) -> Vec<&str> {
    path.split('.').collect()
}

/// Set `path` to `value`, creating missing object levels.
pub fn set(root: &mut Value, path: &str, value: Value) -> Result<()> {
    let segs = segments(path);
    let (last, parents) = segs.split_last().expect("split always yields one segment");
    let mut cur = root;
    for (i, seg) in parents.iter().enumerate() {
        let here = segs[..i].join(".");
        cur = step_mut(cur, seg, &here, true)?;
    }
    let here = parents.join(".");
    match cur {
        Value::Object(map) => {
            map.insert((*last).to_owned(), value);
            Ok(())
        }
        Value::Array(items) => {
            let idx = index(last, items.len(), &here, true)?;
            if idx == items.len() {
                items.push(value);
            } else {
                items[idx] = value;
            }
            Ok(())
        }
        other => bail!(
            "{} is {}, not an object or array",
            display(&here),
            json_kind(other)
        ),
    }
}

/// Remove `path`; it must exist.
pub fn unset(root: &mut Value, path: &str) -> Result<()> {
    let segs = segments(path);
    let (last, parents) = segs.split_last().expect("split always yields one segment");
    let mut cur = root;
    for (i, seg) in parents.iter().enumerate() {
        let here = segs[..i].join(".");
        cur = step_mut(cur, seg, &here, false)?;
    }
    let here = parents.join(".");
    match cur {
        Value::Object(map) => match map.shift_remove(*last) {
            Some(_) => Ok(()),
            None => bail!(
                "there is no field {last:?} under {}{}",
                display(&here),
                suggest(map, last)
            ),
        },
        Value::Array(items) => {
            let idx = index(last, items.len(), &here, false)?;
            items.remove(idx);
            Ok(())
        }
        other => bail!(
            "{} is {}, not an object or array",
            display(&here),
            json_kind(other)
        ),
    }
}

fn step_mut<'a>(cur: &'a mut Value, seg: &str, here: &str, create: bool) -> Result<&'a mut Value> {
    match cur {
        Value::Object(map) => {
            if !map.contains_key(seg) {
                if !create {
                    bail!(
                        "there is no field {seg:?} under {}{}",
                        display(here),
                        suggest(map, seg)
                    );
                }
                map.insert(seg.to_owned(), Value::Object(Map::new()));
            }
            Ok(map.get_mut(seg).expect("just checked"))
        }
        Value::Array(items) => {
            let idx = index(seg, items.len(), here, false)?;
            Ok(&mut items[idx])
        }
        other => bail!(
            "{} is {}, not an object or array",
            display(here),
            json_kind(other)
        ),
    }
}

fn index(seg: &str, len: usize, here: &str, allow_append: bool) -> Result<usize> {
    let idx: usize = seg.parse().map_err(|_| {
        anyhow::anyhow!(
            "{} is an array: expected an index 0..{len}, got {seg:?}",
            display(here)
        )
    })?;
    if idx < len || (allow_append && idx == len) {
        Ok(idx)
    } else {
        bail!(
            "{} has {len} element(s): index {idx} is out of range",
            display(here)
        )
    }
}

fn display(path: &str) -> String {
    if path.is_empty() {
        "the top level".to_owned()
    } else {
        path.to_owned()
    }
}

/// `(did you mean "AgentId"?)` for a key that differs only in case or by a typo.
fn suggest(map: &Map<String, Value>, key: &str) -> String {
    let best = map
        .keys()
        .map(|k| {
            (
                strsim::jaro_winkler(&k.to_ascii_lowercase(), &key.to_ascii_lowercase()),
                k,
            )
        })
        .filter(|(s, _)| *s > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0));
    match best {
        Some((_, k)) => format!(" (did you mean {k:?}?)"),
        None => String::new(),
    }
}

/// A note for a `--set` path that the body does not have: the first key on it that is new
/// (the field, or the object holding it, is added), with the closest existing key.
pub fn new_field_note(body: &Value, path: &str) -> Option<String> {
    let segs = segments(path);
    if let ["MsgBody", _, "MsgContent", "Text"] = segs.as_slice() {
        // Added to no element: the element becomes a text element (`text_element_for`).
        return None;
    }
    let mut cur = body;
    for (i, seg) in segs.iter().enumerate() {
        cur = match cur {
            Value::Object(m) => match m.get(*seg) {
                Some(next) => next,
                None if i + 1 == segs.len() => {
                    return Some(format!(
                        "--set {path} adds a field the template does not have{}",
                        suggest(m, seg)
                    ))
                }
                None => {
                    return Some(format!(
                        "--set {path} adds {}, an object the template does not have, to hold it{}",
                        segs[..=i].join("."),
                        suggest(m, seg)
                    ))
                }
            },
            Value::Array(a) => a.get(seg.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    None
}

/// `--set MsgBody.N.MsgContent.Text=...` makes element N a text element when it is another
/// kind (a generated message is sometimes an image, a file or a location): the text is then
/// what is sent, not a `Text` field added to an image that no client would show. An explicit
/// `--set` of the element or its `MsgType` wins.
fn text_element_for(body: &mut Value, path: &str, edits: &Edits) {
    let segs = segments(path);
    let ["MsgBody", n, "MsgContent", "Text"] = segs.as_slice() else {
        return;
    };
    let explicit = [
        "MsgBody".to_owned(),
        format!("MsgBody.{n}"),
        format!("MsgBody.{n}.MsgType"),
    ];
    if edits.set.iter().any(|o| explicit.contains(&o.path)) {
        return;
    }
    let Some(elem) = n
        .parse::<usize>()
        .ok()
        .and_then(|i| body.get_mut("MsgBody")?.get_mut(i))
    else {
        return;
    };
    let kind = elem.get("MsgType").and_then(Value::as_str);
    if kind.is_some_and(|k| k != "TIMTextElem") {
        *elem = serde_json::json!({"MsgType": "TIMTextElem", "MsgContent": {"Text": ""}});
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::catalogue;
    use crate::clock::Clock;
    use serde_json::json;

    /// A session in the state a flow may leave it: an agent chosen, a variable returned.
    fn session(seed: u64, lived: bool) -> Session {
        let mut s = Session::new(seed, Clock::Fixed(1_700_000_000_000));
        if lived {
            s.vars
                .insert("agent_id".into(), json!("lena.zhou@example.com"));
            s.returned.insert("orderStatus".into(), json!("shipped"));
        }
        s
    }

    #[test]
    fn render_writes_the_bytes_build_serialises_for_every_event() {
        for event in &catalogue().events {
            for seed in 0..64 {
                for lived in [false, true] {
                    let mut built_in = session(seed, lived);
                    let built = build(event, &mut built_in, &Edits::default()).unwrap();
                    let mut rendered_in = session(seed, lived);
                    let mut out = Vec::new();
                    let id = render(event, &mut rendered_in, &mut out).unwrap();
                    assert_eq!(
                        String::from_utf8(out).unwrap(),
                        serde_json::to_string(&built).unwrap(),
                        "{} seed {seed}",
                        event.id
                    );
                    assert_eq!(
                        id.as_deref(),
                        built.get("SessionId").and_then(Value::as_str),
                        "{} seed {seed}: the SessionId",
                        event.id
                    );
                    // The same values were drawn: both sessions go on alike.
                    assert_eq!(built_in.rng().u64(..), rendered_in.rng().u64(..));
                    assert_eq!(built_in.vars, rendered_in.vars);
                    assert_eq!(built_in.next_event_time(), rendered_in.next_event_time());
                }
            }
        }
    }

    fn body() -> Value {
        json!({"Event": "X", "MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": "hi"}}], "AgentId": "a@b"})
    }

    #[test]
    fn set_by_dotted_path_with_array_index() {
        let mut b = body();
        set(&mut b, "MsgBody.0.MsgContent.Text", json!("退款 🙏")).unwrap();
        assert_eq!(b["MsgBody"][0]["MsgContent"]["Text"], "退款 🙏");
        set(&mut b, "Extra.Deep", json!(1)).unwrap();
        assert_eq!(b["Extra"]["Deep"], 1);
        set(&mut b, "MsgBody.1", json!({"MsgType": "TIMFaceElem"})).unwrap();
        assert_eq!(b["MsgBody"].as_array().unwrap().len(), 2);
    }

    #[test]
    fn errors_name_the_path_and_suggest() {
        let mut b = body();
        let e = set(&mut b, "MsgBody.5.MsgContent", json!(1))
            .unwrap_err()
            .to_string();
        assert!(e.contains("MsgBody has 1 element(s)"), "{e}");
        let e = unset(&mut b, "agentid").unwrap_err().to_string();
        assert!(e.contains("did you mean \"AgentId\""), "{e}");
        let e = set(&mut b, "Event.x", json!(1)).unwrap_err().to_string();
        assert!(e.contains("Event is a string"), "{e}");
    }

    #[test]
    fn unset_removes() {
        let mut b = body();
        unset(&mut b, "AgentId").unwrap();
        assert!(b.get("AgentId").is_none());
        unset(&mut b, "MsgBody.0").unwrap();
        assert_eq!(b["MsgBody"], json!([]));
    }

    #[test]
    fn override_parses_json_then_falls_back_to_string() {
        let o: Override = "SatisfactionSelected=4".parse().unwrap();
        assert_eq!(o.value, json!(4));
        let o: Override = "MsgBody.0.MsgContent.Text=退款 please".parse().unwrap();
        assert_eq!(o.value, json!("退款 please"));
        let o: Override = "A.B={\"x\":[1]}".parse().unwrap();
        assert_eq!(o.value, json!({"x": [1]}));
        assert!("no-equals".parse::<Override>().is_err());
        assert!("=3".parse::<Override>().is_err());
    }

    #[test]
    fn note_for_new_fields() {
        assert!(new_field_note(&body(), "agentId")
            .unwrap()
            .contains("AgentId"));
        assert!(new_field_note(&body(), "AgentId").is_none());
        let n = new_field_note(&body(), "Foo.Bar").unwrap();
        assert!(
            n.contains("adds Foo, an object the template does not have"),
            "{n}"
        );
        let n = new_field_note(&body(), "MsgBody.0.MsgContent.Txt").unwrap();
        assert!(n.contains("did you mean \"Text\""), "{n}");
        assert!(new_field_note(&body(), "MsgBody.0.MsgContent.Text").is_none());
    }

    #[test]
    fn setting_the_text_of_an_image_element_makes_it_a_text_element() {
        let mut b = json!({"MsgBody": [{"MsgType": "TIMImageElem", "MsgContent": {"UUID": "x"}}]});
        let edits = Edits {
            set: vec!["MsgBody.0.MsgContent.Text=退款".parse().unwrap()],
            unset: vec![],
        };
        apply(&mut b, &edits, "Human.AgentSendMsg").unwrap();
        assert_eq!(
            b["MsgBody"][0],
            json!({"MsgType": "TIMTextElem", "MsgContent": {"Text": "退款"}})
        );
        // An explicit MsgType wins.
        let mut b = json!({"MsgBody": [{"MsgType": "TIMImageElem", "MsgContent": {"UUID": "x"}}]});
        let edits = Edits {
            set: vec![
                "MsgBody.0.MsgType=TIMCustomElem".parse().unwrap(),
                "MsgBody.0.MsgContent.Text=t".parse().unwrap(),
            ],
            unset: vec![],
        };
        apply(&mut b, &edits, "x").unwrap();
        assert_eq!(b["MsgBody"][0]["MsgContent"]["UUID"], "x");
    }
}
