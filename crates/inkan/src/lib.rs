//! The command-line side of inkan as a library: argument parsing, the API client, output
//! formatting and world files. The `inkan` binary is a thin `main` over this; tests use the
//! client and the world-file applier directly.

pub mod agent;
pub mod cli;
pub mod client;
pub mod output;
pub mod world;
