//! outbox-publisher: the second half of the transactional outbox. A service's table stream
//! (filtered to outbox inserts) invokes it; it publishes each outbox item's envelope to the
//! service's SNS topic with `PublishBatch`, checks every entry, and reports what was not
//! published so Lambda retries it. One code, deployed once per table.

pub mod config;
pub mod record;

pub use config::Config;
pub use record::OutboxMessage;

use aws_lambda_events::event::dynamodb::{Event, EventRecord};
use aws_lambda_events::event::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use aws_sdk_sns::error::{DisplayErrorContext, SdkError};
use aws_sdk_sns::operation::publish_batch::PublishBatchError;
use lambda_runtime::LambdaEvent;
use std::convert::Infallible;
use tracing::Instrument;

/// The `service` of log lines when `SERVICE_NAME` is not set.
pub const SERVICE: &str = "outbox-publisher";

/// Why an outbox item was not published; every one is reported to Lambda for a retry.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    /// The outbox item lacks its envelope or event type, or the envelope is not one. It
    /// will never publish; reporting it sends it to the OnFailure destination after the
    /// event source mapping's retries.
    #[error("malformed outbox item: {0}")]
    MalformedItem(String),
    /// The SNS request could not be built (a required field is missing).
    #[error("cannot build the SNS request: {0}")]
    Request(#[from] aws_sdk_sns::error::BuildError),
    /// The whole `PublishBatch` call failed (throttled, unreachable, no such topic, denied).
    #[error("SNS PublishBatch failed: {}", DisplayErrorContext(.0.as_ref()))]
    Call(Box<SdkError<PublishBatchError>>),
    /// SNS accepted the call but failed this entry.
    #[error("SNS rejected the entry: {code} (sender fault: {sender_fault}): {message}")]
    EntryRejected {
        /// SNS's error code, e.g. `InternalError`.
        code: String,
        /// SNS's explanation (it does not quote the message).
        message: String,
        /// True when retrying the same entry cannot succeed.
        sender_fault: bool,
    },
    /// SNS listed the entry neither as successful nor as failed.
    #[error("SNS reported nothing about the entry")]
    EntryUnreported,
}

/// Publishes outbox items of one table to one topic.
#[derive(Debug, Clone)]
pub struct Publisher {
    sns: aws_sdk_sns::Client,
    topic_arn: String,
}

impl Publisher {
    /// A publisher to `config.topic_arn` through `sns` (both built once at init).
    pub fn new(sns: aws_sdk_sns::Client, config: &Config) -> Self {
        Self {
            sns,
            topic_arn: config.topic_arn.clone(),
        }
    }

    /// The Lambda handler: [`Publisher::publish`] inside the invocation's span.
    pub async fn handle(
        &self,
        event: LambdaEvent<Event>,
    ) -> Result<DynamoDbEventResponse, Infallible> {
        let span = shared::telemetry::invocation_span(&event.context.request_id);
        Ok(self.publish(event.payload).instrument(span).await)
    }

    /// Publishes the outbox inserts of a stream batch, in stream order, and returns the
    /// records to retry (their sequence numbers). Other records are acknowledged as is.
    ///
    /// Lambda retries a stream batch from the LOWEST reported sequence number (it is a
    /// checkpoint, not a set), so everything after the first failure comes back anyway:
    /// publishing it now would only duplicate it. Hence the first failure stops the batch:
    /// later records are not published and every not-published outbox record is reported.
    /// Records of a failing `PublishBatch` call that SNS did accept are not reported;
    /// those after the failed one are republished on retry, which consumers absorb by
    /// deduplicating on the envelope id.
    pub async fn publish(&self, event: Event) -> DynamoDbEventResponse {
        let mut messages = Vec::new();
        let mut records = event.records.iter();
        let mut malformed = None;
        for record in records.by_ref() {
            match record::outbox_message(record) {
                Ok(Some(message)) => messages.push(message),
                Ok(None) => {}
                Err(err) => {
                    // Reported rather than skipped: after the mapping's retries Lambda sends it
                    // to the OnFailure queue, where someone looks at it; skipping loses the event.
                    tracing::error!(
                        sequence_number = record::sequence_number(record),
                        error = %err,
                        "outbox item cannot be published"
                    );
                    malformed = Some(record);
                    break;
                }
            }
        }
        let unpublished = self.publish_in_order(&messages).await;
        let mut failures: Vec<Option<String>> = unpublished
            .iter()
            .map(|m| m.sequence_number.clone())
            .collect();
        if let Some(record) = malformed {
            failures.push(owned_sequence_number(record));
            failures.extend(
                records
                    .filter(|r| !matches!(record::outbox_message(r), Ok(None)))
                    .map(owned_sequence_number),
            );
        }
        // Each event published is logged on its own line, each failure too: the summary
        // only adds to CloudWatch Logs' bill when nothing went wrong.
        let published = messages.len() - unpublished.len();
        if failures.is_empty() {
            tracing::debug!(
                records = event.records.len(),
                published,
                "stream batch done"
            );
        } else {
            tracing::warn!(
                records = event.records.len(),
                published,
                failed = failures.len(),
                "stream batch done with records to retry"
            );
        }
        let mut response = DynamoDbEventResponse::default();
        // A record without a sequence number is reported with a null itemIdentifier, which
        // Lambda treats as a failure of the whole batch: retried, not lost.
        response.batch_item_failures = failures.into_iter().map(failure).collect();
        response
    }

    /// Publishes `messages` in order, batch after batch, up to the first batch with a
    /// failure; returns the messages not published (failed, or after that batch).
    async fn publish_in_order<'a>(&self, messages: &'a [OutboxMessage]) -> Vec<&'a OutboxMessage> {
        let mut unpublished = Vec::new();
        for batch in record::batches(messages) {
            if !unpublished.is_empty() {
                unpublished.extend(batch);
                continue;
            }
            match self.publish_batch(batch).await {
                Ok(outcomes) => {
                    for (message, outcome) in batch.iter().zip(outcomes) {
                        match outcome {
                            Ok(()) => message
                                .span()
                                .in_scope(|| tracing::info!("event published")),
                            Err(err) => {
                                log_failure(message, &err);
                                unpublished.push(message);
                            }
                        }
                    }
                }
                Err(err) => {
                    for message in batch {
                        log_failure(message, &err);
                    }
                    unpublished.extend(batch);
                }
            }
        }
        unpublished
    }

    /// One `PublishBatch` call (at most [`record::MAX_BATCH_ENTRIES`] messages). `Err` when
    /// the call failed as a whole, else the outcome of every entry, in order: an entry only
    /// counts as published when SNS lists it as successful.
    pub async fn publish_batch(
        &self,
        batch: &[OutboxMessage],
    ) -> Result<Vec<Result<(), PublishError>>, PublishError> {
        // Entry ids need only be unique within the call: the position in the batch is.
        let entries = batch
            .iter()
            .enumerate()
            .map(|(i, message)| message.to_entry(&i.to_string()))
            .collect::<Result<Vec<_>, _>>()?;
        let output = self
            .sns
            .publish_batch()
            .topic_arn(&self.topic_arn)
            .set_publish_batch_request_entries(Some(entries))
            .send()
            .await
            .map_err(|e| PublishError::Call(Box::new(e)))?;
        let outcomes = (0..batch.len())
            .map(|i| {
                let id = i.to_string();
                if let Some(failed) = output.failed().iter().find(|f| f.id() == id) {
                    Err(PublishError::EntryRejected {
                        code: failed.code().to_owned(),
                        message: failed.message().unwrap_or_default().to_owned(),
                        sender_fault: failed.sender_fault(),
                    })
                } else if output
                    .successful()
                    .iter()
                    .any(|s| s.id() == Some(id.as_str()))
                {
                    Ok(())
                } else {
                    Err(PublishError::EntryUnreported)
                }
            })
            .collect();
        Ok(outcomes)
    }
}

fn log_failure(message: &OutboxMessage, err: &PublishError) {
    // Ids and type only (in the span): the envelope can hold personal data (emails).
    message.span().in_scope(|| {
        tracing::warn!(
            sequence_number = message.sequence_number.as_deref(),
            error = %err,
            "event not published"
        )
    });
}

fn owned_sequence_number(record: &EventRecord) -> Option<String> {
    record::sequence_number(record).map(str::to_owned)
}

fn failure(sequence_number: Option<String>) -> DynamoDbBatchItemFailure {
    let mut failure = DynamoDbBatchItemFailure::default();
    failure.item_identifier = sequence_number;
    failure
}
