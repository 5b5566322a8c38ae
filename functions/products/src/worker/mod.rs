//! products-worker: the products side of the order saga. Reserves an order's stock when
//! it is placed, releases it when the order is rejected or cancelled. Every step is
//! idempotent on the event id and safe under reordering.

mod release;
mod reserve;

use crate::store::{CatalogStore, ReservationStore};
use aws_sdk_dynamodb::Client;
use shared::consumer::{ConsumeError, Consumer};
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
}

shared::event_set! {
    /// What products-worker consumes: the order events that reserve or release stock.
    pub enum Consumed {
        OrderPlaced(OrderPlaced),
        OrderRejected(OrderRejected),
        OrderCancelled(OrderCancelled),
        StockReleaseRequested(StockReleaseRequested),
    }
}

impl Consumer for Worker {
    type Events = Consumed;

    fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    async fn handle(&self, envelope: &Envelope, event: Consumed) -> Result<(), ConsumeError> {
        let id = &envelope.id;
        match event {
            Consumed::OrderPlaced(placed) => reserve::reserve_order(self, id, placed).await,
            Consumed::OrderRejected(OrderRejected { order_id, .. })
            | Consumed::OrderCancelled(OrderCancelled { order_id, .. })
            | Consumed::StockReleaseRequested(StockReleaseRequested { order_id, .. }) => {
                release::release_order(self, id, &order_id).await
            }
        }
    }
}
