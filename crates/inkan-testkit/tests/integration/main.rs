//! The one Rust integration-test binary: real servers on real sockets.
#![allow(clippy::unwrap_used, reason = "test code: a panic is a test failure")]

mod arm_bad_input;
mod arm_resources;
mod authorization;
mod graph;
mod identity;
mod keys;
mod keyvault;
mod sts;
mod world;

use base64::Engine;
use serde_json::Value;

/// The claims of a JWT, without verification (tests verify separately).
pub fn claims(token: &str) -> Value {
    let payload = token.split('.').nth(1).expect("a JWT has a payload");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload).expect("base64url payload");
    serde_json::from_slice(&bytes).expect("JSON claims")
}
