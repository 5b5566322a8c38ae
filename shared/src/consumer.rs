//! The SQS batch consumer of every worker: raw-delivery bodies parsed as envelopes,
//! duplicates within a batch collapsed, each message handled once, failures reported
//! per item so only they come back (the event source mapping must enable
//! `ReportBatchItemFailures`). Across batches, handlers stay idempotent by committing
//! `Transaction::mark_processed` with their state change. Messages that the `dlq redrive`
//! tool moved back from the dead-letter queue are counted as [`BusinessMetric::DlqRedrives`].

use crate::events::{DecodeError, Envelope};
use crate::metrics::{BusinessMetric, Metrics};
use crate::outbox::CommitError;
use crate::store::StoreError;
use crate::telemetry;
use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent, SqsMessage};
use lambda_runtime::LambdaEvent;
use std::collections::HashMap;
use std::future::Future;
use tracing::Instrument;

/// The SQS message attribute (Number) that `dlq redrive` sets on every message it moves
/// back from a dead-letter queue: how many times the message has been redriven.
pub const REDRIVE_COUNT_ATTRIBUTE: &str = "redrive_count";
/// The SQS system attribute counting the receives of a message.
const RECEIVE_COUNT_ATTRIBUTE: &str = "ApproximateReceiveCount";

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

/// The events a worker consumes, declared once with [`event_set!`](crate::event_set): the
/// enum its handler matches on, the wire types its queue's subscriptions must deliver
/// (the contract tests compare [`EventSet::TYPES`] with template.yaml's filter policies),
/// and the decoding of an envelope into it.
pub trait EventSet: Sized {
    /// The envelope `type` of every variant, in declaration order.
    const TYPES: &'static [&'static str];

    /// The typed event in `envelope`, or `None` when its type is none of [`Self::TYPES`].
    fn decode(envelope: &Envelope) -> Result<Option<Self>, DecodeError>;
}

/// Declares a worker's [`EventSet`]: an enum with one variant per consumed event type.
///
/// ```ignore
/// shared::event_set! {
///     /// What products-worker consumes.
///     pub enum Consumed {
///         OrderPlaced(OrderPlaced),
///         OrderCancelled(OrderCancelled),
///     }
/// }
/// ```
#[macro_export]
macro_rules! event_set {
    ($(#[$meta:meta])* $vis:vis enum $name:ident { $($variant:ident($event:ty)),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug)]
        $vis enum $name {
            $($variant($event)),+
        }

        impl $crate::consumer::EventSet for $name {
            const TYPES: &'static [&'static str] =
                &[$(<$event as $crate::events::Event>::TYPE),+];

            fn decode(
                envelope: &$crate::events::Envelope,
            ) -> ::std::result::Result<::std::option::Option<Self>, $crate::events::DecodeError> {
                $(
                    if envelope.is::<$event>() {
                        return envelope.decode::<$event>().map(|e| Some(Self::$variant(e)));
                    }
                )+
                Ok(None)
            }
        }
    };
}

/// A queue's worker: the events it consumes and what it does with one. Batching,
/// duplicates within a batch, per-item failures, decoding and the Lambda runtime are
/// [`handle_batch`]'s and [`serve`]'s, the same for every worker.
pub trait Consumer {
    /// What the worker consumes.
    type Events: EventSet;

    /// Where its business metrics (and the redrive count) go.
    fn metrics(&self) -> &Metrics;

    /// Handles one event, idempotently: it may be delivered more than once.
    fn handle(
        &self,
        envelope: &Envelope,
        event: Self::Events,
    ) -> impl Future<Output = Result<(), ConsumeError>>;
}

/// Handles one SQS batch with `worker`, reporting the messages to retry.
pub async fn handle_batch<C: Consumer>(
    worker: &C,
    event: LambdaEvent<SqsEvent>,
) -> Result<SqsBatchResponse, lambda_runtime::Error> {
    // Boxed: an event's future (SDK calls several layers down) is nested deeper than
    // rustc's default limit for computing the layout of a worker's future.
    Ok(consume_batch(event, worker.metrics(), |envelope| {
        Box::pin(dispatch(worker, envelope))
    })
    .await)
}

/// Runs `worker` under the Lambda runtime: a worker binary's whole `main` after its
/// configuration.
pub async fn serve<C: Consumer>(worker: C) -> Result<(), lambda_runtime::Error> {
    lambda_runtime::run(lambda_runtime::service_fn(|event| {
        handle_batch(&worker, event)
    }))
    .await
}

async fn dispatch<C: Consumer>(worker: &C, envelope: Envelope) -> Result<(), ConsumeError> {
    match C::Events::decode(&envelope) {
        Ok(Some(event)) => worker.handle(&envelope, event).await,
        // The subscriptions' filter policies deliver only `C::Events::TYPES`; anything
        // else is a misconfiguration, and retrying it would not help.
        Ok(None) => {
            tracing::warn!(event_type = %envelope.event_type, "ignoring an event this worker does not handle");
            Ok(())
        }
        Err(e) => Err(ConsumeError::Poison(e.to_string())),
    }
}

/// Handles every record of a batch with `handle`, inside the invocation's span, returning
/// the failed message ids. A transaction that reports [`CommitError::AlreadyProcessed`]
/// is a success: the handler should map it to `Ok(())`.
pub async fn consume_batch<F, Fut>(
    event: LambdaEvent<SqsEvent>,
    metrics: &Metrics,
    handle: F,
) -> SqsBatchResponse
where
    F: Fn(Envelope) -> Fut,
    Fut: Future<Output = Result<(), ConsumeError>>,
{
    let span = telemetry::invocation_span(&event.context.request_id);
    // Boxed: the handlers' futures (SDK calls several layers down) are nested deeper than
    // rustc's default limit for computing the layout of a worker's `main` future.
    Box::pin(consume_records(event.payload, metrics, handle))
        .instrument(span)
        .await
}

async fn consume_records<F, Fut>(event: SqsEvent, metrics: &Metrics, handle: F) -> SqsBatchResponse
where
    F: Fn(Envelope) -> Fut,
    Fut: Future<Output = Result<(), ConsumeError>>,
{
    let mut failures = Vec::new();
    let mut redriven = 0;
    // Outcome per envelope id within this batch: SQS may deliver the same event twice
    // in one batch; handle it once and give every copy the same outcome.
    let mut outcomes: HashMap<String, bool> = HashMap::new();
    for record in event.records {
        let message_id = record.message_id.clone().unwrap_or_default();
        let redrive_count = first_receive_after_redrive(&record);
        if let Some(redrive_count) = redrive_count {
            redriven += 1;
            tracing::info!(%message_id, redrive_count, "message redriven from the dead-letter queue");
        }
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
                let span = telemetry::event_span(
                    &envelope.id,
                    &envelope.event_type,
                    &envelope.correlation_id,
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
    metrics.emit_count(BusinessMetric::DlqRedrives, redriven);
    let mut response = SqsBatchResponse::default();
    response.batch_item_failures = failures;
    response
}

/// The message's redrive count when this is its first receive since `dlq redrive` moved
/// it back: a redriven message that fails again and is received again is not counted again
/// (the redrive sends a new message, whose receive count starts at 1). A message without
/// a receive count (not from SQS) counts.
fn first_receive_after_redrive(record: &SqsMessage) -> Option<u64> {
    let redrive_count = record
        .message_attributes
        .get(REDRIVE_COUNT_ATTRIBUTE)?
        .string_value
        .as_deref()?
        .trim()
        .parse::<u64>()
        .ok()
        .filter(|n| *n > 0)?;
    let first_receive = record
        .attributes
        .get(RECEIVE_COUNT_ATTRIBUTE)
        .is_none_or(|count| count == "1");
    first_receive.then_some(redrive_count)
}

fn failure(message_id: &str) -> BatchItemFailure {
    let mut f = BatchItemFailure::default();
    f.item_identifier = message_id.to_owned();
    f
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::RecordedMetric;
    use crate::telemetry::capture::CapturedLogs;
    use aws_lambda_events::event::sqs::SqsMessageAttribute;
    use lambda_runtime::Context;
    use std::sync::Mutex;

    fn message(id: &str, body: &str) -> SqsMessage {
        let mut m = SqsMessage::default();
        m.message_id = Some(id.to_owned());
        m.body = Some(body.to_owned());
        m
    }

    /// `message` as `dlq redrive` sends it back: redriven `count` times, received `receives` times.
    fn redriven(id: &str, body: &str, count: &str, receives: &str) -> SqsMessage {
        let mut m = message(id, body);
        let mut attribute = SqsMessageAttribute::default();
        attribute.data_type = Some("Number".to_owned());
        attribute.string_value = Some(count.to_owned());
        m.message_attributes
            .insert(REDRIVE_COUNT_ATTRIBUTE.to_owned(), attribute);
        m.attributes
            .insert(RECEIVE_COUNT_ATTRIBUTE.to_owned(), receives.to_owned());
        m
    }

    fn envelope_about(id: &str, event_type: &str, correlation_id: &str) -> String {
        serde_json::json!({
            "id": id, "type": event_type, "version": 1, "source": "test",
            "time": "2026-01-01T00:00:00.000Z", "correlation_id": correlation_id, "data": {}
        })
        .to_string()
    }

    fn envelope(id: &str, event_type: &str) -> String {
        envelope_about(id, event_type, "c")
    }

    fn batch(messages: Vec<SqsMessage>) -> LambdaEvent<SqsEvent> {
        let mut e = SqsEvent::default();
        e.records = messages;
        let mut context = Context::default();
        context.request_id = "req-7".to_owned();
        LambdaEvent::new(e, context)
    }

    crate::event_set! {
        enum AccountEvents {
            Deleted(crate::events::users::UserDeleted),
            Registered(crate::events::users::UserRegistered),
        }
    }

    /// Records which of its events it was handed, by envelope id.
    struct AccountWorker {
        metrics: Metrics,
        handled: Mutex<Vec<String>>,
    }

    impl Consumer for AccountWorker {
        type Events = AccountEvents;

        fn metrics(&self) -> &Metrics {
            &self.metrics
        }

        async fn handle(
            &self,
            envelope: &Envelope,
            event: AccountEvents,
        ) -> Result<(), ConsumeError> {
            let what = match event {
                AccountEvents::Deleted(e) => format!("deleted {}", e.user_id),
                AccountEvents::Registered(e) => format!("registered {}", e.user_id),
            };
            self.handled
                .lock()
                .unwrap()
                .push(format!("{}: {what}", envelope.id));
            Ok(())
        }
    }

    fn typed(id: &str, event_type: &str, version: u32, data: serde_json::Value) -> String {
        serde_json::json!({
            "id": id, "type": event_type, "version": version, "source": "test",
            "time": "2026-01-01T00:00:00.000Z", "correlation_id": "c", "data": data
        })
        .to_string()
    }

    #[test]
    fn an_event_set_lists_its_types_in_declaration_order() {
        assert_eq!(AccountEvents::TYPES, ["UserDeleted", "UserRegistered"]);
    }

    #[tokio::test]
    async fn a_worker_is_handed_its_typed_events_ignores_others_and_fails_undecodable_ones() {
        let deleted = serde_json::json!({"user_id": "u1", "deleted_at": "2026-01-01T00:00:00Z"});
        let event = batch(vec![
            message("m1", &typed("e1", "UserDeleted", 1, deleted.clone())),
            message("m2", &typed("e2", "OrderPlaced", 1, serde_json::json!({}))),
            message(
                "m3",
                &typed("e3", "UserDeleted", 1, serde_json::json!({"user_id": 7})),
            ),
            message("m4", &typed("e4", "UserDeleted", 9, deleted)),
        ]);
        let worker = AccountWorker {
            metrics: Metrics::recording("test").0,
            handled: Mutex::new(Vec::new()),
        };
        let response = handle_batch(&worker, event).await.unwrap();
        let failed: Vec<_> = response
            .batch_item_failures
            .iter()
            .map(|f| f.item_identifier.as_str())
            .collect();
        // A type it does not consume is dropped (retrying cannot help); a payload or a
        // version it cannot decode is retried and, in the end, dead-lettered.
        assert_eq!(failed, ["m3", "m4"]);
        assert_eq!(*worker.handled.lock().unwrap(), ["e1: deleted u1"]);
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
        let (metrics, recorder) = Metrics::recording("test");
        let response = consume_batch(event, &metrics, |env| {
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
        assert_eq!(
            recorder.lines(),
            Vec::<String>::new(),
            "nothing was redriven"
        );
    }

    #[tokio::test]
    async fn messages_on_their_first_receive_after_a_redrive_are_counted_once_per_batch() {
        let event = batch(vec![
            redriven("m1", &envelope("e1", "Good"), "1", "1"),
            message("m2", &envelope("e2", "Good")),
            redriven("m3", &envelope("e3", "Bad"), "2", "1"),
            // Received before: counted when it first came back.
            redriven("m4", &envelope("e4", "Good"), "1", "3"),
            // Not a redrive count.
            redriven("m5", &envelope("e5", "Good"), "zero", "1"),
        ]);
        let (metrics, recorder) = Metrics::recording("orders");
        let response = consume_batch(event, &metrics, |env| async move {
            if env.event_type == "Bad" {
                Err(ConsumeError::Poison("bad".into()))
            } else {
                Ok(())
            }
        })
        .await;
        assert_eq!(response.batch_item_failures.len(), 1);
        assert_eq!(
            recorder.metrics(),
            vec![RecordedMetric {
                name: "DlqRedrives".into(),
                service: "orders".into(),
                reason: None,
                count: 2,
            }]
        );
    }

    #[tokio::test]
    async fn a_handler_log_line_carries_the_request_id_and_the_event_correlation_id() {
        let logs = CapturedLogs::default();
        let _guard = logs.install();
        let (metrics, _) = Metrics::recording("orders");
        let event = batch(vec![
            message("m1", &envelope_about("e1", "StockReserved", "order-1")),
            message("m2", &envelope_about("e2", "StockReserved", "order-2")),
        ]);
        consume_batch(event, &metrics, |env| async move {
            tracing::info!(event = %env.id, "saga step applied");
            Ok(())
        })
        .await;
        let handled: Vec<_> = logs
            .lines()
            .into_iter()
            .filter(|l| l["message"] == "saga step applied")
            .collect();
        assert_eq!(handled.len(), 2, "{handled:?}");
        for (line, (event_id, order_id)) in
            handled.iter().zip([("e1", "order-1"), ("e2", "order-2")])
        {
            assert_eq!(line["request_id"], "req-7");
            assert_eq!(line["correlation_id"], order_id, "{line}");
            assert_eq!(line["event_id"], event_id);
            assert_eq!(line["event_type"], "StockReserved");
            assert!(line.get("service").is_some() && line.get("cold_start").is_some());
        }
    }
}
