//! The Lambda Runtime API (2018-06-01) as seen by one process generation.

use super::{InFlight, Inner, InvokeError, InvokeReport};
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::json;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Lambda's synchronous payload limit, plus headroom for the JSON error envelope.
const MAX_BODY: usize = 7 * 1024 * 1024;

#[derive(Clone)]
pub(super) struct GenCtx {
    pub inner: Arc<Inner>,
    pub generation: u64,
}

pub(super) fn router(ctx: GenCtx) -> Router {
    Router::new()
        .route("/2018-06-01/runtime/invocation/next", get(next))
        .route(
            "/2018-06-01/runtime/invocation/{id}/response",
            post(response),
        )
        .route("/2018-06-01/runtime/invocation/{id}/error", post(error))
        .route("/2018-06-01/runtime/init/error", post(init_error))
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .with_state(ctx)
}

fn accepted() -> Response {
    (StatusCode::ACCEPTED, Json(json!({"status": "OK"}))).into_response()
}

fn runtime_error(status: StatusCode, error_type: &str, message: &str) -> Response {
    (
        status,
        Json(json!({"errorMessage": message, "errorType": error_type})),
    )
        .into_response()
}

fn stale() -> Response {
    // The process behind this request has been replaced or is being shut down.
    runtime_error(
        StatusCode::GONE,
        "Runtime.Stale",
        "this execution environment has been shut down",
    )
}

fn trace_id() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .as_secs();
    // The tail of a v7 UUID is random.
    let root = uuid::Uuid::now_v7().simple().to_string();
    let parent = uuid::Uuid::now_v7().simple().to_string();
    format!(
        "Root=1-{secs:08x}-{};Parent={};Sampled=0",
        &root[8..],
        &parent[16..]
    )
}

async fn next(State(ctx): State<GenCtx>) -> Response {
    // Subscribing before looking at the state means no change between the look and the
    // wait can be missed.
    let mut changes = ctx.inner.changed.subscribe();
    {
        let mut st = ctx.inner.lock();
        if st.generation == ctx.generation && st.init_duration.is_none() {
            st.init_duration = st.spawned_at.map(|t| t.elapsed());
        }
    }
    loop {
        {
            let mut st = ctx.inner.lock();
            // Only a process that is already gone is answered: lambda_runtime reads any
            // answer to /next as an invocation, so a live one told "stale" would panic on
            // the missing request id. A process being shut down waits here, as on Lambda,
            // until it is killed; the answer then only lets the server stop.
            if st.generation != ctx.generation || !st.alive {
                return stale();
            }
            let queued = if st.shut_down { None } else { st.queued.take() };
            if let Some(q) = queued {
                let timeout = ctx.inner.spec.timeout;
                let deadline_ms = SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .unwrap_or(Duration::ZERO)
                    .saturating_add(timeout)
                    .as_millis();
                let first = !st.served;
                st.served = true;
                st.in_flight = Some(InFlight {
                    id: q.id.clone(),
                    generation: ctx.generation,
                    deadline: Instant::now() + timeout,
                    outcome: q.outcome,
                    handed_at: Instant::now(),
                    init_duration: st.init_duration.filter(|_| first),
                });
                let _ = q.picked.send(());
                let mut headers = HeaderMap::new();
                let pairs = [
                    ("lambda-runtime-aws-request-id", q.id.clone()),
                    ("lambda-runtime-deadline-ms", deadline_ms.to_string()),
                    ("lambda-runtime-invoked-function-arn", ctx.inner.arn.clone()),
                    ("lambda-runtime-trace-id", trace_id()),
                    ("content-type", "application/json".to_string()),
                ];
                for (name, value) in pairs {
                    if let Ok(v) = HeaderValue::from_str(&value) {
                        headers.insert(name, v);
                    }
                }
                return (StatusCode::OK, headers, q.payload).into_response();
            }
        }
        if changes.changed().await.is_err() {
            return stale();
        }
    }
}

/// Takes the in-flight invocation if `id` names it and it belongs to this generation,
/// and files its report.
fn take_in_flight(ctx: &GenCtx, id: &str) -> Option<InFlight> {
    let mut st = ctx.inner.lock();
    match st.in_flight.take() {
        Some(f) if f.id == id && f.generation == ctx.generation => {
            st.last_report = Some(InvokeReport {
                request_id: f.id.clone(),
                duration: f.handed_at.elapsed(),
                init_duration: f.init_duration,
                max_memory_kib: None,
            });
            Some(f)
        }
        other => {
            st.in_flight = other;
            None
        }
    }
}

fn invalid_request_id() -> Response {
    runtime_error(
        StatusCode::BAD_REQUEST,
        "InvalidRequestID",
        "Invalid request ID (unknown, already answered or timed out)",
    )
}

async fn response(State(ctx): State<GenCtx>, Path(id): Path<String>, body: Bytes) -> Response {
    let Some(f) = take_in_flight(&ctx, &id) else {
        return invalid_request_id();
    };
    let value = if body.is_empty() {
        serde_json::Value::Null
    } else {
        // Lambda passes non-JSON responses through as they are; a string is the closest.
        serde_json::from_slice(&body).unwrap_or_else(|_| {
            serde_json::Value::String(String::from_utf8_lossy(&body).into_owned())
        })
    };
    let _ = f.outcome.send(Ok(value));
    ctx.inner.bump();
    accepted()
}

/// Reads `{errorMessage, errorType}` leniently: runtimes send all sorts of bodies.
fn parse_error(headers: &HeaderMap, body: &[u8]) -> (String, String) {
    let header_type = headers
        .get("lambda-runtime-function-error-type")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let parsed: Option<serde_json::Value> = serde_json::from_slice(body).ok();
    let field = |name: &str| {
        parsed
            .as_ref()
            .and_then(|v| v.get(name))
            .and_then(|v| v.as_str())
            .map(str::to_string)
    };
    let error_type = field("errorType")
        .or(header_type)
        .unwrap_or_else(|| "Unhandled".to_string());
    let error_message =
        field("errorMessage").unwrap_or_else(|| String::from_utf8_lossy(body).into_owned());
    (error_type, error_message)
}

async fn error(
    State(ctx): State<GenCtx>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(f) = take_in_flight(&ctx, &id) else {
        return invalid_request_id();
    };
    let (error_type, error_message) = parse_error(&headers, &body);
    let _ = f.outcome.send(Err(InvokeError::Function {
        error_type,
        error_message,
    }));
    ctx.inner.bump();
    accepted()
}

async fn init_error(State(ctx): State<GenCtx>, headers: HeaderMap, body: Bytes) -> Response {
    let (error_type, error_message) = parse_error(&headers, &body);
    {
        let mut st = ctx.inner.lock();
        if st.generation != ctx.generation {
            return stale();
        }
        st.init_error = Some(format!("{error_type}: {error_message}"));
    }
    tracing::warn!(function = %ctx.inner.spec.name, %error_type, %error_message, "init error");
    // Lambda resets the environment after an init error. The short delay lets the 202
    // reach a runtime that exits on its own, which is the normal case.
    let inner = ctx.inner.clone();
    let generation = ctx.generation;
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(200)).await;
        inner.kill(generation);
    });
    accepted()
}
