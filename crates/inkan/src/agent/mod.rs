//! `inkan agent`: managed identities for a machine outside any cloud.
//!
//! The agent runs on the machine, speaks for one VM resource with a host credential it was
//! enrolled with (`inkan agent enroll`, never the administrator's secret), and serves that
//! VM's identities locally:
//! - the Azure Arc flavour (`IDENTITY_ENDPOINT` + `IMDS_ENDPOINT`): a request without
//!   credentials gets 401 `WWW-Authenticate: Basic realm=<key file>`; the key file is readable
//!   only by root and the allowed local group, so only processes of that group can answer the
//!   challenge;
//! - optionally plain IMDS on an address the operator chooses (169.254.169.254:80 on a real host).
//!
//! Tokens come from the server's agent API and are cached until shortly before they expire.

mod arc_keys;
mod enrollment;
mod serve;
mod upstream;

pub use enrollment::{Enrollment, enroll};
pub use serve::{AgentArgs, run};
