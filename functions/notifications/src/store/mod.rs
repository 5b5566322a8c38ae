//! The DynamoDB adapter of the notifications service: inbox entries written once per
//! event with their processed marker, contacts kept from the users' events, and a user's
//! erasure. Key layout in [`keys`].

mod contacts;
mod erasure;
mod inbox;
pub mod keys;

pub use contacts::{ContactStore, Recipient};
pub use erasure::UserErasure;
pub use inbox::{InboxStore, Key, Recorded};
