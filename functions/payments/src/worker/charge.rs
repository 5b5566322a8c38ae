//! PaymentRequested -> PaymentSucceeded or PaymentFailed, charging the order at most once.
//!
//! 1. Claim: a conditional put of a CHARGING item. If the order has an item already, a
//!    CHARGING one is an earlier attempt that crashed or is still running: charge anyway,
//!    with the same idempotency key, so the provider returns that attempt's charge instead
//!    of making a second one. Any other status means there is nothing to charge.
//! 2. Charge through the provider (behind its resilience policy).
//! 3. One transaction: CHARGING -> SUCCEEDED or FAILED, the event, the processed marker.
//!
//! A provider that stays unavailable leaves the item CHARGING and fails the message, so
//! SQS redelivers it and step 1 resumes it. A refund that finds the item CHARGING settles
//! it the same way ([`settle`]) rather than wait for this message.
//!
//! A committed decline is counted (PaymentFailures by decline code) in step 3, which
//! commits once per payment whatever the deliveries.

use super::{Worker, MAX_ATTEMPTS};
use crate::domain::{OrderPayment, Payment, PaymentRequest, PaymentStatus};
use crate::provider::{ChargeRequest, PaymentProvider, ProviderError};
use crate::store::{Claim, Outcome};
use crate::SERVICE;
use shared::consumer::ConsumeError;
use shared::events::orders::PaymentRequested;
use shared::events::payments::{PaymentFailed, PaymentSucceeded};
use shared::metrics::BusinessMetric;
use shared::{Envelope, Event};

/// Charges the order of a PaymentRequested once and records the outcome.
pub async fn charge_order<P: PaymentProvider>(
    worker: &Worker<P>,
    event_id: &str,
    requested: &PaymentRequested,
) -> Result<(), ConsumeError> {
    let request = PaymentRequest::parse(requested).map_err(ConsumeError::Poison)?;
    let order_id = request.order_id.as_str();
    for _ in 0..MAX_ATTEMPTS {
        let Some(charging) = claim_or_resume(worker, &request).await? else {
            return Ok(());
        };
        match settle(worker, &charging, Some(event_id)).await? {
            Outcome::Done | Outcome::Duplicate => return Ok(()),
            // Another delivery settled it between our claim and our write: look again.
            Outcome::Raced => continue,
        }
    }
    Err(ConsumeError::Transient(anyhow::anyhow!(
        "order {order_id}: payment kept changing during {MAX_ATTEMPTS} attempts"
    )))
}

/// Charges a CHARGING payment through the provider, under the order's idempotency key,
/// and records SUCCEEDED or FAILED with its event (and the marker of `event_id`, when
/// settling is all the incoming event asks for). Safe to call for a payment an earlier
/// attempt charged already: the provider answers with that charge.
pub(super) async fn settle<P: PaymentProvider>(
    worker: &Worker<P>,
    charging: &Payment,
    event_id: Option<&str>,
) -> Result<Outcome, ConsumeError> {
    let order_id = charging.order_id.as_str();
    match worker.provider.charge(&charge_request(charging)).await {
        Ok(charge) => {
            let succeeded = charging
                .succeed(charge.charge_id, shared::time::now())
                .map_err(|e| ConsumeError::Other(e.into()))?;
            let event = PaymentSucceeded {
                order_id: order_id.to_owned(),
                user_id: succeeded.user_id.clone(),
                payment_id: succeeded.id.as_str().to_owned(),
                amount: succeeded.amount,
            };
            record(worker, event_id, &succeeded, event).await
        }
        Err(ProviderError::Declined(reason)) => {
            let failed = charging
                .fail(reason.clone(), shared::time::now())
                .map_err(|e| ConsumeError::Other(e.into()))?;
            let event = PaymentFailed {
                order_id: order_id.to_owned(),
                user_id: failed.user_id.clone(),
                payment_id: failed.id.as_str().to_owned(),
                reason,
            };
            record(worker, event_id, &failed, event).await
        }
        Err(ProviderError::Transient(why)) => Err(ConsumeError::Transient(anyhow::anyhow!(
            "order {order_id}: payment provider unavailable ({why}); the payment stays CHARGING until a redelivery resumes it"
        ))),
    }
}

/// The CHARGING payment this delivery is to charge, or `None` when there is nothing to
/// charge (settled, refunded or voided already).
async fn claim_or_resume<P: PaymentProvider>(
    worker: &Worker<P>,
    request: &PaymentRequest,
) -> Result<Option<Payment>, ConsumeError> {
    let order_id = request.order_id.as_str();
    let claimed = Payment::claim(request, shared::time::now());
    if worker.payments.claim(&claimed).await? == Claim::Claimed {
        tracing::info!(%order_id, payment_method = claimed.payment_method.as_str(), "payment claimed; charging");
        return Ok(Some(claimed));
    }
    let current = worker.payments.get(&request.order_id).await?;
    match current {
        Some(OrderPayment::Payment(p)) if p.status == PaymentStatus::Charging => {
            // Either an earlier delivery crashed mid-charge or one is charging right now;
            // the idempotency key makes both safe to continue.
            tracing::info!(%order_id, "resuming a charge an earlier attempt started");
            Ok(Some(p))
        }
        Some(settled) => {
            tracing::info!(%order_id, status = %settled.status(), "payment already settled; nothing to charge");
            Ok(None)
        }
        None => Err(ConsumeError::Transient(anyhow::anyhow!(
            "order {order_id}: the payment item vanished between its claim and its read"
        ))),
    }
}

fn charge_request(payment: &Payment) -> ChargeRequest {
    ChargeRequest {
        idempotency_key: payment.order_id.as_str().to_owned(),
        amount: payment.amount,
        payment_method: payment.payment_method.clone(),
    }
}

/// CHARGING -> the settled payment, with its event and this delivery's marker; a decline
/// that commits is counted.
async fn record<P: PaymentProvider, T: Event>(
    worker: &Worker<P>,
    event_id: Option<&str>,
    settled: &Payment,
    event: T,
) -> Result<Outcome, ConsumeError> {
    let envelope = Envelope::new(SERVICE, settled.order_id.as_str(), event);
    let outcome = worker
        .payments
        .transition(PaymentStatus::Charging, settled, event_id, &envelope)
        .await?;
    if outcome == Outcome::Done {
        tracing::info!(
            order_id = settled.order_id.as_str(),
            status = %settled.status,
            failure_reason = settled.failure_reason.as_deref(),
            "payment settled"
        );
        if settled.status == PaymentStatus::Failed {
            worker.metrics.emit(BusinessMetric::PaymentFailures {
                reason: settled.failure_reason.clone().unwrap_or_default(),
            });
        }
    }
    Ok(outcome)
}
