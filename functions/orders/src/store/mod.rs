//! The DynamoDB adapter of the orders service: orders and their saga writes, and the
//! price projection of the catalog. Key layout in [`keys`]; idempotency records are
//! `shared::idempotency`'s.

pub mod keys;
mod orders;
mod projection;
mod record;

pub use orders::{Applied, OrderListing, OrderStore};
pub use projection::PriceProjection;

use shared::store::string_attr as s;

pub use shared::store::Key;
