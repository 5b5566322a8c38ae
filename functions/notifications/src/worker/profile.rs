//! UserProfileUpdated: the contact's new name, for greetings from now on. A rename that
//! is older than the name on file (reordered delivery) or finds no contact (the
//! registration has not arrived, predates this service, or the user is erased) changes
//! nothing: waiting for a registration that may never come would only fill the DLQ.

use super::Worker;
use crate::channel::Channel;
use crate::domain::{display_name, UserId};
use shared::consumer::ConsumeError;
use shared::events::users::UserProfileUpdated;

/// Renames `user`'s contact as the event says.
pub(super) async fn rename<C: Channel>(
    worker: &Worker<C>,
    user: &UserId,
    event: &UserProfileUpdated,
) -> Result<(), ConsumeError> {
    let user_id = user.as_str();
    let Some(name) = display_name(&event.name) else {
        return Err(ConsumeError::Poison(format!(
            "user {user_id}: the new name breaks the display-name rules"
        )));
    };
    if worker
        .contacts
        .rename(user, &name, &event.updated_at)
        .await?
    {
        tracing::info!(user_id, "contact renamed");
    } else {
        tracing::info!(
            user_id,
            "no contact, or a newer name on file; nothing renamed"
        );
    }
    Ok(())
}
