//! The `inkan` binary: glue between the command line and the libraries.
//!
//! `inkan serve` runs the server (inkan-server); every other command is a client of a running
//! server's public API, found through the same `--data-dir` (or `--server URL`), with the
//! bootstrap administrator's credentials. There is no back door into the database.

use clap::Parser;
use inkan_cli::cli;

/// mimalloc rather than the system allocator: a request allocates and frees many small
/// buffers on whichever worker thread runs it, and glibc's arenas serialised those on a lock
/// (a fifth of the server's time under load in the Key Vault read benchmark).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    let args = cli::Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(cli::run(args)) {
        Ok(code) => std::process::ExitCode::from(code),
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
