//! OrderCancelled, OrderRejected or RefundRequested -> PaymentRefunded, exactly once per
//! order; or a VOIDED tombstone when the order ended before its payment was requested, so
//! the late request charges nothing.

use super::{charge, Worker, MAX_ATTEMPTS};
use crate::domain::{OrderId, OrderPayment, Payment, PaymentStatus, VoidedPayment};
use crate::provider::{PaymentProvider, ProviderError, RefundRequest};
use crate::store::Outcome;
use crate::SERVICE;
use shared::consumer::ConsumeError;
use shared::events::payments::PaymentRefunded;
use shared::Envelope;

/// Settles the payment of an order that ended unpaid (cancelled, rejected, expired): refunds a SUCCEEDED one, voids a missing one,
/// finishes the charge of a CHARGING one and then refunds it, leaves the rest alone.
///
/// OrderCancelled's `refund` flag is not consulted: it is the orders service's view of
/// whether money moved, while the payment item here is the truth. A SUCCEEDED payment of
/// a cancelled order is refunded even if orders thought otherwise (it may have cancelled
/// before PaymentSucceeded reached it), and nothing is refunded that was never charged.
pub async fn refund_order<P: PaymentProvider>(
    worker: &Worker<P>,
    event_id: &str,
    order_id: &str,
    user_id: &str,
) -> Result<(), ConsumeError> {
    let order_id = OrderId::parse(order_id)
        .ok_or_else(|| ConsumeError::Poison(format!("order id {order_id:?} is not a UUID")))?;
    let id = order_id.as_str();
    for _ in 0..MAX_ATTEMPTS {
        let current = worker.payments.get(&order_id).await?;
        let outcome = match current {
            None => {
                let voided = VoidedPayment {
                    order_id: order_id.clone(),
                    user_id: user_id.to_owned(),
                    voided_at: shared::time::now(),
                };
                let outcome = worker.payments.void(&voided, event_id).await?;
                if outcome == Outcome::Done {
                    tracing::info!(order_id = id, "cancelled before any charge; payment voided");
                }
                outcome
            }
            Some(OrderPayment::Payment(p)) => match p.status {
                PaymentStatus::Succeeded => refund(worker, event_id, &p).await?,
                PaymentStatus::Charging => {
                    // Waiting for the charge's own message to settle it could outlast this
                    // message's receives (that message may be the one failing), and a
                    // dead-lettered refund needs a person. So the refund settles the charge
                    // itself, under the same idempotency key: the provider answers with the
                    // charge an earlier attempt made, if any. Then it reads again: SUCCEEDED
                    // is refunded, FAILED has nothing to refund.
                    charge::settle(worker, &p, None).await?;
                    continue;
                }
                PaymentStatus::Failed | PaymentStatus::Refunded | PaymentStatus::Voided => {
                    tracing::info!(order_id = id, status = %p.status, "nothing to refund");
                    return Ok(());
                }
            },
            Some(OrderPayment::Voided(_)) => {
                tracing::info!(order_id = id, "payment already voided");
                return Ok(());
            }
        };
        match outcome {
            Outcome::Done | Outcome::Duplicate => return Ok(()),
            // The payment appeared or moved since our read: look again.
            Outcome::Raced => continue,
        }
    }
    Err(ConsumeError::Transient(anyhow::anyhow!(
        "order {id}: payment kept changing during {MAX_ATTEMPTS} attempts"
    )))
}

async fn refund<P: PaymentProvider>(
    worker: &Worker<P>,
    event_id: &str,
    paid: &Payment,
) -> Result<Outcome, ConsumeError> {
    let order_id = paid.order_id.as_str();
    let charge_id = paid.charge_id.clone().ok_or_else(|| {
        ConsumeError::Other(anyhow::anyhow!(
            "order {order_id}: SUCCEEDED payment without a charge id"
        ))
    })?;
    let request = RefundRequest {
        idempotency_key: order_id.to_owned(),
        charge_id,
        amount: paid.amount,
    };
    let refund = match worker.provider.refund(&request).await {
        Ok(refund) => refund,
        Err(ProviderError::Transient(why)) => {
            return Err(ConsumeError::Transient(anyhow::anyhow!(
                "order {order_id}: payment provider unavailable for the refund ({why})"
            )))
        }
        // A refused refund of a charge we made needs a person: retried, then in the DLQ,
        // whose depth alarm brings one.
        Err(ProviderError::Declined(reason)) => {
            return Err(ConsumeError::Other(anyhow::anyhow!(
                "order {order_id}: the provider refused the refund: {reason}"
            )))
        }
    };
    let refunded = paid
        .refund(refund.refund_id, shared::time::now())
        .map_err(|e| ConsumeError::Other(e.into()))?;
    let envelope = Envelope::new(
        SERVICE,
        order_id,
        PaymentRefunded {
            order_id: order_id.to_owned(),
            user_id: refunded.user_id.clone(),
            payment_id: refunded.id.as_str().to_owned(),
            amount: refunded.amount,
        },
    );
    let outcome = worker
        .payments
        .transition(
            PaymentStatus::Succeeded,
            &refunded,
            Some(event_id),
            &envelope,
        )
        .await?;
    if outcome == Outcome::Done {
        tracing::info!(%order_id, "payment refunded");
    }
    Ok(outcome)
}
