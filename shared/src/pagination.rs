//! Cursor pagination: `?limit=1..100&cursor=...` -> `{"items": [...], "next_cursor"}`.
//! A cursor is DynamoDB's `LastEvaluatedKey`, signed with HMAC-SHA256 together with its
//! scope (caller + route + query), so it is opaque, cannot be forged, and is refused (400)
//! when replayed by another caller or with another query.

use crate::error::ApiError;
use crate::http::ApiRequest;
use crate::store::Key;
use aws_sdk_dynamodb::types::AttributeValue;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use std::collections::{BTreeMap, HashMap};

/// Page size when `limit` is absent.
pub const DEFAULT_LIMIT: i32 = 20;
/// Largest page size a client may ask for.
pub const MAX_LIMIT: i32 = 100;
const MAX_CURSOR_LEN: usize = 2048;

/// A validated page size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit(i32);

impl Limit {
    /// Parses `?limit=`: 1..=100, default 20; anything else is a 400.
    pub fn parse(raw: Option<&str>) -> Result<Self, ApiError> {
        let Some(raw) = raw else {
            return Ok(Self(DEFAULT_LIMIT));
        };
        match raw.trim().parse::<i32>() {
            Ok(n) if (1..=MAX_LIMIT).contains(&n) => Ok(Self(n)),
            _ => Err(ApiError::invalid_field(
                "limit",
                format!("must be an integer from 1 to {MAX_LIMIT}"),
            )),
        }
    }

    /// The page size.
    pub fn get(self) -> i32 {
        self.0
    }
}

/// One page of a listing, as sent to the client.
#[derive(Debug, Serialize)]
pub struct Page<T> {
    /// The items of this page.
    pub items: Vec<T>,
    /// Cursor of the next page, or null on the last page.
    pub next_cursor: Option<String>,
}

/// What a cursor is bound to: the caller and the query it was issued for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CursorScope(String);

impl CursorScope {
    /// Scope of `caller_id` (or "anonymous" on public routes) asking `query_fingerprint`.
    pub fn new(caller_id: Option<&str>, query_fingerprint: &str) -> Self {
        Self(format!(
            "{}\n{}",
            caller_id.unwrap_or("anonymous"),
            query_fingerprint
        ))
    }
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
enum KeyValue {
    S(String),
    N(String),
}

/// What a list route was asked for (`?limit=`, `?cursor=`), checked, and how to answer.
#[derive(Debug)]
pub struct Paging<'a> {
    /// The page size.
    pub limit: i32,
    /// Where the page starts, from the client's cursor.
    pub start: Option<Key>,
    /// Signs the next page's cursor for the same caller and query.
    pub next: NextPage<'a>,
}

/// The answer to a list route: its page, and the cursor of the page after it.
#[derive(Debug)]
pub struct NextPage<'a> {
    codec: &'a CursorCodec,
    scope: CursorScope,
}

impl NextPage<'_> {
    /// The page of `items`, with a cursor to continue after `last_key` (none when the
    /// listing ended there).
    pub fn page<T>(&self, items: Vec<T>, last_key: Option<&Key>) -> Result<Page<T>, ApiError> {
        Ok(Page {
            items,
            next_cursor: self.codec.encode(last_key, &self.scope)?,
        })
    }
}

/// Signs and verifies cursors with the service's secret.
#[derive(Clone)]
pub struct CursorCodec {
    key: Vec<u8>,
}

impl std::fmt::Debug for CursorCodec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CursorCodec(..)")
    }
}

impl CursorCodec {
    /// A codec signing with `key` (from config, 32+ bytes).
    pub fn new(key: impl Into<Vec<u8>>) -> Self {
        Self { key: key.into() }
    }

    /// The `?limit=` and `?cursor=` of a list route called by `caller_id` (`None` on a
    /// public route with no token): 400 when either is bad, or when the cursor was issued
    /// to another caller or for another query.
    pub fn paging(
        &self,
        req: &ApiRequest,
        caller_id: Option<&str>,
    ) -> Result<Paging<'_>, ApiError> {
        let limit = Limit::parse(req.query("limit").as_deref())?;
        let scope = CursorScope::new(caller_id, &req.query_fingerprint());
        let start = self.decode(req.query("cursor").as_deref(), &scope)?;
        Ok(Paging {
            limit: limit.get(),
            start,
            next: NextPage { codec: self, scope },
        })
    }

    /// Encodes `LastEvaluatedKey`; `None` (last page) encodes as no cursor.
    pub fn encode(
        &self,
        last_key: Option<&HashMap<String, AttributeValue>>,
        scope: &CursorScope,
    ) -> Result<Option<String>, ApiError> {
        let Some(last_key) = last_key else {
            return Ok(None);
        };
        let mut plain = BTreeMap::new();
        for (name, value) in last_key {
            let v = match value {
                AttributeValue::S(s) => KeyValue::S(s.clone()),
                AttributeValue::N(n) => KeyValue::N(n.clone()),
                other => {
                    return Err(ApiError::Internal(anyhow::anyhow!(
                        "key attribute {name} has unsupported type {other:?}"
                    )))
                }
            };
            plain.insert(name.clone(), v);
        }
        let payload = serde_json::to_vec(&plain).map_err(|e| ApiError::Internal(e.into()))?;
        let tag = self.sign(&payload, scope)?;
        Ok(Some(format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(&payload),
            URL_SAFE_NO_PAD.encode(tag)
        )))
    }

    /// Decodes a client's cursor into `ExclusiveStartKey`; 400 when it is malformed,
    /// tampered with, or was issued to another caller or query.
    pub fn decode(
        &self,
        cursor: Option<&str>,
        scope: &CursorScope,
    ) -> Result<Option<HashMap<String, AttributeValue>>, ApiError> {
        let Some(cursor) = cursor else {
            return Ok(None);
        };
        let invalid = || ApiError::invalid_field("cursor", "invalid cursor");
        if cursor.len() > MAX_CURSOR_LEN {
            return Err(invalid());
        }
        let (payload_b64, tag_b64) = cursor.split_once('.').ok_or_else(invalid)?;
        let payload = URL_SAFE_NO_PAD.decode(payload_b64).map_err(|_| invalid())?;
        let tag = URL_SAFE_NO_PAD.decode(tag_b64).map_err(|_| invalid())?;
        let mut mac = self.mac(scope)?;
        mac.update(&payload);
        mac.verify_slice(&tag).map_err(|_| invalid())?;
        let plain: BTreeMap<String, KeyValue> =
            serde_json::from_slice(&payload).map_err(|_| invalid())?;
        Ok(Some(
            plain
                .into_iter()
                .map(|(k, v)| {
                    let av = match v {
                        KeyValue::S(s) => AttributeValue::S(s),
                        KeyValue::N(n) => AttributeValue::N(n),
                    };
                    (k, av)
                })
                .collect(),
        ))
    }

    fn mac(&self, scope: &CursorScope) -> Result<Hmac<Sha256>, ApiError> {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key)
            .map_err(|e| ApiError::Internal(anyhow::anyhow!("cursor key: {e}")))?;
        mac.update(scope.0.as_bytes());
        mac.update(b"\n");
        Ok(mac)
    }

    fn sign(&self, payload: &[u8], scope: &CursorScope) -> Result<Vec<u8>, ApiError> {
        let mut mac = self.mac(scope)?;
        mac.update(payload);
        Ok(mac.finalize().into_bytes().to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn codec() -> CursorCodec {
        CursorCodec::new(b"0123456789abcdef0123456789abcdef".to_vec())
    }

    fn key(pk: &str, sk: &str) -> HashMap<String, AttributeValue> {
        HashMap::from([
            ("PK".to_owned(), AttributeValue::S(pk.to_owned())),
            ("SK".to_owned(), AttributeValue::S(sk.to_owned())),
            ("n".to_owned(), AttributeValue::N("42".to_owned())),
        ])
    }

    fn list_request(query: &[(&str, &str)]) -> ApiRequest {
        use lambda_http::RequestExt as _;
        let params: HashMap<String, String> = query
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        let request = lambda_http::http::Request::builder()
            .uri("/v1/things")
            .body(lambda_http::Body::Empty)
            .unwrap()
            .with_query_string_parameters(params);
        ApiRequest::new(request, Vec::new())
    }

    #[test]
    fn paging_reads_the_limit_and_continues_where_the_previous_page_ended() {
        let codec = codec();
        let first = codec
            .paging(&list_request(&[("limit", "5"), ("q", "x")]), Some("u1"))
            .unwrap();
        assert_eq!((first.limit, first.start.is_none()), (5, true));
        let page = first.next.page(vec![1, 2], Some(&key("A", "B"))).unwrap();
        assert_eq!(page.items, [1, 2]);
        let cursor = page.next_cursor.unwrap();
        let query = [("limit", "5"), ("q", "x"), ("cursor", cursor.as_str())];
        let second = codec.paging(&list_request(&query), Some("u1")).unwrap();
        assert_eq!(second.start, Some(key("A", "B")));
        let last = second.next.page(Vec::<i32>::new(), None).unwrap();
        assert_eq!(last.next_cursor, None);
    }

    #[test]
    fn paging_refuses_a_bad_limit_and_a_cursor_of_another_caller_or_query() {
        let codec = codec();
        let first = codec
            .paging(&list_request(&[("q", "x")]), Some("u1"))
            .unwrap();
        let cursor = first
            .next
            .page(vec![1], Some(&key("A", "B")))
            .unwrap()
            .next_cursor
            .unwrap();
        let field_of = |query: &[(&str, &str)], caller: &str| {
            let err = codec
                .paging(&list_request(query), Some(caller))
                .unwrap_err();
            assert_eq!(err.status(), 400);
            err.details()[0].field.clone()
        };
        assert_eq!(field_of(&[("limit", "0")], "u1"), "limit");
        assert_eq!(field_of(&[("q", "x"), ("cursor", &cursor)], "u2"), "cursor");
        assert_eq!(field_of(&[("q", "y"), ("cursor", &cursor)], "u1"), "cursor");
    }

    #[test]
    fn limit_bounds() {
        assert_eq!(Limit::parse(None).unwrap().get(), 20);
        assert_eq!(Limit::parse(Some("100")).unwrap().get(), 100);
        for bad in ["0", "101", "-1", "ten", ""] {
            assert_eq!(Limit::parse(Some(bad)).unwrap_err().status(), 400, "{bad}");
        }
    }

    #[test]
    fn cursors_round_trip_within_their_scope() {
        let scope = CursorScope::new(Some("alice"), "/v1/users?");
        let c = codec()
            .encode(Some(&key("USER#1", "PROFILE")), &scope)
            .unwrap();
        let back = codec().decode(c.as_deref(), &scope).unwrap();
        assert_eq!(back, Some(key("USER#1", "PROFILE")));
        assert_eq!(codec().encode(None, &scope).unwrap(), None);
    }

    #[test]
    fn cursors_from_another_caller_or_query_or_tampered_are_400() {
        let scope = CursorScope::new(Some("alice"), "/v1/users?");
        let c = codec()
            .encode(Some(&key("USER#1", "PROFILE")), &scope)
            .unwrap()
            .unwrap();
        let bob = CursorScope::new(Some("bob"), "/v1/users?");
        assert_eq!(codec().decode(Some(&c), &bob).unwrap_err().status(), 400);
        let other_query = CursorScope::new(Some("alice"), "/v1/users?q=x");
        assert_eq!(
            codec().decode(Some(&c), &other_query).unwrap_err().status(),
            400
        );
        let mut tampered = c.clone();
        tampered.replace_range(0..1, if c.starts_with('e') { "f" } else { "e" });
        assert_eq!(
            codec()
                .decode(Some(&tampered), &scope)
                .unwrap_err()
                .status(),
            400
        );
        assert_eq!(
            codec()
                .decode(Some("garbage"), &scope)
                .unwrap_err()
                .status(),
            400
        );
    }

    proptest! {
        #[test]
        fn any_garbage_cursor_is_a_400_never_a_panic(s in ".{0,300}") {
            let scope = CursorScope::new(None, "/v1/x?");
            match codec().decode(Some(&s), &scope) {
                Err(e) => prop_assert_eq!(e.status(), 400),
                Ok(_) => prop_assert!(false, "garbage accepted"),
            }
        }
    }
}
