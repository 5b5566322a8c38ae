//! A rendered message and the inbox entry it becomes.

use super::delivery::Delivery;
use super::ids::EventId;
use super::notification_type::NotificationType;
use chrono::{DateTime, Utc};

/// What an event renders to: the same text goes to the inbox and, by email, to the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// What it is about.
    pub kind: NotificationType,
    /// One line, no control characters.
    pub subject: String,
    /// Plain text.
    pub body: String,
}

/// One notification in a user's inbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboxEntry {
    /// The id of the event it came from: one entry per event.
    pub id: EventId,
    /// The message.
    pub message: Message,
    /// When the event happened (its envelope's time): the inbox is ordered by it, so a
    /// late delivery still lands where it belongs.
    pub created_at: DateTime<Utc>,
    /// What became of delivering it.
    pub delivery: Delivery,
}
