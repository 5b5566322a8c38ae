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
use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use aws_sdk_dynamodb::Client;
use lambda_runtime::LambdaEvent;
use shared::consumer::{consume_batch, ConsumeError};
use shared::events::payments::{PaymentFailed, PaymentRefunded, PaymentSucceeded};
use shared::events::products::{
    ProductCreated, ProductDeleted, ProductUpdated, StockReservationFailed, StockReserved,
};
use shared::events::users::UserDeleted;
use shared::events::DecodeError;
use shared::metrics::Metrics;
use shared::{Envelope, Event};

/// Attempts at one saga event before handing it back to SQS: a conditional write can lose
/// to a concurrent one (the owner cancelling, say) and must be re-read and decided again.
const MAX_ATTEMPTS: usize = 5;

/// Every event type the worker handles: what its queue's subscriptions must deliver
/// (checked against template.yaml's filter policies by the contract test).
pub const HANDLED_EVENT_TYPES: [&str; 9] = [
    ProductCreated::TYPE,
    ProductUpdated::TYPE,
    ProductDeleted::TYPE,
    StockReserved::TYPE,
    StockReservationFailed::TYPE,
    PaymentSucceeded::TYPE,
    PaymentFailed::TYPE,
    PaymentRefunded::TYPE,
    UserDeleted::TYPE,
];

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

    /// Handles one SQS batch, reporting the messages to retry.
    pub async fn handle_batch(
        &self,
        event: LambdaEvent<SqsEvent>,
    ) -> Result<SqsBatchResponse, lambda_runtime::Error> {
        Ok(consume_batch(event, &self.metrics, |envelope| self.handle_event(envelope)).await)
    }

    async fn handle_event(&self, envelope: Envelope) -> Result<(), ConsumeError> {
        let poison = |e: DecodeError| ConsumeError::Poison(e.to_string());
        let id = envelope.id.as_str();
        let saga = |order_id: String, input| async move {
            saga::advance(self, id, &order_id, input).await
        };
        match envelope.event_type.as_str() {
            ProductCreated::TYPE => {
                let ProductCreated(snapshot) = envelope.decode().map_err(poison)?;
                projection::record_snapshot(self, snapshot).await
            }
            ProductUpdated::TYPE => {
                let ProductUpdated(snapshot) = envelope.decode().map_err(poison)?;
                projection::record_snapshot(self, snapshot).await
            }
            ProductDeleted::TYPE => {
                let ProductDeleted(snapshot) = envelope.decode().map_err(poison)?;
                projection::record_snapshot(self, snapshot).await
            }
            StockReserved::TYPE => {
                let e: StockReserved = envelope.decode().map_err(poison)?;
                saga(e.order_id, SagaInput::StockReserved).await
            }
            StockReservationFailed::TYPE => {
                let e: StockReservationFailed = envelope.decode().map_err(poison)?;
                saga(e.order_id, SagaInput::StockReservationFailed).await
            }
            PaymentSucceeded::TYPE => {
                let e: PaymentSucceeded = envelope.decode().map_err(poison)?;
                saga(e.order_id, SagaInput::PaymentSucceeded).await
            }
            PaymentFailed::TYPE => {
                let e: PaymentFailed = envelope.decode().map_err(poison)?;
                saga(e.order_id, SagaInput::PaymentFailed).await
            }
            PaymentRefunded::TYPE => {
                let e: PaymentRefunded = envelope.decode().map_err(poison)?;
                saga(e.order_id, SagaInput::PaymentRefunded).await
            }
            UserDeleted::TYPE => {
                let e: UserDeleted = envelope.decode().map_err(poison)?;
                erasure::redact_orders(self, &e).await
            }
            other => {
                // The subscriptions' filter policies deliver only HANDLED_EVENT_TYPES;
                // anything else is a misconfiguration, and retrying it would not help.
                tracing::warn!(
                    event_type = other,
                    "ignoring an event this worker does not handle"
                );
                Ok(())
            }
        }
    }
}
