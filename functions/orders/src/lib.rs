//! The orders service: checkout priced from its own projection of the catalog,
//! idempotent order placement, and the order saga it owns (docs/saga.md).
//! Order* and PaymentRequested events go out through the outbox.

pub mod api;
pub mod config;
pub mod domain;
pub mod error;
pub mod expiry;
pub mod store;
pub mod worker;

use aws_config::SdkConfig;
use shared::config::ListingApiConfig;
use shared::idempotency::IdempotencyStore;
use shared::metrics::Metrics;
use shared::pagination::CursorCodec;
use store::{OrderStore, PriceProjection};

/// The `source` of this service's events.
pub const SERVICE: &str = "orders";
/// The consumer name in this service's processed-event markers.
pub const CONSUMER: &str = "orders-worker";

/// What every orders route works with, built once per execution environment.
pub struct App {
    orders: OrderStore,
    prices: PriceProjection,
    idempotency: IdempotencyStore,
    cursors: CursorCodec,
    metrics: Metrics,
}

impl App {
    /// Builds the clients from the SDK config and the function's configuration.
    pub fn new(aws: &SdkConfig, config: ListingApiConfig) -> Self {
        Self::with_client(aws_sdk_dynamodb::Client::new(aws), config)
    }

    /// Builds the stores over `client` (tests pass one that records its calls), writing
    /// its metrics to stdout.
    pub fn with_client(client: aws_sdk_dynamodb::Client, config: ListingApiConfig) -> Self {
        Self {
            orders: OrderStore::new(client.clone(), config.table_name.clone()),
            prices: PriceProjection::new(client.clone(), config.table_name.clone()),
            idempotency: IdempotencyStore::new(client, config.table_name),
            cursors: CursorCodec::new(config.cursor_signing_key),
            metrics: Metrics::stdout(SERVICE),
        }
    }

    /// The same app counting its business metrics into `metrics` (tests record them).
    pub fn with_metrics(mut self, metrics: Metrics) -> Self {
        self.metrics = metrics;
        self
    }
}
