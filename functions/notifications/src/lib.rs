//! The notifications service: turns the events that matter to a user (registration,
//! order confirmed, rejected or cancelled, refund) into one inbox entry each, delivered
//! by email through Amazon SES when a sender is configured, and shows users their inbox.
//! It emits no events.

pub mod api;
pub mod channel;
pub mod config;
pub mod domain;
pub mod error;
pub mod store;
pub mod worker;

use aws_config::SdkConfig;
use shared::config::ListingApiConfig;
use shared::pagination::CursorCodec;
use store::InboxStore;

/// The service name in logs and metrics.
pub const SERVICE: &str = "notifications";
/// The consumer name in this service's processed-event markers.
pub const CONSUMER: &str = "notifications-worker";

/// What the notifications route works with, built once per execution environment.
pub struct App {
    inbox: InboxStore,
    cursors: CursorCodec,
}

impl App {
    /// Builds the clients from the SDK config and the function's configuration.
    pub fn new(aws: &SdkConfig, config: ListingApiConfig) -> Self {
        Self {
            inbox: InboxStore::new(aws_sdk_dynamodb::Client::new(aws), config.table_name),
            cursors: CursorCodec::new(config.cursor_signing_key),
        }
    }
}
