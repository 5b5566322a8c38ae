//! The DynamoDB adapter of the payments service: one payment item per order, written
//! with its events and processed markers through the outbox. Key layout in [`keys`].

pub mod keys;
mod payments;
mod record;

pub use payments::{Claim, Outcome, PaymentStore};
