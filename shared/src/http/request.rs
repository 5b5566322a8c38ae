//! A request as a handler sees it: the matched route's path parameters, the caller,
//! query parameters, headers and the JSON body, each behind one accessor.

use super::body::parse_json;
use crate::auth::Caller;
use crate::error::ApiError;
use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt};
use serde::de::DeserializeOwned;

/// An API Gateway request matched to a route.
pub struct ApiRequest {
    inner: Request,
    params: Vec<(String, String)>,
    request_id: String,
}

impl ApiRequest {
    pub(crate) fn new(inner: Request, params: Vec<(String, String)>) -> Self {
        let request_id = api_request_id(&inner);
        Self {
            inner,
            params,
            request_id,
        }
    }

    /// API Gateway's request id (`requestContext.requestId`), the id clients see in errors.
    pub fn request_id(&self) -> &str {
        &self.request_id
    }

    /// The authenticated caller (401 when the authorizer supplied no claims).
    ///
    /// Only a REST (v1) event can carry one: the template puts every function behind the
    /// REST API and its Cognito authorizer, so an HTTP API v2 event (a Function URL, or
    /// `cargo lambda watch`'s HTTP emulation) was vouched for by nobody, whatever its
    /// `authorizer` field says.
    pub fn caller(&self) -> Result<Caller, ApiError> {
        let claims = match self.inner.request_context_ref() {
            Some(RequestContext::ApiGatewayV1(ctx)) => ctx
                .authorizer
                .fields
                .get("claims")
                .and_then(|v| v.as_object()),
            _ => None,
        };
        Caller::from_claims(claims)
    }

    /// The `sub` of a bearer token sent to a public route, NOT verified (public routes have
    /// no authorizer). Only for binding pagination cursors to the client on public
    /// listings, where a forged subject gains nothing; never for authorization.
    pub fn unverified_bearer_subject(&self) -> Option<String> {
        use base64::Engine as _;
        let header = self.header("authorization")?.trim();
        let token = match header.split_once(' ') {
            Some((scheme, t)) if scheme.eq_ignore_ascii_case("bearer") => t.trim(),
            _ => header,
        };
        let payload = token.split('.').nth(1)?;
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload.trim_end_matches('='))
            .ok()?;
        let claims: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
        claims.get("sub")?.as_str().map(str::to_owned)
    }

    /// A path parameter of the matched route template (`{id}`); 400 when absent or empty.
    pub fn path_param(&self, name: &str) -> Result<&str, ApiError> {
        self.params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
            .ok_or_else(|| ApiError::invalid_field(name, "path parameter is required"))
    }

    /// The first value of a query parameter.
    pub fn query(&self, name: &str) -> Option<String> {
        self.inner
            .query_string_parameters_ref()
            .and_then(|q| q.first(name))
            .map(str::to_owned)
    }

    /// Every query parameter except `cursor` and `limit`, sorted: what a cursor is bound
    /// to besides the caller, so that a cursor replayed with another query is refused.
    pub fn query_fingerprint(&self) -> String {
        let mut pairs: Vec<(String, String)> = self
            .inner
            .query_string_parameters_ref()
            .map(|q| {
                q.iter()
                    .filter(|(k, _)| *k != "cursor" && *k != "limit")
                    .map(|(k, v)| (k.to_owned(), v.to_owned()))
                    .collect()
            })
            .unwrap_or_default();
        pairs.sort();
        let query: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect();
        format!("{}?{}", self.inner.raw_http_path(), query.join("&"))
    }

    /// A header's value, when it is valid UTF-8.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.inner.headers().get(name).and_then(|v| v.to_str().ok())
    }

    /// The body as sent (empty when there is none), e.g. to fingerprint it.
    pub fn body(&self) -> &[u8] {
        match self.inner.body() {
            Body::Empty => &[],
            Body::Text(s) => s.as_bytes(),
            Body::Binary(b) => b,
            _ => &[],
        }
    }

    /// The body parsed as JSON with the checks of [`super::parse_json`].
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, ApiError> {
        parse_json(self.header("content-type"), self.body())
    }
}

fn api_request_id(req: &Request) -> String {
    match req.request_context_ref() {
        Some(RequestContext::ApiGatewayV1(ctx)) => ctx.request_id.clone(),
        Some(RequestContext::ApiGatewayV2(ctx)) => ctx.request_id.clone(),
        _ => None,
    }
    .unwrap_or_else(|| {
        req.lambda_context_ref()
            .map(|c| c.request_id.clone())
            .unwrap_or_default()
    })
}
