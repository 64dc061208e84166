//! The audit log: every token issued or refused, recorded without slowing the token path.
//!
//! Endpoints hand events to a bounded channel and never wait. An event holds shared strings
//! (`Arc<str>`: the workload's id, the identity's ids, an interned audience), so recording a
//! token served from cache costs a few reference-count increments and a channel send, no
//! allocation. One task drains the channel every 50 ms, merges identical events of the same
//! second into one row with a count, and writes them to the store. If the store falls behind
//! and the channel fills, events are counted as dropped and a warning is logged. On shutdown
//! the writer drains the channel before the server exits.

use dashmap::DashMap;
use inkan_core::clock::Clock;
use inkan_store::{AuditEvent, AuditOutcome, Store};
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use time::OffsetDateTime;
use tokio::sync::mpsc;

const CAPACITY: usize = 65_536;
/// How often queued events are written.
const FLUSH_INTERVAL: std::time::Duration = std::time::Duration::from_millis(50);
/// Interned audiences are bounded: only resources tokens are issued for are interned.
const MAX_INTERNED: usize = 1_024;

/// What an endpoint knows about a token decision.
#[derive(Debug, Clone, Default)]
pub struct Decision {
    pub surface: &'static str,
    pub caller_resource: Option<Arc<str>>,
    pub principal_id: Option<Arc<str>>,
    pub client_id: Option<Arc<str>>,
    pub audience: Option<Arc<str>>,
}

/// A shared string compared and hashed by identity, so merging events never hashes text.
#[derive(Debug, Clone)]
struct Shared(Arc<str>);

impl PartialEq for Shared {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}
impl Eq for Shared {}
impl Hash for Shared {
    fn hash<H: Hasher>(&self, state: &mut H) {
        std::ptr::hash(Arc::as_ptr(&self.0).cast::<u8>(), state);
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Pending {
    at: i64,
    surface: &'static str,
    caller: Option<Shared>,
    principal: Option<Shared>,
    client: Option<Shared>,
    audience: Option<Shared>,
    issued: bool,
    reason: Option<Shared>,
}

/// Where endpoints send audit events.
#[derive(Debug)]
pub struct AuditLog {
    /// `None` once closed; swapped without a lock so the token path never waits.
    sender: arc_swap::ArcSwapOption<mpsc::Sender<Pending>>,
    clock: Arc<dyn Clock>,
    audiences: DashMap<Box<str>, Arc<str>>,
    dropped: AtomicU64,
}

impl AuditLog {
    /// Starts the writer task; returns the log and the task to await on shutdown.
    pub fn start(store: Arc<dyn Store>, clock: Arc<dyn Clock>) -> (Self, tokio::task::JoinHandle<()>) {
        let (sender, mut rx) = mpsc::channel::<Pending>(CAPACITY);
        let task = tokio::spawn(async move {
            // The writer wakes on a timer rather than per event, so senders on the token path
            // never pay for waking it.
            let mut tick = tokio::time::interval(FLUSH_INTERVAL);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let mut merged: HashMap<Pending, u64> = HashMap::new();
            let mut order: Vec<Pending> = Vec::new();
            loop {
                tick.tick().await;
                let closed = loop {
                    match rx.try_recv() {
                        Ok(event) => {
                            let count = merged.entry(event.clone()).or_insert(0);
                            if *count == 0 {
                                order.push(event);
                            }
                            *count += 1;
                        }
                        Err(mpsc::error::TryRecvError::Empty) => break false,
                        Err(mpsc::error::TryRecvError::Disconnected) => break true,
                    }
                };
                if !order.is_empty() {
                    let rows: Vec<AuditEvent> = order
                        .drain(..)
                        .map(|p| {
                            let count = merged.remove(&p).unwrap_or(1);
                            to_row(p, count)
                        })
                        .collect();
                    if let Err(e) = store.append_audit(rows).await {
                        tracing::error!("writing audit events failed: {e}");
                    }
                }
                if closed {
                    break;
                }
            }
        });
        let log = Self {
            sender: arc_swap::ArcSwapOption::from_pointee(sender),
            clock,
            audiences: DashMap::new(),
            dropped: AtomicU64::new(0),
        };
        (log, task)
    }

    /// A shared copy of an audience tokens are issued for (interned: no allocation after the
    /// first time).
    pub fn audience(&self, resource: &str) -> Arc<str> {
        if let Some(found) = self.audiences.get(resource) {
            return Arc::clone(&found);
        }
        let shared: Arc<str> = Arc::from(resource);
        if self.audiences.len() < MAX_INTERNED {
            self.audiences.insert(resource.into(), Arc::clone(&shared));
        }
        shared
    }

    /// Records a token issued.
    pub fn issued(&self, d: &Decision) {
        self.record(d, true, None);
    }

    /// Records a refusal and why.
    pub fn refused(&self, d: &Decision, reason: &str) {
        self.record(d, false, Some(Arc::from(reason)));
    }

    fn record(&self, d: &Decision, issued: bool, reason: Option<Arc<str>>) {
        let Some(sender) = self.sender.load_full() else { return };
        let event = Pending {
            at: self.clock.unix(),
            surface: d.surface,
            caller: d.caller_resource.clone().map(Shared),
            principal: d.principal_id.clone().map(Shared),
            client: d.client_id.clone().map(Shared),
            audience: d.audience.clone().map(Shared),
            issued,
            reason: reason.map(Shared),
        };
        if sender.try_send(event).is_err() {
            let dropped = self.dropped.fetch_add(1, Ordering::Relaxed) + 1;
            if dropped.is_power_of_two() {
                tracing::warn!("the audit log is behind: {dropped} events dropped so far");
            }
        }
    }

    /// Stops accepting events so the writer can drain and end.
    pub fn close(&self) {
        self.sender.store(None);
    }
}

fn to_row(p: Pending, count: u64) -> AuditEvent {
    let text = |s: Option<Shared>| s.map(|s| s.0.to_string());
    AuditEvent {
        seq: 0,
        at: OffsetDateTime::from_unix_timestamp(p.at).unwrap_or(OffsetDateTime::UNIX_EPOCH),
        surface: p.surface.to_owned(),
        caller_resource: text(p.caller),
        principal_id: text(p.principal),
        client_id: text(p.client),
        audience: text(p.audience),
        outcome: if p.issued { AuditOutcome::Issued } else { AuditOutcome::Refused },
        reason: text(p.reason).unwrap_or_else(|| "issued".to_owned()),
        count,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_sharing_strings_merge_and_others_do_not() {
        let caller: Arc<str> = Arc::from("/vm");
        let event = |at, caller: &Arc<str>| Pending {
            at,
            surface: "imds",
            caller: Some(Shared(Arc::clone(caller))),
            principal: None,
            client: None,
            audience: None,
            issued: true,
            reason: None,
        };
        assert_eq!(event(1, &caller), event(1, &caller));
        assert_ne!(event(1, &caller), event(2, &caller));
        assert_ne!(
            event(1, &caller),
            event(1, &Arc::from("/vm")),
            "same text, different string: kept apart, never mixed up"
        );
        assert_eq!(to_row(event(1, &caller), 7).count, 7);
    }
}
