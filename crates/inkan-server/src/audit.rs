//! The audit log: every token issued or refused, recorded without slowing the token path.
//!
//! Endpoints hand events to a bounded channel (never blocking); one task writes them to the
//! store in batches every 50 ms. If the store falls behind and the channel fills, events are counted as
//! dropped and a warning is logged, rather than making token requests wait. On shutdown the
//! writer drains the channel before the server exits.

use inkan_core::clock::Clock;
use inkan_store::{AuditEvent, AuditOutcome, Store};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::sync::mpsc;

const CAPACITY: usize = 65_536;
const BATCH: usize = 1_024;
/// How often queued events are written.
const FLUSH_INTERVAL: std::time::Duration = std::time::Duration::from_millis(50);

/// Where endpoints send audit events.
#[derive(Debug)]
pub struct AuditLog {
    /// `None` once closed; swapped without a lock so the token path never waits.
    sender: arc_swap::ArcSwapOption<mpsc::Sender<AuditEvent>>,
    clock: Arc<dyn Clock>,
    dropped: AtomicU64,
}

/// The fields an endpoint knows about a token decision.
#[derive(Debug, Clone, Default)]
pub struct Decision<'a> {
    pub surface: &'a str,
    pub caller_resource: Option<&'a str>,
    pub principal_id: Option<&'a str>,
    pub client_id: Option<&'a str>,
    pub audience: Option<&'a str>,
}

impl AuditLog {
    /// Starts the writer task; returns the log and the task to await on shutdown.
    pub fn start(store: Arc<dyn Store>, clock: Arc<dyn Clock>) -> (Self, tokio::task::JoinHandle<()>) {
        let (sender, mut rx) = mpsc::channel::<AuditEvent>(CAPACITY);
        let task = tokio::spawn(async move {
            // The writer wakes on a timer rather than per event, so senders on the token path
            // never pay for waking it.
            let mut tick = tokio::time::interval(FLUSH_INTERVAL);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let mut batch = Vec::with_capacity(BATCH);
            loop {
                tick.tick().await;
                let closed = loop {
                    match rx.try_recv() {
                        Ok(event) => batch.push(event),
                        Err(mpsc::error::TryRecvError::Empty) => break false,
                        Err(mpsc::error::TryRecvError::Disconnected) => break true,
                    }
                };
                if !batch.is_empty()
                    && let Err(e) = store.append_audit(collapse(std::mem::take(&mut batch))).await
                {
                    tracing::error!("writing audit events failed: {e}");
                }
                if closed {
                    break;
                }
            }
        });
        let log = Self { sender: arc_swap::ArcSwapOption::from_pointee(sender), clock, dropped: AtomicU64::new(0) };
        (log, task)
    }

    /// Records a token issued.
    pub fn issued(&self, d: &Decision<'_>) {
        self.record(d, AuditOutcome::Issued, "issued".into());
    }

    /// Records a refusal and why.
    pub fn refused(&self, d: &Decision<'_>, reason: &str) {
        self.record(d, AuditOutcome::Refused, reason.to_owned());
    }

    fn record(&self, d: &Decision<'_>, outcome: AuditOutcome, reason: String) {
        let event = AuditEvent {
            seq: 0,
            at: self.clock.now(),
            surface: d.surface.to_owned(),
            caller_resource: d.caller_resource.map(str::to_owned),
            principal_id: d.principal_id.map(str::to_owned),
            client_id: d.client_id.map(str::to_owned),
            audience: d.audience.map(str::to_owned),
            outcome,
            reason,
            count: 1,
        };
        let Some(sender) = self.sender.load_full() else { return };
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

/// Merges identical events of the same second into one row with a count: under load a cached
/// token served thousands of times a second is one row, not thousands.
fn collapse(batch: Vec<AuditEvent>) -> Vec<AuditEvent> {
    let mut out: Vec<AuditEvent> = Vec::with_capacity(batch.len().min(64));
    let mut index: std::collections::HashMap<AuditEvent, usize> = std::collections::HashMap::new();
    for event in batch {
        let key = AuditEvent { count: 0, ..event.clone() };
        match index.get(&key) {
            Some(&i) => out[i].count += event.count,
            None => {
                index.insert(key, out.len());
                out.push(event);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identical_events_of_one_second_collapse_into_a_count() {
        let at = time::OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap();
        let event = |reason: &str, secs: i64| AuditEvent {
            seq: 0,
            at: at + time::Duration::seconds(secs),
            surface: "imds".into(),
            caller_resource: Some("/vm".into()),
            principal_id: None,
            client_id: None,
            audience: None,
            outcome: AuditOutcome::Issued,
            reason: reason.into(),
            count: 1,
        };
        let out = collapse(vec![event("a", 0), event("a", 0), event("b", 0), event("a", 1), event("a", 0)]);
        let counts: Vec<(String, u64)> = out.iter().map(|e| (e.reason.clone(), e.count)).collect();
        assert_eq!(counts, vec![("a".into(), 3), ("b".into(), 1), ("a".into(), 1)]);
    }
}
