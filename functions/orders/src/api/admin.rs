//! GET /v1/admin/orders: every order, newest first, optionally in one status.

use super::views::OrderView;
use crate::domain::OrderStatus;
use crate::error::OrdersError;
use crate::store::OrderListing;
use crate::App;
use lambda_http::http::StatusCode;
use shared::http::{json, Answer, ApiRequest};
use shared::pagination::{CursorScope, Limit, Page};
use shared::FieldError;
use std::sync::Arc;

/// GET /v1/admin/orders?status=&limit=&cursor=
pub async fn list_orders(app: Arc<App>, req: ApiRequest) -> Answer<OrdersError> {
    let caller = req.caller()?;
    caller.require_admin()?;
    let limit = Limit::parse(req.query("limit").as_deref())?;
    let listing = match req.query("status") {
        None => OrderListing::All,
        Some(raw) => OrderListing::InStatus(OrderStatus::parse(&raw).ok_or_else(|| {
            let names: Vec<&str> = OrderStatus::ALL.iter().map(|s| s.as_str()).collect();
            OrdersError::Invalid(vec![FieldError::new(
                "status",
                format!("must be one of {}", names.join(", ")),
            )])
        })?),
    };
    let scope = CursorScope::new(Some(&caller.user_id), &req.query_fingerprint());
    let start = app.cursors.decode(req.query("cursor").as_deref(), &scope)?;
    let (orders, last_key) = app.orders.list(&listing, limit.get(), start).await?;
    let page = Page {
        items: orders.iter().map(OrderView::from).collect(),
        next_cursor: app.cursors.encode(last_key.as_ref(), &scope)?,
    };
    json(StatusCode::OK, &page)
}
