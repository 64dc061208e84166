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
use inkan_core::ids::ObjectId;
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
        let token = value
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
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
        let is_admin = claims.oid.parse::<ObjectId>().is_ok_and(|oid| oid == state.admin_object_id);
        Ok(Caller {
            client_id: claims.client_id().unwrap_or_default().to_owned(),
            object_id: claims.oid,
            tenant_id: claims.tid,
            is_admin,
        })
    }
}

/// Decides whether `caller` may perform `action` at `scope`.
///
/// Until role-based authorization is enforced, the bootstrap administrator (Owner at `/`) may
/// do everything and everyone else nothing; this is the single place that changes then.
pub fn authorize(caller: &Caller, action: &str, scope: &str) -> Result<(), ArmError> {
    if caller.is_admin {
        return Ok(());
    }
    Err(ArmError::authorization_failed(
        &caller.client_id,
        &caller.object_id,
        action,
        scope,
        "inkan: this server does not evaluate role assignments for the control plane yet; only the bootstrap administrator \
         (`eval \"$(inkan env --admin)\"`) may use it.",
    ))
}

fn utc(unix: i64) -> String {
    OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| {
            t.format(&time::macros::format_description!("[month]/[day]/[year] [hour]:[minute]:[second]")).ok()
        })
        .unwrap_or_else(|| unix.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caller(is_admin: bool) -> Caller {
        Caller { object_id: "o".into(), client_id: "c".into(), tenant_id: "t".into(), is_admin }
    }

    #[test]
    fn only_the_bootstrap_administrator_is_authorized_and_the_refusal_names_everything() {
        assert!(authorize(&caller(true), "Microsoft.Compute/virtualMachines/write", "/subscriptions/s").is_ok());
        let refused =
            authorize(&caller(false), "Microsoft.Compute/virtualMachines/write", "/subscriptions/s").unwrap_err();
        assert_eq!((refused.status.as_u16(), refused.code), (403, "AuthorizationFailed"));
        assert!(refused.message.starts_with(
            "The client 'c' with object id 'o' does not have authorization to perform action 'Microsoft.Compute/virtualMachines/write' over scope '/subscriptions/s'"
        ));
        assert!(refused.message.contains("inkan env --admin"));
    }
}
