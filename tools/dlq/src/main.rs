//! dlq: the dead-letter queues of a crabcart stack; see the library and README.md.

use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    let args = match dlq::cli::parse(std::env::args().skip(1)) {
        Ok(Some(args)) => args,
        Ok(None) => {
            print!("{}", dlq::cli::USAGE);
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("dlq: {e}");
            return ExitCode::from(2);
        }
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
