//! Consumer crashes between steps, at a point the seed decides. A [`CrashSwitch`] sits in
//! a worker's DynamoDB client as an interceptor: armed with `n`, it lets the next `n`
//! calls through and fails every call after them before it is sent, as if the process
//! had died right after its n-th call returned. [`run_until_crash`] then drops the
//! worker's future, so nothing of the invocation runs on, and the batch is not
//! acknowledged: SQS delivers all of it again, as after a Lambda crash or timeout.
//!
//! The point is counted in calls rather than in time, so a seed replays the same crash
//! at the same step on any machine.

use aws_sdk_dynamodb::config::interceptors::BeforeSerializationInterceptorContextRef;
use aws_sdk_dynamodb::config::{ConfigBag, Intercept};
use std::future::Future;
use std::pin::pin;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::Arc;
use std::task::Poll;

/// Calls left before the crash while armed; `DISARMED` otherwise.
const DISARMED: i64 = i64::MAX;

/// A crash that can be armed for one invocation.
#[derive(Debug)]
pub struct CrashSwitch {
    calls_left: AtomicI64,
    crashed: AtomicBool,
}

impl Default for CrashSwitch {
    fn default() -> Self {
        Self {
            calls_left: AtomicI64::new(DISARMED),
            crashed: AtomicBool::new(false),
        }
    }
}

impl CrashSwitch {
    /// A disarmed switch to share between an interceptor and the harness.
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// Crashes at the call after the next `calls` calls.
    pub fn arm(&self, calls: u32) {
        self.crashed.store(false, Ordering::SeqCst);
        self.calls_left.store(i64::from(calls), Ordering::SeqCst);
    }

    /// Lets every call through again.
    pub fn disarm(&self) {
        self.calls_left.store(DISARMED, Ordering::SeqCst);
        self.crashed.store(false, Ordering::SeqCst);
    }

    /// True once the armed crash happened (until the next arm or disarm).
    pub fn crashed(&self) -> bool {
        self.crashed.load(Ordering::SeqCst)
    }

    /// Counts a call; false when the process is (now) dead and the call must not run.
    pub fn admit_call(&self) -> bool {
        if self.crashed() {
            return false;
        }
        if self.calls_left.load(Ordering::SeqCst) == DISARMED {
            return true;
        }
        if self.calls_left.fetch_sub(1, Ordering::SeqCst) > 0 {
            return true;
        }
        self.crashed.store(true, Ordering::SeqCst);
        false
    }
}

/// The interceptor form of a [`CrashSwitch`], for a DynamoDB client's config.
#[derive(Debug, Clone)]
pub struct CrashInterceptor(pub Arc<CrashSwitch>);

impl Intercept for CrashInterceptor {
    fn name(&self) -> &'static str {
        "CrashInterceptor"
    }

    // Before serialization runs once per operation (not per retry attempt), so the count
    // is of the worker's calls, whatever the SDK retries underneath.
    fn read_before_execution(
        &self,
        _context: &BeforeSerializationInterceptorContextRef<'_>,
        _cfg: &mut ConfigBag,
    ) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        if self.0.admit_call() {
            Ok(())
        } else {
            Err("simulated crash: the process died before this call".into())
        }
    }
}

/// Runs `invocation` until it finishes (`Some`) or the switch reports the crash (`None`),
/// in which case the future is dropped where it stands.
pub async fn run_until_crash<T>(
    switch: &CrashSwitch,
    invocation: impl Future<Output = T>,
) -> Option<T> {
    let mut invocation = pin!(invocation);
    std::future::poll_fn(|cx| {
        let polled = invocation.as_mut().poll(cx);
        if switch.crashed() {
            return Poll::Ready(None);
        }
        polled.map(Some)
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_armed_switch_admits_that_many_calls_then_none() {
        let switch = CrashSwitch::new();
        assert!(switch.admit_call() && switch.admit_call());
        switch.arm(2);
        assert!(switch.admit_call() && switch.admit_call());
        assert!(!switch.crashed());
        assert!(!switch.admit_call());
        assert!(switch.crashed());
        assert!(!switch.admit_call());
        switch.disarm();
        assert!(switch.admit_call() && !switch.crashed());
    }

    #[tokio::test]
    async fn a_crash_drops_the_invocation() {
        let switch = CrashSwitch::new();
        switch.arm(0);
        let ran_on = AtomicBool::new(false);
        let result = run_until_crash(&switch, async {
            let admitted = switch.admit_call();
            tokio::task::yield_now().await;
            ran_on.store(true, Ordering::SeqCst);
            admitted
        })
        .await;
        assert_eq!(result, None);
        assert!(!ran_on.load(Ordering::SeqCst));
        switch.disarm();
        assert_eq!(run_until_crash(&switch, async { 7 }).await, Some(7));
    }
}
