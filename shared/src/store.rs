//! DynamoDB failures, classified once: what a condition rejected, what is worth a 503
//! and a retry, and what is a bug.

use crate::error::ApiError;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use std::fmt::Debug;

/// Service error codes that mean "try again later", not "you did something wrong".
const TRANSIENT_CODES: &[&str] = &[
    "ThrottlingException",
    "ProvisionedThroughputExceededException",
    "RequestLimitExceeded",
    "InternalServerError",
    "ServiceUnavailable",
    "TransactionInProgressException",
];

/// A failed DynamoDB call.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A write's condition expression rejected it (the caller decides what that means).
    #[error("conditional check failed")]
    ConditionFailed,
    /// DynamoDB is throttling, timing out or unreachable; nothing was written.
    #[error("dynamodb unavailable: {0}")]
    Unavailable(#[source] anyhow::Error),
    /// Anything else: a bug or a malformed item.
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

impl StoreError {
    /// Classifies an SDK error of any DynamoDB operation.
    pub fn from_sdk<E, R>(err: SdkError<E, R>) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
        R: Debug + Send + Sync + 'static,
    {
        if is_transient(&err) {
            return Self::Unavailable(err.into());
        }
        if err.code() == Some("ConditionalCheckFailedException") {
            return Self::ConditionFailed;
        }
        Self::Other(err.into())
    }
}

/// True for timeouts, connection failures and throttling: errors a retry later may cure.
pub fn is_transient<E, R>(err: &SdkError<E, R>) -> bool
where
    E: ProvideErrorMetadata,
{
    match err {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
            true
        }
        SdkError::ServiceError(_) => err.code().is_some_and(|c| TRANSIENT_CODES.contains(&c)),
        _ => false,
    }
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::Unavailable(cause) => {
                tracing::warn!(error = %cause, "dynamodb unavailable");
                ApiError::Unavailable {
                    retry_after_secs: 1,
                }
            }
            StoreError::ConditionFailed => {
                ApiError::Internal(anyhow::anyhow!("unmapped conditional check failure"))
            }
            StoreError::Other(cause) => ApiError::Internal(cause),
        }
    }
}

/// A DynamoDB key or item, attribute name to value (a page's `LastEvaluatedKey` too).
pub type Key = std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>;

/// A string attribute value.
pub fn string_attr(v: impl Into<String>) -> aws_sdk_dynamodb::types::AttributeValue {
    aws_sdk_dynamodb::types::AttributeValue::S(v.into())
}

/// Serializes a record into a DynamoDB item.
pub fn to_item<T: serde::Serialize>(
    record: &T,
) -> Result<std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>, StoreError>
{
    serde_dynamo::to_item(record).map_err(|e| StoreError::Other(e.into()))
}

/// Deserializes a DynamoDB item into a record.
pub fn from_item<T: serde::de::DeserializeOwned>(
    item: std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>,
) -> Result<T, StoreError> {
    serde_dynamo::from_item(item).map_err(|e| StoreError::Other(e.into()))
}
