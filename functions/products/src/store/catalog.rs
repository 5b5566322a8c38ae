//! Products: created and edited together with their catalog events through the outbox,
//! listed through the sparse indexes, their stock adjusted in place.

use super::keys;
use super::record::{ListingKeys, ProductRecord, StockRecord};
use super::{s, Key};
use crate::domain::{Category, Product, ProductId, StockDelta, StockLevel, Version, MAX_STOCK};
use aws_sdk_dynamodb::types::builders::UpdateBuilder;
use aws_sdk_dynamodb::types::{AttributeValue, Put, ReturnValue, TransactWriteItem, Update};
use aws_sdk_dynamodb::Client;
use shared::events::products::{ProductCreated, ProductDeleted, ProductUpdated};
use shared::outbox::Transaction;
use shared::store::{batch_get, from_item, get_record, query_page, to_item, StoreError};
use shared::Envelope;
use std::collections::HashMap;

/// Query pages read at most to fill one page of a `q` search, so a rare match costs a
/// bounded amount of reads; the cursor then continues where the reads stopped.
const MAX_READS_PER_PAGE: usize = 5;

/// What a listing shows.
#[derive(Debug, Clone, Default)]
pub struct Listing {
    /// Only this category.
    pub category: Option<Category>,
    /// Only names containing this (lower-cased) text.
    pub name_contains: Option<String>,
}

/// Why a stock adjustment did not happen.
#[derive(Debug, thiserror::Error)]
pub enum AdjustError {
    /// No such product, or an archived one.
    #[error("product not found")]
    NotFound,
    /// The adjustment breaks a stock rule at the current level.
    #[error(transparent)]
    Refused(#[from] crate::domain::StockError),
    /// DynamoDB failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Products in the products table.
#[derive(Clone)]
pub struct CatalogStore {
    client: Client,
    table: String,
}

impl CatalogStore {
    /// A store over `table`.
    pub fn new(client: Client, table: String) -> Self {
        Self { client, table }
    }

    /// Adds a new product and records ProductCreated.
    pub async fn create(
        &self,
        product: &Product,
        event: &Envelope<ProductCreated>,
    ) -> Result<(), StoreError> {
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(to_item(&ProductRecord::from(product))?))
            .condition_expression("attribute_not_exists(PK)")
            .build()
            .map_err(|e| StoreError::Other(e.into()))?;
        Transaction::new(&self.table)
            .write(TransactWriteItem::builder().put(put).build())
            .emit(event)?
            .commit(&self.client)
            .await
            .map_err(StoreError::from)
    }

    /// The product `id`, archived or not.
    pub async fn get(&self, id: &ProductId) -> Result<Option<Product>, StoreError> {
        let get = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("PK", s(keys::product_pk(id.as_str())))
            .key("SK", s(keys::PRODUCT_SK))
            .consistent_read(true);
        get_record::<ProductRecord>(get)
            .await?
            .map(Product::try_from)
            .transpose()
    }

    /// Saves `edited`'s catalog fields (not its stock, which reservations move meanwhile)
    /// and records ProductUpdated; `ConditionFailed` unless the stored product is still
    /// active at version `expected`.
    pub async fn save_catalog(
        &self,
        edited: &Product,
        expected: Version,
        event: &Envelope<ProductUpdated>,
    ) -> Result<(), StoreError> {
        let listing = ListingKeys::of(edited);
        let price = edited.price.money();
        let update = self
            .catalog_update(
                edited,
                expected,
                "#name = :name, name_lc = :name_lc, description = :description, \
                 category = :category, price = :price, GSI1PK = :gsi1pk, GSI1SK = :sk, \
                 GSI2PK = :gsi2pk, GSI2SK = :sk",
                None,
            )
            .expression_attribute_names("#name", "name")
            .expression_attribute_values(":name", s(edited.name.as_str()))
            .expression_attribute_values(":name_lc", s(edited.name.search_key()))
            .expression_attribute_values(":description", s(edited.description.as_str()))
            .expression_attribute_values(":category", s(edited.category.as_str()))
            .expression_attribute_values(
                ":price",
                AttributeValue::M(HashMap::from([
                    (
                        "amount".to_owned(),
                        AttributeValue::N(price.amount.to_string()),
                    ),
                    ("currency".to_owned(), s(price.currency.as_str())),
                ])),
            )
            .expression_attribute_values(":gsi1pk", s(listing.category_pk.unwrap_or_default()))
            .expression_attribute_values(":gsi2pk", s(listing.catalog_pk.unwrap_or_default()))
            .expression_attribute_values(":sk", s(listing.sk.unwrap_or_default()))
            .build()
            .map_err(|e| StoreError::Other(e.into()))?;
        self.commit_update(update, event).await
    }

    /// Archives the product (out of every listing, not orderable) and records
    /// ProductDeleted; `ConditionFailed` unless it is still active at version `expected`.
    pub async fn archive(
        &self,
        archived: &Product,
        expected: Version,
        event: &Envelope<ProductDeleted>,
    ) -> Result<(), StoreError> {
        let update = self
            .catalog_update(
                archived,
                expected,
                "#status = :archived",
                Some("GSI1PK, GSI1SK, GSI2PK, GSI2SK"),
            )
            .expression_attribute_values(":archived", s(archived.status.as_str()))
            .build()
            .map_err(|e| StoreError::Other(e.into()))?;
        self.commit_update(update, event).await
    }

    /// An UpdateItem with the version bump, timestamp and precondition every catalog
    /// write shares, plus the caller's own SET and REMOVE clauses.
    fn catalog_update(
        &self,
        product: &Product,
        expected: Version,
        set: &str,
        remove: Option<&str>,
    ) -> UpdateBuilder {
        let mut expression = format!("SET version = :version, updated_at = :updated_at, {set}");
        if let Some(remove) = remove {
            expression = format!("{expression} REMOVE {remove}");
        }
        Update::builder()
            .table_name(&self.table)
            .key("PK", s(keys::product_pk(product.id.as_str())))
            .key("SK", s(keys::PRODUCT_SK))
            .condition_expression("version = :expected AND #status = :active")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":expected", n(expected.get()))
            .expression_attribute_values(":active", s("ACTIVE"))
            .expression_attribute_values(":version", n(product.version.get()))
            .expression_attribute_values(
                ":updated_at",
                s(shared::time::rfc3339(&product.updated_at)),
            )
            .update_expression(expression)
    }

    async fn commit_update<T: shared::Event>(
        &self,
        update: Update,
        event: &Envelope<T>,
    ) -> Result<(), StoreError> {
        Transaction::new(&self.table)
            .write(TransactWriteItem::builder().update(update).build())
            .emit(event)?
            .commit(&self.client)
            .await
            .map_err(StoreError::from)
    }

    /// Adds `delta` to the available stock of an active product, within 0..=MAX_STOCK.
    pub async fn adjust_stock(
        &self,
        id: &ProductId,
        delta: StockDelta,
    ) -> Result<StockLevel, AdjustError> {
        // Bounds on the current value that keep the result in range, so the check and
        // the write are one atomic UpdateItem.
        let (min, max) = if delta.get() < 0 {
            (-delta.get(), i64::from(MAX_STOCK))
        } else {
            (0, i64::from(MAX_STOCK) - delta.get())
        };
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("PK", s(keys::product_pk(id.as_str())))
            .key("SK", s(keys::PRODUCT_SK))
            .update_expression("SET available = available + :delta")
            .condition_expression("#status = :active AND available BETWEEN :min AND :max")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":active", s("ACTIVE"))
            .expression_attribute_values(":delta", AttributeValue::N(delta.get().to_string()))
            .expression_attribute_values(":min", AttributeValue::N(min.to_string()))
            .expression_attribute_values(":max", AttributeValue::N(max.to_string()))
            .return_values(ReturnValue::AllNew)
            .send()
            .await;
        match result {
            Ok(out) => {
                let record: StockRecord = from_item(out.attributes.unwrap_or_default())?;
                Ok(StockLevel {
                    available: record.available,
                    reserved: record.reserved,
                })
            }
            Err(err) => match StoreError::from_sdk(err) {
                StoreError::ConditionFailed => {
                    // Explain the refusal from the current state.
                    let current = self.get(id).await?.filter(Product::is_active);
                    let current = current.ok_or(AdjustError::NotFound)?;
                    match current.stock.adjust(delta) {
                        Err(refused) => Err(refused.into()),
                        // A reservation moved the stock between the two reads: the
                        // caller's request is still well-formed, so report it as busy.
                        Ok(_) => Err(StoreError::Unavailable(anyhow::anyhow!(
                            "stock of {} changed during the adjustment",
                            id.as_str()
                        ))
                        .into()),
                    }
                }
                other => Err(other.into()),
            },
        }
    }

    /// The stock of every active product among `ids` (strongly consistent); archived and
    /// unknown products are absent.
    pub async fn stock_levels(
        &self,
        ids: &[&str],
    ) -> Result<HashMap<String, StockLevel>, StoreError> {
        let mut levels = HashMap::new();
        let keys: Vec<Key> = ids
            .iter()
            .map(|id| {
                HashMap::from([
                    ("PK".to_owned(), s(keys::product_pk(id))),
                    ("SK".to_owned(), s(keys::PRODUCT_SK)),
                ])
            })
            .collect();
        let records: Vec<StockRecord> = batch_get(&self.client, &self.table, keys, |request| {
            request
                .consistent_read(true)
                .projection_expression("id, available, reserved, #status")
                .expression_attribute_names("#status", "status")
        })
        .await?;
        for record in records.into_iter().filter(|r| r.status == "ACTIVE") {
            levels.insert(
                record.id,
                StockLevel {
                    available: record.available,
                    reserved: record.reserved,
                },
            );
        }
        Ok(levels)
    }

    /// One page of active products, alphabetical, from the category index or the
    /// catalog index (never a Scan). With `name_contains`, reads continue until the page
    /// is full, the listing ends or [`MAX_READS_PER_PAGE`] reads were made.
    pub async fn list(
        &self,
        listing: &Listing,
        limit: i32,
        start: Option<Key>,
    ) -> Result<(Vec<Product>, Option<Key>), StoreError> {
        let (index, pk_name, pk) = match &listing.category {
            Some(c) => (
                keys::CATEGORY_INDEX,
                "GSI1PK",
                keys::category_pk(c.as_str()),
            ),
            None => (keys::CATALOG_INDEX, "GSI2PK", keys::CATALOG_PK.to_owned()),
        };
        let mut products = Vec::new();
        let mut next = start;
        for _ in 0..MAX_READS_PER_PAGE {
            let remaining = limit - i32::try_from(products.len()).unwrap_or(limit);
            let mut query = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(index)
                .key_condition_expression("#pk = :pk")
                .expression_attribute_names("#pk", pk_name)
                .expression_attribute_values(":pk", s(&pk))
                .limit(remaining)
                .set_exclusive_start_key(next.take());
            if let Some(text) = &listing.name_contains {
                query = query
                    .filter_expression("contains(name_lc, :q)")
                    .expression_attribute_values(":q", s(text));
            }
            let (records, last_key) = query_page::<ProductRecord>(query).await?;
            for record in records {
                products.push(Product::try_from(record)?);
            }
            next = last_key;
            if next.is_none() || products.len() >= usize::try_from(limit).unwrap_or(0) {
                break;
            }
        }
        Ok((products, next))
    }
}

fn n(v: u64) -> AttributeValue {
    AttributeValue::N(v.to_string())
}
