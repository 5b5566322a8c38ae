//! `make bench`: measures every function against a hello-world floor and a Node.js peer
//! and writes docs/benchmarks.{md,json}. See tools/bench/README.md.

mod aws_proxy;
mod cli;
mod events;
mod machine;
mod measure;
mod report;
mod run;
mod scenarios;
mod stack;
mod stats;
mod world;

use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("BENCH_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_target(false)
        .init();
    let args = match cli::parse(std::env::args().skip(1)) {
        Ok(args) => args,
        Err(e) => {
            eprintln!("bench: {e:#}\n\n{}", cli::USAGE);
            return ExitCode::from(2);
        }
    };
    match run::run(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
