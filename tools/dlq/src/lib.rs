//! dlq: lists, inspects and redrives the dead-letter queues of a crabcart stack, in AWS
//! (queues found through CloudFormation) or in the local cloud (`make dev`). Which queues
//! are dead-letter queues, and where their messages come from, is read from template.yaml.

#![warn(missing_docs)]

pub mod cli;
pub mod error;
pub mod message;
pub mod output;
pub mod queue;
pub mod redrive;
pub mod target;
pub mod topology;

use cli::{Args, Command};
use error::Error;
use message::DeadLetter;
use queue::QueueState;
use serde::Serialize;
use target::{Stack, Target};
use topology::{DeadLetterQueue, Source, Topology};

/// What a command found or did, printed as text or JSON.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "command", rename_all = "snake_case")]
pub enum Report {
    /// `dlq list`.
    List {
        /// The stack or local cloud.
        target: String,
        /// Every dead-letter queue.
        queues: Vec<QueueReport>,
    },
    /// `dlq inspect`.
    Inspect {
        /// The stack or local cloud.
        target: String,
        /// The queue.
        queue: QueueReport,
        /// The messages read (and left in the queue).
        messages: Vec<DeadLetter>,
    },
    /// `dlq redrive`.
    Redrive {
        /// The stack or local cloud.
        target: String,
        /// The dead-letter queue.
        queue: QueueReport,
        /// Nothing was changed.
        dry_run: bool,
        /// What moved and what did not.
        outcome: redrive::Outcome,
    },
}

impl Report {
    /// True when the command did all it was asked (a redrive that stopped did not).
    pub fn succeeded(&self) -> bool {
        match self {
            Report::Redrive { outcome, .. } => outcome.failures.is_empty(),
            _ => true,
        }
    }
}

/// A dead-letter queue where it runs: its numbers and its source queue's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QueueReport {
    /// The queue as the template describes it.
    #[serde(flatten)]
    pub queue: DeadLetterQueue,
    /// Its URL and numbers.
    pub state: QueueState,
    /// The source queue's URL and numbers (queue sources only).
    pub source_state: Option<QueueState>,
}

/// Runs a parsed command line against its target.
pub async fn run(args: &Args) -> Result<Report, Error> {
    let topology = match &args.template {
        None => Topology::embedded()?,
        Some(path) => Topology::parse(
            &std::fs::read_to_string(path)
                .map_err(|e| Error::Template(format!("cannot read {}: {e}", path.display())))?,
        )?,
    };
    let stack = Stack::connect(&Target::from_args(&args.target)?).await?;
    run_on(&stack, &topology, &args.command).await
}

/// Runs a command on a connected stack.
pub async fn run_on(
    stack: &Stack,
    topology: &Topology,
    command: &Command,
) -> Result<Report, Error> {
    let target = stack.description.clone();
    match command {
        Command::List => {
            let mut queues = Vec::with_capacity(topology.queues.len());
            for q in &topology.queues {
                queues.push(queue_report(stack, q).await?);
            }
            Ok(Report::List { target, queues })
        }
        Command::Inspect { queue, max } => {
            let queue = queue_report(stack, topology.find(queue)?).await?;
            let received = queue::receive_up_to(&stack.sqs, &queue.state.url, Some(*max)).await?;
            let messages = received.iter().map(queue::dead_letter).collect();
            queue::hand_back(&stack.sqs, &queue.state.url, &received).await?;
            Ok(Report::Inspect {
                target,
                queue,
                messages,
            })
        }
        Command::Redrive {
            queue,
            max,
            dry_run,
        } => {
            let queue = queue_report(stack, topology.find(queue)?).await?;
            let source = redrive_destination(&queue)?;
            let dead_letters = &queue.state.url;
            let outcome = if *dry_run {
                redrive::dry_run(&stack.sqs, dead_letters, *max).await?
            } else {
                redrive::redrive(&stack.sqs, dead_letters, &source.url, *max).await?
            };
            Ok(Report::Redrive {
                target,
                queue,
                dry_run: *dry_run,
                outcome,
            })
        }
    }
}

/// The queue's and its source queue's URL and numbers.
async fn queue_report(stack: &Stack, q: &DeadLetterQueue) -> Result<QueueReport, Error> {
    let state = QueueState::read(&stack.sqs, &stack.queue_url(&q.logical_id).await?).await?;
    let source_state = match &q.source {
        Source::Queue { logical_id, .. } => {
            let url = stack.queue_url(logical_id).await?;
            Some(QueueState::read(&stack.sqs, &url).await?)
        }
        Source::Stream { .. } => None,
    };
    Ok(QueueReport {
        queue: q.clone(),
        state,
        source_state,
    })
}

/// The queue a redrive sends to: the source queue, checked against its live
/// RedrivePolicy so that messages only ever go back where they came from.
fn redrive_destination(q: &QueueReport) -> Result<&QueueState, Error> {
    match (&q.queue.source, &q.source_state) {
        (Source::Queue { logical_id, .. }, Some(source)) => {
            if !source.dead_letters_to(&q.state.arn) {
                return Err(Error::SourceMismatch {
                    source_queue: logical_id.clone(),
                    dead_letter_queue: q.queue.logical_id.clone(),
                    policy: source.redrive_policy.clone().unwrap_or_else(|| "none".into()),
                });
            }
            Ok(source)
        }
        (Source::Stream { function, table }, _) => Err(Error::NotRedrivable {
            name: q.queue.name.clone(),
            reason: format!(
                "it holds Lambda's failure records for batches of the {table} stream that {function} gave up on (where the batch was, not its events); there is no queue to send them back to. `dlq inspect {}` shows the shard and sequence range; the events themselves are the table's outbox items (kept 7 days)",
                q.queue.name
            ),
        }),
        (Source::Queue { logical_id, .. }, None) => Err(Error::NotInStack {
            target: "the stack".into(),
            logical_id: logical_id.clone(),
        }),
    }
}
