//! The SQS batch consumer of every worker: raw-delivery bodies parsed as envelopes,
//! duplicates within a batch collapsed, each message handled once, failures reported
//! per item so only they come back (the event source mapping must enable
//! `ReportBatchItemFailures`). Across batches, handlers stay idempotent by committing
//! `Transaction::mark_processed` with their state change.

use crate::events::Envelope;
use crate::outbox::CommitError;
use crate::store::StoreError;
use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};
use std::collections::HashMap;
use std::future::Future;
use tracing::Instrument;

/// Why one message was not handled; either way it is retried by SQS and, after
/// maxReceiveCount, lands in the queue's DLQ.
#[derive(Debug, thiserror::Error)]
pub enum ConsumeError {
    /// A dependency is down or throttling: retry later.
    #[error("transient failure: {0}")]
    Transient(#[source] anyhow::Error),
    /// The message can never be handled (bad payload, unknown version).
    #[error("poison message: {0}")]
    Poison(String),
    /// A bug or unexpected answer.
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

impl From<StoreError> for ConsumeError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::Unavailable(e) => ConsumeError::Transient(e),
            other => ConsumeError::Other(other.into()),
        }
    }
}

impl From<CommitError> for ConsumeError {
    fn from(err: CommitError) -> Self {
        match err {
            CommitError::Unavailable(e) => ConsumeError::Transient(e),
            other => ConsumeError::Other(other.into()),
        }
    }
}

/// Handles every record of a batch with `handle`, returning the failed message ids.
/// A transaction that reports [`CommitError::AlreadyProcessed`] is a success: the
/// handler should map it to `Ok(())`.
pub async fn consume_batch<F, Fut>(event: SqsEvent, handle: F) -> SqsBatchResponse
where
    F: Fn(Envelope) -> Fut,
    Fut: Future<Output = Result<(), ConsumeError>>,
{
    let mut failures = Vec::new();
    // Outcome per envelope id within this batch: SQS may deliver the same event twice
    // in one batch; handle it once and give every copy the same outcome.
    let mut outcomes: HashMap<String, bool> = HashMap::new();
    for record in event.records {
        let message_id = record.message_id.clone().unwrap_or_default();
        let envelope = match record.body.as_deref().map(Envelope::parse) {
            Some(Ok(env)) => env,
            Some(Err(err)) => {
                tracing::error!(%message_id, error = %err, "message body is not an event envelope");
                failures.push(failure(&message_id));
                continue;
            }
            None => {
                tracing::error!(%message_id, "message has no body");
                failures.push(failure(&message_id));
                continue;
            }
        };
        let succeeded = match outcomes.get(&envelope.id) {
            Some(done) => *done,
            None => {
                let span = tracing::info_span!(
                    "event",
                    event_id = %envelope.id,
                    event_type = %envelope.event_type,
                    correlation_id = %envelope.correlation_id,
                );
                let id = envelope.id.clone();
                let ok = match handle(envelope).instrument(span.clone()).await {
                    Ok(()) => true,
                    Err(err) => {
                        span.in_scope(
                            || tracing::warn!(%message_id, error = %err, "event handling failed"),
                        );
                        false
                    }
                };
                outcomes.insert(id, ok);
                ok
            }
        };
        if !succeeded {
            failures.push(failure(&message_id));
        }
    }
    let mut response = SqsBatchResponse::default();
    response.batch_item_failures = failures;
    response
}

fn failure(message_id: &str) -> BatchItemFailure {
    let mut f = BatchItemFailure::default();
    f.item_identifier = message_id.to_owned();
    f
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_lambda_events::event::sqs::SqsMessage;
    use std::sync::Mutex;

    fn message(id: &str, body: &str) -> SqsMessage {
        let mut m = SqsMessage::default();
        m.message_id = Some(id.to_owned());
        m.body = Some(body.to_owned());
        m
    }

    fn envelope(id: &str, event_type: &str) -> String {
        serde_json::json!({
            "id": id, "type": event_type, "version": 1, "source": "test",
            "time": "2026-01-01T00:00:00.000Z", "correlation_id": "c", "data": {}
        })
        .to_string()
    }

    fn batch(messages: Vec<SqsMessage>) -> SqsEvent {
        let mut e = SqsEvent::default();
        e.records = messages;
        e
    }

    #[tokio::test]
    async fn failures_are_reported_per_message_and_duplicates_handled_once() {
        let seen = Mutex::new(Vec::new());
        let event = batch(vec![
            message("m1", &envelope("e1", "Good")),
            message("m2", "not json"),
            message("m3", &envelope("e2", "Bad")),
            message("m4", &envelope("e1", "Good")),
        ]);
        let response = consume_batch(event, |env| {
            seen.lock().unwrap().push(env.id.clone());
            async move {
                if env.event_type == "Bad" {
                    Err(ConsumeError::Poison("bad".into()))
                } else {
                    Ok(())
                }
            }
        })
        .await;
        let failed: Vec<_> = response
            .batch_item_failures
            .iter()
            .map(|f| f.item_identifier.as_str())
            .collect();
        assert_eq!(failed, vec!["m2", "m3"]);
        assert_eq!(*seen.lock().unwrap(), vec!["e1", "e2"]);
    }
}
