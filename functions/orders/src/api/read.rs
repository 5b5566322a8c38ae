//! A caller's own orders: GET /v1/orders and GET /v1/orders/{id}.

use super::views::{order_ok, OrderView};
use crate::domain::{Order, OrderId};
use crate::error::OrdersError;
use crate::store::OrderListing;
use crate::App;
use lambda_http::http::StatusCode;
use shared::http::{json, Answer, ApiRequest};
use shared::pagination::Paging;
use shared::Caller;
use std::sync::Arc;

/// GET /v1/orders?limit=&cursor=: the caller's orders, newest first.
pub async fn list_own_orders(app: Arc<App>, req: ApiRequest) -> Answer<OrdersError> {
    let caller = req.caller()?;
    let Paging { limit, start, next } = app.cursors.paging(&req, Some(&caller.user_id))?;
    let listing = OrderListing::OwnedBy(caller.user_id.clone());
    let (orders, last_key) = app.orders.list(&listing, limit, start).await?;
    let views = orders.iter().map(OrderView::from).collect();
    json(StatusCode::OK, &next.page(views, last_key.as_ref())?)
}

/// GET /v1/orders/{id}: 404 for someone else's order, as for a missing one.
pub async fn get_own_order(app: Arc<App>, req: ApiRequest) -> Answer<OrdersError> {
    let caller = req.caller()?;
    let order = own_order(&app, &req, &caller).await?;
    order_ok(&order)
}

/// The order of the path's `{id}` if the caller placed it; the request's log lines are
/// correlated with that order from here on.
pub(super) async fn own_order(
    app: &App,
    req: &ApiRequest,
    caller: &Caller,
) -> Result<Order, OrdersError> {
    let id = OrderId::parse(req.path_param("id").map_err(|_| OrdersError::NotFound)?)
        .ok_or(OrdersError::NotFound)?;
    shared::telemetry::correlate(id.as_str());
    app.orders
        .get(&id)
        .await?
        .filter(|o| o.is_owned_by(&caller.user_id))
        .ok_or(OrdersError::NotFound)
}
