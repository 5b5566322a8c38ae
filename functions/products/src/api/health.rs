//! GET /v1/health: public, for an uptime monitor. A 200 says API Gateway reached a
//! running products-api; it reads no table (a monitor polling it costs no capacity and
//! cannot fail on a throttled read) and shows the version and nothing else.

use crate::error::ProductsError;
use crate::App;
use lambda_http::http::StatusCode;
use serde::Serialize;
use shared::http::{json, Answer, ApiRequest};
use std::sync::Arc;

#[derive(Serialize)]
struct Health {
    status: &'static str,
    version: &'static str,
}

/// GET /v1/health
pub async fn health(_app: Arc<App>, _req: ApiRequest) -> Answer<ProductsError> {
    let health = Health {
        status: "ok",
        version: env!("CARGO_PKG_VERSION"),
    };
    json(StatusCode::OK, &health)
}
