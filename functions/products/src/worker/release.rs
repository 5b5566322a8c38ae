//! OrderRejected / OrderCancelled -> StockReleased, exactly once per order.

use super::{Worker, MAX_ATTEMPTS};
use crate::store::Outcome;
use crate::SERVICE;
use shared::consumer::ConsumeError;
use shared::events::products::StockReleased;
use shared::Envelope;

/// Releases whatever the order holds. An order that holds nothing gets a released, empty
/// reservation, so that its placement, if it arrives late, reserves nothing.
pub async fn release_order(
    worker: &Worker,
    event_id: &str,
    order_id: &str,
) -> Result<(), ConsumeError> {
    for _ in 0..MAX_ATTEMPTS {
        let current = worker.reservations.get(order_id).await?;
        let was_held = current.as_ref().is_some_and(|r| !r.released);
        let outcome = match current {
            Some(r) if r.released => {
                tracing::info!(%order_id, "reservation already released");
                return Ok(());
            }
            Some(held) => {
                let released = Envelope::new(
                    SERVICE,
                    order_id,
                    StockReleased {
                        order_id: order_id.to_owned(),
                        lines: held.lines.clone(),
                    },
                );
                worker
                    .reservations
                    .release(&held, event_id, &released)
                    .await?
            }
            None => {
                worker
                    .reservations
                    .release_unreserved(order_id, event_id)
                    .await?
            }
        };
        match outcome {
            Outcome::Done if was_held => {
                tracing::info!(%order_id, "reservation released");
                return Ok(());
            }
            Outcome::Done => {
                tracing::info!(%order_id, "nothing reserved yet; a late placement will reserve nothing");
                return Ok(());
            }
            Outcome::Duplicate | Outcome::AlreadySettled | Outcome::Short => return Ok(()),
            // The reservation changed under us: look again.
            Outcome::Raced => continue,
        }
    }
    Err(ConsumeError::Transient(anyhow::anyhow!(
        "order {order_id}: reservation kept changing during {MAX_ATTEMPTS} release attempts"
    )))
}
