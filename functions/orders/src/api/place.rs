//! POST /v1/orders: checkout -> a PENDING order priced from the catalog projection, once
//! per Idempotency-Key. The pricing reads run while the key is claimed, so a placement is
//! two sequential round trips: {claim, price read}, then the order's transaction. A
//! committed placement is counted (OrdersPlaced); a replay never reaches it.

use super::views::{order_location, OrderView};
use super::CheckoutBody;
use crate::domain::{price, Checkout, Order, OrderId, PricedOrder, ProductId};
use crate::error::OrdersError;
use crate::App;
use shared::http::{Answer, ApiRequest};
use shared::idempotency::{Claim, StoredResponse};
use shared::metrics::BusinessMetric;
use shared::store::StoreError;
use shared::{ApiError, Caller};
use std::sync::Arc;

/// POST /v1/orders
pub async fn place_order(app: Arc<App>, req: ApiRequest) -> Answer<OrdersError> {
    let caller = req.caller()?;
    // The idempotency layer stores a 4xx answer with its key, so it sees the steps'
    // errors as the HTTP answers they become.
    let (app, caller) = (&app, &caller);
    let prepare = async { priced_checkout(app, &req).await.map_err(ApiError::from) };
    let answer = app
        .idempotency
        .run_prepared(
            &req,
            caller,
            prepare,
            |claim, (checkout, priced)| async move {
                place(app, caller, claim, checkout, priced)
                    .await
                    .map_err(ApiError::from)
            },
        )
        .await?;
    Ok(answer)
}

/// The checkout the body describes with its prices from the projection. Reads only: it
/// runs before the request is known to hold its key.
async fn priced_checkout(
    app: &App,
    req: &ApiRequest,
) -> Result<(Checkout, PricedOrder), OrdersError> {
    let body: CheckoutBody = req.json()?;
    let checkout = Checkout::try_from(&body)?;
    let ids: Vec<&ProductId> = checkout.lines.iter().map(|l| &l.product_id).collect();
    let catalog = app.prices.get_many(&ids).await?;
    let priced = price(&checkout.lines, &catalog).map_err(OrdersError::Unplaceable)?;
    Ok((checkout, priced))
}

/// Places the priced checkout as a new order; the answer is stored with the order, in
/// the same transaction, as the completion of `claim`.
async fn place(
    app: &App,
    caller: &Caller,
    claim: Claim,
    checkout: Checkout,
    priced: PricedOrder,
) -> Result<StoredResponse, OrdersError> {
    let order = Order::place(
        OrderId::generate(),
        &caller.user_id,
        checkout,
        priced,
        shared::time::now(),
    );
    // The order id is its events' correlation id: from here on, this request's log
    // lines join the order's journey.
    shared::telemetry::correlate(order.id.as_str());
    let answer = StoredResponse::created(&order_location(&order), &OrderView::from(&order))?;
    let completion = app.idempotency.completion(&claim, &answer)?;
    match app.orders.place(&order, completion).await {
        Ok(()) => {
            tracing::info!(
                order_id = order.id.as_str(),
                lines = order.lines.len(),
                "order placed"
            );
            app.metrics.emit(BusinessMetric::OrdersPlaced);
            Ok(answer)
        }
        Err(StoreError::ConditionFailed) => Err(OrdersError::Superseded),
        Err(other) => Err(other.into()),
    }
}
