//! The payment provider port and what the worker charges through: the
//! [`PaymentProvider`] trait, the deterministic [`SimulatedProvider`] this project ships,
//! and [`ResilientProvider`], which puts a timeout, bounded retries with backoff and a
//! circuit breaker around any provider.
//!
//! Every call carries an idempotency key (the order id), as real providers (Stripe) take
//! one: a charge retried after a timeout or a crash returns the first charge instead of
//! charging again.

mod circuit_breaker;
mod resilience;
mod simulator;

pub use circuit_breaker::CircuitBreaker;
pub use resilience::{ResiliencePolicy, ResilientProvider};
pub use simulator::SimulatedProvider;

use crate::domain::PaymentMethod;
use shared::Money;
use std::future::Future;
use std::sync::Arc;

/// A charge to make, once per idempotency key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChargeRequest {
    /// Same key, same charge: the provider never charges a key twice.
    pub idempotency_key: String,
    /// What to charge.
    pub amount: Money,
    /// The token to charge.
    pub payment_method: PaymentMethod,
}

/// A charge the provider made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Charge {
    /// The provider's id of the charge; refunds name it.
    pub charge_id: String,
}

/// A refund to make, once per idempotency key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundRequest {
    /// Same key, same refund.
    pub idempotency_key: String,
    /// The charge to refund.
    pub charge_id: String,
    /// How much of it.
    pub amount: Money,
}

/// A refund the provider made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refund {
    /// The provider's id of the refund.
    pub refund_id: String,
}

/// Why a provider call did not succeed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProviderError {
    /// The provider refused, for good (`card_declined`, `insufficient_funds`, ...):
    /// retrying would give the same answer.
    #[error("declined: {0}")]
    Declined(String),
    /// The provider failed, timed out or is shed by the circuit breaker: the call may
    /// succeed later.
    #[error("provider unavailable: {0}")]
    Transient(String),
}

/// A payment provider: charges and refunds, idempotent per key.
pub trait PaymentProvider: Send + Sync {
    /// Charges the request's amount, or returns the charge made before with its key.
    fn charge(
        &self,
        request: &ChargeRequest,
    ) -> impl Future<Output = Result<Charge, ProviderError>> + Send;

    /// Refunds a charge, or returns the refund made before with its key.
    fn refund(
        &self,
        request: &RefundRequest,
    ) -> impl Future<Output = Result<Refund, ProviderError>> + Send;
}

/// A shared provider is a provider, so tests can keep a handle on the one a worker uses.
impl<P: PaymentProvider> PaymentProvider for Arc<P> {
    fn charge(
        &self,
        request: &ChargeRequest,
    ) -> impl Future<Output = Result<Charge, ProviderError>> + Send {
        P::charge(self, request)
    }

    fn refund(
        &self,
        request: &RefundRequest,
    ) -> impl Future<Output = Result<Refund, ProviderError>> + Send {
        P::refund(self, request)
    }
}
