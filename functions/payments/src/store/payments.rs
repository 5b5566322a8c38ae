//! Payments: claimed with a conditional put, moved along their lifecycle with the event
//! each move causes and the processed marker of the event that caused it, all in one
//! transaction.

use super::keys;
use super::record::PaymentRecord;
use crate::domain::{OrderId, OrderPayment, Payment, PaymentStatus, VoidedPayment};
use crate::CONSUMER;
use aws_sdk_dynamodb::types::{Put, TransactWriteItem};
use aws_sdk_dynamodb::Client;
use shared::outbox::{CommitError, Transaction};
use shared::store::string_attr as s;
use shared::store::{get_record, to_item, StoreError};
use shared::{Envelope, Event};

/// What became of a claim on an order's payment.
#[derive(Debug, PartialEq, Eq)]
pub enum Claim {
    /// The CHARGING item is written: this caller charges.
    Claimed,
    /// The order already has a payment item (claimed, settled or voided): read it.
    Taken,
}

/// What became of a lifecycle write.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Committed, with its event and marker.
    Done,
    /// The incoming event was handled before; nothing changed.
    Duplicate,
    /// The payment item is not in the status the write expected (another delivery moved
    /// it, or it appeared): read it again.
    Raced,
}

/// Payments in the payments table.
#[derive(Clone)]
pub struct PaymentStore {
    client: Client,
    table: String,
}

impl PaymentStore {
    /// A store over `table`.
    pub fn new(client: Client, table: String) -> Self {
        Self { client, table }
    }

    /// The order's payment item, if there is one (strongly consistent: the worker decides
    /// on it).
    pub async fn get(&self, order_id: &OrderId) -> Result<Option<OrderPayment>, StoreError> {
        let get = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("PK", s(keys::payment_pk(order_id.as_str())))
            .key("SK", s(keys::PAYMENT_SK))
            .consistent_read(true);
        get_record::<PaymentRecord>(get)
            .await?
            .map(OrderPayment::try_from)
            .transpose()
    }

    /// Writes a CHARGING payment unless the order has a payment item already. No event
    /// and no marker: nothing happened yet that anyone else needs to know.
    pub async fn claim(&self, charging: &Payment) -> Result<Claim, StoreError> {
        debug_assert_eq!(charging.status, PaymentStatus::Charging);
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(to_item(&PaymentRecord::from(charging))?))
            .condition_expression("attribute_not_exists(PK)")
            .send()
            .await
            .map_err(StoreError::from_sdk);
        match result {
            Ok(_) => Ok(Claim::Claimed),
            Err(StoreError::ConditionFailed) => Ok(Claim::Taken),
            Err(other) => Err(other),
        }
    }

    /// Replaces the payment, which must still be in status `from`, with `next`, and
    /// records `event` and, when the move is the whole handling of an incoming event, the
    /// processed marker of `event_id`, in the same transaction.
    pub async fn transition<T: Event>(
        &self,
        from: PaymentStatus,
        next: &Payment,
        event_id: Option<&str>,
        event: &Envelope<T>,
    ) -> Result<Outcome, StoreError> {
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(to_item(&PaymentRecord::from(next))?))
            .condition_expression("#status = :from")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":from", s(from.as_str()))
            .build()
            .map_err(|e| StoreError::Other(e.into()))?;
        let mut transaction =
            Transaction::new(&self.table).write(TransactWriteItem::builder().put(put).build());
        if let Some(event_id) = event_id {
            transaction = transaction.mark_processed(CONSUMER, event_id)?;
        }
        let result = transaction.emit(event)?.commit(&self.client).await;
        settle(result)
    }

    /// Writes the VOIDED tombstone of an order that has no payment item yet, with the
    /// marker of `event_id`. No event: nothing was charged, so nothing is refunded.
    pub async fn void(
        &self,
        voided: &VoidedPayment,
        event_id: &str,
    ) -> Result<Outcome, StoreError> {
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(to_item(&PaymentRecord::from(voided))?))
            .condition_expression("attribute_not_exists(PK)")
            .build()
            .map_err(|e| StoreError::Other(e.into()))?;
        let result = Transaction::new(&self.table)
            .write(TransactWriteItem::builder().put(put).build())
            .mark_processed(CONSUMER, event_id)?
            .commit(&self.client)
            .await;
        settle(result)
    }
}

/// The outcomes every lifecycle write shares; the payment item is always write 0.
fn settle(result: Result<(), CommitError>) -> Result<Outcome, StoreError> {
    match result {
        Ok(()) => Ok(Outcome::Done),
        Err(CommitError::AlreadyProcessed) => Ok(Outcome::Duplicate),
        Err(CommitError::ConditionFailed(0)) => Ok(Outcome::Raced),
        Err(other) => Err(other.into()),
    }
}
