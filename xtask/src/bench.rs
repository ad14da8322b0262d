//! The harness's temp dir and the one way it runs a measured process.

use std::ffi::{OsStr, OsString};
use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use crate::config::{Config, STEP_LIMIT};
use crate::nginx::Nginx;
use crate::proc::{self, Proc, RssSampler, Usage};
use crate::results::{Results, Run};

/// Prints `[bench HH:MM:SS] message` on stderr.
#[macro_export]
macro_rules! log {
    ($($arg:tt)*) => {
        eprintln!("[bench {}] {}", $crate::bench::local_hms(), format_args!($($arg)*))
    };
}

/// The temp dir every file of a run lives in; removed on drop unless BENCH_KEEP=1.
pub struct WorkDir {
    pub path: PathBuf,
    keep: bool,
}

impl WorkDir {
    pub fn create(keep: bool) -> Result<WorkDir> {
        let base = std::env::var_os("TMPDIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| "/tmp".into());
        for i in 0..100u32 {
            let path = base.join(format!("deskhook-bench.{}.{i}", std::process::id()));
            match fs::create_dir(&path) {
                Ok(()) => {
                    use std::os::unix::fs::PermissionsExt;
                    // nginx workers may run as nobody
                    fs::set_permissions(&path, fs::Permissions::from_mode(0o755))?;
                    return Ok(WorkDir { path, keep });
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(e).with_context(|| format!("create {}", path.display())),
            }
        }
        bail!("cannot create a temp dir under {}", base.display())
    }

    pub fn file(&self, name: &str) -> PathBuf {
        self.path.join(name)
    }
}

impl Drop for WorkDir {
    fn drop(&mut self) {
        if self.keep {
            log!("temp dir kept: {}", self.path.display());
        } else {
            let _ = fs::remove_dir_all(&self.path);
        }
    }
}

/// Everything a measurement needs: settings, tools, the nginx target, and the results so far.
pub struct Bench {
    pub cfg: Config,
    /// a private copy of the binary under test
    pub deskhook: PathBuf,
    pub oha: Option<PathBuf>,
    pub nginx: Nginx,
    pub results: Results,
    // dropped last: the processes above may still write into it
    pub dir: WorkDir,
}

/// One measured process's run: wall time around it, its resources, and the machine meanwhile.
#[derive(Debug)]
pub struct Timed {
    pub wall_s: f64,
    pub usage: Usage,
    /// CPU seconds nginx (master and workers) used meanwhile
    pub nginx_cpu_s: f64,
    busy_ticks: u64,
    /// its stdout
    pub out: PathBuf,
    /// (seconds since start, kB) of the deskhook process, when sampled
    pub rss: Vec<(f64, f64)>,
}

impl Timed {
    /// The share (%) of the machine's CPUs used during this run by processes other than the
    /// measured ones, which used `own_cpu_s` between them (0 when the machine was quiet).
    pub fn other_pct(&self, own_cpu_s: f64) -> f64 {
        other_pct(self.busy_ticks, own_cpu_s, self.wall_s)
    }

    /// Requests per second for `n` requests over the wall time of the whole process.
    pub fn rps(&self, n: u64) -> f64 {
        n as f64 / self.wall_s
    }
}

/// See [`Timed::other_pct`].
pub fn other_pct(busy_ticks: u64, own_cpu_s: f64, wall_s: f64) -> f64 {
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get()) as f64;
    let x = (busy_ticks as f64 / proc::clock_ticks_per_s() - own_cpu_s) / (wall_s * cpus) * 100.0;
    x.clamp(0.0, 100.0)
}

/// The words of a command line we wrote ourselves (flags, numbers, URLs): no quoting needed.
pub fn words(line: &str) -> impl Iterator<Item = &str> {
    line.split_whitespace()
}

/// A program and its arguments, built to read like the command line it is.
#[derive(Debug, Clone)]
pub struct Argv(Vec<OsString>);

impl Argv {
    pub fn new(program: impl AsRef<OsStr>) -> Argv {
        Argv(vec![program.as_ref().to_owned()])
    }

    /// Appends the whitespace-separated words of `line` (see [`words`]).
    pub fn words(mut self, line: &str) -> Argv {
        self.0.extend(words(line).map(OsString::from));
        self
    }

    /// Appends one argument as it is (a path, a body).
    pub fn arg(mut self, arg: impl AsRef<OsStr>) -> Argv {
        self.0.push(arg.as_ref().to_owned());
        self
    }

    pub fn args<S: AsRef<OsStr>>(mut self, args: impl IntoIterator<Item = S>) -> Argv {
        self.0
            .extend(args.into_iter().map(|a| a.as_ref().to_owned()));
        self
    }

    pub fn program(&self) -> &OsStr {
        &self.0[0]
    }
}

/// `timeout -s SIGNAL -k 5 LIMIT /usr/bin/time -v -o NAME.time PROGRAM ARGS...` with stdout and
/// stderr in `NAME.out` and `NAME.err`; at the limit `timeout` sends `signal`, 5 s later KILL.
pub fn bounded(
    dir: &WorkDir,
    name: &str,
    limit: Duration,
    signal: &str,
    argv: &Argv,
) -> Result<Command> {
    let mut cmd = Command::new("timeout");
    cmd.args([
        "-s",
        signal,
        "-k",
        "5",
        &limit.as_secs().to_string(),
        "/usr/bin/time",
        "-v",
        "-o",
    ])
    .arg(dir.file(&format!("{name}.time")))
    .args(&argv.0)
    .stdout(File::create(dir.file(&format!("{name}.out")))?)
    .stderr(File::create(dir.file(&format!("{name}.err")))?);
    Ok(cmd)
}

/// The last lines of a file, for error messages.
pub fn tail(path: &Path, lines: usize) -> String {
    let text = fs::read_to_string(path).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

impl Bench {
    /// Runs `argv` to completion under [`bounded`] and measures it; fails unless it exits 0.
    pub fn timed(&self, name: &str, argv: &Argv) -> Result<Timed> {
        self.timed_with(name, argv, STEP_LIMIT, None)
    }

    /// [`Bench::timed`] with `limit` instead of [`STEP_LIMIT`], and, given `rss_every`, the
    /// resident set size of the deskhook process sampled at that interval.
    pub fn timed_with(
        &self,
        name: &str,
        argv: &Argv,
        limit: Duration,
        rss_every: Option<Duration>,
    ) -> Result<Timed> {
        let mut cmd = bounded(&self.dir, name, limit, "TERM", argv)?;
        let ng0 = self.nginx.cpu_s();
        let b0 = proc::machine_busy_ticks();
        let t0 = Instant::now();
        let mut child = Proc::spawn(name, &mut cmd)?;
        let sampler = rss_every.map(|every| RssSampler::start(child.pid(), "deskhook", every));
        let status = child.wait();
        let wall_s = t0.elapsed().as_secs_f64();
        let busy_ticks = proc::machine_busy_ticks().saturating_sub(b0);
        let nginx_cpu_s = self.nginx.cpu_s() - ng0;
        let rss = sampler.map(RssSampler::finish).unwrap_or_default();
        let status = status?;
        let err = self.dir.file(&format!("{name}.err"));
        if !status.success() {
            bail!(
                "{name}: {:?} exited with {status}: {}",
                argv.program(),
                tail(&err, 5)
            );
        }
        Ok(Timed {
            wall_s,
            usage: Usage::read(&self.dir.file(&format!("{name}.time")))?,
            nginx_cpu_s,
            busy_ticks,
            out: self.dir.file(&format!("{name}.out")),
            rss,
        })
    }

    /// Runs `one(bench, run, attempt)` until `cfg.runs` runs are kept. A run during which other
    /// processes used more than `cfg.quiet_max`% of the CPUs is discarded (its worst share noted
    /// under `discarded.SECTION`) and repeated, unless the attempts left are needed to reach
    /// the count.
    pub fn quiet_runs(
        &mut self,
        section: &str,
        mut one: impl FnMut(&mut Bench, &mut Run, usize) -> Result<()>,
    ) -> Result<()> {
        let (runs, max_attempts) = (self.cfg.runs, self.cfg.max_attempts());
        let mut kept = 0;
        let mut attempt = 1;
        while kept < runs && attempt <= max_attempts {
            let mut run = Run::default();
            one(self, &mut run, attempt)?;
            if run.worst_other <= self.cfg.quiet_max || max_attempts - attempt < runs - kept {
                self.results.append(run.samples);
                kept += 1;
            } else {
                self.results
                    .put(&format!("discarded.{section}"), run.worst_other);
                log!(
                    "{section} attempt {attempt} discarded: other processes used {:.1}% of the CPUs",
                    run.worst_other
                );
            }
            attempt += 1;
        }
        Ok(())
    }

    /// Waits (at most `cfg.wait_quiet` s) until other processes use < 10% of the CPUs over 2 s.
    pub fn wait_quiet(&self) -> Result<()> {
        let mut waited = 0;
        loop {
            let b0 = proc::machine_busy_ticks();
            proc::sleep(Duration::from_secs(2))?;
            let pct = other_pct(proc::machine_busy_ticks() - b0, 0.0, 2.0).round();
            if pct < 10.0 {
                if waited > 0 {
                    log!("machine quiet after {waited} s");
                }
                return Ok(());
            }
            if waited >= self.cfg.wait_quiet {
                log!("WARNING: other processes use {pct}% of the CPUs; measuring anyway (numbers will be noisy)");
                return Ok(());
            }
            if waited == 0 {
                log!(
                    "machine busy ({pct}% of the CPUs): waiting up to {} s for it to calm down",
                    self.cfg.wait_quiet
                );
            }
            waited += 2;
        }
    }
}

/// Local wall-clock time as HH:MM:SS, for log lines.
pub fn local_hms() -> String {
    let t = unix_now() as libc::time_t;
    // SAFETY: localtime_r writes into the zeroed tm we own.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    unsafe { libc::localtime_r(&t, &mut tm) };
    format!("{:02}:{:02}:{:02}", tm.tm_hour, tm.tm_min, tm.tm_sec)
}

/// `YYYY-MM-DD HH:MM UTC` of a Unix time.
pub fn utc_minute(unix_s: i64) -> String {
    let t = unix_s as libc::time_t;
    // SAFETY: gmtime_r writes into the zeroed tm we own.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    unsafe { libc::gmtime_r(&t, &mut tm) };
    format!(
        "{}-{:02}-{:02} {:02}:{:02} UTC",
        tm.tm_year + 1900,
        tm.tm_mon + 1,
        tm.tm_mday,
        tm.tm_hour,
        tm.tm_min
    )
}

pub fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}
