//! Time: the real clock, or a fixed `--now` that makes every time a pure function of it; and
//! durations written for people.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Milliseconds since the Unix epoch, now.
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// Where time comes from: the real clock, or a fixed `--now` that advances deterministically.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Clock {
    Real,
    Fixed(u64),
}

impl Clock {
    pub fn from_arg(now: Option<u64>) -> Clock {
        now.map_or(Clock::Real, Clock::Fixed)
    }

    /// The current time in ms (the fixed start for a fixed clock).
    pub fn now_ms(self) -> u64 {
        match self {
            Clock::Real => now_ms(),
            Clock::Fixed(ms) => ms,
        }
    }
}

/// `2s`, `2.50s`, `250 ms`, `1.5 ms` for messages.
pub fn fmt_duration(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1000.0;
    if ms >= 1000.0 && (ms % 1000.0) == 0.0 {
        format!("{}s", d.as_secs())
    } else if ms >= 1000.0 {
        format!("{:.2}s", ms / 1000.0)
    } else if ms >= 10.0 {
        format!("{ms:.0} ms")
    } else {
        format!("{ms:.1} ms")
    }
}

/// The longest duration any flag or scenario file accepts: one day. Longer waits are mistakes
/// (a `--delay 1e20` or a `pause` in the wrong unit), and refusing them keeps every deadline
/// computed from a duration far from overflowing.
pub const MAX_DURATION: Duration = Duration::from_secs(24 * 3600);

/// What every duration parser says it accepts.
const DURATION_SYNTAX: &str =
    "expected a duration with its unit, such as 2s, 500ms, 1.5s or 1m30s (at most 24h)";

/// Parse a duration written with its unit: `2s`, `500ms`, `1.5s`, `250us`, `1m30s`, `2h`.
///
/// A bare number is refused (is `2000` seconds or milliseconds?), except `0`, which means the
/// same in every unit. Negative, non-finite and longer-than-a-day values are refused too; the
/// message says what was wrong and what is expected.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    if s.is_empty() {
        return Err(format!("empty: {DURATION_SYNTAX}"));
    }
    if s == "0" {
        return Ok(Duration::ZERO);
    }
    if let Ok(n) = s.parse::<f64>() {
        return Err(
            if n.is_finite() && n >= 0.0 && n <= MAX_DURATION.as_secs_f64() * 1000.0 {
                format!("{s} has no unit: write {s}s for seconds or {s}ms for milliseconds")
            } else if n.is_finite() && n > 0.0 {
                too_long(s)
            } else {
                format!("{s} is not a duration: {DURATION_SYNTAX}")
            },
        );
    }
    let d = match decimal_with_unit(s) {
        Some(secs) => {
            if !(secs.is_finite() && secs >= 0.0) {
                return Err(format!("{s} is not a duration: {DURATION_SYNTAX}"));
            }
            if secs > MAX_DURATION.as_secs_f64() {
                return Err(too_long(s));
            }
            Duration::try_from_secs_f64(secs).map_err(|_| too_long(s))?
        }
        None => humantime::parse_duration(s).map_err(|e| {
            if matches!(e, humantime::DurationError::NumberOverflow) {
                too_long(s)
            } else {
                format!("{s:?}: {e}: {DURATION_SYNTAX}")
            }
        })?,
    };
    if d > MAX_DURATION {
        return Err(too_long(s));
    }
    Ok(d)
}

/// A duration that must be positive (`--timeout`, `--max-latency`): `0` would fail everything.
pub fn parse_positive_duration(s: &str) -> Result<Duration, String> {
    let d = parse_duration(s)?;
    if d.is_zero() {
        return Err(format!(
            "{s} would fail every callback before it could be answered: use a positive duration such as 2s"
        ));
    }
    Ok(d)
}

fn too_long(s: &str) -> String {
    format!("{s} is longer than the 24h that any duration may be")
}

/// Seconds of a single number with a unit (`1.5s`, `250ms`, `2h`, `1e3ms`), or `None` for
/// anything else (compound durations like `1m30s` go to humantime).
fn decimal_with_unit(s: &str) -> Option<f64> {
    let num = s.trim_end_matches(|c: char| c.is_alphabetic());
    let unit = &s[num.len()..];
    let num = num.trim_end();
    let numeric = |b: u8| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-');
    if num.is_empty() || !num.bytes().all(numeric) {
        return None;
    }
    let n: f64 = num.parse().ok()?;
    let scale = match unit {
        "ns" | "nsec" => 1e-9,
        "us" | "\u{b5}s" | "usec" => 1e-6,
        "ms" | "msec" | "millis" => 1e-3,
        "s" | "sec" | "secs" | "second" | "seconds" => 1.0,
        "m" | "min" | "mins" | "minute" | "minutes" => 60.0,
        "h" | "hr" | "hrs" | "hour" | "hours" => 3600.0,
        "d" | "day" | "days" => 86400.0,
        _ => return None,
    };
    Some(n * scale)
}

/// A duration in milliseconds with microsecond precision, for JSON records.
pub fn millis(d: Duration) -> f64 {
    (d.as_secs_f64() * 1_000_000.0).round() / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_well() {
        assert_eq!(fmt_duration(Duration::from_secs(2)), "2s");
        assert_eq!(fmt_duration(Duration::from_millis(2500)), "2.50s");
        assert_eq!(fmt_duration(Duration::from_millis(250)), "250 ms");
        assert_eq!(fmt_duration(Duration::from_micros(1500)), "1.5 ms");
        assert_eq!(millis(Duration::from_micros(1234)), 1.234);
    }

    #[test]
    fn durations_parse() {
        assert_eq!(parse_duration("2s").unwrap(), Duration::from_secs(2));
        assert_eq!(parse_duration("250ms").unwrap(), Duration::from_millis(250));
        assert_eq!(parse_duration("1.5s").unwrap(), Duration::from_millis(1500));
        assert_eq!(parse_duration("1m30s").unwrap(), Duration::from_secs(90));
        assert_eq!(parse_duration("0").unwrap(), Duration::ZERO);
        assert_eq!(parse_duration("24h").unwrap(), MAX_DURATION);
        assert!(parse_duration("soon").is_err());
    }

    #[test]
    fn bad_durations_say_why() {
        let e = parse_duration("1.5").unwrap_err();
        assert!(e.contains("no unit") && e.contains("1.5s"), "{e}");
        for huge in [
            "1e20s",
            "25h",
            "100000000000000000000000h",
            "99999999999999999999s",
        ] {
            let e = parse_duration(huge).unwrap_err();
            assert!(e.contains("24h"), "{huge}: {e}");
        }
        for bad in [
            "", "-1s", "NaN", "inf", "-0.5", "1e400", "s", ".s", "1..2s", "２s",
        ] {
            assert!(parse_duration(bad).is_err(), "{bad:?} parsed");
        }
        let e = parse_positive_duration("0s").unwrap_err();
        assert!(e.contains("positive"), "{e}");
        assert!(parse_positive_duration("1ms").is_ok());
    }

    #[test]
    fn fixed_clock_is_fixed() {
        assert_eq!(Clock::from_arg(Some(7)).now_ms(), 7);
        assert_eq!(Clock::from_arg(None), Clock::Real);
    }
}
