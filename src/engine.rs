//! The delivery engine shared by `send`, `flow` and `replay`.
//!
//! A run is split into *lanes*: one OS thread each, with its own single-threaded tokio
//! runtime, its own HTTP client (so its own connection pool) and its share of the
//! `--concurrency` workers. Workers pull the next item from a shared source (an atomic
//! counter for `send`/`flow`, a channel fed by the capture reader for `replay`), deliver it,
//! and record each [`Delivery`] straight into the run's [`Sink`] under one short lock. Nothing
//! else hops between threads per request. Answer times go into each lane's own fixed-size
//! histogram ([`Latencies`]); the lanes' are merged at the end and handed to the sink, so a
//! run keeps no per-request state after the request, however long it runs.
//!
//! `--rate` is one shared schedule of send slots. Ctrl-C stops new work and lets the callbacks
//! in flight finish for a short grace (at most the time-out, at most 5 s), then abandons them;
//! the sink is told the run was interrupted ([`Sink::interrupted`]) so that the summary says so
//! and the exit code is 130. A second Ctrl-C quits at once.

use crate::callback::Callback;
use crate::envelope::Expect;
use crate::latency::Latencies;
use crate::transport::{self, deliver, Connection, Delivery, Policy};
use anyhow::Result;
use futures_util::stream::{FuturesUnordered, StreamExt};
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Where a run's deliveries go (counted, shown, reported), one at a time.
pub trait Sink: Send {
    fn record(&mut self, delivery: &Delivery) -> std::io::Result<()>;

    /// Ctrl-C ended the run before its work was done.
    fn interrupted(&mut self, _how: Interrupted) {}

    /// The answer times of the whole run, once every lane is done.
    fn latencies(&mut self, _latencies: Latencies) {}
}

/// How far an interrupted run got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Interrupted {
    /// Items (callbacks, scenario runs, capture lines) taken up before the interrupt.
    pub started: u64,
    /// Items still in flight when the grace ran out, dropped without a result.
    pub abandoned: u64,
}

/// Where a run is: running, stopping (no new work: an error or Ctrl-C), abandoning what is in
/// flight (the Ctrl-C grace ran out), or over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Phase {
    Running,
    Stopping,
    Abandon,
    Done,
}

/// The longest Ctrl-C waits for callbacks in flight.
const MAX_GRACE: Duration = Duration::from_secs(5);

/// How a run goes: the delivery policy and the load shape.
pub struct Options {
    pub policy: Policy,
    pub concurrency: u64,
    pub rate: Option<f64>,
    /// Whether the target is `https://` (else the client skips loading TLS roots).
    pub https: bool,
    /// Trusted roots, certificate checks and added headers.
    pub connection: Connection,
}

/// `--rate`: a shared schedule of send slots, one every `interval` from the start.
struct Pacer {
    start: Instant,
    interval_ns: u64,
    next: AtomicU64,
}

impl Pacer {
    fn new(rate: f64) -> Pacer {
        Pacer {
            start: Instant::now(),
            interval_ns: (1e9 / rate) as u64,
            next: AtomicU64::new(0),
        }
    }

    async fn wait(&self) {
        let slot = self.next.fetch_add(self.interval_ns, Ordering::Relaxed);
        tokio::time::sleep_until((self.start + Duration::from_nanos(slot)).into()).await;
    }
}

/// What every lane shares.
struct Common<S> {
    policy: Policy,
    https: bool,
    connection: Connection,
    pacer: Option<Pacer>,
    ctl: Arc<Control>,
    sink: Mutex<S>,
    failure: Mutex<Option<anyhow::Error>>,
    /// Every finished lane's answer times, merged.
    latencies: Mutex<Latencies>,
}

impl<S> Common<S> {
    /// Stop the run with an error (the first one wins).
    fn fail(&self, e: anyhow::Error) {
        self.ctl.stop();
        self.failure
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get_or_insert(e);
    }
}

/// How a run is going, shared by the lanes and the Ctrl-C watcher.
struct Control {
    /// Set to stop taking new work (an error, or Ctrl-C); cheap to check per item.
    stop: AtomicBool,
    /// The same and more, for those who wait on it.
    phase: tokio::sync::watch::Sender<Phase>,
    /// Set by the first Ctrl-C.
    interrupted: AtomicBool,
    /// Items taken up, and items being worked on.
    started: AtomicU64,
    in_flight: AtomicU64,
}

impl Control {
    fn new() -> Control {
        Control {
            stop: AtomicBool::new(false),
            phase: tokio::sync::watch::Sender::new(Phase::Running),
            interrupted: AtomicBool::new(false),
            started: AtomicU64::new(0),
            in_flight: AtomicU64::new(0),
        }
    }

    /// Move on to `phase` (never back).
    fn advance(&self, phase: Phase) {
        if phase >= Phase::Stopping {
            self.stop.store(true, Ordering::Relaxed);
        }
        self.phase.send_if_modified(|p| {
            let was = *p;
            *p = was.max(phase);
            *p != was
        });
    }

    /// Take no new work.
    fn stop(&self) {
        self.advance(Phase::Stopping);
    }

    /// Resolves once the run has reached `phase`.
    async fn until(&self, phase: Phase) {
        let mut rx = self.phase.subscribe();
        let _ = rx.wait_for(|p| *p >= phase).await;
    }
}

/// One lane's view of the run: its own client over the shared state.
pub struct Lane<S> {
    client: transport::Client,
    common: Arc<Common<S>>,
    /// This lane's answer times (only its own thread records: the lock is never contended).
    latencies: Mutex<Latencies>,
    /// Callbacks sent so far; the first `workers` each open one of the lane's connections.
    started: AtomicU64,
    workers: u64,
}

impl<S: Sink> Lane<S> {
    pub fn policy(&self) -> &Policy {
        &self.common.policy
    }

    /// Deliver one callback (after its `--rate` slot), judged against the run's expectation;
    /// `None` when the run stopped before its slot came (it was not sent).
    pub async fn send(&self, c: Callback) -> Option<Delivery> {
        self.send_expecting(c, self.common.policy.expect).await
    }

    /// Deliver one callback whose answer is judged against `expect` (a flow step's own).
    pub async fn send_expecting(&self, c: Callback, expect: Expect) -> Option<Delivery> {
        if let Some(pacer) = &self.common.pacer {
            tokio::select! {
                () = pacer.wait() => {}
                () = self.until_stopped() => return None,
            }
        }
        // The lane's pool starts empty: each worker's first callback sets up a connection.
        let first = self.started.fetch_add(1, Ordering::Relaxed) < self.workers;
        let d = if expect == self.common.policy.expect {
            deliver(&self.client, &self.common.policy, c).await
        } else {
            let policy = Policy {
                expect,
                ..self.common.policy.clone()
            };
            deliver(&self.client, &policy, c).await
        };
        if d.status.is_some() {
            self.latencies
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .record(d.latency, first);
        }
        Some(d)
    }

    /// Resolves once the run stops taking new work (to cut a flow's pause short).
    pub async fn until_stopped(&self) {
        self.common.ctl.until(Phase::Stopping).await;
    }

    /// Record one delivery in the run's sink.
    pub fn emit(&self, d: &Delivery) {
        let written = self
            .common
            .sink
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .record(d);
        if let Err(e) = written {
            self.common.fail(e.into());
        }
    }

    pub fn stopped(&self) -> bool {
        self.common.ctl.stop.load(Ordering::Relaxed)
    }
}

/// How many lanes: one per core, never more than there are workers.
fn lanes_for(concurrency: u64) -> usize {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    (cores as u64).min(concurrency).max(1) as usize
}

/// Run `work` on every item `next` yields, `concurrency` at a time across the lanes, and give
/// the sink back. `next` is shared by every worker and returns `None` when the source is
/// exhausted; `work` delivers one item and records its deliveries with [`Lane::emit`]. The
/// first error of `work` or of the sink stops the run and is returned.
pub fn run<S, T, N, NF, W, WF>(opts: Options, sink: S, next: N, work: W) -> Result<S>
where
    S: Sink,
    N: Fn() -> NF + Sync,
    NF: Future<Output = Option<T>>,
    W: Fn(T, Arc<Lane<S>>) -> WF + Sync,
    WF: Future<Output = Result<()>>,
{
    let lanes = lanes_for(opts.concurrency);
    let grace = opts.policy.timeout.min(MAX_GRACE);
    let ctl = Arc::new(Control::new());
    let common = Arc::new(Common {
        pacer: opts.rate.filter(|r| *r > 0.0).map(Pacer::new),
        ctl: ctl.clone(),
        sink: Mutex::new(sink),
        failure: Mutex::new(None),
        latencies: Mutex::new(Latencies::default()),
        policy: opts.policy,
        https: opts.https,
        connection: opts.connection,
    });
    let watcher = ctrl_c::Watcher::start(ctl.clone(), grace)?;
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..lanes)
            .map(|k| {
                let workers = opts.concurrency / lanes as u64
                    + u64::from((k as u64) < opts.concurrency % lanes as u64);
                let (common, next, work) = (common.clone(), &next, &work);
                scope.spawn(move || lane_main(workers, common, next, work))
            })
            .collect();
        for h in handles {
            match h.join() {
                Ok(Ok(())) => {}
                Ok(Err(e)) => common.fail(e),
                Err(_) => common.fail(anyhow::anyhow!("a delivery thread panicked")),
            }
        }
    });
    ctl.advance(Phase::Done);
    watcher.join();
    let common = Arc::try_unwrap(common).map_err(|_| anyhow::anyhow!("a lane outlived the run"))?;
    if let Some(e) = common
        .failure
        .into_inner()
        .unwrap_or_else(|e| e.into_inner())
    {
        return Err(e);
    }
    let mut sink = common.sink.into_inner().unwrap_or_else(|e| e.into_inner());
    if ctl.interrupted.load(Ordering::Relaxed) {
        sink.interrupted(Interrupted {
            started: ctl.started.load(Ordering::Relaxed),
            abandoned: ctl.in_flight.load(Ordering::Relaxed),
        });
    }
    sink.latencies(
        common
            .latencies
            .into_inner()
            .unwrap_or_else(|e| e.into_inner()),
    );
    Ok(sink)
}

/// One lane: a current-thread runtime polling its workers, all on this thread. Once the
/// Ctrl-C grace runs out, the workers still in flight are dropped (their requests cancelled).
fn lane_main<S, T, N, NF, W, WF>(
    workers: u64,
    common: Arc<Common<S>>,
    next: &N,
    work: &W,
) -> Result<()>
where
    S: Sink,
    N: Fn() -> NF,
    NF: Future<Output = Option<T>>,
    W: Fn(T, Arc<Lane<S>>) -> WF,
    WF: Future<Output = Result<()>>,
{
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let client = transport::client(
        common.policy.timeout,
        workers as usize,
        common.https,
        &common.connection,
    )?;
    let lane = Arc::new(Lane {
        client,
        common,
        latencies: Mutex::default(),
        started: AtomicU64::new(0),
        workers,
    });
    rt.block_on(async {
        let mut pool: FuturesUnordered<_> = (0..workers)
            .map(|_| {
                let lane = lane.clone();
                async move {
                    while !lane.stopped() {
                        let Some(item) = next().await else { break };
                        if lane.stopped() {
                            break;
                        }
                        let ctl = &lane.common.ctl;
                        ctl.started.fetch_add(1, Ordering::Relaxed);
                        ctl.in_flight.fetch_add(1, Ordering::Relaxed);
                        let done = work(item, lane.clone()).await;
                        ctl.in_flight.fetch_sub(1, Ordering::Relaxed);
                        if let Err(e) = done {
                            lane.common.fail(e);
                        }
                    }
                }
            })
            .collect();
        tokio::select! {
            () = async { while pool.next().await.is_some() {} } => {}
            () = lane.common.ctl.until(Phase::Abandon) => {}
        }
    });
    let mine = lane.latencies.lock().unwrap_or_else(|e| e.into_inner());
    lane.common
        .latencies
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .merge(&mine);
    Ok(())
}

/// Ctrl-C during a run: the first stops new work and starts the grace, the second quits.
mod ctrl_c {
    use super::{Control, Phase};
    use crate::term::note;
    use std::sync::atomic::Ordering;
    use std::sync::Arc;
    use std::time::Duration;

    /// The thread that waits for Ctrl-C while a run lasts.
    pub struct Watcher(Option<std::thread::JoinHandle<()>>);

    impl Watcher {
        /// Register for SIGINT now (before any work starts) and watch on a thread of its own,
        /// so that no lane finishing early takes the watch with it.
        pub fn start(ctl: Arc<Control>, grace: Duration) -> anyhow::Result<Watcher> {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            let signals = {
                let _entered = rt.enter();
                Signals::new()?
            };
            let thread = std::thread::Builder::new()
                .name("deskhook-ctrl-c".into())
                .spawn(move || rt.block_on(watch(&ctl, signals, grace)))?;
            Ok(Watcher(Some(thread)))
        }

        /// Wait for the thread, once the run is over.
        pub fn join(mut self) {
            if let Some(t) = self.0.take() {
                let _ = t.join();
            }
        }
    }

    async fn watch(ctl: &Control, mut signals: Signals, grace: Duration) {
        tokio::select! {
            () = signals.next() => {}
            () = ctl.until(Phase::Done) => return,
        }
        ctl.interrupted.store(true, Ordering::Relaxed);
        ctl.stop();
        let in_flight = ctl.in_flight.load(Ordering::Relaxed);
        note(format!(
            "interrupted: finishing the {in_flight} callback(s) in flight (for at most {}), then the summary; Ctrl-C again quits at once",
            crate::clock::fmt_duration(grace)
        ));
        let abandon = async {
            tokio::time::sleep(grace).await;
            ctl.advance(Phase::Abandon);
            std::future::pending::<()>().await;
        };
        tokio::select! {
            () = signals.next() => {
                note("interrupted again: quitting at once, without the summary");
                std::process::exit(crate::exit::Code::Interrupted as i32);
            }
            () = ctl.until(Phase::Done) => {}
            () = abandon => {}
        }
    }

    /// SIGINT, as a stream of occurrences.
    struct Signals {
        #[cfg(unix)]
        int: tokio::signal::unix::Signal,
    }

    impl Signals {
        /// Must run inside a runtime: registers the handler at once.
        fn new() -> std::io::Result<Signals> {
            #[cfg(unix)]
            {
                use tokio::signal::unix::{signal, SignalKind};
                Ok(Signals {
                    int: signal(SignalKind::interrupt())?,
                })
            }
            #[cfg(not(unix))]
            Ok(Signals {})
        }

        async fn next(&mut self) {
            #[cfg(unix)]
            {
                if self.int.recv().await.is_none() {
                    std::future::pending::<()>().await;
                }
            }
            #[cfg(not(unix))]
            {
                if tokio::signal::ctrl_c().await.is_err() {
                    std::future::pending::<()>().await;
                }
            }
        }
    }
}

/// A source of the indices `0..total`, shared by every worker.
pub fn indices(total: u64) -> impl Fn() -> std::future::Ready<Option<u64>> + Sync {
    let counter = AtomicU64::new(0);
    move || {
        let i = counter.fetch_add(1, Ordering::Relaxed);
        std::future::ready((i < total).then_some(i))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::callback::{Callback, Identity};
    use crate::catalogue::catalogue;
    use bytes::Bytes;
    use std::collections::BTreeSet;
    use std::net::TcpListener;

    /// Collects what it is given.
    #[derive(Default)]
    struct Collect(Vec<(u16, u32)>);

    impl Sink for Collect {
        fn record(&mut self, d: &Delivery) -> std::io::Result<()> {
            self.0.push((d.status.unwrap_or(0), d.attempts));
            Ok(())
        }
    }

    fn options(concurrency: u64, rate: Option<f64>, retries: u32) -> Options {
        Options {
            policy: Policy {
                timeout: Duration::from_secs(2),
                max_latency: None,
                retries,
                backoff: Duration::from_millis(1),
                expect: Expect::Ok,
            },
            concurrency,
            rate,
            https: false,
            connection: Connection::default(),
        }
    }

    /// A callback to a loopback port where nothing listens.
    fn to_nowhere() -> Callback {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let target = url::Url::parse(&format!("http://127.0.0.1:{port}/")).unwrap();
        let identity = Identity {
            sdkappid: "1".into(),
            token: None,
            client_ip: "127.0.0.1".into(),
            platform: "RESTAPI".into(),
            extra_query: vec![],
        };
        let event = catalogue().find("SessionBegin").unwrap();
        Callback::new(
            event,
            &target,
            &identity,
            Bytes::from_static(b"{}"),
            "r".into(),
            1,
            None,
        )
    }

    #[test]
    fn every_index_is_worked_exactly_once_across_lanes() {
        let seen = Mutex::new(BTreeSet::new());
        let seen_ref = &seen;
        run(
            options(7, None, 0),
            Collect::default(),
            indices(500),
            |i, _lane| async move {
                assert!(seen_ref.lock().unwrap().insert(i), "index {i} twice");
                Ok(())
            },
        )
        .unwrap();
        assert_eq!(seen.into_inner().unwrap(), (0..500).collect());
    }

    #[test]
    fn the_first_work_error_stops_the_run_and_is_returned() {
        let done = AtomicU64::new(0);
        let done_ref = &done;
        let err = run(
            options(1, None, 0),
            Collect::default(),
            indices(1000),
            |i, _| async move {
                done_ref.fetch_add(1, Ordering::Relaxed);
                if i == 3 {
                    anyhow::bail!("broken item {i}");
                }
                Ok(())
            },
        )
        .err()
        .expect("the run fails");
        assert_eq!(err.to_string(), "broken item 3");
        assert_eq!(
            done.load(Ordering::Relaxed),
            4,
            "no item after the failing one"
        );
    }

    #[test]
    fn rate_spaces_the_send_slots() {
        // 5 sends at 50/s take at least 4 intervals of 20 ms (a lower bound only).
        let start = Instant::now();
        let sink = run(
            options(5, Some(50.0), 0),
            Collect::default(),
            indices(5),
            |_, lane| async move {
                let d = lane
                    .send(to_nowhere())
                    .await
                    .expect("the run is not stopped");
                lane.emit(&d);
                Ok(())
            },
        )
        .unwrap();
        assert!(
            start.elapsed() >= Duration::from_millis(80),
            "{:?}",
            start.elapsed()
        );
        assert_eq!(sink.0.len(), 5);
    }

    #[test]
    fn failed_deliveries_are_retried_up_to_the_limit() {
        let sink = run(
            options(1, None, 2),
            Collect::default(),
            indices(1),
            |_, lane| async move {
                let d = lane
                    .send(to_nowhere())
                    .await
                    .expect("the run is not stopped");
                assert!(d.error.is_some());
                lane.emit(&d);
                Ok(())
            },
        )
        .unwrap();
        assert_eq!(sink.0, vec![(0, 3)]);
    }
}
