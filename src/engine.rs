//! The delivery engine shared by `send`, `flow` and `replay`: a producer feeds work items
//! into a bounded channel, `--concurrency` workers turn each into one or more delivered
//! callbacks, and one collector prints results as they arrive and keeps the summary.
//!
//! Memory stays bounded whatever the count (the channel holds at most 2×C items, latencies
//! are 4 bytes each); `--rate` is one shared ticker; Ctrl-C stops new work, lets in-flight
//! callbacks finish and still prints the summary.

use crate::http::{deliver, Outcome, Policy, Prepared};
use crate::output::{progress, Reporter, Summary};
use anyhow::Result;
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, Mutex};

/// What every worker shares: the client, the policy, the rate limiter, the stop flag.
pub struct Shared {
    pub client: reqwest::Client,
    pub policy: Policy,
    limiter: Option<Mutex<tokio::time::Interval>>,
    stop: AtomicBool,
}

impl Shared {
    pub fn new(client: reqwest::Client, policy: Policy, rate: Option<f64>) -> Arc<Shared> {
        let limiter = rate.filter(|r| *r > 0.0).map(|r| {
            let mut iv = tokio::time::interval(Duration::from_secs_f64(1.0 / r));
            iv.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            Mutex::new(iv)
        });
        Arc::new(Shared {
            client,
            policy,
            limiter,
            stop: AtomicBool::new(false),
        })
    }

    /// Deliver one callback, after waiting for the rate limiter.
    pub async fn send(&self, p: Prepared) -> Outcome {
        self.send_expecting(p, self.policy.expect).await
    }

    /// Deliver one callback whose answer is judged against `expect` (a flow step's own).
    pub async fn send_expecting(&self, p: Prepared, expect: crate::cli::Expect) -> Outcome {
        if let Some(l) = &self.limiter {
            l.lock().await.tick().await;
        }
        if expect == self.policy.expect {
            return deliver(&self.client, &self.policy, p).await;
        }
        let policy = Policy {
            expect,
            ..self.policy.clone()
        };
        deliver(&self.client, &policy, p).await
    }

    pub fn stopped(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }

    pub fn stop(&self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// How a run is shown.
pub struct Display<'a> {
    pub reporter: &'a mut Reporter,
    pub total: Option<u64>,
    pub progress: bool,
    pub title: &'a str,
}

/// Where a worker puts its outcomes, one at a time, as they happen.
#[derive(Clone)]
pub struct Emitter(mpsc::Sender<Result<Outcome>>);

impl Emitter {
    /// Hand one outcome to the collector; false once the run is over.
    pub async fn emit(&self, o: Outcome) -> bool {
        self.0.send(Ok(o)).await.is_ok()
    }
}

/// Run `work` on every item `produce` yields, `concurrency` at a time, and report.
///
/// `produce` gets a sender and the shared state and pushes items until done (or stopped);
/// `work` emits the outcomes of one item (a flow run has many) through its [`Emitter`].
pub async fn run<T, P, PF, W, WF>(
    shared: Arc<Shared>,
    concurrency: u64,
    produce: P,
    work: W,
    display: Display<'_>,
) -> Result<Summary>
where
    T: Send + 'static,
    P: FnOnce(mpsc::Sender<T>, Arc<Shared>) -> PF,
    PF: Future<Output = Result<()>> + Send + 'static,
    W: Fn(T, Arc<Shared>, Emitter) -> WF + Send + Sync + 'static,
    WF: Future<Output = Result<()>> + Send + 'static,
{
    let (item_tx, item_rx) = mpsc::channel::<T>(concurrency as usize * 2);
    let (out_tx, mut out_rx) = mpsc::channel::<Result<Outcome>>(concurrency as usize * 4);
    let producer = tokio::spawn(produce(item_tx, shared.clone()));
    let item_rx = Arc::new(Mutex::new(item_rx));
    let work = Arc::new(work);
    for _ in 0..concurrency {
        let (rx, tx, work, shared) = (
            item_rx.clone(),
            out_tx.clone(),
            work.clone(),
            shared.clone(),
        );
        tokio::spawn(async move {
            loop {
                let item = { rx.lock().await.recv().await };
                let Some(item) = item else { break };
                if shared.stopped() {
                    break;
                }
                if let Err(e) = work(item, shared.clone(), Emitter(tx.clone())).await {
                    let _ = tx.send(Err(e)).await;
                    break;
                }
            }
        });
    }
    drop(out_tx);
    let ctrl_c = watch_ctrl_c(shared.clone());
    let result = collect(&mut out_rx, &shared, display).await;
    ctrl_c.abort();
    shared.stop();
    drop(out_rx);
    let produced = producer
        .await
        .map_err(|e| anyhow::anyhow!("producer task failed: {e}"))?;
    let summary = result?;
    produced?;
    Ok(summary)
}

async fn collect(
    rx: &mut mpsc::Receiver<Result<Outcome>>,
    shared: &Shared,
    display: Display<'_>,
) -> Result<Summary> {
    let bar = progress(display.total, display.progress);
    let mut summary = Summary::default();
    let mut first_error = None;
    while let Some(next) = rx.recv().await {
        match next {
            Ok(o) => {
                summary.add(&o);
                bar.suspend(|| display.reporter.outcome(&o))?;
                bar.inc(1);
            }
            Err(e) => {
                shared.stop();
                first_error.get_or_insert(e);
            }
        }
    }
    bar.finish_and_clear();
    if let Some(e) = first_error {
        return Err(e);
    }
    display.reporter.finish(&mut summary, display.title)?;
    Ok(summary)
}

/// On Ctrl-C: stop producing; in-flight callbacks finish and the summary is still printed.
fn watch_ctrl_c(shared: Arc<Shared>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            crate::output::note("interrupted: finishing the callbacks in flight, then the summary");
            shared.stop();
        }
    })
}

/// A producer of the indices `0..total`.
pub async fn produce_indices(total: u64, tx: mpsc::Sender<u64>, shared: Arc<Shared>) -> Result<()> {
    for i in 0..total {
        if shared.stopped() || tx.send(i).await.is_err() {
            break;
        }
    }
    Ok(())
}
