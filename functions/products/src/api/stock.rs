//! POST /v1/products/{id}/stock: an admin's correction of available stock.

use super::views::StockView;
use crate::domain::{ProductId, StockDelta, MAX_STOCK};
use crate::error::ProductsError;
use crate::store::AdjustError;
use crate::App;
use lambda_http::http::StatusCode;
use serde::Deserialize;
use shared::http::{json, Answer, ApiRequest};
use shared::FieldError;
use std::sync::Arc;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Adjustment {
    delta: i64,
}

/// POST /v1/products/{id}/stock `{delta}` -> `{available, reserved}`
pub async fn adjust_stock(app: Arc<App>, req: ApiRequest) -> Answer<ProductsError> {
    req.caller()?.require_admin()?;
    let id = ProductId::parse(req.path_param("id")?).ok_or(ProductsError::NotFound)?;
    shared::telemetry::correlate(id.as_str());
    let body: Adjustment = req.json()?;
    let delta = StockDelta::new(body.delta).ok_or_else(|| {
        ProductsError::invalid(FieldError::new(
            "delta",
            format!("must be a non-zero integer from -{MAX_STOCK} to {MAX_STOCK}"),
        ))
    })?;
    let level = app
        .catalog
        .adjust_stock(&id, delta)
        .await
        .map_err(|e| match e {
            AdjustError::NotFound => ProductsError::NotFound,
            AdjustError::Refused(refused) => ProductsError::Stock(refused),
            AdjustError::Store(store) => ProductsError::Store(store),
        })?;
    tracing::info!(
        product_id = id.as_str(),
        delta = delta.get(),
        "stock adjusted"
    );
    json(StatusCode::OK, &StockView::from(level))
}
