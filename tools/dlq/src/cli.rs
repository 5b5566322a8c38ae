//! The command line: a command, its queue, and where the stack runs.

use crate::error::Error;
use std::path::PathBuf;

/// `dlq --help`.
pub const USAGE: &str = "\
dlq: list, inspect and redrive the dead-letter queues of a crabcart stack

USAGE:
    dlq [OPTIONS] list                               every dead-letter queue, its depth and its source
    dlq [OPTIONS] inspect <queue> [--max N]          its messages, decoded, left in the queue
    dlq [OPTIONS] redrive <queue> [--max N] [--dry-run]
                                                     sends its messages back to their source queue

    <queue> is a name from `dlq list` (products, orders, payments, notifications, users-outbox, ...)
    or the queue's logical id in template.yaml.

WHERE (default: the CloudFormation stack in AWS, with the standard credential chain):
    --stack NAME           the stack [default: crabcart-dev]
    --profile NAME         AWS profile (profiles, SSO, credential_process) [default: AWS_PROFILE or default]
    --region REGION        [default: AWS_REGION or the profile's region]
    --endpoint-url URL     another AWS endpoint
    --local                the local cloud (`make dev`) instead: moto at --endpoint-url, else at the
                           moto_url of the devstack's --state-file; queues named crabcart-<LogicalId>
    --state-file PATH      the devstack's state file [default: .devstack/state.json]
    --template PATH        read the dead-letter queues from this template [default: the template.yaml
                           dlq was built with]

OPTIONS:
    --max N                at most N messages [inspect default: 10; redrive default: all]
    --dry-run              redrive: show what would be sent back, change nothing
    --json                 machine-readable output
    -h, --help             print this help
";

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

/// Parses the arguments (without the program name); `None` means help was asked for.
pub fn parse<I: IntoIterator<Item = String>>(argv: I) -> Result<Option<Args>, Error> {
    let mut target = TargetArgs::default();
    let (mut template, mut json, mut dry_run, mut max) = (None, false, false, None);
    let (mut stack_given, mut state_file_given) = (false, false);
    let mut words = Vec::new();
    let mut it = argv.into_iter();
    while let Some(raw) = it.next() {
        // --flag=value as well as --flag value.
        let (flag, inline) = match raw.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_owned(), Some(v.to_owned())),
            _ => (raw.clone(), None),
        };
        let mut value = |name: &str| match inline.clone() {
            Some(v) => Ok(v),
            None => it
                .next()
                .ok_or_else(|| Error::Usage(format!("{name} needs a value"))),
        };
        match flag.as_str() {
            "-h" | "--help" => return Ok(None),
            "--json" => json = true,
            "--dry-run" => dry_run = true,
            "--local" => target.local = true,
            "--max" => max = Some(count(&value("--max")?)?),
            "--stack" => {
                target.stack = non_empty("--stack", value("--stack")?)?;
                stack_given = true;
            }
            "--profile" => target.profile = Some(non_empty("--profile", value("--profile")?)?),
            "--region" => target.region = Some(non_empty("--region", value("--region")?)?),
            "--endpoint-url" => target.endpoint_url = Some(url(&value("--endpoint-url")?)?),
            "--state-file" => {
                target.state_file = PathBuf::from(value("--state-file")?);
                state_file_given = true;
            }
            "--template" => template = Some(PathBuf::from(value("--template")?)),
            other if other.starts_with('-') && other.len() > 1 => {
                return Err(Error::Usage(format!("unknown option {other:?}")))
            }
            _ => words.push(raw),
        }
    }
    if target.local && (stack_given || target.profile.is_some() || target.region.is_some()) {
        return Err(Error::Usage(
            "--local takes no --stack, --profile or --region (the local cloud has one stack)"
                .into(),
        ));
    }
    if state_file_given && !target.local {
        return Err(Error::Usage("--state-file is for --local".into()));
    }
    let command = match words.as_slice() {
        [] => {
            return Err(Error::Usage(
                "a command is needed: list, inspect or redrive".into(),
            ))
        }
        [c] if c == "list" => Command::List,
        [c, queue] if c == "inspect" => Command::Inspect {
            queue: queue.clone(),
            max: max.unwrap_or(DEFAULT_INSPECT_MAX),
        },
        [c, queue] if c == "redrive" => Command::Redrive {
            queue: queue.clone(),
            max,
            dry_run,
        },
        [c, ..] if c == "list" => return Err(Error::Usage("list takes no queue".into())),
        [c] if c == "inspect" || c == "redrive" => {
            return Err(Error::Usage(format!(
                "{c} needs a queue name (see dlq list)"
            )))
        }
        [c, ..] if c == "inspect" || c == "redrive" => {
            return Err(Error::Usage(format!("{c} takes one queue name")))
        }
        [c, ..] => return Err(Error::Usage(format!("unknown command {c:?}"))),
    };
    if max.is_some() && command == Command::List {
        return Err(Error::Usage("--max is for inspect and redrive".into()));
    }
    if dry_run && !matches!(command, Command::Redrive { .. }) {
        return Err(Error::Usage("--dry-run is for redrive".into()));
    }
    Ok(Some(Args {
        command,
        target,
        template,
        json,
    }))
}

fn count(s: &str) -> Result<usize, Error> {
    match s.parse::<usize>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(Error::Usage(format!(
            "--max {s:?} is not a positive whole number"
        ))),
    }
}

fn non_empty(flag: &str, v: String) -> Result<String, Error> {
    if v.trim().is_empty() {
        return Err(Error::Usage(format!("{flag} is empty")));
    }
    Ok(v)
}

fn url(v: &str) -> Result<String, Error> {
    if v.starts_with("http://") || v.starts_with("https://") {
        return Ok(v.trim_end_matches('/').to_owned());
    }
    Err(Error::Usage(format!(
        "--endpoint-url {v:?} is not an http:// or https:// URL"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(a: &[&str]) -> Result<Option<Args>, Error> {
        parse(a.iter().map(|s| s.to_string()))
    }

    fn usage_error(a: &[&str]) -> String {
        match p(a) {
            Err(Error::Usage(m)) => m,
            other => panic!("{a:?}: {other:?}"),
        }
    }

    #[test]
    fn commands_and_their_defaults() {
        let a = p(&["list"]).unwrap().unwrap();
        assert_eq!(a.command, Command::List);
        assert_eq!(a.target, TargetArgs::default());
        assert!(!a.json && a.template.is_none());
        assert_eq!(
            p(&["inspect", "products"]).unwrap().unwrap().command,
            Command::Inspect {
                queue: "products".into(),
                max: DEFAULT_INSPECT_MAX
            }
        );
        assert_eq!(
            p(&["redrive", "orders"]).unwrap().unwrap().command,
            Command::Redrive {
                queue: "orders".into(),
                max: None,
                dry_run: false
            }
        );
        assert!(p(&["--help"]).unwrap().is_none());
        assert!(p(&["list", "-h"]).unwrap().is_none());
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
        .unwrap()
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
        let l = p(&["--local", "--state-file", "s.json", "list"])
            .unwrap()
            .unwrap();
        assert!(l.target.local);
        assert_eq!(l.target.state_file, PathBuf::from("s.json"));
    }

    #[test]
    fn bad_command_lines_say_what_is_wrong() {
        for (args, says) in [
            (&[][..], "a command is needed"),
            (&["purge", "x"][..], "unknown command"),
            (&["inspect"][..], "needs a queue name"),
            (&["inspect", "a", "b"][..], "one queue name"),
            (&["list", "products"][..], "list takes no queue"),
            (&["list", "--max", "2"][..], "--max is for"),
            (
                &["inspect", "a", "--dry-run"][..],
                "--dry-run is for redrive",
            ),
            (&["inspect", "a", "--max", "0"][..], "positive whole number"),
            (
                &["inspect", "a", "--max", "ten"][..],
                "positive whole number",
            ),
            (&["inspect", "a", "--max"][..], "--max needs a value"),
            (&["list", "--bogus"][..], "unknown option"),
            (
                &["list", "--endpoint-url", "localhost:5000"][..],
                "not an http",
            ),
            (&["list", "--local", "--stack", "x"][..], "--local takes no"),
            (
                &["list", "--state-file", "s.json"][..],
                "--state-file is for --local",
            ),
            (&["list", "--stack", " "][..], "--stack is empty"),
        ] {
            let m = usage_error(args);
            assert!(m.contains(says), "{args:?}: {m}");
        }
    }
}
