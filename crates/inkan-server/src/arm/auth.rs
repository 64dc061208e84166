//! Who is calling the control plane: the bearer token, validated, as a [`Caller`].
//!
//! Authentication comes before anything else, as in ARM (a request with no token gets 401 even
//! if its api-version or body is wrong). Authorization is one call, [`authorize`], made by
//! each operation with its action and scope.

use super::error::ArmError;
use crate::state::SharedState;
use crate::tokens::TokenRejection;
use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use time::OffsetDateTime;

/// An authenticated caller.
#[derive(Debug, Clone)]
pub struct Caller {
    pub object_id: String,
    pub client_id: String,
    pub tenant_id: String,
    pub is_admin: bool,
}

impl FromRequestParts<SharedState> for Caller {
    type Rejection = ArmError;

    async fn from_request_parts(parts: &mut Parts, state: &SharedState) -> Result<Self, Self::Rejection> {
        let authority = format!("{}/{}", state.urls.base, state.tenant_id);
        let fail = |code, msg: String| ArmError::unauthenticated(code, msg, &authority);
        let Some(value) = parts.headers.get(header::AUTHORIZATION) else {
            return Err(fail(
                "AuthenticationFailed",
                "Authentication failed. The 'Authorization' header is missing.".into(),
            ));
        };
        let token = value.to_str().ok().and_then(crate::tokens::bearer).ok_or_else(|| {
                fail(
                    "AuthenticationFailed",
                    "Authentication failed. The 'Authorization' header is provided in an invalid format; expected 'Bearer <token>'."
                        .into(),
                )
            })?;
        let tenant = state.tenant_id.to_string();
        let claims = state.tokens.validate(token, &tenant, &state.arm_audiences()).map_err(|rejection| match rejection {
            TokenRejection::Expired { exp, now } => fail(
                "ExpiredAuthenticationToken",
                format!(
                    "The access token expiry UTC time '{}' is earlier than current UTC time '{}'. Get a new token.",
                    utc(exp),
                    utc(now)
                ),
            ),
            TokenRejection::WrongAudience { presented, expected } => fail(
                "InvalidAuthenticationTokenAudience",
                format!(
                    "The access token has been obtained for wrong audience or resource '{presented}'. It should exactly match with one of \
                     the allowed audiences {}. Request a token for 'https://management.azure.com/.default'.",
                    expected.iter().map(|a| format!("'{a}'")).collect::<Vec<_>>().join(",")
                ),
            ),
            TokenRejection::WrongIssuer { presented, .. } => fail(
                "InvalidAuthenticationTokenTenant",
                format!(
                    "The access token is from the wrong issuer '{presented}'. It must match the tenant '{authority}/' associated with \
                     this subscription. Please use the authority (URL) '{authority}' to get the token."
                ),
            ),
            other => fail("InvalidAuthenticationToken", format!("The access token is invalid: {other}.")),
        })?;
        let is_admin = state.is_admin(&claims.oid);
        Ok(Caller {
            client_id: claims.client_id().unwrap_or_default().to_owned(),
            object_id: claims.oid.clone(),
            tenant_id: claims.tid.clone(),
            is_admin,
        })
    }
}

/// Decides whether `caller` may perform the control-plane `action` at `scope`, with the
/// authorization engine; a refusal is ARM's 403 `AuthorizationFailed` plus the reasons.
pub fn authorize(state: &SharedState, caller: &Caller, action: &str, scope: &str) -> Result<(), ArmError> {
    let decision = state.authz.decide(&caller.object_id, action, false, scope, state.clock.unix());
    if decision.allowed {
        return Ok(());
    }
    let policy = state.authz.policy();
    let why = crate::authz::explain(&policy, &decision, &caller.object_id, action, false, scope);
    Err(ArmError::authorization_failed(&caller.client_id, &caller.object_id, action, scope, &format!("inkan: {why}")))
}

fn utc(unix: i64) -> String {
    OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| {
            t.format(&time::macros::format_description!("[month]/[day]/[year] [hour]:[minute]:[second]")).ok()
        })
        .unwrap_or_else(|| unix.to_string())
}
