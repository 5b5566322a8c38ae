//! orders-worker: the orders side of the saga. Catalog events keep the price projection
//! current; stock and payment events move orders through `domain::decide`. Every step is
//! idempotent on the event id (or, for the projection, on the catalog version) and safe
//! under reordering.

mod projection;
mod saga;

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
use shared::events::DecodeError;
use shared::store::StoreError;
use shared::Envelope;

/// Attempts at one saga event before handing it back to SQS: a conditional write can lose
/// to a concurrent one (the owner cancelling, say) and must be re-read and decided again.
const MAX_ATTEMPTS: usize = 5;

/// What the worker works with, built once per execution environment.
pub struct Worker {
    orders: OrderStore,
    projection: PriceProjection,
}

impl Worker {
    /// A worker over the orders table.
    pub fn new(client: Client, table: String) -> Self {
        Self {
            orders: OrderStore::new(client.clone(), table.clone()),
            projection: PriceProjection::new(client, table),
        }
    }

    /// Handles one SQS batch, reporting the messages to retry.
    pub async fn handle_batch(
        &self,
        event: LambdaEvent<SqsEvent>,
    ) -> Result<SqsBatchResponse, lambda_runtime::Error> {
        Ok(consume_batch(event.payload, |envelope| self.handle_event(envelope)).await)
    }

    async fn handle_event(&self, envelope: Envelope) -> Result<(), ConsumeError> {
        let poison = |e: DecodeError| ConsumeError::Poison(e.to_string());
        let id = envelope.id.as_str();
        if envelope.is::<ProductCreated>() {
            let ProductCreated(snapshot) = envelope.decode().map_err(poison)?;
            projection::record_snapshot(self, snapshot).await
        } else if envelope.is::<ProductUpdated>() {
            let ProductUpdated(snapshot) = envelope.decode().map_err(poison)?;
            projection::record_snapshot(self, snapshot).await
        } else if envelope.is::<ProductDeleted>() {
            let ProductDeleted(snapshot) = envelope.decode().map_err(poison)?;
            projection::record_snapshot(self, snapshot).await
        } else if envelope.is::<StockReserved>() {
            let e: StockReserved = envelope.decode().map_err(poison)?;
            saga::advance(self, id, &e.order_id, SagaInput::StockReserved).await
        } else if envelope.is::<StockReservationFailed>() {
            let e: StockReservationFailed = envelope.decode().map_err(poison)?;
            saga::advance(self, id, &e.order_id, SagaInput::StockReservationFailed).await
        } else if envelope.is::<PaymentSucceeded>() {
            let e: PaymentSucceeded = envelope.decode().map_err(poison)?;
            saga::advance(self, id, &e.order_id, SagaInput::PaymentSucceeded).await
        } else if envelope.is::<PaymentFailed>() {
            let e: PaymentFailed = envelope.decode().map_err(poison)?;
            saga::advance(self, id, &e.order_id, SagaInput::PaymentFailed).await
        } else if envelope.is::<PaymentRefunded>() {
            let e: PaymentRefunded = envelope.decode().map_err(poison)?;
            saga::advance(self, id, &e.order_id, SagaInput::PaymentRefunded).await
        } else {
            // The subscriptions' filter policies let only the types above through; anything
            // else is a misconfiguration, and retrying it would not help.
            tracing::warn!(event_type = %envelope.event_type, "ignoring an event this worker does not handle");
            Ok(())
        }
    }
}

fn store_failure(err: StoreError) -> ConsumeError {
    match err {
        StoreError::Unavailable(e) => ConsumeError::Transient(e),
        other => ConsumeError::Other(other.into()),
    }
}
