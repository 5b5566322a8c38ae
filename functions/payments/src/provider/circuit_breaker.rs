//! A circuit breaker: after a run of consecutive transient failures the provider is left
//! alone for a while (calls fail fast instead of piling up on a sick dependency and
//! burning the worker's time budget), then one trial call decides whether it is back.
//!
//! Pure state over explicit instants, so every transition is tested without sleeping.

use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Closed { consecutive_failures: u32 },
    Open { until: Instant },
    HalfOpen { trial_started: Instant },
}

/// Closed -> (threshold consecutive failures) -> open -> (cool-down) -> half-open ->
/// (trial succeeds) closed, or (trial fails) open again.
#[derive(Debug)]
pub struct CircuitBreaker {
    failure_threshold: u32,
    open_for: Duration,
    trial_timeout: Duration,
    state: State,
}

impl CircuitBreaker {
    /// A closed breaker that opens after `failure_threshold` consecutive failures, stays
    /// open for `open_for`, and gives a half-open trial `trial_timeout` to report back
    /// before it lets another trial through (the first one was dropped mid-call).
    pub fn new(failure_threshold: u32, open_for: Duration, trial_timeout: Duration) -> Self {
        Self {
            failure_threshold: failure_threshold.max(1),
            open_for,
            trial_timeout,
            state: State::Closed {
                consecutive_failures: 0,
            },
        }
    }

    /// True when a call may go to the provider now. Once the cool-down is over, the first
    /// caller is admitted as the trial and the others are turned away until it reports.
    pub fn admit(&mut self, now: Instant) -> bool {
        match self.state {
            State::Closed { .. } => true,
            State::Open { until } if now < until => false,
            State::HalfOpen { trial_started }
                if now.duration_since(trial_started) < self.trial_timeout =>
            {
                false
            }
            State::Open { .. } | State::HalfOpen { .. } => {
                self.state = State::HalfOpen { trial_started: now };
                true
            }
        }
    }

    /// The provider answered (a charge, a refund, or a decline): it is healthy.
    pub fn record_success(&mut self) {
        self.state = State::Closed {
            consecutive_failures: 0,
        };
    }

    /// The provider failed transiently; true when this failure opened the circuit.
    pub fn record_failure(&mut self, now: Instant) -> bool {
        match self.state {
            State::Closed {
                consecutive_failures,
            } => {
                let failures = consecutive_failures.saturating_add(1);
                if failures >= self.failure_threshold {
                    self.open(now);
                    true
                } else {
                    self.state = State::Closed {
                        consecutive_failures: failures,
                    };
                    false
                }
            }
            State::HalfOpen { .. } => {
                self.open(now);
                true
            }
            // A call admitted before the circuit opened, failing late: already handled.
            State::Open { .. } => false,
        }
    }

    /// True while calls are being turned away without reaching the provider.
    pub fn is_open(&self) -> bool {
        !matches!(self.state, State::Closed { .. })
    }

    fn open(&mut self, now: Instant) {
        self.state = State::Open {
            until: now + self.open_for,
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OPEN_FOR: Duration = Duration::from_secs(30);
    const TRIAL_TIMEOUT: Duration = Duration::from_secs(2);

    fn breaker() -> CircuitBreaker {
        CircuitBreaker::new(5, OPEN_FOR, TRIAL_TIMEOUT)
    }

    #[test]
    fn opens_after_the_threshold_of_consecutive_failures_only() {
        let t0 = Instant::now();
        let mut b = breaker();
        for _ in 0..4 {
            assert!(b.admit(t0));
            assert!(!b.record_failure(t0));
        }
        // A success in between resets the run.
        b.record_success();
        for _ in 0..4 {
            assert!(!b.record_failure(t0));
        }
        assert!(b.admit(t0));
        assert!(
            b.record_failure(t0),
            "the fifth consecutive failure opens it"
        );
        assert!(b.is_open());
        assert!(!b.admit(t0));
        assert!(!b.admit(t0 + OPEN_FOR - Duration::from_millis(1)));
    }

    #[test]
    fn after_the_cool_down_one_trial_closes_it() {
        let t0 = Instant::now();
        let mut b = CircuitBreaker::new(1, OPEN_FOR, TRIAL_TIMEOUT);
        assert!(b.record_failure(t0));
        let later = t0 + OPEN_FOR;
        assert!(b.admit(later), "the trial");
        assert!(!b.admit(later), "one trial at a time");
        b.record_success();
        assert!(!b.is_open());
        assert!(b.admit(later) && b.admit(later));
    }

    #[test]
    fn a_failed_trial_opens_it_for_another_cool_down() {
        let t0 = Instant::now();
        let mut b = CircuitBreaker::new(1, OPEN_FOR, TRIAL_TIMEOUT);
        b.record_failure(t0);
        let trial_at = t0 + OPEN_FOR;
        assert!(b.admit(trial_at));
        assert!(b.record_failure(trial_at));
        assert!(!b.admit(trial_at + OPEN_FOR - Duration::from_millis(1)));
        assert!(b.admit(trial_at + OPEN_FOR));
    }

    #[test]
    fn a_trial_that_never_reports_back_is_replaced_after_its_timeout() {
        let t0 = Instant::now();
        let mut b = CircuitBreaker::new(1, OPEN_FOR, TRIAL_TIMEOUT);
        b.record_failure(t0);
        let trial_at = t0 + OPEN_FOR;
        assert!(b.admit(trial_at));
        assert!(!b.admit(trial_at + TRIAL_TIMEOUT - Duration::from_millis(1)));
        assert!(b.admit(trial_at + TRIAL_TIMEOUT));
    }

    #[test]
    fn a_late_failure_while_open_does_not_extend_the_cool_down() {
        let t0 = Instant::now();
        let mut b = CircuitBreaker::new(1, OPEN_FOR, TRIAL_TIMEOUT);
        b.record_failure(t0);
        assert!(!b.record_failure(t0 + Duration::from_secs(10)));
        assert!(b.admit(t0 + OPEN_FOR));
    }
}
