//! products-worker: the products side of the order saga. Reserves an order's stock when
//! it is placed, releases it when the order is rejected or cancelled. Every step is
//! idempotent on the event id and safe under reordering.

mod release;
mod reserve;

use crate::store::{CatalogStore, ReservationStore};
use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use aws_sdk_dynamodb::Client;
use lambda_runtime::LambdaEvent;
use shared::consumer::{consume_batch, ConsumeError};
use shared::events::orders::{OrderCancelled, OrderPlaced, OrderRejected, StockReleaseRequested};
use shared::metrics::Metrics;
use shared::Envelope;

/// Attempts at one event before handing it back to SQS: a transaction can lose to
/// concurrent ones on the same products and must be re-read and retried.
const MAX_ATTEMPTS: usize = 5;

/// What the worker works with, built once per execution environment.
pub struct Worker {
    catalog: CatalogStore,
    reservations: ReservationStore,
    metrics: Metrics,
}

impl Worker {
    /// A worker over the products table, writing its metrics to stdout.
    pub fn new(client: Client, table: String) -> Self {
        Self {
            catalog: CatalogStore::new(client.clone(), table.clone()),
            reservations: ReservationStore::new(client, table),
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
        if envelope.is::<OrderPlaced>() {
            let placed = envelope.decode::<OrderPlaced>().map_err(poison)?;
            reserve::reserve_order(self, &envelope.id, placed).await
        } else if envelope.is::<OrderRejected>() {
            let rejected = envelope.decode::<OrderRejected>().map_err(poison)?;
            release::release_order(self, &envelope.id, &rejected.order_id).await
        } else if envelope.is::<OrderCancelled>() {
            let cancelled = envelope.decode::<OrderCancelled>().map_err(poison)?;
            release::release_order(self, &envelope.id, &cancelled.order_id).await
        } else if envelope.is::<StockReleaseRequested>() {
            let release = envelope.decode::<StockReleaseRequested>().map_err(poison)?;
            release::release_order(self, &envelope.id, &release.order_id).await
        } else {
            // The subscription's filter policy lets only these types through; anything
            // else is a misconfiguration, and retrying it would not help.
            tracing::warn!(event_type = %envelope.event_type, "ignoring an event this worker does not handle");
            Ok(())
        }
    }
}
