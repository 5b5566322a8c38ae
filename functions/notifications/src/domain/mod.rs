//! The notifications domain: identifiers and addresses that are valid once constructed,
//! the five kinds of notification and their wire names, what a delivery came to, money
//! as people read it, and the message each event renders to. No I/O here.

mod contact;
mod delivery;
mod ids;
mod inbox_entry;
mod money_text;
mod notification_type;
pub mod render;

pub use contact::{display_name, Contact};
pub use delivery::{ChannelKind, Delivery, DeliveryStatus};
pub use ids::{EventId, OrderId, UserId};
pub use inbox_entry::{InboxEntry, Message};
pub use money_text::{minor_unit_exponent, money_text};
pub use notification_type::NotificationType;
pub use shared::email::Email;
