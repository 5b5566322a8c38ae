//! The benchmark floor: a hello-world on `lambda_runtime` with our tokio, features and
//! release profile and nothing else (no tracing setup, no AWS config, no table), so
//! `make bench` can tell what the runtime itself costs from what our functions add.

use lambda_runtime::{service_fn, Error, LambdaEvent};
use serde_json::{json, Value};

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::run(service_fn(hello)).await
}

/// Answers any JSON event as API Gateway expects a 200 to look.
async fn hello(_event: LambdaEvent<Value>) -> Result<Value, Error> {
    Ok(json!({ "statusCode": 200, "body": "hello" }))
}
