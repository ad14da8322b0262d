//! Typed flag values: each parser teaches the syntax it expects, so clap refuses a bad value
//! with exit 2 and a message naming the flag.

use crate::audit::{self, Probe};
use clap::builder::{PossibleValue, TypedValueParser};
use clap::error::ErrorKind;
use std::ffi::OsStr;
use std::path::PathBuf;
use std::str::FromStr;
use url::Url;

/// An event id as typed: any string (the catalogue matches it case-insensitively and, when it
/// is unknown, suggests the closest ids), with the catalogue's ids as the values a shell
/// completes (`deskhook completions`).
#[derive(Debug, Clone, Copy)]
pub struct EventId;

impl clap::builder::TypedValueParser for EventId {
    type Value = String;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<String, clap::Error> {
        clap::builder::StringValueParser::new().parse_ref(cmd, arg, value)
    }

    fn possible_values(
        &self,
    ) -> Option<Box<dyn Iterator<Item = clap::builder::PossibleValue> + '_>> {
        let events = &crate::catalogue::catalogue().events;
        Some(Box::new(events.iter().map(|e| {
            clap::builder::PossibleValue::new(e.id.as_str()).help(e.description.as_str())
        })))
    }
}

/// A built-in scenario name or a scenario file: any string, with the built-in names as the
/// values a shell completes.
#[derive(Debug, Clone, Copy)]
pub struct ScenarioName;

impl clap::builder::TypedValueParser for ScenarioName {
    type Value = String;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<String, clap::Error> {
        clap::builder::StringValueParser::new().parse_ref(cmd, arg, value)
    }

    fn possible_values(
        &self,
    ) -> Option<Box<dyn Iterator<Item = clap::builder::PossibleValue> + '_>> {
        Some(Box::new(crate::assets::under("flows").filter_map(
            |(path, _)| {
                let name = path.strip_prefix("flows/")?.strip_suffix(".toml")?;
                Some(clap::builder::PossibleValue::new(name))
            },
        )))
    }
}

/// `KEY=VALUE` (`--query`, `--vars`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyValue {
    pub key: String,
    pub value: String,
}

impl FromStr for KeyValue {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.split_once('=') {
            Some((k, v)) if !k.is_empty() => Ok(KeyValue {
                key: k.to_owned(),
                value: v.to_owned(),
            }),
            _ => Err(format!(
                "expected KEY=VALUE (for example OptPlatform=Android), got {s:?}"
            )),
        }
    }
}

/// A callback URL: `http://` or `https://`, as the platform requires.
pub fn http_url(s: &str) -> Result<Url, String> {
    // `127.0.0.1:3000` does not parse and `localhost:3000` parses with the scheme `localhost`:
    // either way the scheme is what is missing.
    if !s.contains("://") {
        return Err(format!(
            "the URL has no scheme: add http:// or https://, for example http://{s}"
        ));
    }
    let url =
        Url::parse(s).map_err(|e| format!("{e}: expected a URL like http://host:port/path"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err("the callback URL must start with http:// or https://".into());
    }
    Ok(url)
}

/// `--header 'Name: value'`: a header for an API gateway in front of the backend.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderArg {
    pub name: reqwest::header::HeaderName,
    pub value: reqwest::header::HeaderValue,
}

/// Headers the platform itself sets on every callback (or HTTP sets for it): a `--header`
/// cannot change them.
const PLATFORM_HEADERS: [&str; 5] = [
    "content-type",
    "content-length",
    "host",
    "transfer-encoding",
    "connection",
];

impl FromStr for HeaderArg {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let Some((name, value)) = s.split_once(':') else {
            return Err(format!(
                "expected 'Name: value' (for example 'X-Api-Gateway: staging'), got {s:?}"
            ));
        };
        let name = reqwest::header::HeaderName::from_bytes(name.trim().as_bytes())
            .map_err(|_| format!("{:?} is not a header name", name.trim()))?;
        if PLATFORM_HEADERS.contains(&name.as_str()) {
            return Err(format!(
                "{name} is set by the platform (and HTTP) on every callback: deskhook sends it as they do, and --header cannot change it"
            ));
        }
        let value = reqwest::header::HeaderValue::from_str(value.trim())
            .map_err(|_| format!("the value of {name} has characters a header cannot carry"))?;
        Ok(HeaderArg { name, value })
    }
}

/// Any absolute URL (`verify` checks callback URLs whatever their scheme).
pub fn any_url(s: &str) -> Result<Url, String> {
    Url::parse(s).map_err(|e| format!("{e}: expected a full callback URL, query included"))
}

/// The last millisecond of the year 9999: no `--now` or time flag goes past it.
pub const MAX_UNIX_MS: u64 = 253_402_300_799_999;
/// The same in seconds (`sign --time`, `verify --now`).
pub const MAX_UNIX_S: u64 = MAX_UNIX_MS / 1000;

/// The slowest `--rate`: one request every 10,000 s (a slower one is a mistake).
pub const MIN_RATE: f64 = 0.0001;

/// A finite number of requests per second, at least [`MIN_RATE`].
pub fn rate(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(r) if r.is_finite() && r >= MIN_RATE => Ok(r),
        _ => Err(format!(
            "expected a number of requests per second from {MIN_RATE} up (for example 50 or 0.5), got {s:?}"
        )),
    }
}

/// `--respond ok|fail|FILE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RespondArg {
    Ok,
    Fail,
    File(PathBuf),
}

impl FromStr for RespondArg {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "ok" => RespondArg::Ok,
            "fail" => RespondArg::Fail,
            "" => return Err("expected ok, fail or a JSON file".into()),
            file => RespondArg::File(PathBuf::from(file)),
        })
    }
}

/// An audit probe id (`--only`, `--skip`): an unknown one is a usage error naming the
/// closest ids. The ids are offered to shell completion.
#[derive(Debug, Clone, Copy)]
pub struct ProbeId;

impl TypedValueParser for ProbeId {
    type Value = &'static Probe;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &OsStr,
    ) -> Result<Self::Value, clap::Error> {
        let id = value.to_string_lossy();
        if let Some(p) = audit::probe(&id.to_ascii_lowercase()) {
            return Ok(p);
        }
        let flag = arg.map_or_else(|| "--only".to_owned(), |a| format!("--{}", a.get_id()));
        let close = audit::closest(&id);
        let hint = if close.is_empty() {
            "`deskhook audit --list` lists them".to_owned()
        } else {
            format!(
                "did you mean {}? (`deskhook audit --list` lists them all)",
                close.join(", ")
            )
        };
        let msg = format!("unknown probe {id:?} for {flag}: {hint}\n");
        Err(clap::Error::raw(ErrorKind::InvalidValue, msg).with_cmd(cmd))
    }

    fn possible_values(&self) -> Option<Box<dyn Iterator<Item = PossibleValue> + '_>> {
        Some(Box::new(
            audit::PROBES
                .iter()
                .map(|p| PossibleValue::new(p.id).help(p.covers)),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_teach_the_scheme() {
        assert!(http_url("http://127.0.0.1:3000/cb").is_ok());
        for bare in ["127.0.0.1:3000", "localhost:3000/cb"] {
            let e = http_url(bare).unwrap_err();
            assert!(
                e.contains("add http://") && e.contains(&format!("http://{bare}")),
                "{e}"
            );
            assert!(!e.contains("relative URL"), "{e}");
        }
        assert!(http_url("ftp://h/").unwrap_err().contains("http://"));
    }

    #[test]
    fn headers_parse_and_platform_ones_are_refused() {
        let h: HeaderArg = "X-Api-Gateway:  staging ".parse().unwrap();
        assert_eq!(
            (h.name.as_str(), h.value.to_str().unwrap()),
            ("x-api-gateway", "staging")
        );
        let h: HeaderArg = "Authorization: Basic abc".parse().unwrap();
        assert_eq!(h.name, "authorization");
        assert!("no colon"
            .parse::<HeaderArg>()
            .unwrap_err()
            .contains("'Name: value'"));
        assert!("Content-Type: text/plain"
            .parse::<HeaderArg>()
            .unwrap_err()
            .contains("set by the platform"));
        assert!("bad name: x".parse::<HeaderArg>().is_err());
    }

    #[test]
    fn event_ids_and_scenarios_complete_but_parse_anything() {
        use clap::builder::TypedValueParser;
        let ids: Vec<String> = EventId
            .possible_values()
            .unwrap()
            .map(|v| v.get_name().to_owned())
            .collect();
        assert_eq!(ids.len(), crate::catalogue::catalogue().events.len());
        assert!(ids.iter().any(|i| i == "cec.read"));
        let cmd = clap::Command::new("t");
        let typed = EventId
            .parse_ref(&cmd, None, "sessionbegin".as_ref())
            .unwrap();
        assert_eq!(
            typed, "sessionbegin",
            "matched case-insensitively later, with suggestions"
        );
        let names: Vec<String> = ScenarioName
            .possible_values()
            .unwrap()
            .map(|v| v.get_name().to_owned())
            .collect();
        assert!(names.iter().any(|n| n == "bot-to-human"), "{names:?}");
        assert!(ScenarioName
            .parse_ref(&cmd, None, "./my.toml".as_ref())
            .is_ok());
    }

    #[test]
    fn key_values_and_rates() {
        let kv: KeyValue = "RequestID=a=b".parse().unwrap();
        assert_eq!((kv.key.as_str(), kv.value.as_str()), ("RequestID", "a=b"));
        assert!("=x".parse::<KeyValue>().is_err());
        assert_eq!(rate("0.5"), Ok(0.5));
        for bad in ["0", "-1", "inf", "NaN", "x", "1e-300", "", "٣"] {
            assert!(rate(bad).is_err(), "{bad}");
        }
    }
}
