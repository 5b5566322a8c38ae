//! The payments service: charges an order at most once when its payment is requested,
//! refunds it exactly once when the order is cancelled, and shows the buyer their
//! payment. PaymentSucceeded, PaymentFailed and PaymentRefunded go out through the
//! outbox.

pub mod api;
pub mod domain;
pub mod error;
pub mod provider;
pub mod store;
pub mod worker;

use aws_config::SdkConfig;
use shared::config::TableConfig;
use store::PaymentStore;

/// The `source` of this service's events.
pub const SERVICE: &str = "payments";
/// The consumer name in this service's processed-event markers.
pub const CONSUMER: &str = "payments-worker";

/// What every payments route works with, built once per execution environment.
pub struct App {
    payments: PaymentStore,
}

impl App {
    /// Builds the clients from the SDK config and the function's configuration.
    pub fn new(aws: &SdkConfig, config: TableConfig) -> Self {
        Self {
            payments: PaymentStore::new(aws_sdk_dynamodb::Client::new(aws), config.table_name),
        }
    }
}
