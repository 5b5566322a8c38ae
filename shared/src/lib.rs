//! Common plumbing for every crabcart service, written once so that handlers read like
//! the business rule: errors and their HTTP shape, request parsing, the caller, config,
//! AWS clients, telemetry, the event envelope, the transactional outbox, the SQS batch
//! consumer, business metrics, pagination cursors and money.

pub mod auth;
pub mod aws;
pub mod config;
pub mod consumer;
pub mod email;
pub mod error;
pub mod events;
pub mod http;
pub mod idempotency;
pub mod ids;
pub mod metrics;
pub mod money;
pub mod outbox;
pub mod pagination;
pub mod store;
pub mod telemetry;
pub mod text;
pub mod time;

pub use auth::Caller;
pub use error::{ApiError, FieldError, FieldErrors};
pub use events::{Envelope, Event};
pub use money::{Currency, Money};
