//! Compact JWS (RS256) encoding and verification.
//!
//! Verification is split in two steps: [`decode`] parses the untrusted token into its parts
//! (bounded, no panics on any input), and [`Unverified::verify`] checks the signature with the
//! key the caller chose by `kid`. Claim checks (issuer, audience, lifetime) belong to the
//! resource server that knows what it expects.

use crate::CryptoError;
use crate::signing::{SigningKey, VerifyingKey};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};

/// The largest token accepted, far above any Entra token (those stay under 8 KiB).
pub const MAX_TOKEN_LEN: usize = 16 * 1024;

/// A JWS header.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Header {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub typ: Option<String>,
    pub alg: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub x5t: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kid: Option<String>,
}

/// Why a token was refused before its claims were looked at.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JwtError {
    #[error("the token is not a JWT: {0}")]
    Malformed(&'static str),
    #[error("the token's algorithm '{0}' is not RS256")]
    UnsupportedAlgorithm(String),
    #[error("the token's signature is invalid")]
    BadSignature,
}

/// Signs `claims` with `key` into a compact JWS with Entra's header.
pub fn encode(key: &SigningKey, claims: &impl Serialize) -> Result<String, CryptoError> {
    let header = Header {
        typ: Some("JWT".into()),
        alg: "RS256".into(),
        x5t: Some(key.kid().to_owned()),
        kid: Some(key.kid().to_owned()),
    };
    let header_json = serde_json::to_vec(&header).map_err(|_| CryptoError::Signing)?;
    let claims_json = serde_json::to_vec(claims).map_err(|_| CryptoError::Signing)?;
    let mut token = URL_SAFE_NO_PAD.encode(header_json);
    token.push('.');
    token.push_str(&URL_SAFE_NO_PAD.encode(claims_json));
    let sig = key.sign(token.as_bytes())?;
    token.push('.');
    token.push_str(&URL_SAFE_NO_PAD.encode(sig));
    Ok(token)
}

/// A parsed token whose signature has not been checked yet.
#[derive(Debug, Clone)]
pub struct Unverified<'a> {
    pub header: Header,
    /// The decoded payload JSON.
    pub payload: Vec<u8>,
    signing_input: &'a str,
    signature: Vec<u8>,
}

/// Parses a compact JWS.
pub fn decode(token: &str) -> Result<Unverified<'_>, JwtError> {
    if token.len() > MAX_TOKEN_LEN {
        return Err(JwtError::Malformed("it is longer than 16 KiB"));
    }
    let mut parts = token.splitn(4, '.');
    let (Some(h), Some(p), Some(s), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
        return Err(JwtError::Malformed("it does not have three dot-separated parts"));
    };
    let header_json = URL_SAFE_NO_PAD.decode(h).map_err(|_| JwtError::Malformed("the header is not base64url"))?;
    let header: Header = serde_json::from_slice(&header_json)
        .map_err(|_| JwtError::Malformed("the header is not a JSON object with 'alg'"))?;
    let payload = URL_SAFE_NO_PAD.decode(p).map_err(|_| JwtError::Malformed("the payload is not base64url"))?;
    let signature = URL_SAFE_NO_PAD.decode(s).map_err(|_| JwtError::Malformed("the signature is not base64url"))?;
    Ok(Unverified { header, payload, signing_input: &token[..h.len() + 1 + p.len()], signature })
}

impl Unverified<'_> {
    /// Checks the RS256 signature with `key`.
    pub fn verify(&self, key: &VerifyingKey) -> Result<(), JwtError> {
        if self.header.alg != "RS256" {
            return Err(JwtError::UnsupportedAlgorithm(self.header.alg.clone()));
        }
        if key.verify(self.signing_input.as_bytes(), &self.signature) { Ok(()) } else { Err(JwtError::BadSignature) }
    }

    /// The key id the token names (`kid`, else `x5t`).
    pub fn key_id(&self) -> Option<&str> {
        self.header.kid.as_deref().or(self.header.x5t.as_deref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn encoded_tokens_verify_only_with_their_key() {
        let now = time::OffsetDateTime::from_unix_timestamp(1_700_000_000).unwrap();
        let key = SigningKey::generate(now).unwrap().key;
        let other = SigningKey::generate(now).unwrap().key;
        let token = encode(&key, &json!({"aud": "x"})).unwrap();
        let parsed = decode(&token).unwrap();
        assert_eq!(parsed.key_id(), Some(key.kid()));
        assert!(parsed.verify(key.verifying_key()).is_ok());
        assert_eq!(parsed.verify(other.verifying_key()), Err(JwtError::BadSignature));
        let forged = format!("{}.{}", &token[..token.rfind('.').unwrap()], "AAAA");
        assert_eq!(decode(&forged).unwrap().verify(key.verifying_key()), Err(JwtError::BadSignature));
    }

    #[test]
    fn garbage_is_refused_without_panicking() {
        for t in ["", "a", "a.b", "a.b.c.d", "!!.!!.!!", "e30.e30.e30"] {
            let _ = decode(t).map(|u| u.verify(&VerifyingKey { kid: String::new(), n: vec![1], e: vec![3] }));
        }
        assert!(decode("a.b").is_err());
    }
}
