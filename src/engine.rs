//! The delivery engine shared by `send`, `flow` and `replay`.
//!
//! A run is split into *lanes*: one OS thread each, with its own single-threaded tokio
//! runtime, its own HTTP client (so its own connection pool) and its share of the
//! `--concurrency` workers. Workers pull the next item from a shared source (an atomic
//! counter for `send`/`flow`, a bounded channel fed by the capture reader for `replay`),
//! deliver it, and record each outcome straight into the shared sink (summary, output,
//! progress). Nothing hops between threads per request except that one short lock, which is
//! what the profile of the first design (a shared receiver and a collector task) asked for.
//!
//! Memory stays bounded whatever the count (latencies are 4 bytes each); `--rate` is one
//! shared schedule of send slots; Ctrl-C stops new work, lets in-flight callbacks finish
//! and still prints the summary.

use crate::cli::Expect;
use crate::http::{self, deliver, Outcome, Policy, Prepared};
use crate::output::{progress, Reporter, Summary};
use anyhow::Result;
use futures_util::stream::{FuturesUnordered, StreamExt};
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How a run goes: the delivery policy and the load shape.
pub struct Options {
    pub policy: Policy,
    pub concurrency: u64,
    pub rate: Option<f64>,
    /// How the results are shown.
    pub reporter: Reporter,
    /// Whether the target is `https://` (else the client skips loading TLS roots).
    pub https: bool,
    /// Known total of outcomes, for the progress bar.
    pub total: Option<u64>,
    pub progress: bool,
    pub title: String,
}

/// `--rate`: a shared schedule of send slots, one every `interval` from the start.
struct Pacer {
    start: Instant,
    interval_ns: u64,
    next: AtomicU64,
}

impl Pacer {
    async fn wait(&self) {
        let slot = self.next.fetch_add(self.interval_ns, Ordering::Relaxed);
        tokio::time::sleep_until((self.start + Duration::from_nanos(slot)).into()).await;
    }
}

/// Where outcomes go: counted, shown, and ticked on the progress bar, under one lock.
struct Sink {
    inner: Mutex<(Reporter, Summary)>,
    bar: indicatif::ProgressBar,
    failure: Mutex<Option<anyhow::Error>>,
}

/// What every lane shares.
struct Common {
    policy: Policy,
    https: bool,
    pacer: Option<Pacer>,
    stop: AtomicBool,
    sink: Sink,
}

/// One lane's view of the run: its own client over the shared state.
pub struct Lane {
    client: reqwest::Client,
    common: Arc<Common>,
}

impl Lane {
    pub fn policy(&self) -> &Policy {
        &self.common.policy
    }

    /// Deliver one callback (after its `--rate` slot), judged against the run's expectation.
    pub async fn send(&self, p: Prepared) -> Outcome {
        self.send_expecting(p, self.common.policy.expect).await
    }

    /// Deliver one callback whose answer is judged against `expect` (a flow step's own).
    pub async fn send_expecting(&self, p: Prepared, expect: Expect) -> Outcome {
        if let Some(pacer) = &self.common.pacer {
            pacer.wait().await;
        }
        if expect == self.common.policy.expect {
            return deliver(&self.client, &self.common.policy, p).await;
        }
        let policy = Policy {
            expect,
            ..self.common.policy.clone()
        };
        deliver(&self.client, &policy, p).await
    }

    /// Record one outcome: summary, output line, progress.
    pub fn emit(&self, o: &Outcome) {
        let sink = &self.common.sink;
        let mut guard = sink.inner.lock().unwrap_or_else(|e| e.into_inner());
        let (reporter, summary) = &mut *guard;
        summary.add(o);
        if let Err(e) = sink.bar.suspend(|| reporter.outcome(o)) {
            drop(guard);
            self.fail(e.into());
            return;
        }
        sink.bar.inc(1);
    }

    pub fn stopped(&self) -> bool {
        self.common.stop.load(Ordering::Relaxed)
    }

    /// Stop the run with an error (the first one wins).
    pub fn fail(&self, e: anyhow::Error) {
        self.common.stop.store(true, Ordering::Relaxed);
        self.common
            .sink
            .failure
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get_or_insert(e);
    }
}

/// How many lanes: one per core, never more than there are workers.
fn lanes_for(concurrency: u64) -> usize {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    (cores as u64).min(concurrency).max(1) as usize
}

/// Run `work` on every item `next` yields, `concurrency` at a time across the lanes, and
/// print the report. `next` is shared by every worker and returns `None` when the source is
/// exhausted; `work` delivers one item and records its outcomes with [`Lane::emit`].
pub fn run<T, N, NF, W, WF>(opts: Options, next: N, work: W) -> Result<Summary>
where
    N: Fn() -> NF + Sync,
    NF: Future<Output = Option<T>>,
    W: Fn(T, Arc<Lane>) -> WF + Sync,
    WF: Future<Output = Result<()>>,
{
    let lanes = lanes_for(opts.concurrency);
    let common = Arc::new(Common {
        pacer: opts.rate.filter(|r| *r > 0.0).map(|r| Pacer {
            start: Instant::now(),
            interval_ns: (1e9 / r) as u64,
            next: AtomicU64::new(0),
        }),
        stop: AtomicBool::new(false),
        sink: Sink {
            inner: Mutex::new((opts.reporter, Summary::default())),
            bar: progress(opts.total, opts.progress),
            failure: Mutex::new(None),
        },
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
                Ok(Err(e)) => fail(&common, e),
                Err(_) => fail(&common, anyhow::anyhow!("a delivery thread panicked")),
            }
        }
    });
    let common = Arc::try_unwrap(common).map_err(|_| anyhow::anyhow!("a lane outlived the run"))?;
    common.sink.bar.finish_and_clear();
    if let Some(e) = common
        .sink
        .failure
        .into_inner()
        .unwrap_or_else(|e| e.into_inner())
    {
        return Err(e);
    }
    let (mut reporter, mut summary) = common
        .sink
        .inner
        .into_inner()
        .unwrap_or_else(|e| e.into_inner());
    reporter.finish(&mut summary, &opts.title)?;
    Ok(summary)
}

fn fail(common: &Common, e: anyhow::Error) {
    common.stop.store(true, Ordering::Relaxed);
    common
        .sink
        .failure
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get_or_insert(e);
}

/// One lane: a current-thread runtime polling its workers, all on this thread.
fn lane_main<T, N, NF, W, WF>(
    k: usize,
    workers: u64,
    common: Arc<Common>,
    next: &N,
    work: &W,
) -> Result<()>
where
    N: Fn() -> NF,
    NF: Future<Output = Option<T>>,
    W: Fn(T, Arc<Lane>) -> WF,
    WF: Future<Output = Result<()>>,
{
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let client = http::client(&common.policy, workers as usize, common.https)?;
    let lane = Arc::new(Lane { client, common });
    rt.block_on(async {
        let watcher = (k == 0).then(|| tokio::spawn(watch_ctrl_c(lane.common.clone())));
        let mut pool: FuturesUnordered<_> = (0..workers)
            .map(|_| {
                let lane = lane.clone();
                async move {
                    while !lane.stopped() {
                        let Some(item) = next().await else { break };
                        if let Err(e) = work(item, lane.clone()).await {
                            lane.fail(e);
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
    Ok(())
}

/// On Ctrl-C: stop taking new work; in-flight callbacks finish and the summary is printed.
async fn watch_ctrl_c(common: Arc<Common>) {
    if tokio::signal::ctrl_c().await.is_ok() {
        crate::output::note("interrupted: finishing the callbacks in flight, then the summary");
        common.stop.store(true, Ordering::Relaxed);
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
