//! orders-worker: the orders side of the saga. Catalog events keep the price projection
//! current; stock and payment events move orders through `domain::decide`; a deleted
//! user's orders lose their personal data. Every step is
//! idempotent on the event id (or, for the projection, on the catalog version) and safe
//! under reordering.

mod erasure;
mod projection;
pub(crate) mod saga;

use crate::domain::SagaInput;
use crate::store::{OrderStore, PriceProjection};
use aws_sdk_dynamodb::Client;
use shared::consumer::{ConsumeError, Consumer};
use shared::events::payments::{PaymentFailed, PaymentRefunded, PaymentSucceeded};
use shared::events::products::{
    ProductCreated, ProductDeleted, ProductUpdated, StockReservationFailed, StockReserved,
};
use shared::events::users::UserDeleted;
use shared::metrics::Metrics;
use shared::Envelope;

/// Attempts at one saga event before handing it back to SQS: a conditional write can lose
/// to a concurrent one (the owner cancelling, say) and must be re-read and decided again.
const MAX_ATTEMPTS: usize = 5;

shared::event_set! {
    /// What orders-worker consumes: the catalog it prices from, the saga's replies from
    /// products and payments, and the erasure of an account.
    pub enum Consumed {
        ProductCreated(ProductCreated),
        ProductUpdated(ProductUpdated),
        ProductDeleted(ProductDeleted),
        StockReserved(StockReserved),
        StockReservationFailed(StockReservationFailed),
        PaymentSucceeded(PaymentSucceeded),
        PaymentFailed(PaymentFailed),
        PaymentRefunded(PaymentRefunded),
        UserDeleted(UserDeleted),
    }
}

/// What the worker works with, built once per execution environment.
pub struct Worker {
    orders: OrderStore,
    projection: PriceProjection,
    metrics: Metrics,
}

impl Worker {
    /// A worker over the orders table, writing its metrics to stdout.
    pub fn new(client: Client, table: String) -> Self {
        Self {
            orders: OrderStore::new(client.clone(), table.clone()),
            projection: PriceProjection::new(client, table),
            metrics: Metrics::stdout(crate::SERVICE),
        }
    }

    /// The same worker counting its business metrics into `metrics` (tests record them).
    pub fn with_metrics(mut self, metrics: Metrics) -> Self {
        self.metrics = metrics;
        self
    }
}

impl Consumer for Worker {
    type Events = Consumed;

    fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    async fn handle(&self, envelope: &Envelope, event: Consumed) -> Result<(), ConsumeError> {
        let id = envelope.id.as_str();
        let saga = |order_id: String, input| async move {
            saga::advance(self, id, &order_id, input).await
        };
        match event {
            Consumed::ProductCreated(ProductCreated(snapshot))
            | Consumed::ProductUpdated(ProductUpdated(snapshot))
            | Consumed::ProductDeleted(ProductDeleted(snapshot)) => {
                projection::record_snapshot(self, snapshot).await
            }
            Consumed::StockReserved(e) => saga(e.order_id, SagaInput::StockReserved).await,
            Consumed::StockReservationFailed(e) => {
                saga(e.order_id, SagaInput::StockReservationFailed).await
            }
            Consumed::PaymentSucceeded(e) => saga(e.order_id, SagaInput::PaymentSucceeded).await,
            Consumed::PaymentFailed(e) => saga(e.order_id, SagaInput::PaymentFailed).await,
            Consumed::PaymentRefunded(e) => saga(e.order_id, SagaInput::PaymentRefunded).await,
            Consumed::UserDeleted(e) => erasure::redact_orders(self, &e).await,
        }
    }
}
