//! The products service's errors and their one mapping to HTTP.

use crate::domain::StockError;
use shared::store::StoreError;
use shared::{ApiError, FieldError};

/// Everything a products route can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ProductsError {
    /// Fields that break their rules.
    #[error("invalid request")]
    Invalid(Vec<FieldError>),
    /// No such product, or an archived one.
    #[error("product not found")]
    NotFound,
    /// `If-Match` names another representation than the current one.
    #[error("product version mismatch")]
    VersionMismatch,
    /// A stock adjustment that would leave too little or too much stock.
    #[error(transparent)]
    Stock(#[from] StockError),
    /// The product kept changing while the request tried to change it.
    #[error("the product is being changed concurrently; try again")]
    Busy,
    /// DynamoDB failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A check of the shared HTTP edge failed (the caller, the body, paging), with its
    /// own answer.
    #[error(transparent)]
    Request(#[from] ApiError),
}

impl ProductsError {
    /// One invalid field.
    pub fn invalid(field: FieldError) -> Self {
        Self::Invalid(vec![field])
    }
}

impl From<ProductsError> for ApiError {
    fn from(err: ProductsError) -> Self {
        match err {
            ProductsError::Invalid(details) => ApiError::Validation(details),
            ProductsError::NotFound => ApiError::NotFound("product not found".to_owned()),
            ProductsError::VersionMismatch => ApiError::PreconditionFailed(
                "the product (its catalog fields or its stock) has changed since it was read; GET it again for its current ETag"
                    .to_owned(),
            ),
            e @ (ProductsError::Stock(_) | ProductsError::Busy) => {
                ApiError::Conflict(e.to_string())
            }
            ProductsError::Store(e) => e.into(),
            ProductsError::Request(e) => e,
        }
    }
}
