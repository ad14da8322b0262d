//! The terminal: colour decided once at start-up, notes on stderr, buffered stdout, and the
//! progress bar.
//!
//! Colour is decided per stream: `colored` always writes its codes (unless `--color never`)
//! and every write goes through an [`anstream`] stream, which keeps them on a terminal and
//! strips them for a pipe, a file, `NO_COLOR`, or `TERM=dumb` — so a piped stdout never
//! decides the colour of a terminal's stderr, or the reverse.

use std::io::{self, IsTerminal, Write};
use std::time::{Duration, Instant};

/// `--color`: when to use colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorChoice {
    /// On a terminal, unless NO_COLOR is set or TERM is dumb.
    Auto,
    Always,
    Never,
}

/// Decide colour once for the whole process.
pub fn init_color(choice: ColorChoice) {
    colored::control::set_override(choice != ColorChoice::Never);
    let global = match choice {
        ColorChoice::Auto => anstream::ColorChoice::Auto,
        ColorChoice::Always => anstream::ColorChoice::Always,
        ColorChoice::Never => anstream::ColorChoice::Never,
    };
    global.write_global();
}

/// Stdout, with colour codes kept or stripped for it.
pub fn stdout() -> anstream::AutoStream<io::StdoutLock<'static>> {
    anstream::AutoStream::auto(io::stdout().lock())
}

/// A diagnostic on stderr: `note: ...`.
pub fn note(msg: impl AsRef<str>) {
    use colored::Colorize;
    let mut err = anstream::stderr();
    let _ = writeln!(err, "{} {}", "note:".cyan(), msg.as_ref());
}

/// A warning on stderr: `warning: ...`.
pub fn warn(msg: impl AsRef<str>) {
    use colored::Colorize;
    let mut err = anstream::stderr();
    let _ = writeln!(err, "{} {}", "warning:".yellow().bold(), msg.as_ref());
}

/// Stdout, buffered: flushed after every record when a person watches (a terminal), else at
/// most every 50 ms and at the end, so a 20,000-line run is not 20,000 write calls.
pub struct Out {
    buf: io::BufWriter<Stream>,
    live: bool,
    last_flush: Instant,
}

/// Where [`Out`]'s bytes go: through anstream (colour kept or stripped), or straight to stdout
/// for machine formats, which never carry colour codes (stripping scans every byte: 7 % of a
/// JSON replay's instructions).
enum Stream {
    Styled(anstream::AutoStream<io::Stdout>),
    Plain(io::Stdout),
}

impl Write for Stream {
    fn write(&mut self, b: &[u8]) -> io::Result<usize> {
        match self {
            Stream::Styled(s) => s.write(b),
            Stream::Plain(s) => s.write(b),
        }
    }

    fn write_all(&mut self, b: &[u8]) -> io::Result<()> {
        match self {
            Stream::Styled(s) => s.write_all(b),
            Stream::Plain(s) => s.write_all(b),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Stream::Styled(s) => s.flush(),
            Stream::Plain(s) => s.flush(),
        }
    }
}

impl Out {
    /// For lines that may be coloured (human output).
    pub fn new() -> Out {
        Out::with(Stream::Styled(anstream::AutoStream::auto(io::stdout())))
    }

    /// For JSON Lines and JUnit XML: written as they are, never coloured.
    pub fn plain() -> Out {
        Out::with(Stream::Plain(io::stdout()))
    }

    fn with(stream: Stream) -> Out {
        Out {
            buf: io::BufWriter::with_capacity(64 * 1024, stream),
            live: io::stdout().is_terminal(),
            last_flush: Instant::now(),
        }
    }

    /// Whether colour codes written here reach the reader; when they would be stripped, a
    /// line written for every request can skip making them.
    pub fn colours(&self) -> bool {
        match self.buf.get_ref() {
            Stream::Styled(s) => s.current_choice() != anstream::ColorChoice::Never,
            Stream::Plain(_) => false,
        }
    }

    /// Flush if a person is watching or the last flush is 50 ms old.
    pub fn tick(&mut self) -> io::Result<()> {
        if self.live || self.last_flush.elapsed() >= Duration::from_millis(50) {
            self.last_flush = Instant::now();
            self.buf.flush()?;
        }
        Ok(())
    }
}

impl Default for Out {
    fn default() -> Self {
        Out::new()
    }
}

impl Write for Out {
    fn write(&mut self, b: &[u8]) -> io::Result<usize> {
        self.buf.write(b)
    }

    fn write_all(&mut self, b: &[u8]) -> io::Result<()> {
        self.buf.write_all(b)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.buf.flush()
    }
}

/// Callbacks per second as the bar shows it: `200/s`, `3.5/s` (indicatif's own `{per_sec}`
/// prints four decimals).
fn rate(per_sec: f64) -> String {
    if !per_sec.is_finite() || per_sec <= 0.0 {
        "-/s".to_owned()
    } else if per_sec < 10.0 {
        format!("{per_sec:.1}/s")
    } else {
        format!("{per_sec:.0}/s")
    }
}

/// A progress bar on stderr, only when a person is watching it.
pub fn progress(total: Option<u64>, enabled: bool) -> indicatif::ProgressBar {
    if !enabled || !io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = match total {
        Some(n) => indicatif::ProgressBar::new(n),
        None => indicatif::ProgressBar::new_spinner(),
    };
    let style = indicatif::ProgressStyle::with_template(
        "{spinner} {pos}/{len} callbacks {wide_bar} {rate} eta {eta}",
    )
    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
    .with_key(
        "rate",
        |state: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
            let _ = w.write_str(&rate(state.per_sec()));
        },
    );
    bar.set_style(style);
    bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
    bar
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_bar_rate_has_no_four_decimals() {
        assert_eq!(super::rate(199.873_456), "200/s");
        assert_eq!(super::rate(3.456_789), "3.5/s");
        assert_eq!(super::rate(0.0), "-/s");
        assert_eq!(super::rate(f64::NAN), "-/s");
    }
}
