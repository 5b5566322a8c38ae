//! POST /v1/orders/{id}/cancel: the owner's cancellation, as the saga allows it.

use super::read::own_order;
use super::views::order_ok;
use crate::domain::{decide, Reaction, SagaInput};
use crate::error::OrdersError;
use crate::store::Applied;
use crate::App;
use shared::http::{Answer, ApiRequest};
use shared::ApiError;
use std::sync::Arc;

/// Read-decide-write rounds before giving up on an order the saga keeps moving.
const MAX_CANCEL_ATTEMPTS: usize = 3;

/// POST /v1/orders/{id}/cancel: PENDING, AWAITING_PAYMENT or CONFIRMED -> CANCELLED with
/// OrderCancelled; any other status is a 409 naming it.
pub async fn cancel_order(app: Arc<App>, req: ApiRequest) -> Answer<OrdersError> {
    let caller = req.caller()?;
    let input = SagaInput::CancelRequested;
    for _ in 0..MAX_CANCEL_ATTEMPTS {
        let order = own_order(&app, &req, &caller).await?;
        let (to, reason, emit) = match decide(order.status, input) {
            Reaction::Transition { to, reason, emit } => (to, reason, emit),
            Reaction::Refuse => return Err(OrdersError::NotCancellable(order.status)),
            other => {
                return Err(ApiError::Internal(anyhow::anyhow!(
                    "the saga answered a cancellation with {other:?}"
                ))
                .into())
            }
        };
        let cancelled = order.transitioned(to, reason, shared::time::now());
        match app
            .orders
            .transition(&order, &cancelled, emit, None)
            .await?
        {
            Applied::Done => {
                tracing::info!(order_id = order.id.as_str(), from = %order.status, "order cancelled");
                return order_ok(&cancelled);
            }
            // The saga moved the order meanwhile: decide again on its new status.
            Applied::Raced | Applied::Duplicate => continue,
        }
    }
    Err(OrdersError::Busy)
}
