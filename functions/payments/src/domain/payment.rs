//! An order's payment: requested, claimed, charged or declined, refunded; or voided
//! because the order was cancelled first. Every change goes through the state machine of
//! [`PaymentStatus`].

use super::ids::{OrderId, PaymentId};
use super::payment_method::PaymentMethod;
use super::status::PaymentStatus;
use chrono::{DateTime, Utc};
use shared::events::orders::PaymentRequested;
use shared::Money;

/// A PaymentRequested event, checked: what the worker may charge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentRequest {
    /// The order; one payment per order.
    pub order_id: OrderId,
    /// Who placed it.
    pub user_id: String,
    /// The order's total, at least one minor unit.
    pub amount: Money,
    /// The token to charge.
    pub payment_method: PaymentMethod,
}

impl PaymentRequest {
    /// Checks the event; `Err` says why no charge can come of it (the orders service
    /// never sends such an event, so it is a poison message, not a decline).
    pub fn parse(event: &PaymentRequested) -> Result<Self, String> {
        let order_id = OrderId::parse(&event.order_id)
            .ok_or_else(|| format!("order id {:?} is not a UUID", event.order_id))?;
        if event.user_id.trim().is_empty() {
            return Err(format!("order {} has no user id", order_id.as_str()));
        }
        if event.amount.amount == 0 {
            return Err(format!(
                "order {} asks for a charge of 0",
                order_id.as_str()
            ));
        }
        let payment_method = PaymentMethod::parse(&event.payment_method)
            .map_err(|e| format!("order {}: payment_method {}", order_id.as_str(), e.message))?;
        Ok(Self {
            order_id,
            user_id: event.user_id.clone(),
            amount: event.amount,
            payment_method,
        })
    }
}

/// A status change the lifecycle does not allow.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a {from} payment cannot become {to}")]
pub struct IllegalTransition {
    /// The current status.
    pub from: PaymentStatus,
    /// The status asked for.
    pub to: PaymentStatus,
}

/// The payment of one order, from its claim on. Its status is never VOIDED: a voided
/// order has a [`VoidedPayment`] instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payment {
    /// Id, published in the payment events.
    pub id: PaymentId,
    /// The order paid for.
    pub order_id: OrderId,
    /// Who placed the order; the only user who sees this payment.
    pub user_id: String,
    /// What is (or was) charged.
    pub amount: Money,
    /// The token charged.
    pub payment_method: PaymentMethod,
    /// Where the payment stands.
    pub status: PaymentStatus,
    /// The provider's reason, when FAILED.
    pub failure_reason: Option<String>,
    /// The provider's charge, once SUCCEEDED; a refund names it.
    pub charge_id: Option<String>,
    /// The provider's refund, once REFUNDED.
    pub refund_id: Option<String>,
    /// When it was claimed.
    pub created_at: DateTime<Utc>,
    /// Last status change.
    pub updated_at: DateTime<Utc>,
}

impl Payment {
    /// A new CHARGING payment for the request: the claim on the order's one payment.
    pub fn claim(request: &PaymentRequest, now: DateTime<Utc>) -> Self {
        Self {
            id: PaymentId::generate(),
            order_id: request.order_id.clone(),
            user_id: request.user_id.clone(),
            amount: request.amount,
            payment_method: request.payment_method.clone(),
            status: PaymentStatus::Charging,
            failure_reason: None,
            charge_id: None,
            refund_id: None,
            created_at: now,
            updated_at: now,
        }
    }

    /// CHARGING -> SUCCEEDED with the provider's charge.
    pub fn succeed(
        &self,
        charge_id: String,
        now: DateTime<Utc>,
    ) -> Result<Self, IllegalTransition> {
        let mut next = self.transition_to(PaymentStatus::Succeeded, now)?;
        next.charge_id = Some(charge_id);
        Ok(next)
    }

    /// CHARGING -> FAILED with the provider's reason.
    pub fn fail(&self, reason: String, now: DateTime<Utc>) -> Result<Self, IllegalTransition> {
        let mut next = self.transition_to(PaymentStatus::Failed, now)?;
        next.failure_reason = Some(reason);
        Ok(next)
    }

    /// SUCCEEDED -> REFUNDED with the provider's refund.
    pub fn refund(&self, refund_id: String, now: DateTime<Utc>) -> Result<Self, IllegalTransition> {
        let mut next = self.transition_to(PaymentStatus::Refunded, now)?;
        next.refund_id = Some(refund_id);
        Ok(next)
    }

    /// True when `user_id` may see this payment: it is theirs and settled.
    pub fn is_listed_for(&self, user_id: &str) -> bool {
        self.user_id == user_id && self.status.is_listed()
    }

    fn transition_to(
        &self,
        to: PaymentStatus,
        now: DateTime<Utc>,
    ) -> Result<Self, IllegalTransition> {
        if !self.status.can_become(to) {
            return Err(IllegalTransition {
                from: self.status,
                to,
            });
        }
        Ok(Self {
            status: to,
            updated_at: now,
            ..self.clone()
        })
    }
}

/// The tombstone of an order cancelled before its payment was requested.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VoidedPayment {
    /// The order.
    pub order_id: OrderId,
    /// Who placed it.
    pub user_id: String,
    /// When the cancellation was handled.
    pub voided_at: DateTime<Utc>,
}

/// What the payments table holds for an order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrderPayment {
    /// A claimed, settled or refunded payment.
    Payment(Payment),
    /// The order was cancelled before any charge.
    Voided(VoidedPayment),
}

impl OrderPayment {
    /// The status of the order's payment.
    pub fn status(&self) -> PaymentStatus {
        match self {
            Self::Payment(p) => p.status,
            Self::Voided(_) => PaymentStatus::Voided,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::Currency;

    fn event(order_id: &str, amount: u64, method: &str) -> PaymentRequested {
        PaymentRequested {
            order_id: order_id.to_owned(),
            user_id: "user-1".to_owned(),
            amount: Money::new(amount, Currency::parse("EUR").unwrap()),
            payment_method: method.to_owned(),
        }
    }

    fn charging() -> Payment {
        let request =
            PaymentRequest::parse(&event(&shared::ids::new_id(), 1999, "pm_card_visa")).unwrap();
        Payment::claim(&request, shared::time::now())
    }

    #[test]
    fn a_request_needs_an_order_uuid_a_user_an_amount_and_a_token() {
        let order = shared::ids::new_id();
        let ok = PaymentRequest::parse(&event(&order, 1999, "pm_card_visa")).unwrap();
        assert_eq!(ok.order_id.as_str(), order);
        assert_eq!(ok.payment_method.as_str(), "pm_card_visa");
        assert!(PaymentRequest::parse(&event("order-1", 1999, "pm_card_visa")).is_err());
        assert!(PaymentRequest::parse(&event(&order, 0, "pm_card_visa")).is_err());
        let err = PaymentRequest::parse(&event(&order, 1, "pm card")).unwrap_err();
        assert!(err.contains("payment_method"), "{err}");
        let mut anonymous = event(&order, 1, "pm_card_visa");
        anonymous.user_id = " ".to_owned();
        assert!(PaymentRequest::parse(&anonymous).is_err());
    }

    #[test]
    fn a_claim_is_charging_and_settles_once() {
        let p = charging();
        assert_eq!(p.status, PaymentStatus::Charging);
        let later = shared::time::now();
        let paid = p.succeed("ch_1".to_owned(), later).unwrap();
        assert_eq!(paid.status, PaymentStatus::Succeeded);
        assert_eq!(paid.charge_id.as_deref(), Some("ch_1"));
        assert_eq!(
            (paid.id.clone(), paid.created_at),
            (p.id.clone(), p.created_at)
        );
        assert_eq!(
            paid.fail("late".to_owned(), later),
            Err(IllegalTransition {
                from: PaymentStatus::Succeeded,
                to: PaymentStatus::Failed
            })
        );
        let declined = p.fail("card_declined".to_owned(), later).unwrap();
        assert_eq!(declined.failure_reason.as_deref(), Some("card_declined"));
        assert!(declined.refund("re_1".to_owned(), later).is_err());
    }

    #[test]
    fn only_a_succeeded_payment_is_refunded_and_only_once() {
        let now = shared::time::now();
        let p = charging();
        assert!(p.refund("re_0".to_owned(), now).is_err());
        let refunded = p
            .succeed("ch_1".to_owned(), now)
            .unwrap()
            .refund("re_1".to_owned(), now)
            .unwrap();
        assert_eq!(refunded.status, PaymentStatus::Refunded);
        assert_eq!(refunded.refund_id.as_deref(), Some("re_1"));
        assert!(refunded.refund("re_2".to_owned(), now).is_err());
    }

    #[test]
    fn only_the_owner_sees_a_payment_and_only_once_settled() {
        let p = charging();
        assert!(!p.is_listed_for("user-1"), "CHARGING is internal");
        let paid = p.succeed("ch".to_owned(), shared::time::now()).unwrap();
        assert!(paid.is_listed_for("user-1"));
        assert!(!paid.is_listed_for("user-2"));
        let voided = OrderPayment::Voided(VoidedPayment {
            order_id: p.order_id.clone(),
            user_id: "user-1".to_owned(),
            voided_at: shared::time::now(),
        });
        assert_eq!(voided.status(), PaymentStatus::Voided);
        assert_eq!(
            OrderPayment::Payment(paid).status(),
            PaymentStatus::Succeeded
        );
    }
}
