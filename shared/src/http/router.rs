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

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Ok(b) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
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
}
