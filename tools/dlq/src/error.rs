//! The one error type of the tool; each variant says what to do about it.

use aws_sdk_sqs::error::DisplayErrorContext;

/// Why a `dlq` command could not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The template could not be read or does not describe its dead-letter queues as expected.
    #[error("template: {0}")]
    Template(String),
    /// No dead-letter queue of the stack has that name.
    #[error("no dead-letter queue named {name:?}; the stack has: {}", known.join(", "))]
    UnknownQueue {
        /// The name asked for.
        name: String,
        /// The names there are.
        known: Vec<String>,
    },
    /// The queue cannot be redriven: it holds something other than messages of a queue.
    #[error("{name} cannot be redriven: {reason}")]
    NotRedrivable {
        /// The queue's name.
        name: String,
        /// Why, and what to do instead.
        reason: String,
    },
    /// The local cloud's endpoint is unknown.
    #[error("the local cloud's endpoint is unknown: {0}")]
    NoEndpoint(String),
    /// The SDK configuration is incomplete (no region, for example).
    #[error("AWS configuration: {0}")]
    Config(String),
    /// The stack has no such resource (deployed from another version of the template?).
    #[error("{target} has no queue {logical_id} (is it deployed from this template?)")]
    NotInStack {
        /// The stack or local cloud looked in.
        target: String,
        /// The template's logical id of the queue.
        logical_id: String,
    },
    /// The source queue does not send its dead letters to this queue, so a redrive would
    /// put the messages somewhere they never came from.
    #[error(
        "{source_queue} does not dead-letter to {dead_letter_queue} (its RedrivePolicy: {policy})"
    )]
    SourceMismatch {
        /// The source queue's logical id.
        source_queue: String,
        /// The dead-letter queue's logical id.
        dead_letter_queue: String,
        /// The source queue's RedrivePolicy as SQS reports it (or "none").
        policy: String,
    },
    /// An AWS call failed.
    #[error("{operation} failed: {message}")]
    Aws {
        /// The API operation, e.g. `sqs:ReceiveMessage`.
        operation: &'static str,
        /// The SDK's error with its causes.
        message: String,
    },
}

impl Error {
    /// An AWS call's error, with the SDK's whole cause chain (its Display alone says
    /// only "service error").
    pub fn aws<E: std::error::Error>(operation: &'static str, error: E) -> Error {
        Error::Aws {
            operation,
            message: DisplayErrorContext(error).to_string(),
        }
    }
}
