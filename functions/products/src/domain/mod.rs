//! The products domain: catalog values that are valid once constructed, the product and
//! its lifecycle, and the stock rules the reservations follow. No I/O here.

mod catalog_fields;
mod product;
mod stock;
mod version;

pub use catalog_fields::{Category, Description, Price, ProductName};
pub use product::{CatalogChanges, CatalogFields, Product, ProductId, ProductStatus};
pub use stock::{
    decide_reservation, Reservation, ReservationDecision, ReservationRequest, StockDelta,
    StockError, StockLevel, MAX_ORDER_LINES, MAX_STOCK,
};
pub use version::Version;
