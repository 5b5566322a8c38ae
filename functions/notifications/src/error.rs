//! The notifications service's errors and their one mapping to HTTP.

use shared::store::StoreError;
use shared::ApiError;

/// Everything the notifications route can fail with beyond the shared request checks
/// (caller, `limit`, `cursor`), which answer their own errors.
#[derive(Debug, thiserror::Error)]
pub enum NotificationsError {
    /// DynamoDB failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A check of the shared HTTP edge failed (the caller, the body, paging), with its
    /// own answer.
    #[error(transparent)]
    Request(#[from] ApiError),
}

impl From<NotificationsError> for ApiError {
    fn from(err: NotificationsError) -> Self {
        match err {
            NotificationsError::Store(e) => e.into(),
            NotificationsError::Request(e) => e,
        }
    }
}
