//! The command line: a command, its queue, and where the stack runs.

use clap::{Parser, Subcommand};
use std::path::PathBuf;

/// The stack name `sam deploy` is given by default here.
pub const DEFAULT_STACK: &str = "crabcart-dev";
/// Where `make dev DEVSTACK_ARGS=\"--state-file .devstack/state.json\"` writes its state.
pub const DEFAULT_STATE_FILE: &str = ".devstack/state.json";
/// How many messages `inspect` shows unless told.
pub const DEFAULT_INSPECT_MAX: usize = 10;

/// A parsed command line.
#[derive(Debug, Clone, PartialEq)]
pub struct Args {
    /// What to do.
    pub command: Command,
    /// Where.
    pub target: TargetArgs,
    /// Another template than the embedded one.
    pub template: Option<PathBuf>,
    /// JSON output.
    pub json: bool,
}

/// What to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Every dead-letter queue with its depth and source.
    List,
    /// Up to `max` messages of `queue`, left in place.
    Inspect {
        /// The queue's name.
        queue: String,
        /// At most this many.
        max: usize,
    },
    /// Messages of `queue` back to its source queue.
    Redrive {
        /// The queue's name.
        queue: String,
        /// At most this many (all when `None`).
        max: Option<usize>,
        /// Change nothing.
        dry_run: bool,
    },
}

/// Where the stack runs, as given on the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetArgs {
    /// The local cloud instead of AWS.
    pub local: bool,
    /// The CloudFormation stack.
    pub stack: String,
    /// AWS profile.
    pub profile: Option<String>,
    /// AWS region.
    pub region: Option<String>,
    /// Endpoint override.
    pub endpoint_url: Option<String>,
    /// The devstack's state file (local cloud only).
    pub state_file: PathBuf,
}

impl Default for TargetArgs {
    fn default() -> Self {
        TargetArgs {
            local: false,
            stack: DEFAULT_STACK.to_owned(),
            profile: None,
            region: None,
            endpoint_url: None,
            state_file: PathBuf::from(DEFAULT_STATE_FILE),
        }
    }
}

/// The command line as clap reads it; [`parse`] turns it into [`Args`].
#[derive(Debug, Parser)]
#[command(
    name = "dlq",
    about = "List, inspect and redrive the dead-letter queues of a crabcart stack",
    after_help = "<QUEUE> is a name from `dlq list` (products, orders, payments, notifications, \
users-outbox, ...) or the queue's logical id in template.yaml.\n\n\
Where: the CloudFormation stack in AWS with the standard credential chain, unless --local \
(the local cloud of `make dev`: moto at --endpoint-url, else at the moto_url of the \
devstack's --state-file; queues named crabcart-<LogicalId>)."
)]
struct Cli {
    #[command(subcommand)]
    command: CommandLine,
    /// Machine-readable output.
    #[arg(long, global = true)]
    json: bool,
    /// Read the dead-letter queues from this template [default: the template.yaml dlq was
    /// built with].
    #[arg(long, global = true, value_name = "PATH")]
    template: Option<PathBuf>,
    /// The local cloud (`make dev`) instead of AWS.
    #[arg(long, global = true, conflicts_with_all = ["stack", "profile", "region"])]
    local: bool,
    /// The CloudFormation stack [default: crabcart-dev].
    #[arg(long, global = true, value_name = "NAME", value_parser = non_empty)]
    stack: Option<String>,
    /// AWS profile (profiles, SSO, credential_process) [default: AWS_PROFILE or default].
    #[arg(long, global = true, value_name = "NAME", value_parser = non_empty)]
    profile: Option<String>,
    /// AWS region [default: AWS_REGION or the profile's region].
    #[arg(long, global = true, value_name = "REGION", value_parser = non_empty)]
    region: Option<String>,
    /// Another AWS endpoint (or, with --local, moto's).
    #[arg(long, global = true, value_name = "URL", value_parser = url)]
    endpoint_url: Option<String>,
    /// The devstack's state file, with --local [default: .devstack/state.json].
    #[arg(long, global = true, value_name = "PATH", requires = "local")]
    state_file: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
enum CommandLine {
    /// Every dead-letter queue, its depth and its source.
    List,
    /// A queue's messages, decoded, left in the queue.
    Inspect {
        /// The dead-letter queue.
        queue: String,
        /// At most N messages.
        #[arg(long, value_name = "N", value_parser = positive, default_value_t = DEFAULT_INSPECT_MAX)]
        max: usize,
    },
    /// Sends a queue's messages back to their source queue.
    Redrive {
        /// The dead-letter queue.
        queue: String,
        /// At most N messages [default: all].
        #[arg(long, value_name = "N", value_parser = positive)]
        max: Option<usize>,
        /// Show what would be sent back; change nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

/// Parses the arguments, the program name first; help and usage errors are clap's to
/// print (`Error::exit`).
pub fn parse<I: IntoIterator<Item = String>>(argv: I) -> Result<Args, clap::Error> {
    let cli = Cli::try_parse_from(argv)?;
    let command = match cli.command {
        CommandLine::List => Command::List,
        CommandLine::Inspect { queue, max } => Command::Inspect { queue, max },
        CommandLine::Redrive {
            queue,
            max,
            dry_run,
        } => Command::Redrive {
            queue,
            max,
            dry_run,
        },
    };
    let defaults = TargetArgs::default();
    Ok(Args {
        command,
        target: TargetArgs {
            local: cli.local,
            stack: cli.stack.unwrap_or(defaults.stack),
            profile: cli.profile,
            region: cli.region,
            endpoint_url: cli.endpoint_url,
            state_file: cli.state_file.unwrap_or(defaults.state_file),
        },
        template: cli.template,
        json: cli.json,
    })
}

fn positive(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(format!("{s:?} is not a positive whole number")),
    }
}

fn non_empty(s: &str) -> Result<String, String> {
    if s.trim().is_empty() {
        return Err("it is empty".to_owned());
    }
    Ok(s.to_owned())
}

fn url(s: &str) -> Result<String, String> {
    if s.starts_with("http://") || s.starts_with("https://") {
        return Ok(s.trim_end_matches('/').to_owned());
    }
    Err(format!("{s:?} is not an http:// or https:// URL"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(a: &[&str]) -> Result<Args, clap::Error> {
        parse(
            std::iter::once("dlq")
                .chain(a.iter().copied())
                .map(str::to_owned),
        )
    }

    fn usage_error(a: &[&str]) -> String {
        match p(a) {
            Err(e) => e.to_string(),
            Ok(args) => panic!("{a:?} parsed: {args:?}"),
        }
    }

    #[test]
    fn commands_and_their_defaults() {
        let a = p(&["list"]).unwrap();
        assert_eq!(a.command, Command::List);
        assert_eq!(a.target, TargetArgs::default());
        assert!(!a.json && a.template.is_none());
        assert_eq!(
            p(&["inspect", "products"]).unwrap().command,
            Command::Inspect {
                queue: "products".into(),
                max: DEFAULT_INSPECT_MAX
            }
        );
        assert_eq!(
            p(&["redrive", "orders"]).unwrap().command,
            Command::Redrive {
                queue: "orders".into(),
                max: None,
                dry_run: false
            }
        );
        for help in [&["--help"][..], &["list", "-h"][..]] {
            let e = p(help).unwrap_err();
            assert_eq!(e.kind(), clap::error::ErrorKind::DisplayHelp, "{help:?}");
        }
    }

    #[test]
    fn options_go_anywhere_with_or_without_equals() {
        let a = p(&[
            "--json",
            "redrive",
            "--max=3",
            "payments",
            "--dry-run",
            "--stack",
            "shop-prod",
            "--profile=ops",
            "--region",
            "eu-west-1",
            "--endpoint-url",
            "https://sqs.example/",
        ])
        .unwrap();
        assert_eq!(
            a.command,
            Command::Redrive {
                queue: "payments".into(),
                max: Some(3),
                dry_run: true
            }
        );
        assert!(a.json);
        assert_eq!(a.target.stack, "shop-prod");
        assert_eq!(a.target.profile.as_deref(), Some("ops"));
        assert_eq!(a.target.region.as_deref(), Some("eu-west-1"));
        assert_eq!(
            a.target.endpoint_url.as_deref(),
            Some("https://sqs.example")
        );
        let l = p(&["--local", "--state-file", "s.json", "list"]).unwrap();
        assert!(l.target.local);
        assert_eq!(l.target.state_file, PathBuf::from("s.json"));
    }

    #[test]
    fn bad_command_lines_say_what_is_wrong() {
        for (args, says) in [
            (&[][..], "Usage"),
            (&["purge", "x"][..], "unrecognized subcommand 'purge'"),
            (&["inspect"][..], "<QUEUE>"),
            (&["inspect", "a", "b"][..], "unexpected argument 'b'"),
            (&["list", "products"][..], "unexpected argument 'products'"),
            (&["list", "--max", "2"][..], "unexpected argument '--max'"),
            (
                &["inspect", "a", "--dry-run"][..],
                "unexpected argument '--dry-run'",
            ),
            (&["inspect", "a", "--max", "0"][..], "positive whole number"),
            (
                &["inspect", "a", "--max", "ten"][..],
                "positive whole number",
            ),
            (
                &["inspect", "a", "--max"][..],
                "a value is required for '--max <N>'",
            ),
            (&["list", "--bogus"][..], "unexpected argument '--bogus'"),
            (
                &["list", "--endpoint-url", "localhost:5000"][..],
                "not an http",
            ),
            (
                &["list", "--local", "--stack", "x"][..],
                "cannot be used with",
            ),
            (&["list", "--state-file", "s.json"][..], "--local"),
            (&["list", "--stack", " "][..], "it is empty"),
        ] {
            let m = usage_error(args);
            assert!(m.contains(says), "{args:?}: {m}");
        }
    }
}
