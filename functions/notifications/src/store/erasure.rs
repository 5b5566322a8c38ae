//! Erasing a deleted user: a tombstone first, then every other item of their partition
//! (contact and inbox entries). In that order because every entry write is conditioned on
//! the tombstone's absence: once it is down, no concurrent delivery can slip an entry in
//! behind the deletes. Idempotent: a repeated erasure finds nothing left to delete.

use super::keys;
use crate::domain::UserId;
use aws_sdk_dynamodb::types::{AttributeValue, DeleteRequest, WriteRequest};
use aws_sdk_dynamodb::Client;
use chrono::{DateTime, Utc};
use shared::store::string_attr as s;
use shared::store::{query_all, StoreError};
use std::time::Duration;

/// BatchWriteItem's limit on requests per call.
const MAX_BATCH_WRITES: usize = 25;
/// Rounds of retrying a batch's unprocessed deletes (DynamoDB returns them when it
/// throttles) before handing the event back to SQS, which retries the whole erasure.
const MAX_BATCH_ROUNDS: u32 = 5;
/// The tombstone must outlive any late event: SQS keeps a message 14 days in the queue
/// and 14 more in its dead-letter queue, from where it may be redriven.
const TOMBSTONE_TTL_DAYS: i64 = 30;

/// Erases users' data from the notifications table.
#[derive(Clone)]
pub struct UserErasure {
    client: Client,
    table: String,
}

impl UserErasure {
    /// An eraser over `table`.
    pub fn new(client: Client, table: String) -> Self {
        Self { client, table }
    }

    /// Tombstones `user` as deleted at `deleted_at` and deletes their contact and inbox;
    /// returns how many items were deleted.
    pub async fn erase(
        &self,
        user: &UserId,
        deleted_at: &DateTime<Utc>,
    ) -> Result<usize, StoreError> {
        self.put_tombstone(user, deleted_at).await?;
        let items = query_all(
            self.client
                .query()
                .table_name(&self.table)
                .key_condition_expression("PK = :pk")
                .expression_attribute_values(":pk", s(keys::user_pk(user.as_str())))
                .projection_expression("PK, SK")
                .consistent_read(true),
        )
        .await?;
        let doomed: Vec<_> = items
            .into_iter()
            .filter(|key| {
                key.get("SK")
                    .and_then(|v| v.as_s().ok())
                    .map(String::as_str)
                    != Some(keys::DELETED_SK)
            })
            .collect();
        for chunk in doomed.chunks(MAX_BATCH_WRITES) {
            self.delete_all(chunk).await?;
        }
        Ok(doomed.len())
    }

    async fn put_tombstone(
        &self,
        user: &UserId,
        deleted_at: &DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .item("PK", s(keys::user_pk(user.as_str())))
            .item("SK", s(keys::DELETED_SK))
            .item("deleted_at", s(shared::time::rfc3339(deleted_at)))
            .item(
                "ttl",
                AttributeValue::N(shared::time::ttl_in_days(TOMBSTONE_TTL_DAYS).to_string()),
            )
            // A redelivered UserDeleted keeps the first tombstone.
            .condition_expression("attribute_not_exists(PK)")
            .send()
            .await
            .map_err(StoreError::from_sdk);
        match result {
            Ok(_) | Err(StoreError::ConditionFailed) => Ok(()),
            Err(other) => Err(other),
        }
    }

    /// Deletes up to 25 items by key, retrying what DynamoDB leaves unprocessed.
    async fn delete_all(
        &self,
        item_keys: &[std::collections::HashMap<String, AttributeValue>],
    ) -> Result<(), StoreError> {
        let mut requests = item_keys
            .iter()
            .map(|key| {
                DeleteRequest::builder()
                    .set_key(Some(key.clone()))
                    .build()
                    .map(|delete| WriteRequest::builder().delete_request(delete).build())
                    .map_err(|e| StoreError::Other(e.into()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        for round in 0..MAX_BATCH_ROUNDS {
            if round > 0 {
                tokio::time::sleep(Duration::from_millis(50 << round)).await;
            }
            let out = self
                .client
                .batch_write_item()
                .request_items(&self.table, requests)
                .send()
                .await
                .map_err(StoreError::from_sdk)?;
            requests = out
                .unprocessed_items
                .and_then(|mut left| left.remove(&self.table))
                .unwrap_or_default();
            if requests.is_empty() {
                return Ok(());
            }
        }
        Err(StoreError::Unavailable(anyhow::anyhow!(
            "{} deletes still unprocessed after {MAX_BATCH_ROUNDS} rounds",
            requests.len()
        )))
    }
}
