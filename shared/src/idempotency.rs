//! `Idempotency-Key` on POST routes (openapi.yaml): the first request with a key
//! runs, a retry with the same key and payload gets the stored answer with
//! `Idempotent-Replayed: true`, the same key with another payload is a 422, and the same
//! key while the first request runs is a 409 with Retry-After. Keys are scoped to the
//! caller and expire after 24 hours; a 5xx releases the key so that a retry runs again.
//!
//! The record lives in the service's own table: `PK = IDEMPOTENCY#<caller sub>#<key>`,
//! `SK = IDEMPOTENCY`, with `state` (IN_FLIGHT | COMPLETED), `fingerprint` (SHA-256 of
//! the body), `claim_token`, `lease_expires_at` and `expires_at` (epoch milliseconds),
//! `ttl` (epoch seconds) and, once completed, `response` {status, body, location}.
//! A successful request completes its record in the same transaction as its state
//! change ([`IdempotencyStore::completion`]), so there is never a change without its
//! record, nor two changes for one key. A request whose reads do not need the claim
//! runs them while the key is claimed ([`IdempotencyStore::run_prepared`]), so that it
//! costs two sequential round trips: {claim, reads}, then its transaction.

use crate::auth::Caller;
use crate::error::ApiError;
use crate::http::{error_response, ApiRequest, ApiResult};
use crate::outbox::Transaction;
use crate::store::string_attr as s;
use crate::store::{from_item, to_item, StoreError};
use aws_sdk_dynamodb::types::{AttributeValue, TransactWriteItem, Update};
use aws_sdk_dynamodb::Client;
use http::header::{CONTENT_TYPE, LOCATION, RETRY_AFTER};
use http::{HeaderValue, StatusCode};
use lambda_http::{Body, Response};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::future::Future;
use std::time::Duration;

/// The request header carrying the key.
pub const HEADER: &str = "Idempotency-Key";
/// The response header marking a replayed answer.
pub const REPLAYED_HEADER: &str = "Idempotent-Replayed";
const MAX_KEY_LEN: usize = 255;
const SK: &str = "IDEMPOTENCY";
const IN_FLIGHT: &str = "IN_FLIGHT";
const COMPLETED: &str = "COMPLETED";
/// Claims tried before giving up on a record that keeps changing under us.
const MAX_CLAIM_ATTEMPTS: usize = 3;

/// A client's idempotency key: 1 to 255 of `[A-Za-z0-9_-]`, optionally in double quotes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    /// Reads the header's value: 400 naming the header when it is missing or malformed.
    pub fn from_header(raw: Option<&str>) -> Result<Self, ApiError> {
        let raw = raw.ok_or_else(|| {
            ApiError::invalid_field(HEADER, "this request requires an Idempotency-Key header")
        })?;
        // Some clients send the key as an HTTP quoted string, as for ETags.
        let key = raw
            .strip_prefix('"')
            .and_then(|k| k.strip_suffix('"'))
            .unwrap_or(raw);
        let well_formed = (1..=MAX_KEY_LEN).contains(&key.len())
            && key
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if !well_formed {
            return Err(ApiError::invalid_field(
                HEADER,
                format!("must be 1 to {MAX_KEY_LEN} letters, digits, '-' or '_'"),
            ));
        }
        Ok(Self(key.to_owned()))
    }

    /// The key.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// SHA-256 of a request body, hex: of its canonical JSON (so formatting and key order do
/// not matter), or of the raw bytes when it is not JSON.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fingerprint(String);

impl Fingerprint {
    /// The fingerprint of `body`.
    pub fn of_body(body: &[u8]) -> Self {
        // serde_json's Map is a BTreeMap (the workspace does not enable preserve_order),
        // so re-serialising a parsed body sorts its keys and drops insignificant spaces.
        let canonical = serde_json::from_slice::<serde_json::Value>(body)
            .ok()
            .and_then(|v| serde_json::to_vec(&v).ok());
        let digest = Sha256::digest(canonical.as_deref().unwrap_or(body));
        Self(digest.iter().map(|b| format!("{b:02x}")).collect())
    }

    /// The hex digest.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An answer as stored for replay: exactly the bytes the first request was answered with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredResponse {
    /// HTTP status.
    pub status: u16,
    /// The JSON body, as sent.
    pub body: String,
    /// The Location header, when there was one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
}

impl StoredResponse {
    /// 201 Created with `location` and `body` serialised once, for storing and sending.
    pub fn created<T: Serialize>(location: &str, body: &T) -> Result<Self, ApiError> {
        Ok(Self {
            status: StatusCode::CREATED.as_u16(),
            body: serde_json::to_string(body).map_err(|e| ApiError::Internal(e.into()))?,
            location: Some(location.to_owned()),
        })
    }

    /// An error rendered in the one error shape, as the client sees it.
    pub fn of_error(err: &ApiError, request_id: &str) -> Self {
        let rendered = error_response(err, request_id);
        let body = match rendered.body() {
            Body::Text(text) => text.clone(),
            _ => String::new(),
        };
        Self {
            status: rendered.status().as_u16(),
            body,
            location: None,
        }
    }

    /// The HTTP response carrying this answer.
    pub fn to_response(&self) -> ApiResult {
        let internal = |e: http::Error| ApiError::Internal(e.into());
        let mut builder = Response::builder()
            .status(self.status)
            .header(CONTENT_TYPE, "application/json");
        if let Some(location) = &self.location {
            builder = builder.header(LOCATION, location.as_str());
        }
        builder
            .body(Body::Text(self.body.clone()))
            .map_err(internal)
    }

    /// The response of a replay: the stored answer, marked as replayed.
    pub fn replay(&self) -> ApiResult {
        let mut response = self.to_response()?;
        response
            .headers_mut()
            .insert(REPLAYED_HEADER, HeaderValue::from_static("true"));
        Ok(response)
    }
}

/// Proof that this request holds its key: the record's key and the claim's own token,
/// which every later write of the record is conditioned on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    pk: String,
    token: String,
}

/// The outcome of claiming a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claimed {
    /// This request holds the key: run it, then complete or release the claim.
    Acquired(Claim),
    /// A request with this key and payload was answered: replay the answer.
    Replay(StoredResponse),
    /// A request with this key and payload is still running.
    InFlight,
    /// The key was used with another payload.
    OtherPayload,
}

/// How long claims and answers last.
#[derive(Debug, Clone, Copy)]
pub struct Policy {
    /// How long a claim blocks its key: after it, a request that crashed mid-way is
    /// assumed dead and its key taken over. Must exceed the function's timeout.
    pub lease: Duration,
    /// How long a key is remembered (24 h, as openapi.yaml promises).
    pub retention: Duration,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            lease: Duration::from_secs(30),
            retention: Duration::from_secs(24 * 60 * 60),
        }
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct IdempotencyRecord {
    #[serde(rename = "PK")]
    pk: String,
    #[serde(rename = "SK")]
    sk: String,
    state: String,
    fingerprint: String,
    claim_token: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    lease_expires_at: Option<i64>,
    expires_at: i64,
    ttl: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    response: Option<StoredResponse>,
}

/// Idempotency records in a service's table.
#[derive(Clone)]
pub struct IdempotencyStore {
    client: Client,
    table: String,
    policy: Policy,
}

impl IdempotencyStore {
    /// Records in `table`, with the default [`Policy`].
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
            policy: Policy::default(),
        }
    }

    /// The same store with another policy (tests shorten the lease).
    pub fn with_policy(mut self, policy: Policy) -> Self {
        self.policy = policy;
        self
    }

    /// Runs `handler` once per caller, key and payload, as the module docs describe. On
    /// success the handler must have committed [`Self::completion`] of its answer with its
    /// state change; a 4xx is stored as the answer, a 5xx (or 429) releases the key.
    pub async fn run<F, Fut>(&self, req: &ApiRequest, caller: &Caller, handler: F) -> ApiResult
    where
        F: FnOnce(Claim) -> Fut,
        Fut: Future<Output = Result<StoredResponse, ApiError>>,
    {
        self.run_prepared(req, caller, async { Ok(()) }, |claim, ()| handler(claim))
            .await
    }

    /// [`Self::run`] in two steps, so that the request's reads overlap the claim of its
    /// key instead of following it (one sequential round trip fewer). `prepare` (parse
    /// the body, read what the request needs) runs while the key is claimed and must
    /// change nothing: its result is dropped when the key's answer is replayed, the key is
    /// in flight or was used with another body. `commit` gets the claim and the prepared
    /// value and, like `run`'s handler, commits [`Self::completion`] with its state change.
    /// An error of either step is the request's answer as a handler's would be.
    pub async fn run_prepared<P, Prepare, Commit, CommitFut>(
        &self,
        req: &ApiRequest,
        caller: &Caller,
        prepare: Prepare,
        commit: Commit,
    ) -> ApiResult
    where
        Prepare: Future<Output = Result<P, ApiError>>,
        Commit: FnOnce(Claim, P) -> CommitFut,
        CommitFut: Future<Output = Result<StoredResponse, ApiError>>,
    {
        // A bad key is answered before anything runs: `prepare` is dropped unpolled.
        let key = IdempotencyKey::from_header(req.header(HEADER))?;
        let fingerprint = Fingerprint::of_body(req.body());
        // join!, not try_join!: a failing `prepare` must not cancel the claim half-way,
        // which could leave the key claimed until its lease ends with nobody to release it.
        let (claimed, prepared) =
            tokio::join!(self.claim(&caller.user_id, &key, &fingerprint), prepare);
        let claim = match claimed? {
            Claimed::Acquired(claim) => claim,
            Claimed::Replay(answer) => {
                tracing::info!(status = answer.status, "replaying an idempotent answer");
                return answer.replay();
            }
            Claimed::InFlight => {
                tracing::info!("a request with this idempotency key is still in flight");
                return Ok(in_flight(req.request_id()));
            }
            Claimed::OtherPayload => {
                return Err(ApiError::unprocessable_field(
                    HEADER,
                    "this key was already used with another request body",
                ))
            }
        };
        let outcome = match prepared {
            Ok(prepared) => commit(claim.clone(), prepared).await,
            Err(err) => Err(err),
        };
        match outcome {
            Ok(answer) => answer.to_response(),
            Err(err) if releases_key(&err) => {
                if let Err(e) = self.release(&claim).await {
                    tracing::warn!(error = %e, "could not release an idempotency key");
                }
                Err(err)
            }
            Err(err) => {
                let answer = StoredResponse::of_error(&err, req.request_id());
                if let Err(e) = self.complete(&claim, &answer).await {
                    // The key stays claimed until its lease ends; then a retry runs again.
                    tracing::warn!(error = %e, "could not store an idempotent error answer");
                }
                answer.to_response()
            }
        }
    }

    /// Claims `key` of `caller_id` for a request with `fingerprint`: a fresh record, or one
    /// that expired, or one whose claim outlived its lease.
    pub async fn claim(
        &self,
        caller_id: &str,
        key: &IdempotencyKey,
        fingerprint: &Fingerprint,
    ) -> Result<Claimed, StoreError> {
        let pk = format!("IDEMPOTENCY#{caller_id}#{}", key.as_str());
        for _ in 0..MAX_CLAIM_ATTEMPTS {
            let now = epoch_millis(Duration::ZERO);
            let claim = Claim {
                pk: pk.clone(),
                token: crate::ids::new_id(),
            };
            let expires_at = epoch_millis(self.policy.retention);
            let record = IdempotencyRecord {
                pk: pk.clone(),
                sk: SK.to_owned(),
                state: IN_FLIGHT.to_owned(),
                fingerprint: fingerprint.as_str().to_owned(),
                claim_token: claim.token.clone(),
                lease_expires_at: Some(epoch_millis(self.policy.lease)),
                expires_at,
                ttl: expires_at / 1000,
                response: None,
            };
            let put = self
                .client
                .put_item()
                .table_name(&self.table)
                .set_item(Some(to_item(&record)?))
                .condition_expression(
                    "attribute_not_exists(PK) OR expires_at < :now \
                     OR (#state = :in_flight AND lease_expires_at < :now)",
                )
                .expression_attribute_names("#state", "state")
                .expression_attribute_values(":now", number(now))
                .expression_attribute_values(":in_flight", s(IN_FLIGHT))
                .send()
                .await;
            match put.map_err(StoreError::from_sdk) {
                Ok(_) => return Ok(Claimed::Acquired(claim)),
                Err(StoreError::ConditionFailed) => {}
                Err(other) => return Err(other),
            }
            let Some(existing) = self.get(&pk).await? else {
                continue; // released meanwhile: claim it
            };
            let now = epoch_millis(Duration::ZERO);
            if existing.expires_at < now {
                continue; // expired, TTL has not deleted it yet
            }
            if existing.fingerprint != fingerprint.as_str() {
                return Ok(Claimed::OtherPayload);
            }
            match (existing.state.as_str(), existing.response) {
                (COMPLETED, Some(answer)) => return Ok(Claimed::Replay(answer)),
                (IN_FLIGHT, _) if existing.lease_expires_at.is_some_and(|l| l < now) => continue,
                (IN_FLIGHT, _) => return Ok(Claimed::InFlight),
                (state, _) => {
                    return Err(StoreError::Other(anyhow::anyhow!(
                        "idempotency record in state {state} without an answer"
                    )))
                }
            }
        }
        Err(StoreError::Unavailable(anyhow::anyhow!(
            "idempotency record kept changing during {MAX_CLAIM_ATTEMPTS} claims"
        )))
    }

    /// The write that completes `claim` with `answer`, to commit in the same transaction
    /// as the request's state change; it fails that transaction if the claim was lost.
    pub fn completion(
        &self,
        claim: &Claim,
        answer: &StoredResponse,
    ) -> Result<TransactWriteItem, StoreError> {
        let answer =
            serde_dynamo::to_attribute_value(answer).map_err(|e| StoreError::Other(e.into()))?;
        let update = Update::builder()
            .table_name(&self.table)
            .key("PK", s(&claim.pk))
            .key("SK", s(SK))
            .update_expression(
                "SET #state = :completed, #response = :response REMOVE lease_expires_at",
            )
            .condition_expression("claim_token = :token")
            .expression_attribute_names("#state", "state")
            .expression_attribute_names("#response", "response")
            .expression_attribute_values(":completed", s(COMPLETED))
            .expression_attribute_values(":response", answer)
            .expression_attribute_values(":token", s(&claim.token))
            .build()
            .map_err(|e| StoreError::Other(e.into()))?;
        Ok(TransactWriteItem::builder().update(update).build())
    }

    /// Completes `claim` with `answer` on its own (an answer without a state change).
    pub async fn complete(&self, claim: &Claim, answer: &StoredResponse) -> Result<(), StoreError> {
        Transaction::new(&self.table)
            .write(self.completion(claim, answer)?)
            .commit(&self.client)
            .await
            .map_err(StoreError::from)
    }

    /// Deletes the record of a claim that did not complete, so a retry runs again. A
    /// record completed meanwhile (a commit whose answer was lost in transit) stays.
    pub async fn release(&self, claim: &Claim) -> Result<(), StoreError> {
        let result = self
            .client
            .delete_item()
            .table_name(&self.table)
            .key("PK", s(&claim.pk))
            .key("SK", s(SK))
            .condition_expression("claim_token = :token AND #state = :in_flight")
            .expression_attribute_names("#state", "state")
            .expression_attribute_values(":token", s(&claim.token))
            .expression_attribute_values(":in_flight", s(IN_FLIGHT))
            .send()
            .await
            .map_err(StoreError::from_sdk);
        match result {
            Ok(_) | Err(StoreError::ConditionFailed) => Ok(()),
            Err(other) => Err(other),
        }
    }

    async fn get(&self, pk: &str) -> Result<Option<IdempotencyRecord>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("PK", s(pk))
            .key("SK", s(SK))
            .consistent_read(true)
            .send()
            .await
            .map_err(StoreError::from_sdk)?;
        out.item.map(from_item).transpose()
    }
}

/// Errors the client is told to retry: the key must not keep their answer.
fn releases_key(err: &ApiError) -> bool {
    err.status().is_server_error() || err.retry_after_secs().is_some()
}

/// 409 with Retry-After: the first request with this key has not answered yet.
fn in_flight(request_id: &str) -> Response<Body> {
    let err = ApiError::Conflict(
        "a request with this Idempotency-Key is still in progress; retry shortly".to_owned(),
    );
    let mut response = error_response(&err, request_id);
    response
        .headers_mut()
        .insert(RETRY_AFTER, HeaderValue::from_static("1"));
    response
}

fn epoch_millis(from_now: Duration) -> i64 {
    let ahead = chrono::Duration::from_std(from_now).unwrap_or(chrono::Duration::zero());
    (chrono::Utc::now() + ahead).timestamp_millis()
}

fn number(v: i64) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_bounded_words_optionally_quoted() {
        assert_eq!(
            IdempotencyKey::from_header(Some("order-2026_01"))
                .unwrap()
                .as_str(),
            "order-2026_01"
        );
        assert_eq!(
            IdempotencyKey::from_header(Some("\"abc\""))
                .unwrap()
                .as_str(),
            "abc"
        );
        let longest = "k".repeat(255);
        assert!(IdempotencyKey::from_header(Some(&longest)).is_ok());
        for bad in ["", "\"\"", "a b", "a#b", "\"abc", "ключ", &"k".repeat(256)] {
            let err = IdempotencyKey::from_header(Some(bad)).unwrap_err();
            assert_eq!(err.status(), 400, "{bad}");
            assert_eq!(err.details()[0].field, HEADER);
        }
    }

    #[test]
    fn a_missing_key_is_a_400_naming_the_header() {
        let err = IdempotencyKey::from_header(None).unwrap_err();
        assert_eq!(err.status(), 400);
        assert_eq!(err.details()[0].field, "Idempotency-Key");
    }

    #[test]
    fn fingerprints_ignore_json_formatting_and_key_order_only() {
        let a = Fingerprint::of_body(br#"{"b": [1, 2], "a": {"y": 1, "x": "z"}}"#);
        let b = Fingerprint::of_body(br#"{"a":{"x":"z","y":1},"b":[1,2]}"#);
        assert_eq!(a, b);
        assert_eq!(a.as_str().len(), 64);
        let other = Fingerprint::of_body(br#"{"a":{"x":"z","y":1},"b":[2,1]}"#);
        assert_ne!(a, other);
        // Not JSON: the raw bytes count, spaces included.
        assert_ne!(
            Fingerprint::of_body(b"not json"),
            Fingerprint::of_body(b"not  json")
        );
    }

    #[test]
    fn stored_answers_replay_byte_for_byte_and_say_so() {
        let answer =
            StoredResponse::created("/v1/orders/1", &serde_json::json!({"id": "1"})).unwrap();
        let first = answer.to_response().unwrap();
        let again = answer.replay().unwrap();
        assert_eq!(first.status(), 201);
        assert_eq!(again.status(), 201);
        assert_eq!(again.headers()[LOCATION], "/v1/orders/1");
        assert_eq!(again.headers()[REPLAYED_HEADER], "true");
        assert!(first.headers().get(REPLAYED_HEADER).is_none());
        match (first.body(), again.body()) {
            (Body::Text(a), Body::Text(b)) => assert_eq!(a, b),
            other => panic!("unexpected bodies {other:?}"),
        }
    }

    #[test]
    fn an_error_answer_keeps_the_error_shape() {
        let answer = StoredResponse::of_error(&ApiError::invalid_field("items", "empty"), "req-9");
        assert_eq!(answer.status, 400);
        let body: serde_json::Value = serde_json::from_str(&answer.body).unwrap();
        assert_eq!(body["error"]["details"][0]["field"], "items");
        assert_eq!(body["error"]["request_id"], "req-9");
        assert_eq!(answer.location, None);
    }

    #[test]
    fn in_flight_is_a_409_with_retry_after() {
        let response = in_flight("req-1");
        assert_eq!(response.status(), 409);
        assert_eq!(response.headers()[RETRY_AFTER], "1");
    }

    #[test]
    fn only_errors_worth_a_retry_release_the_key() {
        assert!(releases_key(&ApiError::Internal(anyhow::anyhow!("x"))));
        assert!(releases_key(&ApiError::Unavailable {
            retry_after_secs: 1
        }));
        assert!(releases_key(&ApiError::Throttled {
            retry_after_secs: 1
        }));
        assert!(!releases_key(&ApiError::invalid_field("a", "b")));
        assert!(!releases_key(&ApiError::unprocessable_field("a", "b")));
    }
}
