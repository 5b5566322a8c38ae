//! The transactional outbox: a state change and the events it causes are written in one
//! `TransactWriteItems`, the events as outbox items of the service's own table. The
//! table's stream feeds `outbox-publisher`, so an event is published if and only if its
//! state change committed: no lost events, no phantom events.
//!
//! Outbox item layout: `PK = OUTBOX#<event id>`, `SK = OUTBOX`, `event_type`, `envelope`
//! (the JSON envelope as a string), `ttl` (the stream has long captured it by then).
//! Processed-event markers of consumers: `PK = EVENT#<event id>`, `SK = PROCESSED#<consumer>`.

use crate::events::{Envelope, Event};
use crate::store::string_attr as s;
use crate::store::{is_transient, StoreError};
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem};
use aws_sdk_dynamodb::Client;

/// Key prefix of outbox items; the publisher and the stream filter use it.
pub const OUTBOX_PK_PREFIX: &str = "OUTBOX#";
/// Sort key of outbox items.
pub const OUTBOX_SK: &str = "OUTBOX";
/// Attribute holding the envelope JSON.
pub const ENVELOPE_ATTRIBUTE: &str = "envelope";
/// Attribute holding the event type.
pub const EVENT_TYPE_ATTRIBUTE: &str = "event_type";
/// DynamoDB's limit on items per transaction.
pub const MAX_TRANSACTION_ITEMS: usize = 100;
const OUTBOX_TTL_DAYS: i64 = 7;
const MARKER_TTL_DAYS: i64 = 14;

/// Why a transaction did not commit.
#[derive(Debug, thiserror::Error)]
pub enum CommitError {
    /// The event this transaction marks as processed was processed before: a duplicate
    /// delivery, to be acknowledged without doing anything.
    #[error("event already processed")]
    AlreadyProcessed,
    /// The condition of the write at this index (in the order added) failed.
    #[error("condition failed on write {0}")]
    ConditionFailed(usize),
    /// Throttled, timed out, unreachable, or conflicting with a concurrent transaction.
    #[error("dynamodb unavailable: {0}")]
    Unavailable(#[source] anyhow::Error),
    /// Anything else.
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

impl From<CommitError> for StoreError {
    fn from(err: CommitError) -> Self {
        match err {
            CommitError::AlreadyProcessed | CommitError::ConditionFailed(_) => {
                StoreError::ConditionFailed
            }
            CommitError::Unavailable(e) => StoreError::Unavailable(e),
            CommitError::Other(e) => StoreError::Other(e),
        }
    }
}

/// State changes plus events of one table, committed all or nothing.
pub struct Transaction {
    table: String,
    items: Vec<TransactWriteItem>,
    marker_index: Option<usize>,
}

impl Transaction {
    /// An empty transaction on `table`.
    pub fn new(table: impl Into<String>) -> Self {
        Self {
            table: table.into(),
            items: Vec::new(),
            marker_index: None,
        }
    }

    /// The table this transaction writes to.
    pub fn table(&self) -> &str {
        &self.table
    }

    /// Adds a state write (Put, Update, Delete or ConditionCheck).
    pub fn write(mut self, item: TransactWriteItem) -> Self {
        self.items.push(item);
        self
    }

    /// Adds an event as an outbox item.
    pub fn emit<T: Event>(mut self, envelope: &Envelope<T>) -> Result<Self, CommitError> {
        let json = serde_json::to_string(envelope).map_err(|e| CommitError::Other(e.into()))?;
        let put = Put::builder()
            .table_name(&self.table)
            .item("PK", s(format!("{OUTBOX_PK_PREFIX}{}", envelope.id)))
            .item("SK", s(OUTBOX_SK))
            .item(EVENT_TYPE_ATTRIBUTE, s(T::TYPE))
            .item(ENVELOPE_ATTRIBUTE, s(json))
            .item("ttl", n(crate::time::ttl_in_days(OUTBOX_TTL_DAYS)))
            .condition_expression("attribute_not_exists(PK)")
            .build()
            .map_err(|e| CommitError::Other(e.into()))?;
        self.items
            .push(TransactWriteItem::builder().put(put).build());
        Ok(self)
    }

    /// Marks an incoming event as processed by `consumer`, in this same transaction, so a
    /// redelivered event changes nothing ([`CommitError::AlreadyProcessed`]).
    pub fn mark_processed(mut self, consumer: &str, event_id: &str) -> Result<Self, CommitError> {
        let put = Put::builder()
            .table_name(&self.table)
            .item("PK", s(format!("EVENT#{event_id}")))
            .item("SK", s(format!("PROCESSED#{consumer}")))
            .item("ttl", n(crate::time::ttl_in_days(MARKER_TTL_DAYS)))
            .condition_expression("attribute_not_exists(PK)")
            .build()
            .map_err(|e| CommitError::Other(e.into()))?;
        self.marker_index = Some(self.items.len());
        self.items
            .push(TransactWriteItem::builder().put(put).build());
        Ok(self)
    }

    /// Number of writes so far.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// True when nothing was added.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Commits everything in one `TransactWriteItems`.
    pub async fn commit(self, client: &Client) -> Result<(), CommitError> {
        if self.items.len() > MAX_TRANSACTION_ITEMS {
            return Err(CommitError::Other(anyhow::anyhow!(
                "transaction of {} items exceeds DynamoDB's limit of {MAX_TRANSACTION_ITEMS}",
                self.items.len()
            )));
        }
        let result = client
            .transact_write_items()
            .set_transact_items(Some(self.items))
            .send()
            .await;
        let err = match result {
            Ok(_) => return Ok(()),
            Err(err) => err,
        };
        if is_transient(&err) {
            return Err(CommitError::Unavailable(err.into()));
        }
        let reasons = match err.as_service_error() {
            Some(TransactWriteItemsError::TransactionCanceledException(e)) => {
                Some(e.cancellation_reasons().to_vec())
            }
            _ => None,
        };
        let Some(reasons) = reasons else {
            return Err(CommitError::Other(err.into()));
        };
        let failed: Vec<(usize, &str)> = reasons
            .iter()
            .enumerate()
            .filter_map(|(i, r)| r.code().filter(|c| *c != "None").map(|c| (i, c)))
            .collect();
        if failed.iter().any(|(_, code)| {
            matches!(
                *code,
                "TransactionConflict" | "ThrottlingError" | "ProvisionedThroughputExceeded"
            )
        }) {
            // A concurrent transaction touched the same items; retrying is correct.
            return Err(CommitError::Unavailable(err.into()));
        }
        let marker_failed = failed
            .iter()
            .any(|(i, code)| Some(*i) == self.marker_index && *code == "ConditionalCheckFailed");
        if marker_failed {
            return Err(CommitError::AlreadyProcessed);
        }
        match failed.first() {
            Some((i, "ConditionalCheckFailed")) => Err(CommitError::ConditionFailed(*i)),
            _ => Err(CommitError::Other(err.into())),
        }
    }
}

fn n(v: i64) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

/// True when a stream record's keys are those of an outbox item.
pub fn is_outbox_key(pk: Option<&str>, sk: Option<&str>) -> bool {
    pk.is_some_and(|pk| pk.starts_with(OUTBOX_PK_PREFIX)) && sk == Some(OUTBOX_SK)
}
