//! Child processes that never outlive the harness, and what /proc and /usr/bin/time say about them.
//!
//! Every child runs in its own process group. Timed children also run under coreutils
//! `timeout`, so even a harness killed with SIGKILL leaves nothing running past that bound.
//! On Ctrl-C, SIGTERM or SIGHUP a handler stops every running child; the waits in the main
//! thread then return, and the harness unwinds (dropping its temp dir) and exits 130.

use std::ffi::OsStr;
use std::fs;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

static INTERRUPTED: AtomicBool = AtomicBool::new(false);
/// Process groups of the children now running (0: a free slot). Atomics, not a mutex: the
/// signal handler reads them.
static GROUPS: [AtomicI32; 64] = [const { AtomicI32::new(0) }; 64];

/// The error a run ends with when a signal asked the harness to stop.
#[derive(Debug)]
pub struct Interrupted;

impl std::fmt::Display for Interrupted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("interrupted")
    }
}

impl std::error::Error for Interrupted {}

/// Makes SIGINT, SIGTERM and SIGHUP stop every running child (SIGTERM to its group) instead
/// of killing the harness alone; a second signal SIGKILLs them and exits at once.
pub fn stop_children_on_signals() {
    extern "C" fn on_signal(sig: libc::c_int) {
        // only async-signal-safe work here: atomics, kill(2), _exit(2)
        let again = INTERRUPTED.swap(true, Ordering::SeqCst);
        let with = if again { libc::SIGKILL } else { libc::SIGTERM };
        for slot in &GROUPS {
            let pgid = slot.load(Ordering::SeqCst);
            if pgid > 0 {
                // SAFETY: kill(2) on a process group we created.
                unsafe { libc::kill(-pgid, with) };
            }
        }
        if again {
            // SAFETY: _exit(2) ends the process without running anything else.
            unsafe { libc::_exit(128 + sig) };
        }
    }
    for sig in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
        // SAFETY: a zeroed sigaction with our handler, an empty mask and SA_RESTART (so the
        // main thread's waitpid resumes and sees the child stopped) is a valid argument.
        unsafe {
            let mut sa: libc::sigaction = std::mem::zeroed();
            sa.sa_sigaction = on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
            sa.sa_flags = libc::SA_RESTART;
            libc::sigemptyset(&mut sa.sa_mask);
            libc::sigaction(sig, &sa, std::ptr::null_mut());
        }
    }
}

/// Fails with [`Interrupted`] once a stop signal has arrived.
pub fn check_interrupted() -> Result<()> {
    if INTERRUPTED.load(Ordering::SeqCst) {
        return Err(Interrupted.into());
    }
    Ok(())
}

/// Sleeps, waking early (with an error) when the harness is asked to stop.
pub fn sleep(d: Duration) -> Result<()> {
    let end = Instant::now() + d;
    loop {
        check_interrupted()?;
        let left = end.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Ok(());
        }
        thread::sleep(left.min(Duration::from_millis(50)));
    }
}

/// A running child in its own process group; dropping it stops the whole group.
pub struct Proc {
    child: Child,
    name: String,
    reaped: Option<ExitStatus>,
}

impl Proc {
    /// Spawns `cmd` (stdin from /dev/null) in a new process group.
    pub fn spawn(name: &str, cmd: &mut Command) -> Result<Proc> {
        use std::os::unix::process::CommandExt;
        check_interrupted()?;
        let child = cmd
            .stdin(Stdio::null())
            .process_group(0)
            .spawn()
            .with_context(|| format!("{name}: cannot start {:?}", cmd.get_program()))?;
        let pgid = child.id() as i32;
        // no free slot (64 children at once) only means the handler cannot stop this one
        let free = |s: &&AtomicI32| {
            s.compare_exchange(0, pgid, Ordering::SeqCst, Ordering::SeqCst)
                .is_ok()
        };
        let _ = GROUPS.iter().find(free);
        Ok(Proc {
            child,
            name: name.to_string(),
            reaped: None,
        })
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    fn reap(&mut self, status: ExitStatus) -> ExitStatus {
        self.reaped = Some(status);
        let pgid = self.child.id() as i32;
        for slot in &GROUPS {
            let _ = slot.compare_exchange(pgid, 0, Ordering::SeqCst, Ordering::SeqCst);
        }
        status
    }

    /// Waits for the child to exit; fails if the harness was interrupted meanwhile.
    pub fn wait(&mut self) -> Result<ExitStatus> {
        if let Some(s) = self.reaped {
            return Ok(s);
        }
        let status = self
            .child
            .wait()
            .with_context(|| format!("{}: wait", self.name))?;
        self.reap(status);
        check_interrupted()?;
        Ok(status)
    }

    /// The exit status if the child has exited, without blocking.
    pub fn try_wait(&mut self) -> Result<Option<ExitStatus>> {
        if let Some(s) = self.reaped {
            return Ok(Some(s));
        }
        match self.child.try_wait()? {
            Some(status) => Ok(Some(self.reap(status))),
            None => Ok(None),
        }
    }

    /// Waits at most `limit` for the child to exit by itself.
    pub fn wait_for(&mut self, limit: Duration) -> Result<Option<ExitStatus>> {
        let end = Instant::now() + limit;
        loop {
            if let Some(s) = self.try_wait()? {
                return Ok(Some(s));
            }
            if Instant::now() >= end {
                return Ok(None);
            }
            sleep(Duration::from_millis(20))?;
        }
    }

    /// Sends `sig` to the child itself (not its group).
    pub fn signal(&self, sig: i32) {
        if self.reaped.is_none() {
            // SAFETY: kill(2) on our own unreaped child's pid; no memory involved.
            unsafe { libc::kill(self.child.id() as i32, sig) };
        }
    }

    /// SIGTERM to the whole group, five seconds' grace, then SIGKILL; reaps the child.
    pub fn stop(&mut self) {
        if self.reaped.is_some() {
            return;
        }
        let pgid = self.child.id() as i32;
        // SAFETY: kill(2) on the process group we created for this child.
        unsafe { libc::kill(-pgid, libc::SIGTERM) };
        let end = Instant::now() + Duration::from_secs(5);
        while Instant::now() < end {
            if let Ok(Some(_)) = self.try_wait() {
                break;
            }
            thread::sleep(Duration::from_millis(20));
        }
        // SAFETY: as above; also reaches grandchildren still in the group.
        unsafe { libc::kill(-pgid, libc::SIGKILL) };
        if self.reaped.is_none() {
            if let Ok(s) = self.child.wait() {
                self.reap(s);
            }
        }
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Runs a short command (a version, a help text, a dry run) to completion under
/// `timeout -k 5 30`, its output captured.
pub fn quick<S: AsRef<OsStr>>(
    program: impl AsRef<OsStr>,
    args: impl IntoIterator<Item = S>,
) -> Result<Output> {
    let out = Command::new("timeout")
        .args(["-k", "5", "30"])
        .arg(program.as_ref())
        .args(args)
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("cannot run {:?}", program.as_ref()))?;
    check_interrupted()?;
    Ok(out)
}

/// One process's resource use as `/usr/bin/time -v` reports it.
#[derive(Debug, Default, Clone, Copy)]
pub struct Usage {
    /// user + system CPU seconds
    pub cpu_s: f64,
    pub max_rss_kb: f64,
    /// "Percent of CPU this job got"
    pub cpu_pct: f64,
}

impl Usage {
    pub fn read(path: &Path) -> Result<Usage> {
        let text = fs::read_to_string(path).with_context(|| format!("read {}", path.display()))?;
        let field = |name: &str| {
            text.lines()
                .find_map(|l| l.trim().strip_prefix(name)?.strip_prefix(": "))
                .and_then(|v| v.trim_end_matches('%').parse::<f64>().ok())
        };
        let (Some(user), Some(sys), Some(rss)) = (
            field("User time (seconds)"),
            field("System time (seconds)"),
            field("Maximum resident set size (kbytes)"),
        ) else {
            bail!("{}: not /usr/bin/time -v output", path.display());
        };
        Ok(Usage {
            cpu_s: user + sys,
            max_rss_kb: rss,
            cpu_pct: field("Percent of CPU this job got").unwrap_or(f64::NAN),
        })
    }
}

/// Ticks the whole machine has been busy (user, nice, system, irq, softirq, steal).
pub fn machine_busy_ticks() -> u64 {
    let stat = fs::read_to_string("/proc/stat").unwrap_or_default();
    let Some(cpu) = stat.lines().find(|l| l.starts_with("cpu ")) else {
        return 0;
    };
    let f: Vec<u64> = cpu
        .split_whitespace()
        .skip(1)
        .filter_map(|x| x.parse().ok())
        .collect();
    [0, 1, 2, 5, 6, 7].iter().filter_map(|&i| f.get(i)).sum()
}

pub fn clock_ticks_per_s() -> f64 {
    // SAFETY: sysconf has no preconditions.
    (unsafe { libc::sysconf(libc::_SC_CLK_TCK) }) as f64
}

/// (pid, ppid, user+system ticks) of every process.
fn all_processes() -> Vec<(u32, u32, u64)> {
    let mut out = Vec::new();
    let Ok(dir) = fs::read_dir("/proc") else {
        return out;
    };
    for entry in dir.flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        // the command name may hold spaces and parentheses: fields start after the last ')'
        let Some(rest) = stat.rfind(')').map(|i| &stat[i + 2..]) else {
            continue;
        };
        let f: Vec<&str> = rest.split_whitespace().collect();
        let num = |i: usize| f.get(i).and_then(|x| x.parse::<u64>().ok()).unwrap_or(0);
        out.push((pid, num(1) as u32, num(11) + num(12)));
    }
    out
}

/// CPU seconds used so far by `root` and all its descendants still alive.
pub fn tree_cpu_s(root: u32) -> f64 {
    let procs = all_processes();
    let mut total = 0;
    let mut todo = vec![root];
    while let Some(p) = todo.pop() {
        for &(pid, ppid, ticks) in &procs {
            if pid == p {
                total += ticks;
            }
            if ppid == p {
                todo.push(pid);
            }
        }
    }
    total as f64 / clock_ticks_per_s()
}

/// The first descendant of `root` (or `root` itself) whose command name is `comm`.
pub fn find_descendant(root: u32, comm: &str) -> Option<u32> {
    let procs = all_processes();
    let mut todo = vec![root];
    while let Some(p) = todo.pop() {
        let name = fs::read_to_string(format!("/proc/{p}/comm")).unwrap_or_default();
        if name.trim_end() == comm {
            return Some(p);
        }
        todo.extend(procs.iter().filter(|q| q.1 == p).map(|q| q.0));
    }
    None
}

/// Resident set size of `pid` in kB (VmRSS), if it is alive.
pub fn rss_kb(pid: u32) -> Option<f64> {
    let status = fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Seconds of user+system CPU of this process and its reaped children so far.
pub fn own_and_children_cpu_s() -> f64 {
    let get = |who| {
        // SAFETY: getrusage fills the zeroed struct we pass.
        let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
        unsafe { libc::getrusage(who, &mut ru) };
        let tv = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
        tv(ru.ru_utime) + tv(ru.ru_stime)
    };
    get(libc::RUSAGE_SELF) + get(libc::RUSAGE_CHILDREN)
}

/// Resident set size of one process sampled at an interval on a thread of its own.
pub struct RssSampler {
    stop: std::sync::Arc<AtomicBool>,
    thread: thread::JoinHandle<Vec<(f64, f64)>>,
}

impl RssSampler {
    /// Samples the process named `comm` under `root` (found once it has been exec'd behind its
    /// `timeout` and `time` wrappers) every `every`, until [`RssSampler::finish`].
    pub fn start(root: u32, comm: &'static str, every: Duration) -> RssSampler {
        let stop = std::sync::Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = thread::spawn(move || {
            let t0 = Instant::now();
            let mut samples = Vec::new();
            let mut pid = None;
            while !flag.load(Ordering::SeqCst) {
                if pid.is_none() {
                    pid = find_descendant(root, comm);
                }
                if let Some(kb) = pid.and_then(rss_kb) {
                    samples.push((t0.elapsed().as_secs_f64(), kb));
                }
                thread::sleep(every);
            }
            samples
        });
        RssSampler { stop, thread }
    }

    /// (seconds since start, RSS kB) of every sample.
    pub fn finish(self) -> Vec<(f64, f64)> {
        self.stop.store(true, Ordering::SeqCst);
        self.thread.join().unwrap_or_default()
    }
}
