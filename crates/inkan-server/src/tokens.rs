//! Minting and validating inkan's access tokens: the one place tokens are signed and checked.

use crate::keyring::KeyRing;
use dashmap::DashMap;
use inkan_core::clock::Clock;
use inkan_core::token::{AccessTokenClaims, Issuers, TokenGrant};
use inkan_crypto::jwt;
use std::sync::Arc;

/// How many verified tokens are remembered before the expired ones are dropped.
const VERIFIED_CAPACITY: usize = 16_384;

/// Clock skew tolerated on `exp` and `nbf`, as Azure's resource providers allow.
pub const CLOCK_SKEW_SECS: i64 = 300;

/// A freshly minted token.
#[derive(Debug, Clone)]
pub struct IssuedToken {
    pub access_token: String,
    pub expires_in: i64,
    pub expires_on: i64,
    pub not_before: i64,
}

/// Why a presented token was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenRejection {
    #[error("{0}")]
    Malformed(String),
    #[error(
        "the token was signed by a key inkan does not publish (kid '{0}'); it was not issued by this inkan server, or its key was rotated out"
    )]
    UnknownKey(String),
    #[error("the token's signature does not verify against inkan's published keys")]
    BadSignature,
    #[error("the token expired at {exp} (now {now})")]
    Expired { exp: i64, now: i64 },
    #[error("the token is not valid before {nbf} (now {now})")]
    NotYetValid { nbf: i64, now: i64 },
    #[error("the token's audience '{presented}' is not one of {expected:?}")]
    WrongAudience { presented: String, expected: Vec<String> },
    #[error("the token's issuer '{presented}' is not this tenant's ('{expected}')")]
    WrongIssuer { presented: String, expected: String },
}

/// The token of an `Authorization` header value `Bearer <token>` (the scheme in any case, as
/// RFC 7235 has it); `None` for another scheme or an empty token. Every surface that takes
/// bearer tokens reads them here.
pub fn bearer(authorization: &str) -> Option<&str> {
    let (scheme, token) = authorization.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// A token whose signature verified: the signing key's id and the claims.
#[derive(Debug)]
struct VerifiedToken {
    kid: Box<str>,
    claims: Arc<AccessTokenClaims>,
}

/// Signs and validates tokens for one authority.
#[derive(Debug, Clone)]
pub struct TokenService {
    keys: Arc<KeyRing>,
    clock: Arc<dyn Clock>,
    authority: String,
    /// Tokens whose signature verified, by their exact text, with the key that signed them. A
    /// resource sees the same token on every request of a client, and the RSA check is the
    /// costliest step; lifetime, issuer, audience and the key's validity are still checked on
    /// every use, so rotating a key out refuses its tokens at once.
    /// Hashed with foldhash: a token is about a kilobyte and SipHash over it was a visible
    /// share of a cached validation; only verified tokens become keys, so nobody chooses them.
    verified: Arc<DashMap<Box<str>, Arc<VerifiedToken>, foldhash::fast::RandomState>>,
}

impl TokenService {
    pub fn new(keys: Arc<KeyRing>, clock: Arc<dyn Clock>, authority: String) -> Self {
        Self { keys, clock, authority, verified: Arc::default() }
    }

    /// The issuers of `tenant_id`.
    pub fn issuers(&self, tenant_id: &str) -> Issuers {
        Issuers::new(&self.authority, tenant_id)
    }

    /// Signs a token for `grant`.
    pub fn issue(&self, grant: &TokenGrant) -> anyhow::Result<IssuedToken> {
        let claims = AccessTokenClaims::for_grant(grant, &self.issuers(&grant.tenant_id));
        let keys = self.keys.snapshot();
        let access_token = jwt::encode(&keys.active, &claims)?;
        Ok(IssuedToken {
            access_token,
            expires_in: grant.lifetime_secs,
            expires_on: claims.exp,
            not_before: claims.nbf,
        })
    }

    /// Checks signature, lifetime, issuer (either version of `tenant_id`'s) and audience.
    pub fn validate(
        &self,
        token: &str,
        tenant_id: &str,
        audiences: &[String],
    ) -> Result<Arc<AccessTokenClaims>, TokenRejection> {
        let now = self.clock.now();
        let keys = self.keys.snapshot();
        let cached = self.verified.get(token).map(|hit| Arc::clone(hit.value()));
        let claims = match cached {
            Some(hit) => {
                keys.verifying_key(&hit.kid, now).ok_or_else(|| TokenRejection::UnknownKey(hit.kid.to_string()))?;
                Arc::clone(&hit.claims)
            }
            None => {
                let parsed = jwt::decode(token).map_err(|e| TokenRejection::Malformed(e.to_string()))?;
                let kid = parsed
                    .key_id()
                    .ok_or_else(|| TokenRejection::Malformed("the token header names no key ('kid')".into()))?;
                let key = keys.verifying_key(kid, now).ok_or_else(|| TokenRejection::UnknownKey(kid.to_owned()))?;
                parsed.verify(key).map_err(|e| match e {
                    jwt::JwtError::BadSignature => TokenRejection::BadSignature,
                    other => TokenRejection::Malformed(other.to_string()),
                })?;
                let claims: Arc<AccessTokenClaims> =
                    serde_json::from_slice(&parsed.payload).map(Arc::new).map_err(|e| {
                        TokenRejection::Malformed(format!("the token's claims are not an access token's: {e}"))
                    })?;
                self.remember(token, kid, &claims, now.unix_timestamp());
                claims
            }
        };
        let now = now.unix_timestamp();
        if claims.exp + CLOCK_SKEW_SECS < now {
            return Err(TokenRejection::Expired { exp: claims.exp, now });
        }
        if claims.nbf - CLOCK_SKEW_SECS > now {
            return Err(TokenRejection::NotYetValid { nbf: claims.nbf, now });
        }
        if !Issuers::accepts(&self.authority, tenant_id, &claims.iss) {
            let expected = self.issuers(tenant_id).v1;
            return Err(TokenRejection::WrongIssuer { presented: claims.iss.clone(), expected });
        }
        if !audiences.iter().any(|a| a == &claims.aud) {
            return Err(TokenRejection::WrongAudience { presented: claims.aud.clone(), expected: audiences.to_vec() });
        }
        Ok(claims)
    }

    fn remember(&self, token: &str, kid: &str, claims: &Arc<AccessTokenClaims>, now: i64) {
        if self.verified.len() >= VERIFIED_CAPACITY {
            self.verified.retain(|_, hit| hit.claims.exp + CLOCK_SKEW_SECS >= now);
            if self.verified.len() >= VERIFIED_CAPACITY {
                self.verified.clear();
            }
        }
        self.verified.insert(token.into(), Arc::new(VerifiedToken { kid: kid.into(), claims: Arc::clone(claims) }));
    }
}

#[cfg(test)]
mod tests {
    use super::bearer;

    #[test]
    fn bearer_tokens_are_read_from_the_header_value() {
        assert_eq!(bearer("Bearer abc"), Some("abc"));
        assert_eq!(bearer("bearer  abc "), Some("abc"));
        assert_eq!(bearer("BEARER abc"), Some("abc"));
        assert_eq!(bearer("Basic abc"), None);
        assert_eq!(bearer("Bearer "), None);
        assert_eq!(bearer("Bearer"), None);
    }
}
