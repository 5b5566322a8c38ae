//! GET /v1/admin/orders: every order, newest first, optionally in one status.

use super::views::OrderView;
use crate::domain::OrderStatus;
use crate::error::OrdersError;
use crate::store::OrderListing;
use crate::App;
use lambda_http::http::StatusCode;
use shared::http::{json, Answer, ApiRequest};
use shared::pagination::Paging;
use shared::FieldError;
use std::sync::Arc;

/// GET /v1/admin/orders?status=&limit=&cursor=
pub async fn list_orders(app: Arc<App>, req: ApiRequest) -> Answer<OrdersError> {
    let caller = req.caller()?;
    caller.require_admin()?;
    let Paging { limit, start, next } = app.cursors.paging(&req, Some(&caller.user_id))?;
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
    let (orders, last_key) = app.orders.list(&listing, limit, start).await?;
    let views = orders.iter().map(OrderView::from).collect();
    json(StatusCode::OK, &next.page(views, last_key.as_ref())?)
}
