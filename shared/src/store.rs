//! DynamoDB, the part every store shares: failures classified once (what a condition
//! rejected, what is worth a 503 and a retry, what is a bug), records to and from items,
//! and the reads whose ritual is the same everywhere (get one record, a page of a Query,
//! every item of a Query, a BatchGetItem to the last unprocessed key).

use crate::error::ApiError;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::get_item::builders::GetItemFluentBuilder;
use aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder;
use aws_sdk_dynamodb::types::builders::KeysAndAttributesBuilder;
use aws_sdk_dynamodb::types::KeysAndAttributes;
use aws_sdk_dynamodb::Client;
use serde::de::DeserializeOwned;
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

/// The item a GetItem names, as record `R`; `None` when there is none.
pub async fn get_record<R: DeserializeOwned>(
    get: GetItemFluentBuilder,
) -> Result<Option<R>, StoreError> {
    let out = get.send().await.map_err(StoreError::from_sdk)?;
    out.item.map(from_item).transpose()
}

/// One page of a Query (whose `limit` and `exclusive_start_key` the caller sets), as
/// records `R`, with the key to continue from when there may be more.
pub async fn query_page<R: DeserializeOwned>(
    query: QueryFluentBuilder,
) -> Result<(Vec<R>, Option<Key>), StoreError> {
    let out = query.send().await.map_err(StoreError::from_sdk)?;
    let records = out
        .items
        .unwrap_or_default()
        .into_iter()
        .map(from_item)
        .collect::<Result<Vec<R>, _>>()?;
    Ok((records, out.last_evaluated_key))
}

/// Every item a Query matches, page after page.
pub async fn query_all(query: QueryFluentBuilder) -> Result<Vec<Key>, StoreError> {
    query
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .map_err(StoreError::from_sdk)
}

/// Reads after which a BatchGetItem that keeps returning unprocessed keys is given up
/// as unavailable (DynamoDB returns them when throttled).
const MAX_BATCH_GET_ROUNDS: usize = 5;
/// BatchGetItem's limit of keys per request.
const MAX_BATCH_GET_KEYS: usize = 100;

/// The items of `table` at `keys`, as records `R`, in no particular order (missing
/// items are absent), read as `request` says (consistency, projection); unprocessed
/// keys are asked again.
pub async fn batch_get<R: DeserializeOwned>(
    client: &Client,
    table: &str,
    keys: Vec<Key>,
    request: impl Fn(KeysAndAttributesBuilder) -> KeysAndAttributesBuilder,
) -> Result<Vec<R>, StoreError> {
    let mut records = Vec::new();
    for chunk in keys.chunks(MAX_BATCH_GET_KEYS) {
        let mut pending = Some(
            request(KeysAndAttributes::builder().set_keys(Some(chunk.to_vec())))
                .build()
                .map_err(|e| StoreError::Other(e.into()))?,
        );
        let mut rounds = 0;
        while let Some(keys) = pending.take().filter(|r| !r.keys().is_empty()) {
            rounds += 1;
            if rounds > MAX_BATCH_GET_ROUNDS {
                return Err(StoreError::Unavailable(anyhow::anyhow!(
                    "BatchGetItem kept returning unprocessed keys"
                )));
            }
            let out = client
                .batch_get_item()
                .request_items(table, keys)
                .send()
                .await
                .map_err(StoreError::from_sdk)?;
            for item in out
                .responses
                .and_then(|mut r| r.remove(table))
                .unwrap_or_default()
            {
                records.push(from_item(item)?);
            }
            pending = out.unprocessed_keys.and_then(|mut u| u.remove(table));
        }
    }
    Ok(records)
}

/// Deserializes a DynamoDB item into a record.
pub fn from_item<T: serde::de::DeserializeOwned>(
    item: std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>,
) -> Result<T, StoreError> {
    serde_dynamo::from_item(item).map_err(|e| StoreError::Other(e.into()))
}
