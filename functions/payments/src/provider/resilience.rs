//! What stands between the worker and any payment provider: a timeout per call, bounded
//! retries with exponential backoff and full jitter, and a circuit breaker. Declines are
//! answers, not failures: never retried, and they count as a healthy provider.
//!
//! A transient failure that outlives the retries is returned as
//! [`ProviderError::Transient`]; the worker then hands the message back to SQS, whose
//! redelivery is the slow, durable retry. The retries here only absorb blips, which is
//! why they are few and short: a Lambda invocation has a time budget. The breaker state
//! lives in one execution environment; each concurrent worker instance learns on its own.

use super::{
    Charge, ChargeRequest, CircuitBreaker, PaymentProvider, ProviderError, Refund, RefundRequest,
};
use std::future::Future;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// Every knob of [`ResilientProvider`]; `Default` is what production runs with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResiliencePolicy {
    /// Longest wait for one provider call; a slower call counts as a transient failure.
    pub call_timeout: Duration,
    /// Calls per request, the first one included.
    pub max_attempts: u32,
    /// Ceiling of the wait before the first retry.
    pub backoff_base: Duration,
    /// How much that ceiling grows with every further retry.
    pub backoff_factor: u32,
    /// Consecutive transient failures that open the circuit.
    pub breaker_failure_threshold: u32,
    /// How long an open circuit turns calls away before one trial call.
    pub breaker_open_for: Duration,
}

impl Default for ResiliencePolicy {
    /// 2 s per call, 3 attempts, backoff ceilings of 100 ms then 200 ms, and a circuit
    /// that opens for 30 s after 5 consecutive transient failures. Worst case for one
    /// message is about 6.3 s, so a batch of 10 on a failing provider trips the breaker
    /// within two messages and fails the rest fast, well inside the worker's 30 s.
    fn default() -> Self {
        Self {
            call_timeout: Duration::from_secs(2),
            max_attempts: 3,
            backoff_base: Duration::from_millis(100),
            backoff_factor: 2,
            breaker_failure_threshold: 5,
            breaker_open_for: Duration::from_secs(30),
        }
    }
}

impl ResiliencePolicy {
    /// The longest wait before retry number `retry` (1 for the first retry):
    /// `backoff_base * backoff_factor^(retry - 1)`, saturating.
    pub fn backoff_ceiling(&self, retry: u32) -> Duration {
        let growth = self.backoff_factor.saturating_pow(retry.saturating_sub(1));
        self.backoff_base.saturating_mul(growth)
    }

    /// The wait before retry number `retry`, drawn uniformly from zero to its ceiling
    /// ("full jitter"), so workers that failed together do not retry together.
    pub fn backoff(&self, retry: u32) -> Duration {
        let ceiling = u64::try_from(self.backoff_ceiling(retry).as_nanos()).unwrap_or(u64::MAX);
        Duration::from_nanos(fastrand::u64(0..=ceiling))
    }
}

/// Any provider behind a timeout, retries and a circuit breaker.
#[derive(Debug)]
pub struct ResilientProvider<P> {
    inner: P,
    policy: ResiliencePolicy,
    breaker: Mutex<CircuitBreaker>,
}

impl<P: PaymentProvider> ResilientProvider<P> {
    /// Wraps `inner` with `policy`.
    pub fn new(inner: P, policy: ResiliencePolicy) -> Self {
        let breaker = CircuitBreaker::new(
            policy.breaker_failure_threshold,
            policy.breaker_open_for,
            policy.call_timeout,
        );
        Self {
            inner,
            policy,
            breaker: Mutex::new(breaker),
        }
    }

    /// The wrapped provider.
    pub fn inner(&self) -> &P {
        &self.inner
    }

    /// True while the circuit turns calls away (open, or half-open with a trial out).
    pub fn is_circuit_open(&self) -> bool {
        self.breaker().is_open()
    }

    fn breaker(&self) -> MutexGuard<'_, CircuitBreaker> {
        // Every breaker update is a single assignment: a panic cannot leave it half-done.
        self.breaker.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs `attempt` under the policy. `operation` and `key` only label the logs.
    async fn call<T, F, Fut>(
        &self,
        operation: &'static str,
        key: &str,
        attempt: F,
    ) -> Result<T, ProviderError>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<T, ProviderError>>,
    {
        let max_attempts = self.policy.max_attempts.max(1);
        let mut attempt_number = 1;
        loop {
            if !self.breaker().admit(Instant::now()) {
                return Err(ProviderError::Transient(
                    "circuit breaker open: the provider is failing".to_owned(),
                ));
            }
            let result = tokio::time::timeout(self.policy.call_timeout, attempt())
                .await
                .unwrap_or_else(|_| {
                    Err(ProviderError::Transient(format!(
                        "timed out after {:?}",
                        self.policy.call_timeout
                    )))
                });
            let reason = match result {
                Err(ProviderError::Transient(reason)) => reason,
                answered => {
                    self.breaker().record_success();
                    return answered;
                }
            };
            let opened = self.breaker().record_failure(Instant::now());
            if opened {
                tracing::warn!(
                    open_for_secs = self.policy.breaker_open_for.as_secs_f64(),
                    "payment provider circuit opened"
                );
            }
            if attempt_number >= max_attempts {
                return Err(ProviderError::Transient(reason));
            }
            let wait = self.policy.backoff(attempt_number);
            tracing::warn!(
                operation,
                idempotency_key = key,
                attempt = attempt_number,
                %reason,
                retry_in_ms = wait.as_millis(),
                "payment provider call failed; retrying"
            );
            tokio::time::sleep(wait).await;
            attempt_number += 1;
        }
    }
}

impl<P: PaymentProvider> PaymentProvider for ResilientProvider<P> {
    fn charge(
        &self,
        request: &ChargeRequest,
    ) -> impl Future<Output = Result<Charge, ProviderError>> + Send {
        self.call("charge", &request.idempotency_key, move || {
            self.inner.charge(request)
        })
    }

    fn refund(
        &self,
        request: &RefundRequest,
    ) -> impl Future<Output = Result<Refund, ProviderError>> + Send {
        self.call("refund", &request.idempotency_key, move || {
            self.inner.refund(request)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::PaymentMethod;
    use crate::provider::simulator::{SimulatedProvider, PROCESSING_ERROR, TIMEOUT, VISA};
    use proptest::prelude::*;
    use shared::{Currency, Money};
    use std::collections::VecDeque;
    use std::sync::atomic::{AtomicU32, Ordering};

    /// Answers from a script (then successes), after an optional delay, counting calls.
    #[derive(Default)]
    struct ScriptedProvider {
        script: Mutex<VecDeque<Result<(), ProviderError>>>,
        delay: Duration,
        calls: AtomicU32,
    }

    impl ScriptedProvider {
        fn answering(script: impl IntoIterator<Item = Result<(), ProviderError>>) -> Self {
            Self {
                script: Mutex::new(script.into_iter().collect()),
                ..Self::default()
            }
        }

        fn calls(&self) -> u32 {
            self.calls.load(Ordering::SeqCst)
        }

        async fn next(&self) -> Result<(), ProviderError> {
            self.calls.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(self.delay).await;
            self.script.lock().unwrap().pop_front().unwrap_or(Ok(()))
        }
    }

    impl PaymentProvider for ScriptedProvider {
        async fn charge(&self, _: &ChargeRequest) -> Result<Charge, ProviderError> {
            self.next().await.map(|()| Charge {
                charge_id: "ch_scripted".to_owned(),
            })
        }

        async fn refund(&self, _: &RefundRequest) -> Result<Refund, ProviderError> {
            self.next().await.map(|()| Refund {
                refund_id: "re_scripted".to_owned(),
            })
        }
    }

    fn transient() -> Result<(), ProviderError> {
        Err(ProviderError::Transient("boom".to_owned()))
    }

    fn declined() -> Result<(), ProviderError> {
        Err(ProviderError::Declined("card_declined".to_owned()))
    }

    fn fast() -> ResiliencePolicy {
        ResiliencePolicy {
            call_timeout: Duration::from_millis(50),
            max_attempts: 3,
            backoff_base: Duration::from_millis(1),
            backoff_factor: 2,
            breaker_failure_threshold: 5,
            breaker_open_for: Duration::from_millis(50),
        }
    }

    fn request(key: &str, token: &str) -> ChargeRequest {
        ChargeRequest {
            idempotency_key: key.to_owned(),
            amount: Money::new(1999, Currency::parse("EUR").unwrap()),
            payment_method: PaymentMethod::parse(token).unwrap(),
        }
    }

    #[test]
    fn production_defaults_are_the_documented_ones() {
        let p = ResiliencePolicy::default();
        assert_eq!(p.call_timeout, Duration::from_secs(2));
        assert_eq!(p.max_attempts, 3);
        assert_eq!(p.backoff_ceiling(1), Duration::from_millis(100));
        assert_eq!(p.backoff_ceiling(2), Duration::from_millis(200));
        assert_eq!(p.breaker_failure_threshold, 5);
        assert_eq!(p.breaker_open_for, Duration::from_secs(30));
    }

    #[tokio::test]
    async fn a_transient_failure_is_retried_until_the_charge_succeeds() {
        let provider = ResilientProvider::new(SimulatedProvider::new(), fast());
        let charge = provider.charge(&request("o-1", PROCESSING_ERROR)).await;
        assert!(charge.is_ok(), "{charge:?}");
        assert_eq!(provider.inner().charge_attempts_for("o-1"), 3);
        assert_eq!(provider.inner().charges_for("o-1"), 1);
        assert!(!provider.is_circuit_open());
    }

    #[tokio::test]
    async fn it_gives_up_after_the_bound_with_a_transient_error() {
        let provider = ResilientProvider::new(
            ScriptedProvider::answering(std::iter::repeat_with(transient).take(10)),
            fast(),
        );
        let result = provider.charge(&request("o", VISA)).await;
        assert_eq!(result, Err(ProviderError::Transient("boom".to_owned())));
        assert_eq!(provider.inner().calls(), 3);
    }

    #[tokio::test]
    async fn a_call_that_outlives_its_timeout_is_a_transient_failure() {
        let slow = ScriptedProvider {
            delay: Duration::from_millis(500),
            ..ScriptedProvider::default()
        };
        let policy = ResiliencePolicy {
            call_timeout: Duration::from_millis(10),
            max_attempts: 2,
            ..fast()
        };
        let provider = ResilientProvider::new(slow, policy);
        let started = std::time::Instant::now();
        let result = provider.charge(&request("o", VISA)).await;
        assert!(
            matches!(&result, Err(ProviderError::Transient(why)) if why.contains("timed out")),
            "{result:?}"
        );
        assert_eq!(provider.inner().calls(), 2);
        assert!(
            started.elapsed() < Duration::from_millis(500),
            "the call was cut short"
        );
    }

    #[tokio::test]
    async fn a_provider_that_hangs_is_a_transient_failure_and_charges_nothing() {
        let provider = ResilientProvider::new(SimulatedProvider::new(), fast());
        let result = provider.charge(&request("o-hang", TIMEOUT)).await;
        assert!(
            matches!(&result, Err(ProviderError::Transient(why)) if why.contains("timed out")),
            "{result:?}"
        );
        assert_eq!(provider.inner().charge_attempts_for("o-hang"), 3);
        assert_eq!(provider.inner().charges_for("o-hang"), 0);
    }

    #[tokio::test]
    async fn declines_are_not_retried_and_do_not_trip_the_breaker() {
        let policy = ResiliencePolicy {
            breaker_failure_threshold: 2,
            ..fast()
        };
        let provider = ResilientProvider::new(
            ScriptedProvider::answering(std::iter::repeat_with(declined).take(5)),
            policy,
        );
        for _ in 0..5 {
            let result = provider.charge(&request("o", VISA)).await;
            assert_eq!(
                result,
                Err(ProviderError::Declined("card_declined".to_owned()))
            );
        }
        assert_eq!(provider.inner().calls(), 5);
        assert!(!provider.is_circuit_open());
    }

    #[tokio::test]
    async fn an_open_circuit_fails_fast_then_one_trial_closes_it() {
        let policy = ResiliencePolicy {
            max_attempts: 1,
            breaker_failure_threshold: 2,
            ..fast()
        };
        let provider = ResilientProvider::new(
            ScriptedProvider::answering(std::iter::repeat_with(transient).take(2)),
            policy,
        );
        for _ in 0..2 {
            assert!(provider.charge(&request("o", VISA)).await.is_err());
        }
        assert!(provider.is_circuit_open());

        let shed = provider.charge(&request("o", VISA)).await;
        assert!(
            matches!(&shed, Err(ProviderError::Transient(why)) if why.contains("circuit")),
            "{shed:?}"
        );
        assert_eq!(provider.inner().calls(), 2, "an open circuit does not call");

        tokio::time::sleep(Duration::from_millis(60)).await;
        assert!(
            provider.charge(&request("o", VISA)).await.is_ok(),
            "the trial"
        );
        assert!(!provider.is_circuit_open());
        assert!(provider.charge(&request("o", VISA)).await.is_ok());
        assert_eq!(provider.inner().calls(), 4);
    }

    #[tokio::test]
    async fn a_failed_trial_opens_the_circuit_again() {
        let policy = ResiliencePolicy {
            max_attempts: 1,
            breaker_failure_threshold: 1,
            ..fast()
        };
        let provider = ResilientProvider::new(
            ScriptedProvider::answering(std::iter::repeat_with(transient).take(2)),
            policy,
        );
        assert!(provider.charge(&request("o", VISA)).await.is_err());
        tokio::time::sleep(Duration::from_millis(60)).await;
        assert!(
            provider.charge(&request("o", VISA)).await.is_err(),
            "failed trial"
        );
        assert!(provider.is_circuit_open());
        assert!(provider.charge(&request("o", VISA)).await.is_err());
        assert_eq!(provider.inner().calls(), 2);
    }

    #[test]
    fn full_jitter_spreads_the_waits() {
        let policy = ResiliencePolicy::default();
        let waits: std::collections::HashSet<Duration> =
            (0..50).map(|_| policy.backoff(1)).collect();
        assert!(waits.len() > 1, "{waits:?}");
    }

    proptest! {
        #[test]
        fn backoff_stays_within_its_exponential_ceiling(
            retry in 1u32..12,
            base_ms in 1u64..1000,
            factor in 1u32..4,
        ) {
            let policy = ResiliencePolicy {
                backoff_base: Duration::from_millis(base_ms),
                backoff_factor: factor,
                ..ResiliencePolicy::default()
            };
            let ceiling = policy.backoff_ceiling(retry);
            prop_assert_eq!(
                ceiling,
                Duration::from_millis(base_ms) * factor.pow(retry - 1)
            );
            prop_assert!(policy.backoff(retry) <= ceiling);
        }
    }
}
