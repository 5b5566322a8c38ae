//! Reservations: the stock moves of an order and its reservation item, committed in one
//! transaction with the processed marker of the event that caused them and the event
//! they cause.

use super::keys;
use super::record::ReservationRecord;
use super::s;
use crate::domain::{Reservation, ReservationRequest};
use crate::CONSUMER;
use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem, Update};
use aws_sdk_dynamodb::Client;
use shared::events::products::{StockReleased, StockReservationFailed, StockReserved};
use shared::outbox::{CommitError, Transaction};
use shared::store::{get_record, to_item, StoreError};
use shared::Envelope;

/// What became of an attempt to reserve or release.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Committed: stock moved and the event recorded.
    Done,
    /// This event was handled before; nothing changed.
    Duplicate,
    /// The order already has a reservation item (reserved, or released before it was
    /// placed): nothing to do.
    AlreadySettled,
    /// A product line's condition failed: unknown, archived or not enough stock.
    Short,
    /// The reservation item changed between the read and the write: read again.
    Raced,
}

/// Reservations in the products table.
#[derive(Clone)]
pub struct ReservationStore {
    client: Client,
    table: String,
}

impl ReservationStore {
    /// A store over `table`.
    pub fn new(client: Client, table: String) -> Self {
        Self { client, table }
    }

    /// Reserves every line of the order, or nothing: per product
    /// `available -= q, reserved += q` if active and `available >= q`, plus the order's
    /// reservation item, which must not exist yet.
    pub async fn reserve(
        &self,
        request: &ReservationRequest,
        event_id: &str,
        reserved: &Envelope<StockReserved>,
    ) -> Result<Outcome, StoreError> {
        let mut tx = Transaction::new(&self.table);
        for line in request.lines() {
            let update = Update::builder()
                .table_name(&self.table)
                .key("PK", s(keys::product_pk(&line.product_id)))
                .key("SK", s(keys::PRODUCT_SK))
                .update_expression("SET available = available - :q, reserved = reserved + :q")
                .condition_expression("#status = :active AND available >= :q")
                .expression_attribute_names("#status", "status")
                .expression_attribute_values(":active", s("ACTIVE"))
                .expression_attribute_values(":q", quantity(line.quantity))
                .build()
                .map_err(|e| StoreError::Other(e.into()))?;
            tx = tx.write(TransactWriteItem::builder().update(update).build());
        }
        let reservation = Reservation {
            order_id: request.order_id().to_owned(),
            lines: request.lines().to_vec(),
            released: false,
        };
        let reservation_index = tx.len();
        tx = tx.write(self.new_reservation_item(&reservation)?);
        let result = tx
            .mark_processed(CONSUMER, event_id)?
            .emit(reserved)?
            .commit(&self.client)
            .await;
        match result {
            Err(CommitError::ConditionFailed(i)) if i == reservation_index => {
                Ok(Outcome::AlreadySettled)
            }
            Err(CommitError::ConditionFailed(_)) => Ok(Outcome::Short),
            other => settle(other),
        }
    }

    /// Records that the order could not be reserved.
    pub async fn record_refusal(
        &self,
        event_id: &str,
        failed: &Envelope<StockReservationFailed>,
    ) -> Result<Outcome, StoreError> {
        let result = Transaction::new(&self.table)
            .mark_processed(CONSUMER, event_id)?
            .emit(failed)?
            .commit(&self.client)
            .await;
        settle(result)
    }

    /// The order's reservation item, if there is one.
    pub async fn get(&self, order_id: &str) -> Result<Option<Reservation>, StoreError> {
        let get = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("PK", s(keys::reservation_pk(order_id)))
            .key("SK", s(keys::RESERVATION_SK))
            .consistent_read(true);
        Ok(get_record::<ReservationRecord>(get)
            .await?
            .map(Reservation::from))
    }

    /// Returns a held reservation's units to available stock and marks it released, once:
    /// `Raced` when it is no longer held.
    pub async fn release(
        &self,
        held: &Reservation,
        event_id: &str,
        released: &Envelope<StockReleased>,
    ) -> Result<Outcome, StoreError> {
        let mut tx = Transaction::new(&self.table);
        for line in &held.lines {
            // No status condition: an archived product still takes its units back.
            let update = Update::builder()
                .table_name(&self.table)
                .key("PK", s(keys::product_pk(&line.product_id)))
                .key("SK", s(keys::PRODUCT_SK))
                .update_expression("SET available = available + :q, reserved = reserved - :q")
                .condition_expression("reserved >= :q")
                .expression_attribute_values(":q", quantity(line.quantity))
                .build()
                .map_err(|e| StoreError::Other(e.into()))?;
            tx = tx.write(TransactWriteItem::builder().update(update).build());
        }
        let mark = Update::builder()
            .table_name(&self.table)
            .key("PK", s(keys::reservation_pk(&held.order_id)))
            .key("SK", s(keys::RESERVATION_SK))
            .update_expression("SET released = :true, updated_at = :now")
            .condition_expression("released = :false")
            .expression_attribute_values(":true", AttributeValue::Bool(true))
            .expression_attribute_values(":false", AttributeValue::Bool(false))
            .expression_attribute_values(":now", s(shared::time::rfc3339(&shared::time::now())))
            .build()
            .map_err(|e| StoreError::Other(e.into()))?;
        let mark_index = tx.len();
        let result = tx
            .write(TransactWriteItem::builder().update(mark).build())
            .mark_processed(CONSUMER, event_id)?
            .emit(released)?
            .commit(&self.client)
            .await;
        match result {
            Err(CommitError::ConditionFailed(i)) if i == mark_index => Ok(Outcome::Raced),
            Err(CommitError::ConditionFailed(i)) => Err(StoreError::Other(anyhow::anyhow!(
                "releasing order {} would take reserved stock below zero (write {i})",
                held.order_id
            ))),
            other => settle(other),
        }
    }

    /// Records a release for an order that holds nothing: a released, empty reservation
    /// item, so a placement that arrives later reserves nothing. `Raced` when a
    /// reservation appeared meanwhile.
    pub async fn release_unreserved(
        &self,
        order_id: &str,
        event_id: &str,
    ) -> Result<Outcome, StoreError> {
        let tombstone = Reservation {
            order_id: order_id.to_owned(),
            lines: Vec::new(),
            released: true,
        };
        let result = Transaction::new(&self.table)
            .write(self.new_reservation_item(&tombstone)?)
            .mark_processed(CONSUMER, event_id)?
            .commit(&self.client)
            .await;
        match result {
            Err(CommitError::ConditionFailed(0)) => Ok(Outcome::Raced),
            other => settle(other),
        }
    }

    fn new_reservation_item(
        &self,
        reservation: &Reservation,
    ) -> Result<TransactWriteItem, StoreError> {
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(to_item(&ReservationRecord::from(reservation))?))
            .condition_expression("attribute_not_exists(PK)")
            .build()
            .map_err(|e| StoreError::Other(e.into()))?;
        Ok(TransactWriteItem::builder().put(put).build())
    }
}

/// The outcomes every commit shares.
fn settle(result: Result<(), CommitError>) -> Result<Outcome, StoreError> {
    match result {
        Ok(()) => Ok(Outcome::Done),
        Err(CommitError::AlreadyProcessed) => Ok(Outcome::Duplicate),
        Err(other) => Err(other.into()),
    }
}

fn quantity(q: u32) -> AttributeValue {
    AttributeValue::N(q.to_string())
}
