//! Events of the products service: catalog changes (for the orders service's price
//! projection) and the outcome of stock reservations in the order saga.

use super::Event;
use crate::money::Money;
use serde::{Deserialize, Serialize};

/// A product as the rest of crabcart sees it; every catalog event carries the whole of it
/// so a projection never has to merge partial updates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProductSnapshot {
    /// Product id.
    pub product_id: String,
    /// Display name.
    pub name: String,
    /// Unit price.
    pub price: Money,
    /// Category slug.
    pub category: String,
    /// `ACTIVE` or `ARCHIVED`; an archived product cannot be ordered.
    pub status: String,
    /// Catalog version; a projection ignores a snapshot older than the one it holds.
    pub version: u64,
}

/// A product was added to the catalog.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ProductCreated(pub ProductSnapshot);

impl Event for ProductCreated {
    const TYPE: &'static str = "ProductCreated";
}

/// A product's catalog fields (name, description, category, price) changed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ProductUpdated(pub ProductSnapshot);

impl Event for ProductUpdated {
    const TYPE: &'static str = "ProductUpdated";
}

/// A product was archived: no longer listed nor orderable.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ProductDeleted(pub ProductSnapshot);

impl Event for ProductDeleted {
    const TYPE: &'static str = "ProductDeleted";
}

/// A quantity of one product, in a reservation or a release.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StockLine {
    /// Product id.
    pub product_id: String,
    /// Units.
    pub quantity: u32,
}

/// Every line of an order was reserved, atomically.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StockReserved {
    /// The order.
    pub order_id: String,
    /// What was reserved, one line per product.
    pub lines: Vec<StockLine>,
}

impl Event for StockReserved {
    const TYPE: &'static str = "StockReserved";
}

/// One line of an order that stock could not cover.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shortage {
    /// Product id.
    pub product_id: String,
    /// Units the order asked for.
    pub requested: u32,
    /// Units available when the reservation was refused (0 for unknown or archived products).
    pub available: u32,
}

/// An order could not be reserved; nothing was reserved.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StockReservationFailed {
    /// The order.
    pub order_id: String,
    /// Every line that could not be met.
    pub shortages: Vec<Shortage>,
}

impl Event for StockReservationFailed {
    const TYPE: &'static str = "StockReservationFailed";
}

/// An order's reservation was returned to available stock (once per order).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StockReleased {
    /// The order.
    pub order_id: String,
    /// What was returned, one line per product.
    pub lines: Vec<StockLine>,
}

impl Event for StockReleased {
    const TYPE: &'static str = "StockReleased";
}
