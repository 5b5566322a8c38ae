//! The payments service's errors and their one mapping to HTTP.

use shared::store::StoreError;
use shared::{ApiError, FieldError};

/// Everything a payments route can fail with.
#[derive(Debug, thiserror::Error)]
pub enum PaymentsError {
    /// Query parameters that break their rules.
    #[error("invalid request")]
    Invalid(Vec<FieldError>),
    /// DynamoDB failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A check of the shared HTTP edge failed (the caller, the body, paging), with its
    /// own answer.
    #[error(transparent)]
    Request(#[from] ApiError),
}

impl PaymentsError {
    /// One invalid field.
    pub fn invalid(field: FieldError) -> Self {
        Self::Invalid(vec![field])
    }
}

impl From<PaymentsError> for ApiError {
    fn from(err: PaymentsError) -> Self {
        match err {
            PaymentsError::Invalid(details) => ApiError::Validation(details),
            PaymentsError::Store(e) => e.into(),
            PaymentsError::Request(e) => e,
        }
    }
}
