//! UserDeleted -> the deleted user's orders lose their personal data (the shipping
//! address, the name in it included) and are marked redacted; their financial record
//! (lines, amounts, statuses, dates, ids) stays. Idempotent: a redelivery finds nothing
//! more to remove and keeps the first erasure's time.

use super::Worker;
use shared::consumer::ConsumeError;
use shared::events::users::UserDeleted;

/// Redacts every order `deleted.user_id` placed.
pub async fn redact_orders(worker: &Worker, deleted: &UserDeleted) -> Result<(), ConsumeError> {
    if deleted.user_id.trim().is_empty() {
        return Err(ConsumeError::Poison(
            "UserDeleted without a user id".to_owned(),
        ));
    }
    let redacted = worker
        .orders
        .redact_orders_of(&deleted.user_id, deleted.deleted_at)
        .await?;
    tracing::info!(user_id = %deleted.user_id, orders = redacted, "orders of a deleted user redacted");
    Ok(())
}
