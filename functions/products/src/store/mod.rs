//! The DynamoDB adapter of the products service: the catalog with its stock, and the
//! reservations of orders. Key layout in [`keys`].

mod catalog;
pub mod keys;
mod record;
mod reservations;

pub use catalog::{AdjustError, CatalogStore, Listing};
pub use reservations::{Outcome, ReservationStore};

use aws_sdk_dynamodb::types::AttributeValue;
use std::collections::HashMap;

/// A DynamoDB primary key, as `LastEvaluatedKey` / `ExclusiveStartKey`.
pub type Key = HashMap<String, AttributeValue>;

fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}
