//! Authentication for the data plane: the challenge, and every token validated.

use super::errors::KvError;
use crate::state::SharedState;
use crate::tokens::TokenRejection;
use axum::http::{HeaderMap, header};

/// An authenticated data-plane caller.
#[derive(Debug, Clone)]
pub struct KvCaller {
    pub object_id: String,
    pub client_id: String,
    pub issuer: String,
}

/// The resource the challenge names: `https://vault.<domain>[:port]` (with the port, which
/// Python's challenge check compares; see protocols 5.6).
pub fn resource(state: &SharedState) -> String {
    format!("https://{}", state.urls.vault_suffix())
}

fn challenge(state: &SharedState) -> String {
    format!("Bearer authorization=\"{}/{}\", resource=\"{}\"", state.urls.base, state.tenant_id, resource(state))
}

/// Validates the bearer token; a request without one gets the challenge.
pub fn authenticate(state: &SharedState, headers: &HeaderMap) -> Result<KvCaller, KvError> {
    let unauthorized = |m: String| KvError::unauthorized(m, challenge(state));
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| unauthorized("AKV10000: Request is missing a Bearer or PoP token.".into()))?;
    let expected = resource(state);
    let audiences = [
        expected.clone(),
        format!("{expected}/"),
        "https://vault.azure.net".to_owned(),
        "https://vault.azure.net/".to_owned(),
    ];
    let claims = state.tokens.validate(token, &state.tenant_id.to_string(), &audiences).map_err(|rejection| match rejection {
        TokenRejection::WrongAudience { presented, .. } => unauthorized(format!(
            "AKV10022: Invalid audience. Expected {expected}, found: {presented}. Request the token for '{expected}/.default' \
             (the resource in this 401's WWW-Authenticate header) or 'https://vault.azure.net/.default'."
        )),
        TokenRejection::Expired { .. } => unauthorized(format!("AKV10032: Invalid issuer or expired token: {rejection}.")),
        other => unauthorized(format!("AKV10000: Request is missing a Bearer or PoP token, or it is invalid: {other}.")),
    })?;
    Ok(KvCaller {
        client_id: claims.client_id().unwrap_or_default().to_owned(),
        object_id: claims.oid,
        issuer: claims.iss,
    })
}
