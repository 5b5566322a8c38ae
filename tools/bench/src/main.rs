//! `make bench`: measures every function against a hello-world floor and a Node.js peer
//! and writes docs/benchmarks.{md,json}. See tools/bench/README.md.

mod aws_proxy;
mod capacity;
mod cli;
mod cost;
mod cpus;
mod events;
mod machine;
mod measure;
mod prices;
mod report;
mod run;
mod scenarios;
mod stack;
mod stats;
mod world;

use std::process::ExitCode;

fn main() -> ExitCode {
    // Before the runtime's threads and moto exist, so they inherit the narrower mask.
    let placement = cpus::Placement::split_cores();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("bench: error: starting the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(bench(placement))
}

async fn bench(placement: cpus::Placement) -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("BENCH_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_target(false)
        .init();
    let args = match cli::parse(std::env::args()) {
        Ok(args) => args,
        // Help to stdout with 0, a usage error to stderr with 2.
        Err(e) => e.exit(),
    };
    match run::run(args, placement).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
