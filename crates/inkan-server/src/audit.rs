//! The audit log: every token issued or refused, recorded without slowing the token path.
//!
//! Endpoints hand events to a bounded channel (never blocking); one task writes them to the
//! store in batches. If the store falls behind and the channel fills, events are counted as
//! dropped and a warning is logged, rather than making token requests wait. On shutdown the
//! writer drains the channel before the server exits.

use inkan_core::clock::Clock;
use inkan_store::{AuditEvent, AuditOutcome, Store};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::sync::mpsc;

const CAPACITY: usize = 65_536;
const BATCH: usize = 1_024;

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
            let mut batch = Vec::with_capacity(BATCH);
            while rx.recv_many(&mut batch, BATCH).await > 0 {
                if let Err(e) = store.append_audit(std::mem::take(&mut batch)).await {
                    tracing::error!("writing audit events failed: {e}");
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
