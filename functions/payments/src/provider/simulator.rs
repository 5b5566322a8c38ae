//! The provider this project ships: a deterministic simulator keyed by Stripe-style test
//! tokens, so every saga outcome can be produced on purpose.
//!
//! | token                        | charge                                                  |
//! |------------------------------|---------------------------------------------------------|
//! | `pm_card_visa`               | succeeds                                                |
//! | `pm_card_declined`           | declined: `card_declined`                               |
//! | `pm_card_insufficient_funds` | declined: `insufficient_funds`                          |
//! | `pm_card_error`              | transient failure on the first two attempts of a key, then succeeds |
//! | `pm_card_timeout`            | never answers: every attempt outlives the call timeout  |
//! | anything else                | declined: `unsupported_payment_method`                  |
//!
//! It is a simulator: its ledger lives in the memory of one process (one Lambda execution
//! environment), so idempotency holds within it only. A real provider keeps the ledger on
//! its side, which is what makes the idempotency key work across crashes and instances.

use super::{Charge, ChargeRequest, PaymentProvider, ProviderError, Refund, RefundRequest};
use shared::Money;
use std::collections::HashMap;
use std::future::Future;
use std::sync::{Mutex, MutexGuard, PoisonError};

/// Always succeeds.
pub const VISA: &str = "pm_card_visa";
/// Always declined with `card_declined`.
pub const DECLINED: &str = "pm_card_declined";
/// Always declined with `insufficient_funds`.
pub const INSUFFICIENT_FUNDS: &str = "pm_card_insufficient_funds";
/// Fails transiently on the first [`TRANSIENT_FAILURES`] attempts of a key, then succeeds.
pub const PROCESSING_ERROR: &str = "pm_card_error";
/// Never answers, so every attempt times out: the provider outage of the fault tests, on
/// demand per order.
pub const TIMEOUT: &str = "pm_card_timeout";
/// How many attempts of a key `pm_card_error` fails before it succeeds.
pub const TRANSIENT_FAILURES: u32 = 2;

/// The simulated provider; cheap to share behind an `Arc`.
#[derive(Debug, Default)]
pub struct SimulatedProvider {
    ledger: Mutex<Ledger>,
}

#[derive(Debug, Default)]
struct Ledger {
    charge_attempts: HashMap<String, u32>,
    charges: HashMap<String, (Charge, Money)>,
    refund_attempts: HashMap<String, u32>,
    refunds: HashMap<String, Refund>,
}

impl SimulatedProvider {
    /// A simulator with an empty ledger.
    pub fn new() -> Self {
        Self::default()
    }

    /// Charges made with this idempotency key: 0 or 1, however often it was asked.
    pub fn charges_for(&self, key: &str) -> usize {
        usize::from(self.ledger().charges.contains_key(key))
    }

    /// Calls to `charge` with this key, failed and replayed ones included.
    pub fn charge_attempts_for(&self, key: &str) -> u32 {
        self.ledger().charge_attempts.get(key).copied().unwrap_or(0)
    }

    /// Refunds made with this idempotency key: 0 or 1.
    pub fn refunds_for(&self, key: &str) -> usize {
        usize::from(self.ledger().refunds.contains_key(key))
    }

    /// Calls to `refund` with this key.
    pub fn refund_attempts_for(&self, key: &str) -> u32 {
        self.ledger().refund_attempts.get(key).copied().unwrap_or(0)
    }

    fn ledger(&self) -> MutexGuard<'_, Ledger> {
        // The ledger stays consistent across a panic elsewhere: every update is one insert.
        self.ledger.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn charge_now(&self, request: &ChargeRequest) -> Result<Charge, ProviderError> {
        let mut ledger = self.ledger();
        let attempts = ledger
            .charge_attempts
            .entry(request.idempotency_key.clone())
            .or_insert(0);
        *attempts += 1;
        let attempt = *attempts;
        if let Some((charge, _)) = ledger.charges.get(&request.idempotency_key) {
            return Ok(charge.clone());
        }
        match request.payment_method.as_str() {
            VISA => {}
            PROCESSING_ERROR if attempt > TRANSIENT_FAILURES => {}
            PROCESSING_ERROR => {
                return Err(ProviderError::Transient(
                    "simulated processing error".to_owned(),
                ))
            }
            // `charge` never lets this answer out; the caller's timeout speaks first.
            TIMEOUT => return Err(ProviderError::Transient("simulated hang".to_owned())),
            DECLINED => return Err(ProviderError::Declined("card_declined".to_owned())),
            INSUFFICIENT_FUNDS => {
                return Err(ProviderError::Declined("insufficient_funds".to_owned()))
            }
            _ => {
                return Err(ProviderError::Declined(
                    "unsupported_payment_method".to_owned(),
                ))
            }
        }
        let charge = Charge {
            charge_id: format!("ch_sim_{}", shared::ids::new_id()),
        };
        ledger.charges.insert(
            request.idempotency_key.clone(),
            (charge.clone(), request.amount),
        );
        Ok(charge)
    }

    fn refund_now(&self, request: &RefundRequest) -> Result<Refund, ProviderError> {
        let mut ledger = self.ledger();
        *ledger
            .refund_attempts
            .entry(request.idempotency_key.clone())
            .or_insert(0) += 1;
        if let Some(refund) = ledger.refunds.get(&request.idempotency_key) {
            return Ok(refund.clone());
        }
        let charged = ledger
            .charges
            .values()
            .find(|(charge, _)| charge.charge_id == request.charge_id)
            .map(|(_, amount)| *amount);
        match charged {
            None => return Err(ProviderError::Declined("charge_not_found".to_owned())),
            Some(amount)
                if amount.currency != request.amount.currency
                    || amount.amount < request.amount.amount =>
            {
                return Err(ProviderError::Declined("amount_exceeds_charge".to_owned()))
            }
            Some(_) => {}
        }
        let refund = Refund {
            refund_id: format!("re_sim_{}", shared::ids::new_id()),
        };
        ledger
            .refunds
            .insert(request.idempotency_key.clone(), refund.clone());
        Ok(refund)
    }
}

impl PaymentProvider for SimulatedProvider {
    fn charge(
        &self,
        request: &ChargeRequest,
    ) -> impl Future<Output = Result<Charge, ProviderError>> + Send {
        let outcome = self.charge_now(request);
        let hangs = request.payment_method.as_str() == TIMEOUT;
        async move {
            if hangs {
                std::future::pending::<()>().await;
            }
            outcome
        }
    }

    fn refund(
        &self,
        request: &RefundRequest,
    ) -> impl Future<Output = Result<Refund, ProviderError>> + Send {
        std::future::ready(self.refund_now(request))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::PaymentMethod;
    use shared::Currency;

    fn eur(amount: u64) -> Money {
        Money::new(amount, Currency::parse("EUR").unwrap())
    }

    fn charge_request(key: &str, token: &str) -> ChargeRequest {
        ChargeRequest {
            idempotency_key: key.to_owned(),
            amount: eur(1999),
            payment_method: PaymentMethod::parse(token).unwrap(),
        }
    }

    #[tokio::test]
    async fn each_test_token_has_its_documented_outcome() {
        let sim = SimulatedProvider::new();
        assert!(sim.charge(&charge_request("k1", VISA)).await.is_ok());
        let declined = |reason: &str| Err(ProviderError::Declined(reason.to_owned()));
        assert_eq!(
            sim.charge(&charge_request("k2", DECLINED)).await,
            declined("card_declined")
        );
        assert_eq!(
            sim.charge(&charge_request("k3", INSUFFICIENT_FUNDS)).await,
            declined("insufficient_funds")
        );
        assert_eq!(
            sim.charge(&charge_request("k4", "pm_card_amex")).await,
            declined("unsupported_payment_method")
        );
        assert_eq!(
            (
                sim.charges_for("k1"),
                sim.charges_for("k2"),
                sim.charges_for("k4")
            ),
            (1, 0, 0)
        );
    }

    #[tokio::test]
    async fn the_timeout_token_never_answers_and_charges_nothing() {
        let sim = SimulatedProvider::new();
        let waited = tokio::time::timeout(
            std::time::Duration::from_millis(50),
            sim.charge(&charge_request("k5", TIMEOUT)),
        )
        .await;
        assert!(waited.is_err(), "still waiting after 50 ms");
        assert_eq!(sim.charge_attempts_for("k5"), 1);
        assert_eq!(sim.charges_for("k5"), 0);
    }

    #[tokio::test]
    async fn the_error_token_fails_twice_per_key_then_succeeds() {
        let sim = SimulatedProvider::new();
        let request = charge_request("k", PROCESSING_ERROR);
        for _ in 0..TRANSIENT_FAILURES {
            assert!(matches!(
                sim.charge(&request).await,
                Err(ProviderError::Transient(_))
            ));
        }
        assert!(sim.charge(&request).await.is_ok());
        assert_eq!(sim.charge_attempts_for("k"), 3);
        assert_eq!(sim.charges_for("k"), 1);
        // Another key starts its own count.
        assert!(sim
            .charge(&charge_request("other", PROCESSING_ERROR))
            .await
            .is_err());
    }

    #[tokio::test]
    async fn a_key_is_charged_once_and_replays_its_charge() {
        let sim = SimulatedProvider::new();
        let request = charge_request("order-1", VISA);
        let first = sim.charge(&request).await.unwrap();
        let again = sim.charge(&request).await.unwrap();
        assert_eq!(first, again);
        assert_eq!(sim.charges_for("order-1"), 1);
        assert_eq!(sim.charge_attempts_for("order-1"), 2);
    }

    #[tokio::test]
    async fn refunds_need_the_charge_and_happen_once_per_key() {
        let sim = SimulatedProvider::new();
        let charge = sim.charge(&charge_request("o", VISA)).await.unwrap();
        let refund_of = |charge_id: &str, amount: u64| RefundRequest {
            idempotency_key: "o".to_owned(),
            charge_id: charge_id.to_owned(),
            amount: eur(amount),
        };
        assert_eq!(
            sim.refund(&refund_of("ch_unknown", 1)).await,
            Err(ProviderError::Declined("charge_not_found".to_owned()))
        );
        assert_eq!(
            sim.refund(&refund_of(&charge.charge_id, 2000)).await,
            Err(ProviderError::Declined("amount_exceeds_charge".to_owned()))
        );
        assert_eq!(sim.refunds_for("o"), 0);
        let first = sim
            .refund(&refund_of(&charge.charge_id, 1999))
            .await
            .unwrap();
        let again = sim
            .refund(&refund_of(&charge.charge_id, 1999))
            .await
            .unwrap();
        assert_eq!(first, again);
        assert_eq!((sim.refunds_for("o"), sim.refund_attempts_for("o")), (1, 4));
    }
}
