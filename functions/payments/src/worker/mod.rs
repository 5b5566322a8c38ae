//! payments-worker: the payments side of the order saga. Charges an order when its
//! payment is requested, refunds it when the order is cancelled or rejected (an expired
//! order may have been charged). Every step is
//! idempotent on the event id, safe under reordering, and charges or refunds an order at
//! most once however often its events arrive.

mod charge;
mod refund;

use crate::provider::PaymentProvider;
use crate::store::PaymentStore;
use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use aws_sdk_dynamodb::Client;
use lambda_runtime::LambdaEvent;
use shared::consumer::{consume_batch, ConsumeError};
use shared::events::orders::{OrderCancelled, OrderRejected, PaymentRequested, RefundRequested};
use shared::metrics::Metrics;
use shared::Envelope;

/// Reads and writes of one event before handing it back to SQS: another delivery of the
/// same order can move its payment between our read and our write.
const MAX_ATTEMPTS: usize = 3;

/// What the worker works with, built once per execution environment.
pub struct Worker<P> {
    payments: PaymentStore,
    provider: P,
    metrics: Metrics,
}

impl<P: PaymentProvider> Worker<P> {
    /// A worker over the payments table, charging through `provider` (in production the
    /// simulator behind [`crate::provider::ResilientProvider`]), writing its metrics to
    /// stdout.
    pub fn new(client: Client, table: String, provider: P) -> Self {
        Self {
            payments: PaymentStore::new(client, table),
            provider,
            metrics: Metrics::stdout(crate::SERVICE),
        }
    }

    /// The same worker counting its business metrics into `metrics` (tests record them).
    pub fn with_metrics(mut self, metrics: Metrics) -> Self {
        self.metrics = metrics;
        self
    }

    /// Handles one SQS batch, reporting the messages to retry.
    pub async fn handle_batch(
        &self,
        event: LambdaEvent<SqsEvent>,
    ) -> Result<SqsBatchResponse, lambda_runtime::Error> {
        Ok(consume_batch(event, &self.metrics, |envelope| self.handle_event(envelope)).await)
    }

    async fn handle_event(&self, envelope: Envelope) -> Result<(), ConsumeError> {
        let poison = |e: shared::events::DecodeError| ConsumeError::Poison(e.to_string());
        if envelope.is::<PaymentRequested>() {
            let requested = envelope.decode::<PaymentRequested>().map_err(poison)?;
            charge::charge_order(self, &envelope.id, &requested).await
        } else if envelope.is::<OrderCancelled>() {
            let cancelled = envelope.decode::<OrderCancelled>().map_err(poison)?;
            refund::refund_order(self, &envelope.id, &cancelled.order_id, &cancelled.user_id).await
        } else if envelope.is::<OrderRejected>() {
            // A rejected order keeps no money: nothing to do after a decline, a void when
            // it was never charged, a refund when it expired while its charge went through.
            let rejected = envelope.decode::<OrderRejected>().map_err(poison)?;
            refund::refund_order(self, &envelope.id, &rejected.order_id, &rejected.user_id).await
        } else if envelope.is::<RefundRequested>() {
            let requested = envelope.decode::<RefundRequested>().map_err(poison)?;
            refund::refund_order(self, &envelope.id, &requested.order_id, &requested.user_id).await
        } else {
            // The subscription's filter policy lets only these types through; anything
            // else is a misconfiguration, and retrying it would not help.
            tracing::warn!(event_type = %envelope.event_type, "ignoring an event this worker does not handle");
            Ok(())
        }
    }
}
