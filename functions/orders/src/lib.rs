//! The orders service: checkout priced from its own projection of the catalog,
//! idempotent order placement, and the order saga it owns (DESIGN.md section 3).

pub mod config;
pub mod domain;
pub mod store;
pub mod worker;

/// The `source` of this service's events.
pub const SERVICE: &str = "orders";
/// The consumer name in this service's processed-event markers.
pub const CONSUMER: &str = "orders-worker";
