//! devstack: the crabcart local cloud; see the library for what it runs.

use devstack::{cli, run};
use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    let filter = tracing_subscriber::EnvFilter::try_from_env("DEVSTACK_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .init();

    let args = match cli::parse(std::env::args()) {
        Ok(args) => args,
        // Help to stdout with 0, a usage error to stderr with 2.
        Err(e) => e.exit(),
    };
    match run(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("devstack: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
