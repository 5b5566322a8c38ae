//! Inbox entries: written once per event, in one transaction with the processed marker
//! of that event (and, for a registration, the new contact), unless the user is deleted;
//! read newest first.

use super::contacts::contact_put;
use super::keys;
use crate::domain::{
    ChannelKind, Contact, Delivery, DeliveryStatus, EventId, InboxEntry, Message, NotificationType,
    UserId,
};
use crate::CONSUMER;
use aws_sdk_dynamodb::types::{ConditionCheck, Put, TransactWriteItem};
use aws_sdk_dynamodb::Client;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use shared::outbox::{CommitError, Transaction};
use shared::store::string_attr as s;
use shared::store::{query_page, to_item, StoreError};

pub use shared::store::Key;

/// What became of recording an entry.
#[derive(Debug, PartialEq, Eq)]
pub enum Recorded {
    /// Stored, with the event's marker.
    Done,
    /// The event was handled before: its entry or its marker exists. Nothing changed.
    Duplicate,
    /// The user was deleted in the meantime: nothing was stored.
    UserDeleted,
}

/// Positions of the writes in [`InboxStore::record`]'s transaction.
const ENTRY_WRITE: usize = 0;
const TOMBSTONE_CHECK: usize = 1;

/// An inbox entry item.
#[derive(Debug, Serialize, Deserialize)]
struct NoteRecord {
    #[serde(rename = "PK")]
    pk: String,
    #[serde(rename = "SK")]
    sk: String,
    id: String,
    #[serde(rename = "type")]
    kind: String,
    subject: String,
    body: String,
    created_at: String,
    delivery: DeliveryRecord,
}

#[derive(Debug, Serialize, Deserialize)]
struct DeliveryRecord {
    channel: String,
    status: String,
}

impl NoteRecord {
    fn new(user: &UserId, entry: &InboxEntry) -> Self {
        Self {
            pk: keys::user_pk(user.as_str()),
            sk: keys::note_sk(&entry.created_at, entry.id.as_str()),
            id: entry.id.as_str().to_owned(),
            kind: entry.message.kind.as_str().to_owned(),
            subject: entry.message.subject.clone(),
            body: entry.message.body.clone(),
            created_at: shared::time::rfc3339(&entry.created_at),
            delivery: DeliveryRecord {
                channel: entry.delivery.channel.as_str().to_owned(),
                status: entry.delivery.status.as_str().to_owned(),
            },
        }
    }
}

impl TryFrom<NoteRecord> for InboxEntry {
    type Error = StoreError;

    fn try_from(r: NoteRecord) -> Result<Self, StoreError> {
        let corrupt = |what: &str| {
            StoreError::Other(anyhow::anyhow!(
                "inbox entry {} of {} has an invalid {what}",
                r.sk,
                r.pk
            ))
        };
        Ok(InboxEntry {
            id: EventId::parse(&r.id).ok_or_else(|| corrupt("id"))?,
            message: Message {
                kind: NotificationType::parse(&r.kind).ok_or_else(|| corrupt("type"))?,
                subject: r.subject,
                body: r.body,
            },
            created_at: shared::time::parse_rfc3339(&r.created_at)
                .ok_or_else(|| corrupt("created_at"))?,
            delivery: Delivery {
                channel: ChannelKind::parse(&r.delivery.channel)
                    .ok_or_else(|| corrupt("delivery channel"))?,
                status: DeliveryStatus::parse(&r.delivery.status)
                    .ok_or_else(|| corrupt("delivery status"))?,
            },
        })
    }
}

/// Users' inboxes in the notifications table.
#[derive(Clone)]
pub struct InboxStore {
    client: Client,
    table: String,
}

impl InboxStore {
    /// A store over `table`.
    pub fn new(client: Client, table: String) -> Self {
        Self { client, table }
    }

    /// True when `user`'s inbox holds the entry of event `event_id` of `time`: the event
    /// was handled, so it is not to be delivered again.
    pub async fn contains(
        &self,
        user: &UserId,
        event_id: &EventId,
        time: &DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("PK", s(keys::user_pk(user.as_str())))
            .key("SK", s(keys::note_sk(time, event_id.as_str())))
            .projection_expression("PK")
            .consistent_read(true)
            .send()
            .await
            .map_err(StoreError::from_sdk)?;
        Ok(out.item.is_some())
    }

    /// Stores `entry` in `user`'s inbox with the processed marker of its event, and
    /// `new_contact` when the event registered the user, all in one transaction that
    /// holds only while the user has no tombstone.
    pub async fn record(
        &self,
        user: &UserId,
        entry: &InboxEntry,
        new_contact: Option<&Contact>,
    ) -> Result<Recorded, StoreError> {
        let put_entry = Put::builder()
            .table_name(&self.table)
            .set_item(Some(to_item(&NoteRecord::new(user, entry))?))
            .condition_expression("attribute_not_exists(PK)")
            .build()
            .map_err(|e| StoreError::Other(e.into()))?;
        let not_deleted = ConditionCheck::builder()
            .table_name(&self.table)
            .key("PK", s(keys::user_pk(user.as_str())))
            .key("SK", s(keys::DELETED_SK))
            .condition_expression("attribute_not_exists(PK)")
            .build()
            .map_err(|e| StoreError::Other(e.into()))?;
        let mut tx = Transaction::new(&self.table)
            .write(TransactWriteItem::builder().put(put_entry).build())
            .write(
                TransactWriteItem::builder()
                    .condition_check(not_deleted)
                    .build(),
            );
        if let Some(contact) = new_contact {
            let put_contact = contact_put(&self.table, contact)?;
            tx = tx.write(TransactWriteItem::builder().put(put_contact).build());
        }
        let result = tx
            .mark_processed(CONSUMER, entry.id.as_str())?
            .commit(&self.client)
            .await;
        match result {
            Ok(()) => Ok(Recorded::Done),
            // The entry exists without its marker only once the marker has expired.
            Err(CommitError::AlreadyProcessed | CommitError::ConditionFailed(ENTRY_WRITE)) => {
                Ok(Recorded::Duplicate)
            }
            Err(CommitError::ConditionFailed(TOMBSTONE_CHECK)) => Ok(Recorded::UserDeleted),
            Err(other) => Err(other.into()),
        }
    }

    /// One page of the inbox of `user_id`, newest first, from `start` (a page's
    /// `LastEvaluatedKey`); the key to continue from, if there may be more.
    pub async fn list(
        &self,
        user_id: &str,
        limit: i32,
        start: Option<Key>,
    ) -> Result<(Vec<InboxEntry>, Option<Key>), StoreError> {
        let query = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("PK = :pk AND begins_with(SK, :note)")
            .expression_attribute_values(":pk", s(keys::user_pk(user_id)))
            .expression_attribute_values(":note", s(keys::NOTE_SK_PREFIX))
            .scan_index_forward(false)
            .limit(limit)
            .set_exclusive_start_key(start);
        let (records, last_key) = query_page::<NoteRecord>(query).await?;
        let entries = records
            .into_iter()
            .map(InboxEntry::try_from)
            .collect::<Result<Vec<_>, _>>()?;
        Ok((entries, last_key))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_round_trips_through_an_item_in_the_documented_layout() {
        let user = UserId::parse("4f8e2b1a-90c3-4d7e-8a55-2c1b7e6d9f00").unwrap();
        let entry = InboxEntry {
            id: EventId::parse("0193f1a3-1000-7b10-9d2a-5e8f00c0ffee").unwrap(),
            message: Message {
                kind: NotificationType::OrderCancelled,
                subject: "Your order is cancelled".to_owned(),
                body: "Hello,\n\nit is.\n".to_owned(),
            },
            created_at: shared::time::parse_rfc3339("2026-01-15T10:21:02.456Z").unwrap(),
            delivery: Delivery::failed(ChannelKind::Email),
        };
        let item = to_item(&NoteRecord::new(&user, &entry)).unwrap();
        assert_eq!(
            item["PK"].as_s().unwrap(),
            "USER#4f8e2b1a-90c3-4d7e-8a55-2c1b7e6d9f00"
        );
        assert_eq!(
            item["SK"].as_s().unwrap(),
            "NOTE#2026-01-15T10:21:02.456Z#0193f1a3-1000-7b10-9d2a-5e8f00c0ffee"
        );
        assert_eq!(item["type"].as_s().unwrap(), "order_cancelled");
        let delivery = item["delivery"].as_m().unwrap();
        assert_eq!(delivery["channel"].as_s().unwrap(), "email");
        assert_eq!(delivery["status"].as_s().unwrap(), "failed");
        let back =
            InboxEntry::try_from(shared::store::from_item::<NoteRecord>(item).unwrap()).unwrap();
        assert_eq!(back, entry);
    }
}
