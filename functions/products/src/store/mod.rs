//! The DynamoDB adapter of the products service: the catalog with its stock, and the
//! reservations of orders. Key layout in [`keys`].

mod catalog;
pub mod keys;
mod record;
mod reservations;

pub use catalog::{AdjustError, CatalogStore, Listing};
pub use reservations::{Outcome, ReservationStore};

use shared::store::string_attr as s;

pub use shared::store::Key;
