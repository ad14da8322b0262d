//! [`Hub`]: the exchanges the inspector holds, and the news of each new one.
//!
//! A ring of the last `keep` exchanges, also bounded in bytes (bodies reach 1 MiB each), so a
//! long run keeps memory flat; and a broadcast channel that tells each open page about every
//! new exchange. Recording is what the receiver's request task pays: one uncontended lock, a
//! push, and a send that costs nothing without a page open. Everything the page reads (the
//! summary, the detail) is computed later, by the inspector's own tasks.

use super::view;
use crate::exchange::Exchange;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use tokio::sync::broadcast;

/// Bytes the ring may hold (bodies, answers, headers) before it drops its oldest exchanges.
pub const BYTE_BUDGET: usize = 64 * 1024 * 1024;

/// News a page's feed can fall behind on (between two batches) before the oldest are only
/// counted.
const NEWS_BACKLOG: usize = 1024;

#[cfg(test)]
pub const NEWS_BACKLOG_FOR_TESTS: usize = NEWS_BACKLOG;

/// One exchange as the inspector holds it.
pub struct Entry {
    /// The inspector's own id: unique within this run, history included (capture `seq`s
    /// restart with every `listen` run).
    pub id: u64,
    pub ex: Exchange,
    /// Read from the `--save` capture at start, not received by this run.
    pub from_history: bool,
    summary: OnceLock<String>,
}

impl Entry {
    /// The list row of this exchange as JSON, computed once, when a page first needs it.
    pub fn summary_json(&self, ctx: &view::Context) -> &str {
        self.summary
            .get_or_init(|| serde_json::to_string(&view::summary(self, ctx)).unwrap_or_default())
    }

    /// What the entry costs in memory, roughly.
    fn size(&self) -> usize {
        let ex = &self.ex;
        let headers: usize = ex.headers.iter().map(|(k, v)| k.len() + v.len() + 48).sum();
        512 + ex.query.len()
            + ex.path.len()
            + headers
            + ex.body.as_ref().map_or(0, String::len)
            + ex.body_base64.as_ref().map_or(0, String::len)
            + ex.answer.len()
    }
}

struct Ring {
    entries: VecDeque<Arc<Entry>>,
    bytes: usize,
    next_id: u64,
}

/// The exchanges held, and the news of new ones.
pub struct Hub {
    ring: Mutex<Ring>,
    news: broadcast::Sender<Arc<Entry>>,
    keep: usize,
    budget: usize,
    recorded: AtomicU64,
}

impl Hub {
    /// A hub holding the last `keep` exchanges (and at most [`BYTE_BUDGET`] bytes of them).
    pub fn new(keep: usize) -> Arc<Hub> {
        Hub::with_budget(keep, BYTE_BUDGET)
    }

    pub fn with_budget(keep: usize, budget: usize) -> Arc<Hub> {
        let (news, _) = broadcast::channel(NEWS_BACKLOG);
        Arc::new(Hub {
            ring: Mutex::new(Ring {
                entries: VecDeque::new(),
                bytes: 0,
                next_id: 1,
            }),
            news,
            keep: keep.max(1),
            budget,
            recorded: AtomicU64::new(0),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Ring> {
        self.ring.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Hold a new exchange (dropping the oldest beyond the bounds) and tell the pages.
    pub fn record(&self, ex: Exchange) {
        self.push(ex, false);
    }

    /// Hold an exchange read from the capture at start.
    pub fn record_history(&self, ex: Exchange) {
        self.push(ex, true);
    }

    fn push(&self, ex: Exchange, from_history: bool) {
        let mut ring = self.lock();
        let entry = Arc::new(Entry {
            id: ring.next_id,
            ex,
            from_history,
            summary: OnceLock::new(),
        });
        ring.next_id += 1;
        ring.bytes += entry.size();
        ring.entries.push_back(entry.clone());
        while ring.entries.len() > self.keep || (ring.bytes > self.budget && ring.entries.len() > 1)
        {
            if let Some(old) = ring.entries.pop_front() {
                ring.bytes -= old.size();
            }
        }
        // Sent under the lock, so news arrive in id order; without a page open it fails at once.
        let _ = self.news.send(entry);
        drop(ring);
        self.recorded.fetch_add(1, Ordering::Relaxed);
    }

    /// The exchanges held, oldest first, and a subscription to the news after them: taken under
    /// one lock, so nothing falls between the two.
    pub fn snapshot_and_subscribe(&self) -> (Vec<Arc<Entry>>, broadcast::Receiver<Arc<Entry>>) {
        let ring = self.lock();
        (
            ring.entries.iter().cloned().collect(),
            self.news.subscribe(),
        )
    }

    /// The exchanges held, oldest first.
    pub fn snapshot(&self) -> Vec<Arc<Entry>> {
        self.lock().entries.iter().cloned().collect()
    }

    /// One exchange by id, if it is still held.
    pub fn get(&self, id: u64) -> Option<Arc<Entry>> {
        let ring = self.lock();
        // Ids increase along the ring: a binary search finds it.
        let i = ring.entries.binary_search_by_key(&id, |e| e.id).ok()?;
        ring.entries.get(i).cloned()
    }

    /// How many exchanges are held now, and how many were ever recorded.
    pub fn counts(&self) -> (usize, u64) {
        (
            self.lock().entries.len(),
            self.recorded.load(Ordering::Relaxed),
        )
    }

    pub fn keep(&self) -> usize {
        self.keep
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inspect::testing::exchange;

    #[test]
    fn keeps_the_last_n_in_order_with_increasing_ids() {
        let hub = Hub::new(3);
        for i in 1..=5 {
            hub.record(exchange(i, "{}"));
        }
        let ids: Vec<u64> = hub.snapshot().iter().map(|e| e.id).collect();
        assert_eq!(ids, [3, 4, 5]);
        assert_eq!(hub.counts(), (3, 5));
        assert!(hub.get(2).is_none());
        assert_eq!(hub.get(4).unwrap().ex.seq, 4);
    }

    #[test]
    fn the_byte_budget_drops_the_oldest_but_keeps_the_newest() {
        let hub = Hub::with_budget(100, 10_000);
        let big = format!("\"{}\"", "x".repeat(4000));
        for i in 1..=10 {
            hub.record(exchange(i, &big));
        }
        let held = hub.snapshot();
        assert!(held.len() < 10 && !held.is_empty(), "{}", held.len());
        assert_eq!(held.last().unwrap().id, 10);
        let huge = format!("\"{}\"", "x".repeat(50_000));
        hub.record(exchange(11, &huge));
        assert_eq!(
            hub.snapshot().len(),
            1,
            "one over-budget exchange is still shown"
        );
    }

    #[test]
    fn subscribers_get_news_after_their_snapshot() {
        let hub = Hub::new(10);
        hub.record(exchange(1, "{}"));
        let (snap, mut rx) = hub.snapshot_and_subscribe();
        assert_eq!(snap.len(), 1);
        hub.record(exchange(2, "{}"));
        assert_eq!(rx.try_recv().unwrap().id, 2);
        assert!(rx.try_recv().is_err());
    }
}
