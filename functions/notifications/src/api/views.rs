//! What the notifications API answers with.

use crate::domain::InboxEntry;
use serde::Serialize;

/// A notification as its user sees it: `{id, type, subject, body, created_at, delivery:
/// {channel, status}}`.
#[derive(Debug, Serialize)]
pub struct NotificationView {
    id: String,
    #[serde(rename = "type")]
    kind: &'static str,
    subject: String,
    body: String,
    created_at: String,
    delivery: DeliveryView,
}

/// What became of delivering it.
#[derive(Debug, Serialize)]
pub struct DeliveryView {
    channel: &'static str,
    status: &'static str,
}

impl From<&InboxEntry> for NotificationView {
    fn from(e: &InboxEntry) -> Self {
        Self {
            id: e.id.as_str().to_owned(),
            kind: e.message.kind.as_str(),
            subject: e.message.subject.clone(),
            body: e.message.body.clone(),
            created_at: shared::time::rfc3339(&e.created_at),
            delivery: DeliveryView {
                channel: e.delivery.channel.as_str(),
                status: e.delivery.status.as_str(),
            },
        }
    }
}
