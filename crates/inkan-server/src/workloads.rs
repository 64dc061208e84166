//! The workloads that identity endpoints serve (VMs, AKS node pools, sites and slots), with
//! their attached identities, in memory.
//!
//! The identity endpoints answer from this index without touching the store, so a token
//! request is a hash lookup. The index is rebuilt from the store after every control-plane
//! write, before the write returns: an identity attached or detached is effective for the very
//! next token request.
//!
//! Each workload has two endpoint secrets derived from the master key (so they are stable across
//! restarts and nothing more is stored): the IMDS path prefix (`/imds/<secret>`) and the App
//! Service `X-IDENTITY-HEADER`. A process must be given its workload's secret to get its tokens;
//! no other workload's token is reachable by accident.

use arc_swap::ArcSwap;
use inkan_core::workload::{AttachedIdentity, IdentityKind};
use inkan_store::{DetachmentRecord, ResourceQuery, ResourceRecord, Store};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Arc;
use zeroize::Zeroizing;

/// What kind of identity endpoint a workload gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WorkloadKind {
    /// IMDS: virtual machines.
    VirtualMachine,
    /// IMDS on the nodes: the kubelet identity of a managed cluster.
    ManagedCluster,
    /// The App Service identity endpoint: sites.
    Site,
    /// The App Service identity endpoint: deployment slots, each with its own identities.
    Slot,
}

impl WorkloadKind {
    fn of(type_key: &str) -> Option<Self> {
        match type_key {
            "microsoft.compute/virtualmachines" => Some(Self::VirtualMachine),
            "microsoft.containerservice/managedclusters" => Some(Self::ManagedCluster),
            "microsoft.web/sites" => Some(Self::Site),
            "microsoft.web/sites/slots" => Some(Self::Slot),
            _ => None,
        }
    }

    /// Whether the workload reaches its identities through IMDS (else the App Service endpoint).
    pub fn uses_imds(self) -> bool {
        matches!(self, Self::VirtualMachine | Self::ManagedCluster)
    }
}

/// One workload.
#[derive(Debug, Clone)]
pub struct Workload {
    pub resource_id: String,
    /// `resource_id`, shared with audit events.
    pub audit_caller: Arc<str>,
    /// (principal id, client id) of each of `identities`, shared with audit events.
    pub audit_identities: Vec<(Arc<str>, Arc<str>)>,
    pub kind: WorkloadKind,
    pub identities: Vec<AttachedIdentity>,
    /// The secret in the IMDS path prefix (`/imds/<secret>`), for IMDS workloads.
    pub imds_secret: String,
    /// The App Service `X-IDENTITY-HEADER`, for sites and slots.
    pub header_secret: String,
    /// The stored ARM body, for `/metadata/instance`.
    pub body: Value,
    /// Identities detached from this workload, newest last: for "when was it detached" hints.
    pub detached: Vec<DetachmentRecord>,
    /// When this incarnation of the resource was created (Unix seconds): a resource deleted and
    /// created again under the same id gets new endpoint secrets, and older host credentials
    /// no longer speak for it.
    pub created_at: i64,
}

#[derive(Debug, Default)]
struct Snapshot {
    by_imds_secret: HashMap<String, Arc<Workload>>,
    by_header_secret: HashMap<String, Arc<Workload>>,
    by_resource: HashMap<String, Arc<Workload>>,
}

/// The index, swappable as a whole.
pub struct WorkloadIndex {
    key: Zeroizing<Vec<u8>>,
    current: ArcSwap<Snapshot>,
    /// Serialises rebuilds so an older state never replaces a newer one.
    rebuilding: tokio::sync::Mutex<()>,
}

impl std::fmt::Debug for WorkloadIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WorkloadIndex").field("workloads", &self.current.load().by_resource.len()).finish()
    }
}

impl WorkloadIndex {
    /// An empty index whose endpoint secrets derive from `key`.
    pub fn new(key: Zeroizing<Vec<u8>>) -> Self {
        Self { key, current: ArcSwap::from_pointee(Snapshot::default()), rebuilding: tokio::sync::Mutex::new(()) }
    }

    /// The workload whose IMDS prefix secret is `secret`.
    pub fn by_imds_secret(&self, secret: &str) -> Option<Arc<Workload>> {
        self.current.load().by_imds_secret.get(secret).cloned()
    }

    /// The site or slot whose identity header is `secret`.
    pub fn by_header_secret(&self, secret: &str) -> Option<Arc<Workload>> {
        self.current.load().by_header_secret.get(secret).cloned()
    }

    /// A workload by resource id (any case).
    pub fn by_resource(&self, id: &str) -> Option<Arc<Workload>> {
        self.current.load().by_resource.get(&id.to_ascii_lowercase()).cloned()
    }

    /// Every principal attached to some workload.
    pub fn attached_principals(&self) -> std::collections::HashSet<String> {
        self.current
            .load()
            .by_resource
            .values()
            .flat_map(|w| w.identities.iter().map(|i| i.principal_id.clone()))
            .collect()
    }

    /// Rebuilds the index from the store.
    pub async fn reload(&self, store: &dyn Store) -> anyhow::Result<()> {
        let _one_at_a_time = self.rebuilding.lock().await;
        let all = store.list_resources(&ResourceQuery::default()).await?;
        let identities: HashMap<String, &ResourceRecord> = all
            .iter()
            .filter(|r| r.type_key == "microsoft.managedidentity/userassignedidentities")
            .map(|r| (r.key(), r))
            .collect();
        let mut detachments: HashMap<String, Vec<DetachmentRecord>> = HashMap::new();
        for d in store.detachments().await? {
            detachments.entry(d.resource_key.clone()).or_default().push(d);
        }
        let mut snapshot = Snapshot::default();
        for record in &all {
            let Some(kind) = WorkloadKind::of(&record.type_key) else { continue };
            let mut attached = Vec::new();
            let identity = &record.body["identity"];
            let has_system =
                identity["type"].as_str().is_some_and(|t| t.to_ascii_lowercase().contains("systemassigned"));
            if has_system && let Some(oid) = identity["principalId"].as_str() {
                let principal = store.principal(oid.parse()?).await?;
                if let Some(p) = principal.filter(|p| p.deleted_at.is_none()) {
                    attached.push(AttachedIdentity {
                        kind: IdentityKind::SystemAssigned,
                        name: "system-assigned".into(),
                        principal_id: p.object_id.to_string(),
                        client_id: p.client_id.to_string(),
                        resource_id: record.id.clone(),
                    });
                }
            }
            let mut user_ids: Vec<String> =
                identity["userAssignedIdentities"].as_object().map(|m| m.keys().cloned().collect()).unwrap_or_default();
            if kind == WorkloadKind::ManagedCluster
                && let Some(kubelet) =
                    record.body["properties"]["identityProfile"]["kubeletidentity"]["resourceId"].as_str()
            {
                // Nodes carry the kubelet identity, not the control plane's.
                user_ids = vec![kubelet.to_owned()];
                attached.clear();
            }
            for id in user_ids {
                if let Some(uai) = identities.get(&id.to_ascii_lowercase()) {
                    let props = &uai.body["properties"];
                    attached.push(AttachedIdentity {
                        kind: IdentityKind::UserAssigned,
                        name: uai.body["name"].as_str().unwrap_or_default().to_owned(),
                        principal_id: props["principalId"].as_str().unwrap_or_default().to_owned(),
                        client_id: props["clientId"].as_str().unwrap_or_default().to_owned(),
                        resource_id: uai.id.clone(),
                    });
                }
            }
            let key = record.key();
            let created = record.created_at.unix_timestamp();
            let workload = Arc::new(Workload {
                imds_secret: inkan_crypto::digest::hmac_hex(&self.key, format!("imds|{key}|{created}").as_bytes())
                    [..32]
                    .to_owned(),
                header_secret: inkan_crypto::digest::hmac_hex(
                    &self.key,
                    format!("app-service|{key}|{created}").as_bytes(),
                ),
                created_at: created,
                resource_id: record.id.clone(),
                audit_caller: Arc::from(record.id.as_str()),
                audit_identities: attached
                    .iter()
                    .map(|a| (Arc::from(a.principal_id.as_str()), Arc::from(a.client_id.as_str())))
                    .collect(),
                kind,
                identities: attached,
                body: record.body.clone(),
                detached: detachments.remove(&key).unwrap_or_default(),
            });
            if kind.uses_imds() {
                snapshot.by_imds_secret.insert(workload.imds_secret.clone(), Arc::clone(&workload));
            } else {
                snapshot.by_header_secret.insert(workload.header_secret.clone(), Arc::clone(&workload));
            }
            snapshot.by_resource.insert(key, workload);
        }
        self.current.store(Arc::new(snapshot));
        Ok(())
    }
}

impl Workload {
    /// An audit decision for a token request by this workload; `identity` is one of its own.
    pub fn decision(
        &self,
        surface: &'static str,
        identity: Option<&AttachedIdentity>,
        audience: Option<Arc<str>>,
    ) -> crate::audit::Decision {
        let ids = identity
            .and_then(|i| self.identities.iter().position(|a| std::ptr::eq(a, i)))
            .and_then(|i| self.audit_identities.get(i));
        crate::audit::Decision {
            surface,
            caller_resource: Some(Arc::clone(&self.audit_caller)),
            principal_id: ids.map(|(p, _)| Arc::clone(p)),
            client_id: ids.map(|(_, c)| Arc::clone(c)),
            audience,
        }
    }
}

impl Workload {
    /// When the identity a selector names was detached from this workload, if it was.
    pub fn detachment_of(&self, selector: &inkan_core::workload::Selector) -> Option<&DetachmentRecord> {
        use inkan_core::workload::Selector;
        self.detached.iter().rev().find(|d| match selector {
            Selector::ClientId(v) => d.client_id.eq_ignore_ascii_case(v.trim()),
            Selector::ObjectId(v) => d.principal_id.eq_ignore_ascii_case(v.trim()),
            Selector::ResourceId(v) => d.identity_resource_id.eq_ignore_ascii_case(v.trim()),
            Selector::None => false,
        })
    }

    /// A sentence about a detached identity, for refusals.
    pub fn detachment_hint(&self, selector: &inkan_core::workload::Selector) -> String {
        self.detachment_of(selector)
            .map(|d| {
                format!(
                    " It was attached until {}: {} was detached from this workload then (or its identity was turned off).",
                    inkan_core::clock::rfc3339(d.detached_at),
                    d.identity_resource_id
                )
            })
            .unwrap_or_default()
    }
}
