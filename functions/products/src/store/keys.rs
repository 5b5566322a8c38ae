//! Key layout of the products table (one table, shared with the outbox):
//!
//! | item        | PK               | SK                         | GSI1PK / GSI1SK                     | GSI2PK / GSI2SK             |
//! |-------------|------------------|----------------------------|-------------------------------------|-----------------------------|
//! | product     | `PRODUCT#<id>`   | `PRODUCT`                  | `CATEGORY#<slug>` / `<name>#<id>`   | `PRODUCT` / `<name>#<id>`   |
//! | reservation | `ORDER#<id>`     | `RESERVATION`              |                                     |                             |
//! | marker      | `EVENT#<id>`     | `PROCESSED#products-worker`|                                     |                             |
//! | outbox      | `OUTBOX#<id>`    | `OUTBOX`                   |                                     |                             |
//!
//! Both indexes are sparse: only active products carry their keys, so archiving a
//! product takes it out of every listing. `<name>` is the lower-cased name, so listings
//! are alphabetical and `q` filters on it. GSI2 lists the whole active catalog without a
//! Scan; like the users listing it is one partition, fine for a catalog browsed at
//! human speed and to be sharded past ~1000 catalog writes/s.

/// Partition key of a product.
pub fn product_pk(id: &str) -> String {
    format!("PRODUCT#{id}")
}

/// Sort key of a product item.
pub const PRODUCT_SK: &str = "PRODUCT";

/// Partition key of an order's reservation.
pub fn reservation_pk(order_id: &str) -> String {
    format!("ORDER#{order_id}")
}

/// Sort key of a reservation item.
pub const RESERVATION_SK: &str = "RESERVATION";

/// The index listing a category.
pub const CATEGORY_INDEX: &str = "GSI1";
/// The index listing the whole catalog.
pub const CATALOG_INDEX: &str = "GSI2";

/// GSI1 partition of a category.
pub fn category_pk(slug: &str) -> String {
    format!("CATEGORY#{slug}")
}

/// GSI2 partition of every active product.
pub const CATALOG_PK: &str = "PRODUCT";

/// Sort key of both listings: lower-cased name, then id to break ties.
pub fn listing_sk(search_key: &str, id: &str) -> String {
    format!("{search_key}#{id}")
}
