//! "Copy as curl" and "Copy as `deskhook send`": shell commands that send a received callback
//! again to the receiver it reached, body byte for byte.
//!
//! Neither carries a credential: a captured `Sign` is stale a minute later anyway, so the curl
//! command makes a fresh one from `$DESKHOOK_TOKEN` in the shell (`sha256sum` of the token
//! followed by the time), `deskhook send` signs with that variable itself, and a CEC Bearer is
//! written as `$DESKHOOK_TOKEN`. The body goes in through `printf '%s'`, so it arrives
//! without the newline a here-document would add.

use super::resend::recognise;
use crate::exchange::Exchange;
use serde::Serialize;
use url::Url;

/// The copied commands of one exchange.
#[derive(Debug, Serialize)]
pub struct Commands {
    pub curl: String,
    /// `None` when `deskhook send` cannot reproduce it; `send_note` says why.
    pub send: Option<String>,
    pub send_note: Option<String>,
}

/// URL parameters that `deskhook send` adds itself.
const SENT_PARAMS: [&str; 7] = [
    "SdkAppid",
    "CallbackCommand",
    "contenttype",
    "ClientIP",
    "OptPlatform",
    "Sign",
    "RequestTime",
];

pub fn commands(ex: &Exchange, listen: &Url) -> Commands {
    let (send, send_note) = match send(ex, listen) {
        Ok(cmd) => (Some(cmd), None),
        Err(why) => (None, Some(why)),
    };
    Commands {
        curl: curl(ex, listen),
        send,
        send_note,
    }
}

/// A string in single quotes, for any shell of the Bourne family.
pub fn single_quoted(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// The inside of a double-quoted shell string (`$VAR` written after it still expands).
fn double_quoted_inside(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '\\' | '"' | '$' | '`') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The name of a raw `key=value` query segment, decoded.
fn key_of(segment: &str) -> String {
    url::form_urlencoded::parse(segment.as_bytes())
        .next()
        .map(|(k, _)| k.into_owned())
        .unwrap_or_default()
}

/// The receiver's URL with the exchange's path and no query.
fn base(ex: &Exchange, listen: &Url) -> Url {
    let mut url = listen.clone();
    url.set_path(&ex.path);
    url.set_query(None);
    url
}

fn with_query(base: &Url, segments: &[&str]) -> String {
    if segments.is_empty() {
        base.to_string()
    } else {
        format!("{base}?{}", segments.join("&"))
    }
}

/// `printf '%s' BODY | ` (decoded from base64 when it is not UTF-8), or nothing without a body.
fn body_pipe(ex: &Exchange) -> Option<String> {
    match (&ex.body, &ex.body_base64) {
        (Some(text), _) if !text.is_empty() => {
            Some(format!("printf '%s' {} \\\n  | ", single_quoted(text)))
        }
        (None, Some(b64)) => Some(format!(
            "printf '%s' {} | base64 -d \\\n  | ",
            single_quoted(b64)
        )),
        _ => None,
    }
}

fn has_param(ex: &Exchange, name: &str) -> bool {
    ex.query.split('&').any(|s| key_of(s) == name)
}

/// A curl command that sends the callback again to the receiver, freshly signed when it was
/// signed.
pub fn curl(ex: &Exchange, listen: &Url) -> String {
    let base = base(ex, listen);
    let signed = has_param(ex, "Sign") || has_param(ex, "RequestTime");
    let mut out = String::new();
    let url = if signed {
        let kept: Vec<&str> = ex
            .query
            .split('&')
            .filter(|s| !s.is_empty() && !matches!(key_of(s).as_str(), "Sign" | "RequestTime"))
            .collect();
        out.push_str("# a fresh Sign/RequestTime from the callback token in $DESKHOOK_TOKEN\n");
        out.push_str("REQUEST_TIME=$(date +%s)\n");
        out.push_str("SIGN=$(printf '%s%s' \"$DESKHOOK_TOKEN\" \"$REQUEST_TIME\" | sha256sum | cut -d' ' -f1)\n");
        let sep = if kept.is_empty() { "?" } else { "&" };
        format!(
            "\"{}{sep}Sign=$SIGN&RequestTime=$REQUEST_TIME\"",
            double_quoted_inside(&with_query(&base, &kept))
        )
    } else {
        let segments: Vec<&str> = ex.query.split('&').filter(|s| !s.is_empty()).collect();
        single_quoted(&with_query(&base, &segments))
    };
    let body = body_pipe(ex);
    if let Some(pipe) = &body {
        out.push_str(pipe);
    }
    out.push_str(&format!("curl -sS -X {} {url}", single_quoted(&ex.method)));
    for (name, value) in &ex.headers {
        if name.eq_ignore_ascii_case("content-type") {
            out.push_str(&format!(
                " \\\n    -H {}",
                single_quoted(&format!("Content-Type: {value}"))
            ));
        } else if name.eq_ignore_ascii_case("authorization") && value.starts_with("Bearer ") {
            out.push_str(" \\\n    -H \"Authorization: Bearer $DESKHOOK_TOKEN\"");
        }
    }
    if body.is_some() {
        out.push_str(" \\\n    --data-binary @-");
    }
    out
}

/// A `deskhook send` command for the same event, body and parameters; why not, when it
/// cannot be written.
pub fn send(ex: &Exchange, listen: &Url) -> Result<String, String> {
    if ex.method != "POST" {
        return Err(format!(
            "deskhook send sends POST callbacks; this was a {}",
            ex.method
        ));
    }
    let event = recognise(ex)?;
    let Some(text) = ex.body.as_deref() else {
        return Err("the body is not UTF-8 text: deskhook send --body takes JSON".into());
    };
    if serde_json::from_str::<serde_json::Value>(text).is_err() {
        return Err("the body is not JSON: deskhook send --body takes JSON".into());
    }
    let base = base(ex, listen);
    let mut args = vec![format!("deskhook send {}", event.id)];
    let signed = has_param(ex, "Sign")
        || ex
            .headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("authorization"));
    if event.is_cec() {
        args.push(format!("--to {}", single_quoted(base.as_str())));
    } else {
        let own: Vec<&str> = ex
            .query
            .split('&')
            .filter(|s| {
                let k = key_of(s);
                !s.is_empty() && !SENT_PARAMS.contains(&k.as_str()) && k != "RequestID"
            })
            .collect();
        args.push(format!("--to {}", single_quoted(&with_query(&base, &own))));
        let pairs: Vec<(String, String)> = url::form_urlencoded::parse(ex.query.as_bytes())
            .into_owned()
            .collect();
        let value = |name: &str| pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v);
        for (param, flag) in [
            ("SdkAppid", "--sdkappid"),
            ("ClientIP", "--client-ip"),
            ("OptPlatform", "--platform"),
        ] {
            if let Some(v) = value(param) {
                args.push(format!("{flag} {}", single_quoted(v)));
            }
        }
        if let Some(id) = value("RequestID") {
            args.push(format!(
                "--query {}",
                single_quoted(&format!("RequestID={id}"))
            ));
        }
    }
    args.push("--body -".into());
    let mut out = String::new();
    if signed {
        out.push_str("# deskhook send signs with the callback token in $DESKHOOK_TOKEN\n");
    }
    out.push_str(&format!("printf '%s' {} \\\n  | ", single_quoted(text)));
    out.push_str(&args.join(" \\\n    "));
    Ok(out)
}

/// The body of a binary exchange, for tests.
#[cfg(test)]
fn b64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exchange(path: &str, query: &str, body: &[u8]) -> Exchange {
        let mut ex = crate::inspect::testing::exchange(1, "");
        ex.path = path.into();
        ex.query = query.into();
        ex.headers.push(("user-agent".into(), "x".into()));
        ex.event = Some("SessionBegin".into());
        ex.provider = Some("tencent".into());
        ex.body = None;
        ex.set_body(body);
        ex
    }

    fn listen() -> Url {
        Url::parse("http://127.0.0.1:8787/").unwrap()
    }

    const Q: &str = "tenant=a'b&SdkAppid=1400&CallbackCommand=Desk.SessionEventNotify&contenttype=json&ClientIP=127.0.0.1&OptPlatform=RESTAPI&RequestID=r-1&Sign=0123abcd&RequestTime=1669872112";

    #[test]
    fn curl_signs_afresh_and_never_carries_the_captured_sign() {
        let body = br#"{"Event":"SessionBegin","Text":"it's"}"#;
        let cmd = curl(&exchange("/cb", Q, body), &listen());
        assert!(!cmd.contains("0123abcd"), "{cmd}");
        assert!(!cmd.contains("1669872112"), "{cmd}");
        assert!(cmd.contains("REQUEST_TIME=$(date +%s)"), "{cmd}");
        assert!(cmd.contains(
            "\"http://127.0.0.1:8787/cb?tenant=a'b&SdkAppid=1400&CallbackCommand=Desk.SessionEventNotify&contenttype=json&ClientIP=127.0.0.1&OptPlatform=RESTAPI&RequestID=r-1&Sign=$SIGN&RequestTime=$REQUEST_TIME\""
        ), "{cmd}");
        assert!(
            cmd.contains(r#"printf '%s' '{"Event":"SessionBegin","Text":"it'\''s"}'"#),
            "{cmd}"
        );
        assert!(cmd.contains("-H 'Content-Type: application/json'"), "{cmd}");
        assert!(!cmd.contains("user-agent"), "{cmd}");
    }

    #[test]
    fn curl_of_an_unsigned_or_binary_callback() {
        let mut ex = exchange("/x", "a=1", b"\xff\x00");
        ex.headers
            .push(("authorization".into(), "Bearer (redacted)".into()));
        let cmd = curl(&ex, &listen());
        assert!(
            cmd.contains("curl -sS -X 'POST' 'http://127.0.0.1:8787/x?a=1'"),
            "{cmd}"
        );
        assert!(
            cmd.contains(&format!("printf '%s' '{}' | base64 -d", b64(b"\xff\x00"))),
            "{cmd}"
        );
        assert!(
            cmd.contains("-H \"Authorization: Bearer $DESKHOOK_TOKEN\""),
            "{cmd}"
        );
        assert!(!cmd.contains("redacted"), "{cmd}");
    }

    #[test]
    fn send_names_the_event_and_the_parameters_it_cannot_guess() {
        let ex = exchange("/cb", Q, br#"{"Event":"SessionBegin"}"#);
        let cmd = send(&ex, &listen()).unwrap();
        assert!(cmd.starts_with("# deskhook send signs"), "{cmd}");
        assert!(cmd.contains("deskhook send SessionBegin"), "{cmd}");
        assert!(
            cmd.contains(r"--to 'http://127.0.0.1:8787/cb?tenant=a'\''b'"),
            "{cmd}"
        );
        assert!(cmd.contains("--sdkappid '1400'"), "{cmd}");
        assert!(cmd.contains("--query 'RequestID=r-1'"), "{cmd}");
        assert!(cmd.contains("--body -"), "{cmd}");
        assert!(!cmd.contains("0123abcd"), "{cmd}");
        let mut bad = ex.clone();
        bad.set_body(b"not json");
        assert!(send(&bad, &listen()).unwrap_err().contains("not JSON"));
        let mut get = ex;
        get.method = "GET".into();
        assert!(send(&get, &listen()).is_err());
    }
}
