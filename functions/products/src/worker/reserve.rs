//! OrderPlaced -> StockReserved, or StockReservationFailed with every shortage. A committed
//! refusal is counted (ReservationFailures); a duplicate commits nothing and counts nothing.

use super::{Worker, MAX_ATTEMPTS};
use crate::domain::{decide_reservation, ReservationDecision, ReservationRequest};
use crate::store::Outcome;
use crate::SERVICE;
use shared::consumer::ConsumeError;
use shared::events::orders::OrderPlaced;
use shared::events::products::{StockReservationFailed, StockReserved};
use shared::metrics::BusinessMetric;
use shared::Envelope;

/// Reserves every line of a placed order in one transaction, or reports why it cannot.
pub async fn reserve_order(
    worker: &Worker,
    event_id: &str,
    placed: OrderPlaced,
) -> Result<(), ConsumeError> {
    let request = ReservationRequest::new(
        &placed.order_id,
        placed.lines.into_iter().map(|l| (l.product_id, l.quantity)),
    )
    .map_err(ConsumeError::Poison)?;
    let order_id = request.order_id().to_owned();
    for _ in 0..MAX_ATTEMPTS {
        let reserved = Envelope::new(
            SERVICE,
            &order_id,
            StockReserved {
                order_id: order_id.clone(),
                lines: request.lines().to_vec(),
            },
        );
        let outcome = worker
            .reservations
            .reserve(&request, event_id, &reserved)
            .await?;
        match outcome {
            Outcome::Done => {
                tracing::info!(%order_id, "stock reserved");
                return Ok(());
            }
            Outcome::Duplicate => return Ok(()),
            Outcome::AlreadySettled => {
                tracing::info!(%order_id, "order already reserved or released; nothing to reserve");
                return Ok(());
            }
            Outcome::Short | Outcome::Raced => {}
        }
        // Some line did not fit: find out which, from current stock.
        let ids: Vec<&str> = request
            .lines()
            .iter()
            .map(|l| l.product_id.as_str())
            .collect();
        let levels = worker.catalog.stock_levels(&ids).await?;
        match decide_reservation(&request, |id| levels.get(id).copied()) {
            ReservationDecision::Refuse(shortages) => {
                let failed = Envelope::new(
                    SERVICE,
                    &order_id,
                    StockReservationFailed {
                        order_id: order_id.clone(),
                        shortages,
                    },
                );
                let outcome = worker
                    .reservations
                    .record_refusal(event_id, &failed)
                    .await?;
                if outcome == Outcome::Done {
                    tracing::info!(%order_id, "stock reservation refused");
                    worker.metrics.emit(BusinessMetric::ReservationFailures);
                }
                return Ok(());
            }
            // Stock came back between the transaction and the read: try again.
            ReservationDecision::Reserve(_) => continue,
        }
    }
    Err(ConsumeError::Transient(anyhow::anyhow!(
        "order {order_id}: stock kept changing during {MAX_ATTEMPTS} reservation attempts"
    )))
}
