//! The floor is a working function: exec'd as the devstack does, under a one-event Runtime
//! API, it takes the invocation and answers hello.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::Router;
use serde_json::{json, Value};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::process::Command;
use tokio::sync::mpsc;

const REQUEST_ID: &str = "8476a536-e9f4-11e8-9739-2dfe598c3fcd";

#[derive(Clone)]
struct RuntimeApi {
    /// The one event to hand out; later polls wait forever, as with no traffic.
    event: Arc<Mutex<Option<Value>>>,
    /// What the function posted: (request id, outcome, body).
    posted: mpsc::UnboundedSender<(String, String, Bytes)>,
}

async fn next(State(api): State<RuntimeApi>) -> impl IntoResponse {
    let event = api.event.lock().unwrap().take();
    let Some(event) = event else {
        return std::future::pending().await;
    };
    let deadline = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        + Duration::from_secs(30);
    (
        [
            ("lambda-runtime-aws-request-id", REQUEST_ID.to_owned()),
            (
                "lambda-runtime-deadline-ms",
                deadline.as_millis().to_string(),
            ),
            (
                "lambda-runtime-invoked-function-arn",
                "arn:aws:lambda:us-east-1:123456789012:function:HelloFloor".to_owned(),
            ),
        ],
        axum::Json(event),
    )
}

async fn posted(
    State(api): State<RuntimeApi>,
    Path((id, outcome)): Path<(String, String)>,
    body: Bytes,
) -> StatusCode {
    api.posted.send((id, outcome, body)).unwrap();
    StatusCode::ACCEPTED
}

#[tokio::test]
async fn the_floor_answers_any_event_with_hello() {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let api = RuntimeApi {
        event: Arc::new(Mutex::new(Some(json!({"path": "/anything", "n": 1})))),
        posted: tx,
    };
    let app = Router::new()
        .route("/2018-06-01/runtime/invocation/next", get(next))
        .route(
            "/2018-06-01/runtime/invocation/{id}/{outcome}",
            post(posted),
        )
        .with_state(api);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let mut function = Command::new(env!("CARGO_BIN_EXE_hello-floor"))
        .env_clear()
        .env("AWS_LAMBDA_RUNTIME_API", address.to_string())
        .env("AWS_LAMBDA_FUNCTION_NAME", "HelloFloor")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();

    let (id, outcome, body) = tokio::time::timeout(Duration::from_secs(30), rx.recv())
        .await
        .expect("the floor answered within 30 s")
        .unwrap();
    assert_eq!(id, REQUEST_ID);
    assert_eq!(outcome, "response");
    let answer: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(answer, json!({"statusCode": 200, "body": "hello"}));
    assert!(
        function.try_wait().unwrap().is_none(),
        "still polling for the next event"
    );
    function.kill().await.unwrap();
}
