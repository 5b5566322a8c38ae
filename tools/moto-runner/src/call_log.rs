//! The DynamoDB calls a client made, each with when it started and ended, for tests of
//! round-trip budgets (docs/benchmarks.md): how many calls a request makes, and how many of them
//! had to wait for one another ([`sequential_depth`]).

use aws_sdk_dynamodb::config::interceptors::{
    BeforeSerializationInterceptorContextRef, BeforeTransmitInterceptorContextRef,
    FinalizerInterceptorContextRef,
};
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_dynamodb::error::BoxError;
use aws_smithy_types::config_bag::{Storable, StoreReplace};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

/// The header naming a DynamoDB operation on the wire: `DynamoDB_20120810.<Operation>`.
const TARGET_HEADER: &str = "x-amz-target";

/// One finished call: its operation, from its first hook to its last (retries included).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    /// The operation, as AWS names it (`PutItem`, `TransactWriteItems`), prefixed by its
    /// service (`dynamodb.PutItem`) where the recorder sees more than one service.
    pub operation: String,
    /// When the SDK began the call.
    pub started: Instant,
    /// When the SDK finished it, successfully or not.
    pub ended: Instant,
}

/// An SDK interceptor recording every call of the clients it is registered on.
#[derive(Debug, Clone, Default)]
pub struct CallLog {
    calls: Arc<Mutex<Vec<Call>>>,
}

impl CallLog {
    /// A DynamoDB client from `aws` whose calls this log records.
    pub fn client(&self, aws: &aws_config::SdkConfig) -> aws_sdk_dynamodb::Client {
        let config = aws_sdk_dynamodb::config::Builder::from(aws)
            .interceptor(self.clone())
            .build();
        aws_sdk_dynamodb::Client::from_conf(config)
    }

    /// The calls finished since the last `take`, in the order they started.
    pub fn take(&self) -> Vec<Call> {
        let mut calls = std::mem::take(&mut *self.lock());
        calls.sort_by_key(|c| c.started);
        calls
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Call>> {
        // A test that panicked while holding the lock left whole records behind.
        self.calls.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The number of sequential rounds `calls` took: the longest chain of calls each of which
/// started after the previous one ended. Calls that overlap count as one round.
pub fn sequential_depth(calls: &[Call]) -> usize {
    let mut by_start: Vec<&Call> = calls.iter().collect();
    by_start.sort_by_key(|c| c.started);
    // depth[i]: the longest chain ending with by_start[i]; its predecessors start earlier.
    let mut depth: Vec<usize> = Vec::with_capacity(by_start.len());
    for (i, call) in by_start.iter().enumerate() {
        let before = (0..i)
            .filter(|&j| by_start[j].ended <= call.started)
            .map(|j| depth[j])
            .max()
            .unwrap_or(0);
        depth.push(before + 1);
    }
    depth.into_iter().max().unwrap_or(0)
}

/// When the call in this config bag started.
#[derive(Debug, Clone)]
struct Started(Instant);

impl Storable for Started {
    type Storer = StoreReplace<Self>;
}

/// The operation of the call in this config bag, once its request is built.
#[derive(Debug, Clone)]
struct Operation(String);

impl Storable for Operation {
    type Storer = StoreReplace<Self>;
}

impl Intercept for CallLog {
    fn name(&self) -> &'static str {
        "CallLog"
    }

    fn read_before_execution(
        &self,
        _context: &BeforeSerializationInterceptorContextRef<'_>,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        cfg.interceptor_state().store_put(Started(Instant::now()));
        Ok(())
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let target = context.request().headers().get(TARGET_HEADER);
        let operation = target
            .and_then(|t| t.rsplit_once('.'))
            .map_or("unknown", |(_, op)| op);
        cfg.interceptor_state()
            .store_put(Operation(operation.to_owned()));
        Ok(())
    }

    fn read_after_execution(
        &self,
        _context: &FinalizerInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let ended = Instant::now();
        let started = cfg.load::<Started>().map_or(ended, |s| s.0);
        let operation = cfg
            .load::<Operation>()
            .map_or_else(|| "not sent".to_owned(), |o| o.0.clone());
        self.lock().push(Call {
            operation,
            started,
            ended,
        });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// A call from `start` to `end` milliseconds after `t0`.
    fn call(t0: Instant, operation: &str, start: u64, end: u64) -> Call {
        Call {
            operation: operation.to_owned(),
            started: t0 + Duration::from_millis(start),
            ended: t0 + Duration::from_millis(end),
        }
    }

    #[test]
    fn overlapping_calls_are_one_round_and_waiting_ones_are_another() {
        let t0 = Instant::now();
        assert_eq!(sequential_depth(&[]), 0);
        assert_eq!(sequential_depth(&[call(t0, "GetItem", 0, 5)]), 1);
        let overlapped = [
            call(t0, "TransactWriteItems", 12, 20),
            call(t0, "PutItem", 0, 10),
            call(t0, "BatchGetItem", 1, 11),
        ];
        assert_eq!(sequential_depth(&overlapped), 2);
        let one_after_another = [
            call(t0, "PutItem", 0, 10),
            call(t0, "BatchGetItem", 10, 15),
            call(t0, "TransactWriteItems", 16, 20),
        ];
        assert_eq!(sequential_depth(&one_after_another), 3);
        // The longest chain counts, not the number of calls nor the first chain found.
        let branching = [
            call(t0, "A", 0, 30),
            call(t0, "B", 1, 5),
            call(t0, "C", 6, 9),
            call(t0, "D", 31, 40),
        ];
        assert_eq!(sequential_depth(&branching), 3);
    }
}
