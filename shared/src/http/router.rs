//! The route table of an API function. Routes are keyed by method and the same path
//! template as the template.yaml Api event (`/v1/users/{id}`), so the table reads like the
//! template. API Gateway has routed the request already: a REST (v1) event names its
//! route (`resource`) and carries the decoded path parameters, and the function takes
//! both as they are. Only an event that names no route (an HTTP API v2 or Function URL
//! event, e.g. from `cargo lambda watch` on its own) is matched here, by matchit (axum's
//! router), with API Gateway's precedence: a literal segment beats a `{param}`.

use super::request::ApiRequest;
use super::response::{error_response, ApiResult};
use crate::error::ApiError;
use http::Method;
use lambda_http::request::RequestContext;
use lambda_http::{service_fn, Body, Request, RequestExt, Response};
use std::collections::HashMap;
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
    /// Per method, the templates as matchit routes to the index of their route: for the
    /// events that name no route.
    by_path: HashMap<Method, matchit::Router<usize>>,
    /// Templates matchit refused (two routes that would match the same paths): the
    /// function refuses to start with them.
    conflicts: Vec<String>,
}

impl<S: Send + Sync + 'static> Default for Router<S> {
    fn default() -> Self {
        Self::new()
    }
}

impl<S: Send + Sync + 'static> Router<S> {
    /// An empty route table.
    pub fn new() -> Self {
        Self {
            routes: Vec::new(),
            by_path: HashMap::new(),
            conflicts: Vec::new(),
        }
    }

    /// Adds a route; `template` is the template.yaml path, e.g. `/v1/users/{id}`. The
    /// handler answers with its service's error, which the router turns into the HTTP
    /// error shape: the one place where a service error becomes an [`ApiError`].
    pub fn route<F, Fut, E>(mut self, method: Method, template: &'static str, handler: F) -> Self
    where
        F: Fn(Arc<S>, ApiRequest) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Response<Body>, E>> + Send + 'static,
        E: Into<ApiError> + 'static,
    {
        let index = self.routes.len();
        if let Err(e) = self
            .by_path
            .entry(method.clone())
            .or_default()
            .insert(template, index)
        {
            self.conflicts.push(format!("{method} {template}: {e}"));
        }
        self.routes.push(Route {
            method,
            template,
            handler: Box::new(move |state, req| {
                let answer = handler(state, req);
                Box::pin(async move { answer.await.map_err(Into::into) })
            }),
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

    /// Routes that conflict with an earlier one; empty for a table that can run.
    pub fn conflicts(&self) -> &[String] {
        &self.conflicts
    }

    /// Finds the route, runs it, renders any error. Never fails: every outcome is a response.
    pub async fn dispatch(&self, state: Arc<S>, req: Request) -> Response<Body> {
        let found = match req.request_context_ref() {
            Some(RequestContext::ApiGatewayV1(ctx)) => {
                let resource = ctx.resource_path.as_deref().unwrap_or_default();
                self.routes
                    .iter()
                    .position(|r| r.method == req.method() && r.template == resource)
                    .map(|index| (index, routed_params(&req)))
            }
            _ => self.match_path(req.method(), req.raw_http_path()),
        };
        let (route, params) = match found {
            Some((index, params)) => (self.routes.get(index), params),
            None => (None, Vec::new()),
        };
        let request = ApiRequest::new(req, params);
        let request_id = request.request_id().to_owned();
        let result = match route {
            Some(route) => (route.handler)(state, request).await,
            // API Gateway only routes the template's routes; this is `cargo lambda invoke`
            // with a wrong sample event, or a template/route-table drift.
            None => Err(ApiError::NotFound("no such route".to_owned())),
        };
        result.unwrap_or_else(|err| error_response(&err, &request_id))
    }

    /// The route and the decoded path parameters of a path, for events that name no route.
    fn match_path(&self, method: &Method, path: &str) -> Option<(usize, PathParams)> {
        let path = match path.trim_end_matches('/') {
            "" => "/",
            trimmed => trimmed,
        };
        let matched = self.by_path.get(method)?.at(path).ok()?;
        let params = matched
            .params
            .iter()
            .map(|(name, raw)| (name.to_owned(), percent_decode(raw)))
            .collect();
        Some((*matched.value, params))
    }
}

/// Path parameters by name.
type PathParams = Vec<(String, String)>;

/// The path parameters API Gateway decoded for the route it matched.
fn routed_params(req: &Request) -> PathParams {
    req.path_parameters_ref()
        .map(|params| {
            params
                .iter()
                .map(|(name, value)| (name.to_owned(), value.to_owned()))
                .collect()
        })
        .unwrap_or_default()
}

/// A path segment as its caller meant it: `%XX` escapes decoded as bytes, anything that
/// is not an escape kept as is, invalid UTF-8 replaced.
fn percent_decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

/// Runs an API function: one span per invocation, every request dispatched through the
/// router with the state built once in `main`, every answer with its CORS headers.
pub async fn run<S: Send + Sync + 'static>(
    router: Router<S>,
    state: S,
) -> Result<(), lambda_http::Error> {
    if !router.conflicts().is_empty() {
        return Err(format!("conflicting routes: {}", router.conflicts().join("; ")).into());
    }
    let cors = Arc::new(super::Cors::from_env()?);
    let router = Arc::new(router);
    let state = Arc::new(state);
    lambda_http::run(service_fn(move |req: Request| {
        let router = Arc::clone(&router);
        let state = Arc::clone(&state);
        let cors = Arc::clone(&cors);
        async move {
            let request_id = req
                .lambda_context_ref()
                .map(|c| c.request_id.clone())
                .unwrap_or_default();
            let span = crate::telemetry::invocation_span(&request_id);
            let mut response = router.dispatch(state, req).instrument(span).await;
            cors.apply(&mut response);
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
                crate::http::json::<_, ApiError>(
                    http::StatusCode::OK,
                    &json!({"id": req.path_param("id")?, "body": body}),
                )
            })
            .route(Method::GET, "/v1/me", |_, req| async move {
                let caller = req.caller()?;
                crate::http::json::<_, ApiError>(
                    http::StatusCode::OK,
                    &json!({"sub": caller.user_id}),
                )
            })
    }

    /// A REST API (v1) proxy event, as API Gateway sends it, with the authorizer's claims
    /// and the path parameters it decoded.
    fn rest_event(method: &str, resource: &str, path: &str, body: Option<&str>) -> Value {
        let params: serde_json::Map<String, Value> = resource
            .split('/')
            .zip(path.split('/'))
            .filter_map(|(t, p)| {
                let name = t.strip_prefix('{')?.strip_suffix('}')?;
                Some((name.to_owned(), json!(percent_decode(p))))
            })
            .collect();
        json!({
            "resource": resource, "path": path, "httpMethod": method,
            "pathParameters": if params.is_empty() { Value::Null } else { Value::Object(params) },
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

    fn matched(
        router: &Router<()>,
        method: Method,
        path: &str,
    ) -> Option<(&'static str, PathParams)> {
        router
            .match_path(&method, path)
            .map(|(i, params)| (router.routes[i].template, params))
    }

    fn users_router() -> Router<()> {
        let ok = |_: Arc<()>, _: ApiRequest| async {
            crate::http::json::<_, ApiError>(http::StatusCode::OK, &())
        };
        Router::new()
            .route(Method::GET, "/v1/users", ok)
            .route(Method::GET, "/v1/users/{id}", ok)
            .route(Method::GET, "/v1/users/me", ok)
            .route(Method::DELETE, "/v1/users/me", ok)
    }

    #[test]
    fn paths_match_exact_segments_first_and_capture_params() {
        let r = users_router();
        assert!(r.conflicts().is_empty(), "{:?}", r.conflicts());
        assert_eq!(
            matched(&r, Method::GET, "/v1/users/me"),
            Some(("/v1/users/me", vec![])),
            "a literal segment beats a parameter, whatever the order of the table"
        );
        assert_eq!(
            matched(&r, Method::GET, "/v1/users/abc%2D1"),
            Some((
                "/v1/users/{id}",
                vec![("id".to_owned(), "abc-1".to_owned())]
            ))
        );
        assert_eq!(
            matched(&r, Method::GET, "/v1/users/"),
            Some(("/v1/users", vec![]))
        );
        assert_eq!(matched(&r, Method::GET, "/v1/users/a/b"), None);
        assert_eq!(matched(&r, Method::POST, "/v1/users"), None);
        assert_eq!(matched(&r, Method::DELETE, "/v1/users/someone"), None);
    }

    #[test]
    fn a_table_with_conflicting_routes_says_so() {
        let ok = |_: Arc<()>, _: ApiRequest| async {
            crate::http::json::<_, ApiError>(http::StatusCode::OK, &())
        };
        let r: Router<()> = Router::new()
            .route(Method::GET, "/v1/users/{id}", ok)
            .route(Method::GET, "/v1/users/{user}", ok);
        assert_eq!(r.conflicts().len(), 1, "{:?}", r.conflicts());
        assert!(r.conflicts()[0].contains("/v1/users/{user}"));
    }

    #[test]
    fn malformed_and_non_ascii_path_parameters_never_panic() {
        let r = users_router();
        let param = |path: &str| matched(&r, Method::GET, path).map(|(_, p)| p[0].1.clone());
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

    #[tokio::test]
    async fn a_rest_event_is_dispatched_on_its_resource_with_api_gateways_parameters() {
        // API Gateway decoded the parameter already: taken as given, never decoded twice.
        let mut event = rest_event(
            "POST",
            "/v1/things/{id}/echo",
            "/v1/things/a%2525b/echo",
            Some("{}"),
        );
        event["pathParameters"] = json!({"id": "a%25b"});
        let (status, _, body) = send(event).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["id"], "a%25b");
        // A resource the table does not have is a 404, whatever the path looks like.
        let (status, _, body) = send(rest_event(
            "POST",
            "/v1/other/{id}/echo",
            "/v1/things/x/echo",
            Some("{}"),
        ))
        .await;
        assert_eq!((status, &body["error"]["code"]), (404, &json!("NOT_FOUND")));
    }
}
