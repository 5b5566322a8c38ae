//! The DynamoDB adapter of the orders service: orders and their saga writes, and the
//! price projection of the catalog. Key layout in [`keys`]; idempotency records are
//! `shared::idempotency`'s.

pub mod keys;
mod orders;
mod projection;
mod record;

pub use orders::{Applied, OrderListing, OrderStore};
pub use projection::PriceProjection;

use aws_sdk_dynamodb::types::AttributeValue;
use std::collections::HashMap;

/// A DynamoDB primary key, as `LastEvaluatedKey` / `ExclusiveStartKey`.
pub type Key = HashMap<String, AttributeValue>;

fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}
