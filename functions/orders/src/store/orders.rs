//! Orders: placed with OrderPlaced and their idempotency record, moved by conditional
//! writes on their status together with the events the saga emits, listed newest first.

use super::keys;
use super::record::OrderRecord;
use super::{s, Key};
use crate::domain::{Emit, Order, OrderEvent, OrderId, OrderStatus};
use crate::SERVICE;
use aws_sdk_dynamodb::types::{ConditionCheck, Put, TransactWriteItem, Update};
use aws_sdk_dynamodb::Client;
use chrono::{DateTime, Utc};
use shared::outbox::{CommitError, Transaction};
use shared::store::{get_record, query_all, query_page, to_item, StoreError};
use shared::Envelope;

/// What became of a conditional saga write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    /// Committed.
    Done,
    /// The incoming event was handled before; nothing changed.
    Duplicate,
    /// The order's status changed since it was read: read it again and decide again.
    Raced,
}

/// Which orders a listing shows, newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrderListing {
    /// The orders of one user.
    OwnedBy(String),
    /// Every order.
    All,
    /// Every order in one status.
    InStatus(OrderStatus),
}

/// Orders in the orders table.
#[derive(Clone)]
pub struct OrderStore {
    client: Client,
    table: String,
}

impl OrderStore {
    /// A store over `table`.
    pub fn new(client: Client, table: String) -> Self {
        Self { client, table }
    }

    /// Creates a new order with its OrderPlaced event and `completion` (the idempotency
    /// record's completion), all or nothing. `ConditionFailed` when `completion` fails,
    /// that is when the request no longer holds its idempotency key.
    pub async fn place(
        &self,
        order: &Order,
        completion: TransactWriteItem,
    ) -> Result<(), StoreError> {
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(to_item(&OrderRecord::from(order))?))
            .condition_expression("attribute_not_exists(PK)")
            .build()
            .map_err(|e| StoreError::Other(e.into()))?;
        let tx = Transaction::new(&self.table).write(TransactWriteItem::builder().put(put).build());
        add_event(tx, order.placed(), order.id.as_str())?
            .write(completion)
            .commit(&self.client)
            .await
            .map_err(StoreError::from)
    }

    /// The order `id`, strongly consistent.
    pub async fn get(&self, id: &OrderId) -> Result<Option<Order>, StoreError> {
        let get = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("PK", s(keys::order_pk(id.as_str())))
            .key("SK", s(keys::ORDER_SK))
            .consistent_read(true);
        get_record::<OrderRecord>(get)
            .await?
            .map(Order::try_from)
            .transpose()
    }

    /// Moves `current` to `next` (its status, reason, update time and refund time) if it
    /// is still in `current.status`, emitting `emit` and marking `event_id` processed in
    /// the same transaction.
    pub async fn transition(
        &self,
        current: &Order,
        next: &Order,
        emit: Option<Emit>,
        event_id: Option<&str>,
    ) -> Result<Applied, StoreError> {
        let mut expression =
            "SET #status = :to, GSI3PK = :gsi3pk, updated_at = :updated_at".to_owned();
        let mut update = Update::builder()
            .table_name(&self.table)
            .key("PK", s(keys::order_pk(current.id.as_str())))
            .key("SK", s(keys::ORDER_SK))
            .condition_expression("#status = :expected")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":expected", s(current.status.as_str()))
            .expression_attribute_values(":to", s(next.status.as_str()))
            .expression_attribute_values(":gsi3pk", s(keys::status_pk(next.status.as_str())))
            .expression_attribute_values(":updated_at", s(shared::time::rfc3339(&next.updated_at)));
        if let Some(refunded_at) = &next.refunded_at {
            expression.push_str(", refunded_at = :refunded_at");
            update = update
                .expression_attribute_values(":refunded_at", s(shared::time::rfc3339(refunded_at)));
        }
        match next.status_reason {
            Some(reason) => {
                expression.push_str(", status_reason = :reason");
                update = update.expression_attribute_values(":reason", s(reason.as_str()));
            }
            None => expression.push_str(" REMOVE status_reason"),
        }
        let update = update
            .update_expression(expression)
            .build()
            .map_err(|e| StoreError::Other(e.into()))?;
        let write = TransactWriteItem::builder().update(update).build();
        self.commit(write, next, emit, event_id).await
    }

    /// Emits the compensating `emit` for `current` if it is still in `current.status`,
    /// marking `event_id` processed in the same transaction.
    pub async fn compensate(
        &self,
        current: &Order,
        emit: Emit,
        event_id: Option<&str>,
    ) -> Result<Applied, StoreError> {
        let check = ConditionCheck::builder()
            .table_name(&self.table)
            .key("PK", s(keys::order_pk(current.id.as_str())))
            .key("SK", s(keys::ORDER_SK))
            .condition_expression("#status = :expected")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":expected", s(current.status.as_str()))
            .build()
            .map_err(|e| StoreError::Other(e.into()))?;
        let write = TransactWriteItem::builder().condition_check(check).build();
        self.commit(write, current, Some(emit), event_id).await
    }

    /// Commits the order's conditional write (index 0) with its event and marker.
    async fn commit(
        &self,
        write: TransactWriteItem,
        order: &Order,
        emit: Option<Emit>,
        event_id: Option<&str>,
    ) -> Result<Applied, StoreError> {
        let mut tx = Transaction::new(&self.table).write(write);
        if let Some(e) = emit {
            tx = add_event(tx, order.event(e), order.id.as_str())?;
        }
        if let Some(event_id) = event_id {
            tx = tx.mark_processed(crate::CONSUMER, event_id)?;
        }
        match tx.commit(&self.client).await {
            Ok(()) => Ok(Applied::Done),
            Err(CommitError::AlreadyProcessed) => Ok(Applied::Duplicate),
            Err(CommitError::ConditionFailed(0)) => Ok(Applied::Raced),
            Err(other) => Err(other.into()),
        }
    }

    /// One page of `listing`, newest first, from its index (never a Scan).
    pub async fn list(
        &self,
        listing: &OrderListing,
        limit: i32,
        start: Option<Key>,
    ) -> Result<(Vec<Order>, Option<Key>), StoreError> {
        let (index, pk_name, pk) = match listing {
            OrderListing::OwnedBy(user_id) => (keys::USER_INDEX, "GSI1PK", keys::user_pk(user_id)),
            OrderListing::All => (
                keys::ALL_ORDERS_INDEX,
                "GSI2PK",
                keys::ALL_ORDERS_PK.to_owned(),
            ),
            OrderListing::InStatus(status) => (
                keys::STATUS_INDEX,
                "GSI3PK",
                keys::status_pk(status.as_str()),
            ),
        };
        let query = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(index)
            .key_condition_expression("#pk = :pk")
            .expression_attribute_names("#pk", pk_name)
            .expression_attribute_values(":pk", s(pk))
            .scan_index_forward(false)
            .limit(limit)
            .set_exclusive_start_key(start);
        let (records, last_key) = query_page::<OrderRecord>(query).await?;
        let orders = records
            .into_iter()
            .map(Order::try_from)
            .collect::<Result<Vec<_>, _>>()?;
        Ok((orders, last_key))
    }

    /// Erases the personal data of every order `user_id` placed (their shipping address,
    /// the name in it included) and marks each with `redacted` (the time of the first
    /// erasure stays); returns how many orders it touched. Idempotent, and never undone
    /// by the saga: its writes update the status fields only.
    pub async fn redact_orders_of(
        &self,
        user_id: &str,
        redacted: DateTime<Utc>,
    ) -> Result<usize, StoreError> {
        let keys = query_all(
            self.client
                .query()
                .table_name(&self.table)
                .index_name(keys::USER_INDEX)
                .key_condition_expression("GSI1PK = :user")
                .expression_attribute_values(":user", s(keys::user_pk(user_id)))
                .projection_expression("PK, SK"),
        )
        .await?;
        for key in &keys {
            self.client
                .update_item()
                .table_name(&self.table)
                .set_key(Some(key.clone()))
                .update_expression(
                    "REMOVE shipping_address SET redacted_at = if_not_exists(redacted_at, :at)",
                )
                .condition_expression("attribute_exists(PK)")
                .expression_attribute_values(":at", s(shared::time::rfc3339(&redacted)))
                .send()
                .await
                .map_err(StoreError::from_sdk)?;
        }
        Ok(keys.len())
    }

    /// The ids of the orders in `status` placed before `cutoff`, oldest first: their ids
    /// are time-ordered, so the status index answers with a key condition alone. Only
    /// ids are read; whoever acts on them reads each order again, consistently.
    pub async fn placed_before(
        &self,
        status: OrderStatus,
        cutoff: DateTime<Utc>,
    ) -> Result<Vec<OrderId>, StoreError> {
        let pages = query_all(
            self.client
                .query()
                .table_name(&self.table)
                .index_name(keys::STATUS_INDEX)
                .key_condition_expression("GSI3PK = :pk AND GSI3SK < :before")
                .expression_attribute_values(":pk", s(keys::status_pk(status.as_str())))
                .expression_attribute_values(":before", s(shared::ids::first_id_at(cutoff)))
                .projection_expression("GSI3SK"),
        )
        .await?;
        Ok(pages
            .iter()
            .filter_map(|item| item.get("GSI3SK")?.as_s().ok())
            .filter_map(|id| OrderId::parse(id))
            .collect())
    }
}

/// Adds `event` about order `order_id` to `tx` as an outbox item.
fn add_event(
    tx: Transaction,
    event: OrderEvent,
    order_id: &str,
) -> Result<Transaction, CommitError> {
    match event {
        OrderEvent::Placed(e) => tx.emit(&Envelope::new(SERVICE, order_id, e)),
        OrderEvent::PaymentRequested(e) => tx.emit(&Envelope::new(SERVICE, order_id, e)),
        OrderEvent::Confirmed(e) => tx.emit(&Envelope::new(SERVICE, order_id, e)),
        OrderEvent::Rejected(e) => tx.emit(&Envelope::new(SERVICE, order_id, e)),
        OrderEvent::Cancelled(e) => tx.emit(&Envelope::new(SERVICE, order_id, e)),
        OrderEvent::StockReleaseRequested(e) => tx.emit(&Envelope::new(SERVICE, order_id, e)),
        OrderEvent::RefundRequested(e) => tx.emit(&Envelope::new(SERVICE, order_id, e)),
    }
}
