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
        assert_eq!(parse_duration("1.5").unwrap(), Duration::from_millis(1500));
        assert!(parse_duration("soon").is_err());
    }

    #[test]
    fn fixed_clock_is_fixed() {
        assert_eq!(Clock::from_arg(Some(7)).now_ms(), 7);
        assert_eq!(Clock::from_arg(None), Clock::Real);
    }
}
