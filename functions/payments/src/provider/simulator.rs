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
//! A real provider keeps its ledger on its side, so a refund can be asked of it by any
//! process. Lambda runs a queue's batches in several execution environments at once and
//! recycles idle ones, so the refund of an order is seldom asked by the process that
//! charged it. The simulator has no side of its own: what a refund needs to know of its
//! charge (its idempotency key, amount and currency) is written into the charge id, and
//! charge and refund ids are derived from the idempotency key, so every process answers
//! a key alike. Its in-memory ledger only counts what this process was asked, for tests.

use super::{Charge, ChargeRequest, PaymentProvider, ProviderError, Refund, RefundRequest};
use shared::{Currency, Money};
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
    charges: HashMap<String, Charge>,
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
        if let Some(charge) = ledger.charges.get(&request.idempotency_key) {
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
            charge_id: SimulatedCharge {
                amount: request.amount,
                idempotency_key: request.idempotency_key.clone(),
            }
            .id(),
        };
        ledger
            .charges
            .insert(request.idempotency_key.clone(), charge.clone());
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
        let charged = SimulatedCharge::parse(&request.charge_id).map(|charge| charge.amount);
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
            refund_id: format!("re_sim_{}", request.idempotency_key),
        };
        ledger
            .refunds
            .insert(request.idempotency_key.clone(), refund.clone());
        Ok(refund)
    }
}

/// What the simulator's charge ids carry: `ch_sim_<amount>_<currency>_<idempotency key>`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct SimulatedCharge {
    amount: Money,
    idempotency_key: String,
}

impl SimulatedCharge {
    fn id(&self) -> String {
        format!(
            "ch_sim_{}_{}_{}",
            self.amount.amount,
            self.amount.currency.as_str(),
            self.idempotency_key
        )
    }

    /// A charge id this simulator made; None for any other (an unknown charge).
    fn parse(charge_id: &str) -> Option<Self> {
        let rest = charge_id.strip_prefix("ch_sim_")?;
        let (amount, rest) = rest.split_once('_')?;
        let (currency, idempotency_key) = rest.split_once('_')?;
        if idempotency_key.is_empty() || !amount.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        Some(Self {
            amount: Money::new(amount.parse().ok()?, Currency::parse(currency)?),
            idempotency_key: idempotency_key.to_owned(),
        })
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
    async fn another_process_refunds_a_charge_and_answers_a_key_alike() {
        let charged = SimulatedProvider::new()
            .charge(&charge_request("order-1", VISA))
            .await
            .unwrap();
        let again = SimulatedProvider::new()
            .charge(&charge_request("order-1", VISA))
            .await
            .unwrap();
        assert_eq!(
            charged, again,
            "one charge per key, whichever process is asked"
        );
        let refund = |amount: u64| RefundRequest {
            idempotency_key: "order-1".to_owned(),
            charge_id: charged.charge_id.clone(),
            amount: eur(amount),
        };
        let elsewhere = SimulatedProvider::new();
        assert_eq!(
            elsewhere.refund(&refund(2000)).await,
            Err(ProviderError::Declined("amount_exceeds_charge".to_owned()))
        );
        let refunded = elsewhere.refund(&refund(1999)).await.unwrap();
        assert_eq!(
            SimulatedProvider::new().refund(&refund(1999)).await,
            Ok(refunded)
        );
        for forged in [
            "ch_sim_",
            "ch_sim_x_EUR_k",
            "ch_sim_1999_EURO_k",
            "ch_sim_1999_EUR_",
        ] {
            let request = RefundRequest {
                idempotency_key: format!("forged {forged}"),
                charge_id: forged.to_owned(),
                amount: eur(1),
            };
            assert_eq!(
                elsewhere.refund(&request).await,
                Err(ProviderError::Declined("charge_not_found".to_owned())),
                "{forged}"
            );
        }
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
