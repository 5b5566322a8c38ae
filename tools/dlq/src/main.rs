//! dlq: the dead-letter queues of a crabcart stack; see the library and README.md.

use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    let args = match dlq::cli::parse(std::env::args()) {
        Ok(args) => args,
        // Help to stdout with 0, a usage error to stderr with 2.
        Err(e) => e.exit(),
    };
    match dlq::run(&args).await {
        Ok(report) => {
            let printed = if args.json {
                dlq::output::json(&report)
            } else {
                dlq::output::text(&report)
            };
            println!("{}", printed.trim_end());
            if report.succeeded() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Err(e) => {
            eprintln!("dlq: {e}");
            ExitCode::FAILURE
        }
    }
}
