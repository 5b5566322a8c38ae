//! Key layout of the orders table (one table, shared with the outbox, the processed
//! markers and the idempotency records):
//!
//! | item        | PK                           | SK                        | GSI1PK / GSI1SK         | GSI2PK / GSI2SK       | GSI3PK / GSI3SK                |
//! |-------------|------------------------------|---------------------------|-------------------------|-----------------------|--------------------------------|
//! | order       | `ORDER#<id>`                 | `ORDER`                   | `USER#<sub>` / `<id>`   | `ORDERS` / `<id>`     | `STATUS#<status>` / `<id>`     |
//! | price       | `PRODUCT#<id>`               | `PRICE`                   |                         |                       |                                |
//! | idempotency | `IDEMPOTENCY#<sub>#<key>`    | `IDEMPOTENCY`             |                         |                       |                                |
//! | marker      | `EVENT#<id>`                 | `PROCESSED#orders-worker` |                         |                       |                                |
//! | outbox      | `OUTBOX#<id>`                | `OUTBOX`                  |                         |                       |                                |
//!
//! Order ids are UUIDv7, time-ordered, so every index read backwards
//! (`ScanIndexForward = false`) lists newest first: GSI1 a user's own orders, GSI2 every
//! order (admin), GSI3 the orders in one status (admin filter; GSI3PK moves with every
//! transition). GSI2 is a single partition taking every order placement: fine for an
//! admin listing at this shop's scale, but past ~1000 orders/s it becomes a hot partition
//! and must be sharded (`ORDERS#<n>`, read n-way). The price items are the projection of
//! the catalog fed by Product* events (`store::projection`); the idempotency records are
//! laid out by `shared::idempotency`.

/// Partition key of an order.
pub fn order_pk(id: &str) -> String {
    format!("ORDER#{id}")
}

/// Sort key of an order item.
pub const ORDER_SK: &str = "ORDER";

/// Partition key of a product's price in the projection.
pub fn price_pk(product_id: &str) -> String {
    format!("PRODUCT#{product_id}")
}

/// Sort key of a price item.
pub const PRICE_SK: &str = "PRICE";

/// The index of a user's own orders.
pub const USER_INDEX: &str = "GSI1";
/// The index of every order.
pub const ALL_ORDERS_INDEX: &str = "GSI2";
/// The index of the orders in one status.
pub const STATUS_INDEX: &str = "GSI3";

/// GSI1 partition of a user's orders.
pub fn user_pk(user_id: &str) -> String {
    format!("USER#{user_id}")
}

/// GSI2 partition of every order.
pub const ALL_ORDERS_PK: &str = "ORDERS";

/// GSI3 partition of the orders in `status`.
pub fn status_pk(status: &str) -> String {
    format!("STATUS#{status}")
}
