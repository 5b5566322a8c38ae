//! The orders service's projection of the catalog: the name, price and status of every
//! product, from the Product* events, read when an order is priced.

use super::keys;
use super::record::PriceRecord;
use super::{s, Key};
use crate::domain::{ProductId, ProjectedProduct};
use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_dynamodb::Client;
use shared::events::products::ProductSnapshot;
use shared::store::{batch_get, to_item, StoreError};
use std::collections::HashMap;

/// The price projection in the orders table.
#[derive(Clone)]
pub struct PriceProjection {
    client: Client,
    table: String,
}

impl PriceProjection {
    /// A projection in `table`.
    pub fn new(client: Client, table: String) -> Self {
        Self { client, table }
    }

    /// Records `snapshot` unless a snapshot of the same or a later catalog version is
    /// already there; returns whether it was recorded. The version makes this idempotent
    /// and order-independent by itself, so no processed marker is needed: a redelivered
    /// or overtaken snapshot simply loses the condition.
    pub async fn apply(&self, snapshot: &ProductSnapshot) -> Result<bool, StoreError> {
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(to_item(&PriceRecord::from(snapshot))?))
            .condition_expression("attribute_not_exists(PK) OR version < :v")
            .expression_attribute_values(":v", AttributeValue::N(snapshot.version.to_string()))
            .send()
            .await
            .map_err(StoreError::from_sdk);
        match result {
            Ok(_) => Ok(true),
            Err(StoreError::ConditionFailed) => Ok(false),
            Err(other) => Err(other),
        }
    }

    /// The projected products among `ids` (unknown ones are absent). Eventually
    /// consistent reads: the projection itself trails the catalog by the event delivery.
    pub async fn get_many(
        &self,
        ids: &[&ProductId],
    ) -> Result<HashMap<ProductId, ProjectedProduct>, StoreError> {
        let mut found = HashMap::new();
        if ids.is_empty() {
            return Ok(found);
        }
        let keys: Vec<Key> = ids
            .iter()
            .map(|id| {
                HashMap::from([
                    ("PK".to_owned(), s(keys::price_pk(id.as_str()))),
                    ("SK".to_owned(), s(keys::PRICE_SK)),
                ])
            })
            .collect();
        let records: Vec<PriceRecord> = batch_get(&self.client, &self.table, keys, |r| r).await?;
        for record in records {
            if let Some(id) = ProductId::parse(&record.product_id) {
                found.insert(id, ProjectedProduct::from(record));
            }
        }
        Ok(found)
    }
}
