//! The local REST API front: serves exactly the template's `Type: Api` events, with the
//! Cognito authorizer, the v1 proxy integration and the template's gateway responses.

pub mod auth;
pub mod cors;
pub mod event;
pub mod gateway;
pub mod routes;

use crate::functions::FunctionPlan;
use crate::lambda::InvokeError;
use anyhow::{anyhow, bail, Context as _, Result};
use auth::{CognitoAuthorizer, Verifier};
use axum::body::Body;
use axum::extract::{ConnectInfo, State};
use axum::response::Response;
use chrono::Utc;
use gateway::{GatewayResponse, Kind, Vars};
use routes::Segment;
use serde_json::Value;
use stack_model::provision::{is_enabled, SERVERLESS_API};
use stack_model::template::intrinsics::random_id;
use stack_model::template::{Context, Template};
use std::collections::BTreeMap;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use tokio::sync::watch;

/// API Gateway's maximum payload (the functions enforce their own, smaller limit).
pub const BODY_LIMIT: usize = 10 * 1024 * 1024;

/// SAM's name for the API it creates for Api events without RestApiId.
const IMPLICIT_API: &str = "ServerlessRestApi";

const API_SUPPORTED: &[&str] = &[
    "StageName",
    "Cors",
    "Auth",
    "GatewayResponses",
    "BinaryMediaTypes",
    "Variables",
];
const API_IGNORED: &[&str] = &[
    "TracingEnabled",
    "AccessLogSetting",
    "MethodSettings",
    "EndpointConfiguration",
    "Tags",
    "Description",
    "Name",
    "OpenApiVersion",
    "CacheClusterEnabled",
    "CacheClusterSize",
    "MinimumCompressionSize",
    "DisableExecuteApiEndpoint",
    "AlwaysDeploy",
    "PropagateTags",
    "FailOnWarnings",
    "CanarySetting",
    "Models",
    "ApiKeySourceType",
    "MergeDefinitions",
];
const AUTH_SUPPORTED: &[&str] = &[
    "DefaultAuthorizer",
    "Authorizers",
    "AddDefaultAuthorizerToCorsPreflight",
    "AddApiKeyRequiredToCorsPreflight",
];

pub type InvokeFuture = Pin<Box<dyn Future<Output = Result<Value, InvokeError>> + Send>>;
/// Invokes a function (by logical id) with an event.
pub type Invoker = Arc<dyn Fn(&str, Value) -> InvokeFuture + Send + Sync>;

#[derive(Debug, Clone)]
pub struct ApiConfig {
    pub logical_id: String,
    pub api_id: String,
    pub stage: String,
    pub responses: BTreeMap<String, GatewayResponse>,
    pub binary_media_types: Vec<String>,
    pub stage_variables: BTreeMap<String, String>,
    /// Its `Cors`: OPTIONS on its paths are preflights.
    pub cors: Option<cors::Cors>,
}

#[derive(Debug, Clone)]
pub struct Route {
    pub api: usize,
    pub method: String,
    pub path: String,
    pub segments: Vec<Segment>,
    pub function: String,
    pub resource_id: String,
    /// None = public (Auth.Authorizer: NONE, or no default authorizer).
    pub auth: Option<CognitoAuthorizer>,
}

pub struct Front {
    pub apis: Vec<ApiConfig>,
    pub routes: Vec<Route>,
    verifier: Verifier,
    invoke: Invoker,
}

/// Fails fast on API features the local front cannot honour.
pub fn check_apis(template: &Template) -> Result<()> {
    for r in template
        .resources
        .iter()
        .filter(|r| r.type_ == SERVERLESS_API)
    {
        let props = template.effective_properties(r);
        for k in props
            .as_object()
            .map(|m| m.keys().collect::<Vec<_>>())
            .unwrap_or_default()
        {
            if !API_SUPPORTED.contains(&k.as_str()) && !API_IGNORED.contains(&k.as_str()) {
                bail!(
                    "resource {} (AWS::Serverless::Api): property {k} is not supported by the local cloud",
                    r.logical_id
                );
            }
        }
        if let Some(Value::Object(a)) = props.get("Auth") {
            for k in a.keys() {
                if !AUTH_SUPPORTED.contains(&k.as_str()) {
                    bail!(
                        "resource {} (AWS::Serverless::Api): Auth.{k} is not supported by the local cloud",
                        r.logical_id
                    );
                }
            }
        }
    }
    Ok(())
}

/// A short stable id per resource path, like API Gateway's resource ids.
fn resource_id(path: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in path.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{:06x}", h & 0xff_ffff)
}

fn authorizers(
    api_id: &str,
    auth: &Value,
    ctx: &Context,
) -> Result<BTreeMap<String, CognitoAuthorizer>> {
    let mut out = BTreeMap::new();
    let Some(Value::Object(defs)) = auth.get("Authorizers") else {
        return Ok(out);
    };
    for (name, def) in defs {
        if def.get("FunctionArn").is_some() {
            bail!("{api_id}: authorizer {name} is a Lambda authorizer; only Cognito authorizers run locally");
        }
        let arns: Vec<String> = match def.get("UserPoolArn") {
            Some(Value::String(s)) => vec![s.clone()],
            Some(Value::Array(a)) => a
                .iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect(),
            _ => bail!("{api_id}: authorizer {name} has no UserPoolArn"),
        };
        let pool_ids: Vec<String> = arns
            .iter()
            .map(|a| {
                a.rsplit_once("userpool/")
                    .map(|(_, id)| id.to_owned())
                    .ok_or_else(|| {
                        anyhow!("{api_id}: authorizer {name}: {a} is not a user pool ARN")
                    })
            })
            .collect::<Result<_>>()?;
        let client_ids = ctx
            .resources
            .values()
            .filter(|o| o.type_ == "AWS::Cognito::UserPoolClient")
            .filter(|o| {
                o.attrs
                    .get("UserPoolId")
                    .is_some_and(|p| pool_ids.contains(p))
            })
            .map(|o| o.ref_.clone())
            .collect();
        let header = def
            .get("Identity")
            .and_then(|i| i.get("Header"))
            .and_then(Value::as_str)
            .unwrap_or("Authorization")
            .to_owned();
        out.insert(
            name.clone(),
            CognitoAuthorizer {
                name: name.clone(),
                header,
                pool_ids,
                client_ids,
            },
        );
    }
    Ok(out)
}

/// Builds the front from the template's APIs and the functions' Api events.
pub fn build_front(
    template: &Template,
    ctx: &Context,
    plans: &[FunctionPlan],
    verifier: Verifier,
    invoke: Invoker,
) -> Result<Front> {
    let mut apis = Vec::new();
    let mut api_auth = Vec::new();
    for r in template
        .resources
        .iter()
        .filter(|r| r.type_ == SERVERLESS_API)
    {
        if !is_enabled(ctx, r)? {
            continue;
        }
        let props = ctx
            .resolve(&template.effective_properties(r))
            .with_context(|| format!("resource {}", r.logical_id))?;
        let id = &r.logical_id;
        let api_id = ctx
            .resources
            .get(id)
            .map(|o| o.ref_.clone())
            .unwrap_or_default();
        let auth = props.get("Auth").cloned().unwrap_or(Value::Null);
        let authorizers = authorizers(id, &auth, ctx)?;
        let default = auth
            .get("DefaultAuthorizer")
            .and_then(Value::as_str)
            .map(str::to_owned);
        if let Some(d) = &default {
            if d != "AWS_IAM" && !authorizers.contains_key(d) {
                bail!("{id}: DefaultAuthorizer {d} is not one of its Authorizers");
            }
        }
        apis.push(ApiConfig {
            logical_id: id.clone(),
            api_id,
            stage: props
                .get("StageName")
                .and_then(Value::as_str)
                .unwrap_or("Prod")
                .to_owned(),
            responses: gateway::parse_responses(props.get("GatewayResponses"))
                .with_context(|| format!("resource {id}"))?,
            cors: props
                .get("Cors")
                .map(cors::Cors::parse)
                .transpose()
                .with_context(|| format!("resource {id}"))?,
            binary_media_types: props
                .get("BinaryMediaTypes")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default(),
            stage_variables: props
                .get("Variables")
                .and_then(Value::as_object)
                .map(|m| {
                    m.iter()
                        .filter_map(|(k, v)| {
                            stack_model::template::intrinsics::scalar_string(v)
                                .map(|s| (k.clone(), s))
                        })
                        .collect()
                })
                .unwrap_or_default(),
        });
        api_auth.push((authorizers, default));
    }

    let mut routes: Vec<Route> = Vec::new();
    for plan in plans {
        for ev in &plan.api_events {
            let where_ = || format!("function {} event {}", ev.function, ev.event);
            let api_name = ev.api.clone().unwrap_or_else(|| IMPLICIT_API.to_owned());
            let idx = match apis.iter().position(|a| a.logical_id == api_name) {
                Some(i) => i,
                None if ev.api.is_none() => {
                    apis.push(ApiConfig {
                        logical_id: IMPLICIT_API.into(),
                        api_id: random_id(10)?,
                        stage: "Prod".into(),
                        responses: BTreeMap::new(),
                        binary_media_types: vec![],
                        stage_variables: BTreeMap::new(),
                        cors: None,
                    });
                    api_auth.push((BTreeMap::new(), None));
                    apis.len() - 1
                }
                None => bail!(
                    "{}: RestApiId {api_name} is not an AWS::Serverless::Api of the template",
                    where_()
                ),
            };
            let (authorizers, default) = &api_auth[idx];
            let chosen = match ev.authorizer.as_deref() {
                Some("NONE") => None,
                Some(name) => Some(name.to_owned()),
                None => default.clone(),
            };
            let auth = match chosen.as_deref() {
                None => None,
                Some("AWS_IAM") => bail!(
                    "{}: AWS_IAM authorization is not supported by the local cloud",
                    where_()
                ),
                Some(name) => Some(authorizers.get(name).cloned().ok_or_else(|| {
                    anyhow!(
                        "{}: authorizer {name} is not defined on {api_name}",
                        where_()
                    )
                })?),
            };
            let segments =
                routes::parse_path(&ev.path).map_err(|e| anyhow!("{}: {e}", where_()))?;
            if let Some(dup) = routes
                .iter()
                .find(|r| r.segments == segments && r.method == ev.method)
            {
                bail!(
                    "{}: {} {} is also routed to {}",
                    where_(),
                    ev.method,
                    ev.path,
                    dup.function
                );
            }
            routes.push(Route {
                api: idx,
                method: ev.method.clone(),
                path: ev.path.clone(),
                segments,
                function: ev.function.clone(),
                resource_id: resource_id(&ev.path),
                auth,
            });
        }
    }
    Ok(Front {
        apis,
        routes,
        verifier,
        invoke,
    })
}

impl Front {
    pub fn router(self: Arc<Self>) -> axum::Router {
        axum::Router::new().fallback(handle).with_state(self)
    }

    /// The gateway responses used when no route matched: those of the only API (or
    /// the first one: with several APIs on one port there is no better choice).
    fn default_api(&self) -> Option<&ApiConfig> {
        self.apis.first()
    }

    /// The answer to OPTIONS on `path` when it is a preflight: the path is one of an API
    /// with `Cors`, and no route of that path takes OPTIONS itself.
    fn preflight(&self, path: &str) -> Option<Vec<(String, String)>> {
        let on_path: Vec<&Route> = self
            .routes
            .iter()
            .filter(|r| routes::match_path(&r.segments, path).is_some())
            .collect();
        if on_path
            .iter()
            .any(|r| r.method == "OPTIONS" || r.method == "ANY")
        {
            return None;
        }
        let cors = self.apis[on_path.first()?.api].cors.as_ref()?;
        let methods: Vec<String> = on_path.iter().map(|r| r.method.clone()).collect();
        Some(cors.preflight_headers(&methods))
    }

    pub fn has_route(&self, method: &str, path: &str) -> bool {
        self.routes
            .iter()
            .any(|r| r.method.eq_ignore_ascii_case(method) && r.path == path)
    }
}

/// Serves until `shutdown` turns true.
pub fn serve(
    listener: tokio::net::TcpListener,
    front: Arc<Front>,
    mut shutdown: watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    use axum::serve::ListenerExt as _;
    // Without TCP_NODELAY delayed ACKs add ~40 ms to small responses.
    let listener = listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    let app = front
        .router()
        .into_make_service_with_connect_info::<SocketAddr>();
    tokio::spawn(async move {
        let result = axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                let _ = shutdown.wait_for(|stop| *stop).await;
            })
            .await;
        if let Err(e) = result {
            tracing::error!(error = %e, "REST front stopped");
        }
    })
}

fn build_response(
    status: u16,
    headers: &[(String, String)],
    body: Vec<u8>,
    request_id: &str,
) -> Response {
    let mut b = Response::builder().status(status);
    let mut has_ct = false;
    for (k, v) in headers {
        match (
            http::HeaderName::try_from(k.as_str()),
            http::HeaderValue::try_from(v.as_str()),
        ) {
            (Ok(name), Ok(value)) => {
                has_ct |= name == http::header::CONTENT_TYPE;
                b = b.header(name, value);
            }
            _ => tracing::warn!(header = %k, "dropping a response header that is not valid HTTP"),
        }
    }
    // API Gateway's default when the integration sets none.
    if !has_ct {
        b = b.header(http::header::CONTENT_TYPE, "application/json");
    }
    b = b.header("x-amzn-RequestId", request_id);
    b.body(Body::from(body)).unwrap_or_else(|e| {
        tracing::error!(error = %e, "cannot build a response");
        let mut r = Response::new(Body::empty());
        *r.status_mut() = http::StatusCode::INTERNAL_SERVER_ERROR;
        r
    })
}

async fn handle(
    State(front): State<Arc<Front>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    req: axum::extract::Request,
) -> Response {
    let now = Utc::now();
    let request_id = uuid::Uuid::now_v7().to_string();
    let (parts, body) = req.into_parts();
    let mut vars = Vars {
        request_id: request_id.clone(),
        request_time: event::request_time(now),
        request_time_epoch: now.timestamp_millis().to_string(),
        http_method: parts.method.to_string(),
        path: parts.uri.path().to_owned(),
        source_ip: peer.ip().to_string(),
        ..Vars::default()
    };
    let gateway = |front: &Front, api: Option<&ApiConfig>, kind: Kind, vars: &Vars| {
        let empty = BTreeMap::new();
        let responses = api.or(front.default_api()).map_or(&empty, |a| &a.responses);
        let (status, headers, body) = gateway::render(responses, kind, vars);
        build_response(status, &headers, body.into_bytes(), &vars.request_id)
    };

    let body = match axum::body::to_bytes(body, BODY_LIMIT).await {
        Ok(b) => b,
        Err(_) => return gateway(&front, None, Kind::RequestTooLarge, &vars),
    };
    let method = parts.method.as_str().to_ascii_uppercase();
    let path = parts.uri.path().to_owned();
    if method == "OPTIONS" {
        if let Some(headers) = front.preflight(&path) {
            return build_response(200, &headers, Vec::new(), &request_id);
        }
    }
    let Some((idx, path_params)) = routes::best_match(
        front
            .routes
            .iter()
            .map(|r| (r.segments.as_slice(), r.method.as_str())),
        &method,
        &path,
    ) else {
        return gateway(&front, None, Kind::MissingAuthenticationToken, &vars);
    };
    let route = &front.routes[idx];
    let api = &front.apis[route.api];
    vars.resource_path = route.path.clone();
    vars.stage = api.stage.clone();
    vars.api_id = api.api_id.clone();

    let mut headers: Vec<(String, String)> = parts
        .headers
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_owned(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    vars.domain_name = headers
        .iter()
        .find(|(k, _)| k == "host")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    // Headers API Gateway adds in front of every integration.
    for (k, v) in [
        ("X-Forwarded-For", peer.ip().to_string()),
        ("X-Forwarded-Port", peer.port().to_string()),
        ("X-Forwarded-Proto", "http".to_owned()),
        (
            "X-Amzn-Trace-Id",
            format!(
                "Root=1-{:08x}-{}",
                now.timestamp(),
                &uuid::Uuid::now_v7().simple().to_string()[..24]
            ),
        ),
    ] {
        if !headers.iter().any(|(h, _)| h.eq_ignore_ascii_case(k)) {
            headers.push((k.to_owned(), v));
        }
    }
    let request = event::Request {
        method: method.clone(),
        path: path.clone(),
        query: parts.uri.query().map(str::to_owned),
        headers,
        body: body.to_vec(),
        source_ip: peer.ip().to_string(),
        protocol: format!("{:?}", parts.version),
    };

    let claims = match &route.auth {
        None => None,
        Some(a) => match front.verifier.verify(request.header(&a.header), a).await {
            Ok(c) => Some(auth::render_claims(&c)),
            Err(e) => {
                tracing::info!(request_id = %request_id, route = %route.path, reason = %e, "401 from the Cognito authorizer");
                return gateway(&front, Some(api), Kind::Unauthorized, &vars);
            }
        },
    };

    let target = event::Target {
        api_id: &api.api_id,
        stage: &api.stage,
        resource_id: &route.resource_id,
        resource_path: &route.path,
        path_params: &path_params,
        stage_variables: Some(&api.stage_variables),
        binary_media_types: &api.binary_media_types,
    };
    let ev = event::proxy_event(&request, &target, claims.as_ref(), &request_id, now);
    let result = (front.invoke)(&route.function, ev).await;
    let failure = match result {
        Ok(v) => match event::proxy_response(&v) {
            Ok(r) => return build_response(r.status, &r.headers, r.body, &request_id),
            Err(e) => format!("Malformed Lambda proxy response: {e}"),
        },
        Err(InvokeError::Function {
            error_type,
            error_message,
        }) => {
            format!("function error {error_type}: {error_message}")
        }
        Err(InvokeError::Timeout) => "function timed out".to_owned(),
        Err(InvokeError::Crashed(m)) => format!("function crashed: {m}"),
        Err(InvokeError::Init(m)) => format!("function init failed: {m}"),
    };
    tracing::warn!(request_id = %request_id, function = %route.function, "{method} {path} -> 502: {failure}");
    gateway(&front, Some(api), Kind::IntegrationError, &vars)
}

#[cfg(test)]
mod tests;
