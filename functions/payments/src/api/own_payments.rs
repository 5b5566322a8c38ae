//! The buyer's routes: GET /v1/payments?order_id=.

use super::views::{PaymentList, PaymentView};
use crate::domain::{OrderId, OrderPayment};
use crate::error::PaymentsError;
use crate::App;
use lambda_http::http::StatusCode;
use shared::http::{json, Answer, ApiRequest};
use shared::FieldError;
use std::sync::Arc;

/// GET /v1/payments?order_id= -> `{"items": [...]}`: the caller's payment for that order.
/// Someone else's order gets the same empty list as an order without a payment, so the
/// answer says nothing about other users' orders.
pub async fn list_payments(app: Arc<App>, req: ApiRequest) -> Answer<PaymentsError> {
    let caller = req.caller()?;
    let order_id = order_id(&req).map_err(PaymentsError::invalid)?;
    shared::telemetry::correlate(order_id.as_str());
    let payment = app.payments.get(&order_id).await?;
    let items = match payment {
        Some(OrderPayment::Payment(p)) if p.is_listed_for(&caller.user_id) => {
            vec![PaymentView::from(&p)]
        }
        _ => Vec::new(),
    };
    json(StatusCode::OK, &PaymentList { items })
}

fn order_id(req: &ApiRequest) -> Result<OrderId, FieldError> {
    let raw = req
        .query("order_id")
        .ok_or_else(|| FieldError::new("order_id", "is required"))?;
    OrderId::parse(raw.trim())
        .ok_or_else(|| FieldError::new("order_id", "must be an order id (a UUID)"))
}
