//! The products service: the catalog (admin CRUD, public browsing), stock, and the
//! oversell-proof reservations of the order saga. Product* and Stock* events go out
//! through the outbox.

pub mod api;
pub mod domain;
pub mod error;
pub mod store;
pub mod worker;

use aws_config::SdkConfig;
use shared::config::ListingApiConfig;
use shared::pagination::CursorCodec;
use store::CatalogStore;

/// The `source` of this service's events.
pub const SERVICE: &str = "products";
/// The consumer name in this service's processed-event markers.
pub const CONSUMER: &str = "products-worker";

/// What every products route works with, built once per execution environment.
pub struct App {
    catalog: CatalogStore,
    cursors: CursorCodec,
}

impl App {
    /// Builds the clients from the SDK config and the function's configuration.
    pub fn new(aws: &SdkConfig, config: ListingApiConfig) -> Self {
        Self {
            catalog: CatalogStore::new(aws_sdk_dynamodb::Client::new(aws), config.table_name),
            cursors: CursorCodec::new(config.cursor_signing_key),
        }
    }
}
