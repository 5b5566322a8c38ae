//! UserDeleted: the user's contact and inbox are erased, and a tombstone keeps late
//! events for them from creating anything.

use super::Worker;
use crate::channel::Channel;
use crate::domain::UserId;
use shared::consumer::ConsumeError;
use shared::events::users::UserDeleted;

/// Erases everything this service holds about `user`.
pub(super) async fn erase<C: Channel>(
    worker: &Worker<C>,
    user: &UserId,
    event: &UserDeleted,
) -> Result<(), ConsumeError> {
    let deleted = worker.erasure.erase(user, &event.deleted_at).await?;
    tracing::info!(user_id = user.as_str(), deleted, "user erased");
    Ok(())
}
