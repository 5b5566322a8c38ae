//! Stock and payment events, and the expiry sweep's deadlines -> the order's next step,
//! as `domain::decide` says: one conditional write on the status the order was read in,
//! with the emitted event and the incoming event's processed marker. A committed
//! confirmation or rejection is counted (OrdersConfirmed, OrdersRejected by reason); a
//! duplicate event commits nothing and counts nothing.

use super::{Worker, MAX_ATTEMPTS};
use crate::domain::{decide, Emit, OrderId, Reaction, SagaInput};
use crate::store::{Applied, OrderStore};
use shared::consumer::ConsumeError;
use shared::metrics::{BusinessMetric, Metrics};

/// Applies `input` (carried by event `event_id`) to order `order_id`.
pub async fn advance(
    worker: &Worker,
    event_id: &str,
    order_id: &str,
    input: SagaInput,
) -> Result<(), ConsumeError> {
    apply(
        &worker.orders,
        &worker.metrics,
        Some(event_id),
        order_id,
        input,
    )
    .await
}

/// Applies `input` to order `order_id`; with `event_id`, the event's processed marker is
/// written in the same transaction. Without one (the expiry sweep), the conditional write
/// on the order's status is what makes a second application change nothing.
pub(crate) async fn apply(
    orders: &OrderStore,
    metrics: &Metrics,
    event_id: Option<&str>,
    order_id: &str,
    input: SagaInput,
) -> Result<(), ConsumeError> {
    let Some(id) = OrderId::parse(order_id) else {
        tracing::warn!(%order_id, input = input.name(), "event for something that is not an order id; ignored");
        return Ok(());
    };
    for _ in 0..MAX_ATTEMPTS {
        let Some(order) = orders.get(&id).await? else {
            tracing::warn!(%order_id, input = input.name(), "event for an unknown order; ignored");
            return Ok(());
        };
        let status = order.status;
        let mut outcome = None;
        let now = shared::time::now();
        let applied = match decide(status, input) {
            Reaction::Ignore { why } => {
                tracing::info!(%order_id, %status, input = input.name(), why, "event changes nothing");
                return Ok(());
            }
            Reaction::Refuse => {
                // decide() refuses only the cancel command, which never arrives as an event.
                tracing::error!(%order_id, %status, input = input.name(), "saga refused an event");
                return Ok(());
            }
            Reaction::Transition { to, reason, emit } => {
                outcome = emit.and_then(outcome_metric);
                let next = order.transitioned(to, reason, now);
                orders.transition(&order, &next, emit, event_id).await
            }
            Reaction::RecordRefund => {
                let next = order.refund_recorded(now);
                orders.transition(&order, &next, None, event_id).await
            }
            Reaction::Compensate { emit } => orders.compensate(&order, emit, event_id).await,
        };
        match applied? {
            Applied::Done => {
                tracing::info!(%order_id, from = %status, input = input.name(), "saga step applied");
                if let Some(metric) = outcome {
                    metrics.emit(metric);
                }
                return Ok(());
            }
            Applied::Duplicate => {
                tracing::info!(%order_id, "event already handled");
                return Ok(());
            }
            // The status changed since the read: decide again on the new one.
            Applied::Raced => continue,
        }
    }
    Err(ConsumeError::Transient(anyhow::anyhow!(
        "order {order_id}: status kept changing during {MAX_ATTEMPTS} attempts"
    )))
}

/// The business metric of a transition that emits `emit`: an order's final outcome.
fn outcome_metric(emit: Emit) -> Option<BusinessMetric> {
    match emit {
        Emit::OrderConfirmed => Some(BusinessMetric::OrdersConfirmed),
        Emit::OrderRejected(reason) => Some(BusinessMetric::OrdersRejected {
            reason: reason.as_str(),
        }),
        Emit::PaymentRequested
        | Emit::OrderCancelled { .. }
        | Emit::StockReleaseRequested
        | Emit::RefundRequested => None,
    }
}
