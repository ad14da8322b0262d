//! Typed flag values: each parser teaches the syntax it expects, so clap refuses a bad value
//! with exit 2 and a message naming the flag.

use crate::audit::{self, Probe};
use clap::builder::{PossibleValue, TypedValueParser};
use clap::error::ErrorKind;
use std::ffi::OsStr;
use std::path::PathBuf;
use std::str::FromStr;
use url::Url;

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
    let url = Url::parse(s).map_err(|e| {
        if !s.contains("://") {
            format!("{e}: add the scheme, for example http://{s}")
        } else {
            e.to_string()
        }
    })?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err("the callback URL must start with http:// or https://".into());
    }
    Ok(url)
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
        let e = http_url("127.0.0.1:3000").unwrap_err();
        assert!(e.contains("http://127.0.0.1:3000"), "{e}");
        assert!(http_url("ftp://h/").unwrap_err().contains("http://"));
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
