//! The route table of an API function. Routes are keyed by method and the same path
//! template as the template.yaml Api event (`/v1/users/{id}`), matched against the
//! request path, so the table reads like the template and works for any event source
//! that `lambda_http` understands.

use super::request::ApiRequest;
use super::response::{error_response, ApiResult};
use crate::error::ApiError;
use http::Method;
use lambda_http::{service_fn, Body, Request, RequestExt, Response};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use tracing::Instrument;

type BoxedHandler<S> = Box<
    dyn Fn(Arc<S>, ApiRequest) -> Pin<Box<dyn Future<Output = ApiResult> + Send>> + Send + Sync,
>;

struct Route<S> {
    method: Method,
    template: &'static str,
    handler: BoxedHandler<S>,
}

/// Method + path template -> handler, for one API function with state `S`.
pub struct Router<S> {
    routes: Vec<Route<S>>,
}

impl<S: Send + Sync + 'static> Default for Router<S> {
    fn default() -> Self {
        Self::new()
    }
}

impl<S: Send + Sync + 'static> Router<S> {
    /// An empty route table.
    pub fn new() -> Self {
        Self { routes: Vec::new() }
    }

    /// Adds a route; `template` is the template.yaml path, e.g. `/v1/users/{id}`.
    pub fn route<F, Fut>(mut self, method: Method, template: &'static str, handler: F) -> Self
    where
        F: Fn(Arc<S>, ApiRequest) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ApiResult> + Send + 'static,
    {
        self.routes.push(Route {
            method,
            template,
            handler: Box::new(move |state, req| Box::pin(handler(state, req))),
        });
        self
    }

    /// Every (method, template) pair, for drift tests against template.yaml.
    pub fn routes(&self) -> Vec<(Method, &'static str)> {
        self.routes
            .iter()
            .map(|r| (r.method.clone(), r.template))
            .collect()
    }

    /// Finds the route, runs it, renders any error. Never fails: every outcome is a response.
    pub async fn dispatch(&self, state: Arc<S>, req: Request) -> Response<Body> {
        let path = req.raw_http_path().to_owned();
        let mut found: Option<(&Route<S>, PathParams)> = None;
        for route in &self.routes {
            if let Some(params) = match_template(route.template, &path) {
                // As in API Gateway, a literal segment beats a {param}: /users/me over /users/{id}.
                let better = found.as_ref().is_none_or(|(_, p)| params.len() < p.len());
                if route.method == req.method() && better {
                    found = Some((route, params));
                }
            }
        }
        let request = ApiRequest::new(
            req,
            found.as_ref().map(|(_, p)| p.clone()).unwrap_or_default(),
        );
        let request_id = request.request_id().to_owned();
        let result = match found {
            Some((route, _)) => (route.handler)(state, request).await,
            // API Gateway only routes the template's routes; this is `cargo lambda invoke`
            // with a wrong sample event, or a template/route-table drift.
            None => Err(ApiError::NotFound("no such route".to_owned())),
        };
        result.unwrap_or_else(|err| error_response(&err, &request_id))
    }
}

/// Path parameters by name, in template order.
type PathParams = Vec<(String, String)>;

/// Matches `/v1/users/{id}` against `/v1/users/42`, returning the path parameters.
fn match_template(template: &str, path: &str) -> Option<PathParams> {
    let mut params = Vec::new();
    let mut t = template.trim_matches('/').split('/');
    let mut p = path
        .trim_end_matches('/')
        .trim_start_matches('/')
        .split('/');
    loop {
        match (t.next(), p.next()) {
            (None, None) => return Some(params),
            (Some(ts), Some(ps)) => {
                if let Some(name) = ts.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                    if ps.is_empty() {
                        return None;
                    }
                    params.push((name.to_owned(), percent_decode(ps)));
                } else if ts != ps {
                    return None;
                }
            }
            _ => return None,
        }
    }
}

/// A path segment as its caller meant it: `%XX` escapes decoded as bytes, anything that
/// is not an escape kept as is, invalid UTF-8 replaced.
fn percent_decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

/// Runs an API function: one span per invocation, every request dispatched through the
/// router with the state built once in `main`.
pub async fn run<S: Send + Sync + 'static>(
    router: Router<S>,
    state: S,
) -> Result<(), lambda_http::Error> {
    let router = Arc::new(router);
    let state = Arc::new(state);
    lambda_http::run(service_fn(move |req: Request| {
        let router = Arc::clone(&router);
        let state = Arc::clone(&state);
        async move {
            let request_id = req
                .lambda_context_ref()
                .map(|c| c.request_id.clone())
                .unwrap_or_default();
            let span = crate::telemetry::invocation_span(&request_id);
            let response = router.dispatch(state, req).instrument(span).await;
            Ok::<_, std::convert::Infallible>(response)
        }
    }))
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    /// A public and a protected route, as every API function has.
    fn sample_router() -> Router<()> {
        Router::new()
            .route(Method::POST, "/v1/things/{id}/echo", |_, req| async move {
                let body: Value = req.json()?;
                crate::http::json(
                    http::StatusCode::OK,
                    &json!({"id": req.path_param("id")?, "body": body}),
                )
            })
            .route(Method::GET, "/v1/me", |_, req| async move {
                let caller = req.caller()?;
                crate::http::json(http::StatusCode::OK, &json!({"sub": caller.user_id}))
            })
    }

    /// A REST API (v1) proxy event, as API Gateway sends it, with the authorizer's claims.
    fn rest_event(method: &str, resource: &str, path: &str, body: Option<&str>) -> Value {
        json!({
            "resource": resource, "path": path, "httpMethod": method,
            "headers": {"content-type": "application/json"},
            "multiValueHeaders": {"content-type": ["application/json"]},
            "requestContext": {
                "accountId": "123456789012", "apiId": "api", "stage": "Prod",
                "requestId": "rest-request-1", "resourcePath": resource, "httpMethod": method,
                "path": format!("/Prod{path}"), "identity": {"sourceIp": "127.0.0.1"},
                "authorizer": {"claims": {"sub": "user-1", "email": "a@example.com"}}
            },
            "body": body, "isBase64Encoded": false
        })
    }

    /// An HTTP API v2 event as `cargo lambda watch` sends it for
    /// `/lambda-url/<function>/<path>` (a Function URL's shape), carrying JWT claims that
    /// no authorizer of ours verified.
    fn v2_event(method: &str, path: &str, body: Option<&str>) -> Value {
        json!({
            "version": "2.0", "routeKey": "$default", "rawPath": path, "rawQueryString": "",
            "headers": {"content-type": "application/json", "host": "localhost"},
            "requestContext": {
                "stage": "$default", "routeKey": "$default", "requestId": "v2-request-1",
                "domainName": "localhost", "timeEpoch": 0,
                "http": {"method": method, "path": path, "protocol": "http",
                         "sourceIp": "127.0.0.1", "userAgent": "cargo-lambda"},
                "authorizer": {"jwt": {"claims": {"sub": "forged"}, "scopes": []}}
            },
            "body": body, "isBase64Encoded": false
        })
    }

    async fn send(event: Value) -> (u16, http::HeaderMap, Value) {
        let req = lambda_http::request::from_str(&event.to_string()).expect("a known event shape");
        let response = sample_router().dispatch(Arc::new(()), req).await;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = match response.body() {
            Body::Text(t) => serde_json::from_str(t).expect("a JSON body"),
            other => panic!("unexpected body {other:?}"),
        };
        (status, headers, body)
    }

    #[tokio::test]
    async fn a_public_route_answers_a_v2_event_as_it_answers_api_gateway() {
        let body = r#"{"n": 1}"#;
        let rest = send(rest_event(
            "POST",
            "/v1/things/{id}/echo",
            "/v1/things/t-1/echo",
            Some(body),
        ))
        .await;
        let v2 = send(v2_event("POST", "/v1/things/t-1/echo", Some(body))).await;
        assert_eq!(rest, v2);
        assert_eq!(v2.0, 200);
        assert_eq!(v2.2, json!({"id": "t-1", "body": {"n": 1}}));

        // Bad input: the same 400 in the error shape, each with its own request id.
        let (rest_status, _, rest_err) = send(rest_event(
            "POST",
            "/v1/things/{id}/echo",
            "/v1/things/t-1/echo",
            Some("{"),
        ))
        .await;
        let (v2_status, _, v2_err) = send(v2_event("POST", "/v1/things/t-1/echo", Some("{"))).await;
        assert_eq!((rest_status, v2_status), (400, 400));
        assert_eq!(rest_err["error"]["code"], v2_err["error"]["code"]);
        assert_eq!(rest_err["error"]["request_id"], "rest-request-1");
        assert_eq!(v2_err["error"]["request_id"], "v2-request-1");
    }

    #[tokio::test]
    async fn a_v2_event_never_carries_a_caller() {
        let (status, _, body) = send(rest_event("GET", "/v1/me", "/v1/me", None)).await;
        assert_eq!((status, body), (200, json!({"sub": "user-1"})));

        let (status, headers, body) = send(v2_event("GET", "/v1/me", None)).await;
        assert_eq!(status, 401);
        assert_eq!(headers["content-type"], "application/json");
        assert_eq!(body["error"]["code"], "UNAUTHORIZED");
        assert_eq!(body["error"]["request_id"], "v2-request-1");
        for field in ["message", "details", "timestamp"] {
            assert!(body["error"].get(field).is_some(), "{field} in {body}");
        }
    }

    #[test]
    fn templates_match_exact_segments_and_capture_params() {
        assert_eq!(match_template("/v1/users/me", "/v1/users/me"), Some(vec![]));
        assert_eq!(
            match_template("/v1/users/{id}", "/v1/users/abc%2D1"),
            Some(vec![("id".to_owned(), "abc-1".to_owned())])
        );
        assert_eq!(match_template("/v1/users/{id}", "/v1/users"), None);
        assert_eq!(match_template("/v1/users/{id}", "/v1/users/a/b"), None);
        assert_eq!(match_template("/v1/users", "/v1/users/"), Some(vec![]));
    }

    #[test]
    fn malformed_and_non_ascii_path_parameters_never_panic() {
        let param = |path: &str| match_template("/v1/users/{id}", path).map(|p| p[0].1.clone());
        assert_eq!(
            param("/v1/users/%aé").as_deref(),
            Some("%aé"),
            "a truncated escape stays"
        );
        assert_eq!(param("/v1/users/caf%C3%A9").as_deref(), Some("café"));
        assert_eq!(param("/v1/users/é%").as_deref(), Some("é%"));
        assert_eq!(param("/v1/users/%zz%4").as_deref(), Some("%zz%4"));
        assert_eq!(
            param("/v1/users/%FF").as_deref(),
            Some("\u{FFFD}"),
            "invalid UTF-8 is replaced"
        );
    }
}
