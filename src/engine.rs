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
//! `--rate` is one shared schedule of send slots; Ctrl-C stops new work and lets in-flight
//! callbacks finish.

use crate::callback::Callback;
use crate::envelope::Expect;
use crate::latency::Latencies;
use crate::term::note;
use crate::transport::{self, deliver, Delivery, Policy};
use anyhow::Result;
use futures_util::stream::{FuturesUnordered, StreamExt};
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Where a run's deliveries go (counted, shown, reported), one at a time.
pub trait Sink: Send {
    fn record(&mut self, delivery: &Delivery) -> std::io::Result<()>;

    /// The answer times of the whole run, once every lane is done.
    fn latencies(&mut self, _latencies: Latencies) {}
}

/// How a run goes: the delivery policy and the load shape.
pub struct Options {
    pub policy: Policy,
    pub concurrency: u64,
    pub rate: Option<f64>,
    /// Whether the target is `https://` (else the client skips loading TLS roots).
    pub https: bool,
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
    pacer: Option<Pacer>,
    /// Set to stop taking new work (shared with the Ctrl-C watcher).
    stop: Arc<AtomicBool>,
    sink: Mutex<S>,
    failure: Mutex<Option<anyhow::Error>>,
    /// Every finished lane's answer times, merged.
    latencies: Mutex<Latencies>,
}

impl<S> Common<S> {
    /// Stop the run with an error (the first one wins).
    fn fail(&self, e: anyhow::Error) {
        self.stop.store(true, Ordering::Relaxed);
        self.failure
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get_or_insert(e);
    }
}

/// One lane's view of the run: its own client over the shared state.
pub struct Lane<S> {
    client: reqwest::Client,
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

    /// Deliver one callback (after its `--rate` slot), judged against the run's expectation.
    pub async fn send(&self, c: Callback) -> Delivery {
        self.send_expecting(c, self.common.policy.expect).await
    }

    /// Deliver one callback whose answer is judged against `expect` (a flow step's own).
    pub async fn send_expecting(&self, c: Callback, expect: Expect) -> Delivery {
        if let Some(pacer) = &self.common.pacer {
            pacer.wait().await;
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
        d
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
        self.common.stop.load(Ordering::Relaxed)
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
    let common = Arc::new(Common {
        pacer: opts.rate.filter(|r| *r > 0.0).map(Pacer::new),
        stop: Arc::new(AtomicBool::new(false)),
        sink: Mutex::new(sink),
        failure: Mutex::new(None),
        latencies: Mutex::new(Latencies::default()),
        policy: opts.policy,
        https: opts.https,
    });
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..lanes)
            .map(|k| {
                let workers = opts.concurrency / lanes as u64
                    + u64::from((k as u64) < opts.concurrency % lanes as u64);
                let (common, next, work) = (common.clone(), &next, &work);
                scope.spawn(move || lane_main(k, workers, common, next, work))
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
    let common = Arc::try_unwrap(common).map_err(|_| anyhow::anyhow!("a lane outlived the run"))?;
    if let Some(e) = common
        .failure
        .into_inner()
        .unwrap_or_else(|e| e.into_inner())
    {
        return Err(e);
    }
    let mut sink = common.sink.into_inner().unwrap_or_else(|e| e.into_inner());
    sink.latencies(
        common
            .latencies
            .into_inner()
            .unwrap_or_else(|e| e.into_inner()),
    );
    Ok(sink)
}

/// One lane: a current-thread runtime polling its workers, all on this thread.
fn lane_main<S, T, N, NF, W, WF>(
    k: usize,
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
    let client = transport::client(common.policy.timeout, workers as usize, common.https)?;
    let lane = Arc::new(Lane {
        client,
        common,
        latencies: Mutex::default(),
        started: AtomicU64::new(0),
        workers,
    });
    rt.block_on(async {
        let watcher = (k == 0).then(|| tokio::spawn(watch_ctrl_c(lane.common.stop.clone())));
        let mut pool: FuturesUnordered<_> = (0..workers)
            .map(|_| {
                let lane = lane.clone();
                async move {
                    while !lane.stopped() {
                        let Some(item) = next().await else { break };
                        if let Err(e) = work(item, lane.clone()).await {
                            lane.common.fail(e);
                        }
                    }
                }
            })
            .collect();
        while pool.next().await.is_some() {}
        if let Some(w) = watcher {
            w.abort();
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

/// On Ctrl-C: stop taking new work; in-flight callbacks finish.
async fn watch_ctrl_c(stop: Arc<AtomicBool>) {
    if tokio::signal::ctrl_c().await.is_ok() {
        note("interrupted: finishing the callbacks in flight, then the summary");
        stop.store(true, Ordering::Relaxed);
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
                let d = lane.send(to_nowhere()).await;
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
                let d = lane.send(to_nowhere()).await;
                assert!(d.error.is_some());
                lane.emit(&d);
                Ok(())
            },
        )
        .unwrap();
        assert_eq!(sink.0, vec![(0, 3)]);
    }
}
