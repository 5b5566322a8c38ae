//! A recording reverse proxy in front of moto, one per function. Every call the
//! function's AWS SDK clients send passes through it, so calls are counted where they
//! leave the client, the time an invocation spent waiting on AWS (moto) is known, and so
//! are the DynamoDB request units each call would be billed (`capacity`).

use crate::capacity::{self, Tables, Units};
use anyhow::{Context as _, Result};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use moto_runner::call_log::{sequential_depth, Call};
use std::sync::{Arc, Mutex};
use std::time::Instant;

#[derive(Clone)]
struct Forward {
    moto_url: String,
    client: reqwest::Client,
    calls: Arc<Mutex<Vec<Call>>>,
    units: Arc<Mutex<Units>>,
    tables: Arc<Tables>,
}

/// A running proxy; dropping it stops it.
pub struct AwsProxy {
    /// The `AWS_ENDPOINT_URL` to give the function.
    pub url: String,
    calls: Arc<Mutex<Vec<Call>>>,
    units: Arc<Mutex<Units>>,
    task: tokio::task::JoinHandle<()>,
}

impl AwsProxy {
    /// Listens on a free loopback port and forwards everything to `moto_url`; DynamoDB
    /// calls are billed against `tables`.
    pub async fn start(moto_url: &str, tables: Arc<Tables>) -> Result<AwsProxy> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .context("binding the AWS proxy")?;
        let url = format!("http://{}", listener.local_addr()?);
        let calls = Arc::new(Mutex::new(Vec::new()));
        let units = Arc::new(Mutex::new(Units::default()));
        let state = Forward {
            moto_url: moto_url.trim_end_matches('/').to_owned(),
            client: reqwest::Client::builder()
                .pool_max_idle_per_host(16)
                .build()
                .context("building the proxy's client")?,
            calls: calls.clone(),
            units: units.clone(),
            tables,
        };
        let app = axum::Router::new().fallback(forward).with_state(state);
        let task = tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, app).await {
                tracing::warn!("AWS proxy stopped: {e}");
            }
        });
        Ok(AwsProxy {
            url,
            calls,
            units,
            task,
        })
    }

    /// The calls recorded since the last `take`.
    pub fn take(&self) -> Vec<Call> {
        std::mem::take(&mut *self.calls.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// The DynamoDB request units of the calls since the last `take_units`.
    pub fn take_units(&self) -> Units {
        std::mem::take(&mut *self.units.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

impl Drop for AwsProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn forward(
    State(fwd): State<Forward>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let start = Instant::now();
    let operation = operation_name(&method, &uri, &headers, &body);
    let path = uri.path_and_query().map_or("/", |p| p.as_str());
    let dynamodb_request = operation.strip_prefix("dynamodb.").map(|op| {
        (
            op.to_owned(),
            serde_json::from_slice(&body).unwrap_or_default(),
        )
    });
    let mut request = fwd
        .client
        .request(method, format!("{}{path}", fwd.moto_url))
        .body(body);
    for (name, value) in &headers {
        // The client sets these for its own connection to moto.
        if !matches!(name.as_str(), "host" | "content-length" | "connection") {
            request = request.header(name, value);
        }
    }
    let answer = match request.send().await {
        Ok(r) => r,
        Err(e) => return (StatusCode::BAD_GATEWAY, e.to_string()).into_response(),
    };
    let status = answer.status();
    let mut out_headers = HeaderMap::new();
    for (name, value) in answer.headers() {
        if !matches!(
            name.as_str(),
            "content-length" | "connection" | "transfer-encoding"
        ) {
            out_headers.append(name, value.clone());
        }
    }
    let body = match answer.bytes().await {
        Ok(b) => b,
        Err(e) => return (StatusCode::BAD_GATEWAY, e.to_string()).into_response(),
    };
    if let Some((op, request)) = dynamodb_request.filter(|_| status.is_success()) {
        let answer = serde_json::from_slice(&body).unwrap_or_default();
        let units = capacity::of_call(&op, &request, &answer, &fwd.tables);
        let mut total = fwd.units.lock().unwrap_or_else(|e| e.into_inner());
        *total = *total + units;
    }
    fwd.calls
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(Call {
            operation,
            started: start,
            ended: Instant::now(),
        });
    (status, out_headers, body).into_response()
}

/// `service.Operation` from what every SDK protocol carries: the SigV4 credential scope
/// names the service; JSON protocols name the operation in X-Amz-Target, query protocols
/// in the `Action` form field, REST protocols only by method and path.
fn operation_name(method: &Method, uri: &Uri, headers: &HeaderMap, body: &[u8]) -> String {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    // Cognito's sign-up and sign-in calls are unsigned; their target names the service.
    let service = header("authorization")
        .and_then(|a| a.split("Credential=").nth(1))
        .and_then(|c| c.split('/').nth(3))
        .or_else(|| {
            header("x-amz-target")
                .filter(|t| t.starts_with("AWSCognitoIdentityProviderService."))
                .map(|_| "cognito-idp")
        })
        .unwrap_or("aws");
    let operation = header("x-amz-target")
        .and_then(|t| t.rsplit('.').next())
        .map(str::to_owned)
        .or_else(|| {
            std::str::from_utf8(body).ok().and_then(|form| {
                form.split('&')
                    .find_map(|pair| pair.strip_prefix("Action="))
                    .map(str::to_owned)
            })
        })
        .unwrap_or_else(|| format!("{method} {}", uri.path()));
    format!("{service}.{operation}")
}

/// Calls of one invocation, summarised: how many, in which order, and how deep the
/// longest chain of calls that each waited for the previous one.
#[derive(Debug, Clone, PartialEq)]
pub struct RoundTrips {
    pub calls: usize,
    pub depth: usize,
    pub operations: Vec<String>,
}

impl RoundTrips {
    pub fn of(calls: &[Call]) -> RoundTrips {
        let mut sorted: Vec<&Call> = calls.iter().collect();
        sorted.sort_by_key(|c| c.started);
        RoundTrips {
            calls: calls.len(),
            depth: sequential_depth(calls),
            operations: sorted.iter().map(|c| c.operation.clone()).collect(),
        }
    }
}

/// Time covered by at least one call (overlapping calls count once).
pub fn time_in_aws(calls: &[Call]) -> std::time::Duration {
    let mut spans: Vec<(Instant, Instant)> = calls.iter().map(|c| (c.started, c.ended)).collect();
    spans.sort();
    let mut total = std::time::Duration::ZERO;
    let mut current: Option<(Instant, Instant)> = None;
    for (start, end) in spans {
        current = match current {
            Some((s, e)) if start <= e => Some((s, e.max(end))),
            Some((s, e)) => {
                total += e - s;
                Some((start, end))
            }
            None => Some((start, end)),
        };
    }
    if let Some((s, e)) = current {
        total += e - s;
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn call(op: &str, base: Instant, from_ms: u64, to_ms: u64) -> Call {
        Call {
            operation: op.to_owned(),
            started: base + Duration::from_millis(from_ms),
            ended: base + Duration::from_millis(to_ms),
        }
    }

    #[test]
    fn concurrent_calls_are_one_round_and_their_time_counts_once() {
        let t = Instant::now();
        let calls = [
            call("dynamodb.PutItem", t, 0, 4),
            call("dynamodb.BatchGetItem", t, 1, 5),
            call("dynamodb.TransactWriteItems", t, 6, 9),
        ];
        let trips = RoundTrips::of(&calls);
        assert_eq!((trips.calls, trips.depth), (3, 2));
        assert_eq!(trips.operations[2], "dynamodb.TransactWriteItems");
        assert_eq!(time_in_aws(&calls), Duration::from_millis(8));
    }

    #[test]
    fn sequential_calls_are_as_deep_as_they_are_many() {
        let t = Instant::now();
        let calls = [
            call("a.A", t, 0, 1),
            call("a.B", t, 1, 2),
            call("a.C", t, 3, 4),
        ];
        assert_eq!(RoundTrips::of(&calls).depth, 3);
        assert_eq!(time_in_aws(&calls), Duration::from_millis(3));
        assert_eq!(RoundTrips::of(&[]).depth, 0);
    }

    #[test]
    fn operations_are_named_from_each_protocol() {
        let mut h = HeaderMap::new();
        h.insert(
            "authorization",
            "AWS4-HMAC-SHA256 Credential=AKID/20261124/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=x"
                .parse()
                .unwrap(),
        );
        h.insert("x-amz-target", "DynamoDB_20120810.GetItem".parse().unwrap());
        let uri: Uri = "/".parse().unwrap();
        assert_eq!(
            operation_name(&Method::POST, &uri, &h, b"{}"),
            "dynamodb.GetItem"
        );
        h.remove("x-amz-target");
        assert_eq!(
            operation_name(
                &Method::POST,
                &uri,
                &h,
                b"Action=Publish&Version=2010-03-31"
            ),
            "dynamodb.Publish"
        );
        let mut unsigned = HeaderMap::new();
        unsigned.insert(
            "x-amz-target",
            "AWSCognitoIdentityProviderService.SignUp".parse().unwrap(),
        );
        assert_eq!(
            operation_name(&Method::POST, &uri, &unsigned, b"{}"),
            "cognito-idp.SignUp"
        );
        let rest: Uri = "/v2/email/outbound-emails".parse().unwrap();
        assert_eq!(
            operation_name(&Method::POST, &rest, &HeaderMap::new(), b"{}"),
            "aws.POST /v2/email/outbound-emails"
        );
    }
}
