//! Notifying a user of one event: render, deliver, then store the entry with the
//! delivery's outcome and the event's marker in one transaction.
//!
//! Delivery comes before the commit, so an email can go out twice if the function dies
//! between the two (or two deliveries of one event race): email is at-least-once, the
//! usual trade-off, while the inbox holds exactly one entry per event. A redelivery of an
//! event already stored finds its entry and sends nothing. The inbox does not depend on
//! the channel: a failed send is recorded as `failed`, and the entry is stored.

use super::Worker;
use crate::channel::Channel;
use crate::domain::{Contact, Delivery, EventId, InboxEntry, Message, UserId};
use crate::store::{Recipient, Recorded};
use chrono::{DateTime, Utc};
use shared::consumer::ConsumeError;

/// Which event is about whom.
pub(super) struct Notice {
    /// The event's id: one entry per event.
    pub event_id: EventId,
    /// When it happened: the entry's place in the inbox.
    pub time: DateTime<Utc>,
    /// Whose inbox it goes to.
    pub user: UserId,
}

/// Notifies `notice.user` of the message `render` makes (given the name to greet them
/// by). `registration` is the contact a UserRegistered brings, stored with the entry.
pub(super) async fn notify<C: Channel>(
    worker: &Worker<C>,
    notice: &Notice,
    registration: Option<&Contact>,
    render: impl FnOnce(Option<&str>) -> Message,
) -> Result<(), ConsumeError> {
    let user_id = notice.user.as_str();
    // One round for all the reads: the contact (with its tombstone) and the entry are
    // independent, and a read wasted on a deleted user is cheaper than a round trip.
    let (known, stored) = tokio::try_join!(
        worker.contacts.recipient(&notice.user),
        worker
            .inbox
            .contains(&notice.user, &notice.event_id, &notice.time)
    )?;
    let recipient = match (known, registration) {
        (Recipient::Deleted, _) => {
            tracing::info!(user_id, "user deleted; no notification created");
            return Ok(());
        }
        (_, Some(contact)) => Recipient::Known(contact.clone()),
        (known_or_not, None) => known_or_not,
    };
    if stored {
        tracing::info!(user_id, "already notified of this event");
        return Ok(());
    }
    let (message, delivery) = match &recipient {
        Recipient::Known(contact) => {
            let message = render(contact.name.as_deref());
            let delivery = worker.channel.deliver(contact, &message).await;
            (message, delivery)
        }
        // Kept or not, the entry tells the user; there is just no address to send it to.
        _ => (render(None), Delivery::skipped(worker.channel.kind())),
    };
    let entry = InboxEntry {
        id: notice.event_id.clone(),
        message,
        created_at: notice.time,
        delivery,
    };
    let notification = entry.message.kind.as_str();
    match worker
        .inbox
        .record(&notice.user, &entry, registration)
        .await?
    {
        Recorded::Done => tracing::info!(
            user_id,
            notification,
            channel = delivery.channel.as_str(),
            delivery = delivery.status.as_str(),
            "notification stored"
        ),
        Recorded::Duplicate => tracing::info!(user_id, "a concurrent delivery stored this event"),
        Recorded::UserDeleted => {
            tracing::info!(user_id, "user deleted meanwhile; no notification created")
        }
    }
    Ok(())
}
