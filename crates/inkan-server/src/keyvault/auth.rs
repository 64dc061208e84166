//! Authentication for the data plane: the challenge, and every token validated.

use super::errors::KvError;
use crate::state::SharedState;
use crate::tokens::TokenRejection;
use crate::urls::PublicUrls;
use axum::http::{HeaderMap, header};

/// An authenticated data-plane caller.
#[derive(Debug, Clone)]
pub struct KvCaller {
    pub object_id: String,
    pub client_id: String,
    pub issuer: String,
}

/// What the data plane checks tokens against, built once at start: every request needs it.
#[derive(Debug)]
pub struct VaultAudience {
    /// `https://vault.<domain>[:port]`: the challenge's resource (with the port, which
    /// Python's challenge check compares; see protocols 5.6).
    resource: String,
    /// The audiences accepted: that resource and Azure's, each with and without the slash.
    accepted: Vec<String>,
    /// The `WWW-Authenticate` value of every 401.
    challenge: String,
    tenant: String,
}

impl VaultAudience {
    pub fn new(urls: &PublicUrls, tenant: &str) -> Self {
        let resource = format!("https://{}", urls.vault_suffix());
        let accepted = [resource.as_str(), "https://vault.azure.net"]
            .into_iter()
            .flat_map(|r| [r.to_owned(), format!("{r}/")])
            .collect();
        let challenge = format!("Bearer authorization=\"{}/{tenant}\", resource=\"{resource}\"", urls.base);
        Self { resource, accepted, challenge, tenant: tenant.to_owned() }
    }
}

/// Validates the bearer token; a request without one gets the challenge.
pub fn authenticate(state: &SharedState, headers: &HeaderMap) -> Result<KvCaller, KvError> {
    let audience = &state.vault_audience;
    let unauthorized = |m: String| KvError::unauthorized(m, audience.challenge.clone());
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(crate::tokens::bearer)
        .ok_or_else(|| unauthorized("AKV10000: Request is missing a Bearer or PoP token.".into()))?;
    let claims = state.tokens.validate(token, &audience.tenant, &audience.accepted).map_err(|rejection| {
        let expected = &audience.resource;
        match rejection {
            TokenRejection::WrongAudience { presented, .. } => unauthorized(format!(
                "AKV10022: Invalid audience. Expected {expected}, found: {presented}. Request the token for \
                 '{expected}/.default' (the resource in this 401's WWW-Authenticate header) or \
                 'https://vault.azure.net/.default'."
            )),
            TokenRejection::Expired { .. } => {
                unauthorized(format!("AKV10032: Invalid issuer or expired token: {rejection}."))
            }
            other => {
                unauthorized(format!("AKV10000: Request is missing a Bearer or PoP token, or it is invalid: {other}."))
            }
        }
    })?;
    Ok(KvCaller {
        client_id: claims.client_id().unwrap_or_default().to_owned(),
        object_id: claims.oid.clone(),
        issuer: claims.iss.clone(),
    })
}
