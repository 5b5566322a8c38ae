//! The measuring protocol: cold starts, then warm invocations in one process.

use crate::aws_proxy::RoundTrips;
use crate::capacity::Units;
use crate::stack::{Sample, Subject};
use anyhow::{Context as _, Result};
use serde_json::Value;
use std::time::Duration;

/// How many of each.
#[derive(Debug, Clone, Copy)]
pub struct Protocol {
    /// Fresh processes per operation; each one's first invocation is timed.
    pub cold_starts: usize,
    /// Invocations discarded before the warm series of each operation.
    pub warmup: usize,
    /// Timed warm invocations per operation.
    pub warm: usize,
}

/// What an operation is, for the report and its round-trip target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Read,
    Write,
    Batch,
}

/// Invocations of an operation whose AWS calls alone are reported.
const ROUND_TRIP_RUNS: usize = 3;

/// One operation of a function: a name and a source of fresh events for it.
pub struct Op {
    pub name: String,
    pub kind: Kind,
    /// Timed (cold starts and the warm series) or only its AWS calls counted.
    pub timed: bool,
    pub next_event: Box<dyn FnMut() -> Result<Value> + Send>,
}

impl Op {
    /// An operation measured in full.
    pub fn new(
        name: &str,
        kind: Kind,
        next_event: impl FnMut() -> Result<Value> + Send + 'static,
    ) -> Op {
        Op {
            name: name.to_owned(),
            kind,
            timed: true,
            next_event: Box::new(next_event),
        }
    }

    /// An operation whose AWS calls alone are counted, over a few warm invocations.
    pub fn round_trips_only(
        name: &str,
        kind: Kind,
        next_event: impl FnMut() -> Result<Value> + Send + 'static,
    ) -> Op {
        Op {
            timed: false,
            ..Op::new(name, kind, next_event)
        }
    }
}

/// The raw measurements of one operation.
#[derive(Debug, Default)]
pub struct OpSamples {
    pub first: Vec<Duration>,
    pub warm: Vec<Duration>,
    pub aws: Vec<Duration>,
    pub overhead: Vec<Duration>,
    /// The AWS calls of every warm invocation.
    pub trips: Vec<RoundTrips>,
    /// The DynamoDB request units of every warm invocation.
    pub units: Vec<Units>,
}

/// The raw measurements of one function.
#[derive(Debug, Default)]
pub struct FunctionSamples {
    pub init: Vec<Duration>,
    pub ops: Vec<OpSamples>,
    pub peak_rss_kib: Option<u64>,
}

impl FunctionSamples {
    /// Empty samples for a function with `ops` operations.
    pub fn new(ops: usize) -> FunctionSamples {
        FunctionSamples {
            ops: (0..ops).map(|_| OpSamples::default()).collect(),
            ..FunctionSamples::default()
        }
    }
}

/// One cold start per timed operation of `subject`: a fresh process each, its init and
/// its first invocation. `run` calls this once per round for every subject in turn, so
/// the floor, the peer and the functions start under the same conditions (the tail of
/// the previous invocation's work in moto and the previous process's teardown).
pub async fn cold_starts(
    subject: &Subject,
    ops: &mut [Op],
    samples: &mut FunctionSamples,
) -> Result<()> {
    for (op, op_samples) in ops.iter_mut().zip(samples.ops.iter_mut()) {
        if !op.timed {
            continue;
        }
        let running = subject.start().await?;
        let sample = running.invoke((op.next_event)()?).await;
        running.stop().await;
        let sample = sample.with_context(|| format!("{}: {}", subject.name(), op.name))?;
        samples
            .init
            .push(sample.init.context("a fresh process reports its init")?);
        op_samples.first.push(sample.duration);
    }
    Ok(())
}

/// One process for every warm series of `subject`: the discarded warm-up, then the timed
/// invocations of each timed operation; the calls alone of the others.
pub async fn warm_series(
    subject: &Subject,
    ops: &mut [Op],
    protocol: Protocol,
    samples: &mut FunctionSamples,
) -> Result<()> {
    let running = subject.start().await?;
    for (op, op_samples) in ops.iter_mut().zip(samples.ops.iter_mut()) {
        if !op.timed {
            for _ in 0..ROUND_TRIP_RUNS {
                let sample = running
                    .invoke((op.next_event)()?)
                    .await
                    .with_context(|| format!("{}: {}", subject.name(), op.name))?;
                record_trips(op_samples, &sample);
            }
            continue;
        }
        for _ in 0..protocol.warmup {
            running.invoke((op.next_event)()?).await?;
        }
        for _ in 0..protocol.warm {
            let sample = running
                .invoke((op.next_event)()?)
                .await
                .with_context(|| format!("{}: {}", subject.name(), op.name))?;
            record_warm(op_samples, &sample);
            samples.peak_rss_kib = sample.max_memory_kib.or(samples.peak_rss_kib);
        }
    }
    running.stop().await;
    Ok(())
}

fn record_warm(op: &mut OpSamples, sample: &Sample) {
    op.warm.push(sample.duration);
    op.aws.push(sample.aws);
    op.overhead.push(sample.duration.saturating_sub(sample.aws));
    record_trips(op, sample);
}

fn record_trips(op: &mut OpSamples, sample: &Sample) {
    op.trips.push(sample.trips.clone());
    op.units.push(sample.units);
}

impl OpSamples {
    /// The mean DynamoDB request units of an invocation.
    pub fn mean_units(&self) -> Option<Units> {
        let n = self.units.len() as f64;
        (n > 0.0).then(|| {
            let total = self.units.iter().fold(Units::default(), |a, &b| a + b);
            Units {
                read: total.read / n,
                write: total.write / n,
            }
        })
    }

    /// The calls most invocations made (the larger on a tie). Not the maximum: the proxy
    /// sees when a request arrives, so on a busy machine two concurrent calls can arrive
    /// one after the other now and then and look sequential.
    pub fn typical_trips(&self) -> Option<RoundTrips> {
        let mut counts: Vec<(&RoundTrips, usize)> = Vec::new();
        for t in &self.trips {
            match counts.iter_mut().find(|(seen, _)| *seen == t) {
                Some((_, n)) => *n += 1,
                None => counts.push((t, 1)),
            }
        }
        counts
            .into_iter()
            .max_by_key(|(t, n)| (*n, t.calls, t.depth))
            .map(|(t, _)| t.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trips(calls: usize, depth: usize) -> RoundTrips {
        RoundTrips {
            calls,
            depth,
            operations: vec!["dynamodb.PutItem".to_owned(); calls],
        }
    }

    #[test]
    fn the_typical_trips_are_the_most_frequent_not_the_worst() {
        let mut op = OpSamples::default();
        assert_eq!(op.typical_trips(), None);
        op.trips = vec![trips(3, 2), trips(3, 3), trips(3, 2)];
        assert_eq!(op.typical_trips(), Some(trips(3, 2)));
        op.trips.push(trips(3, 3));
        assert_eq!(
            op.typical_trips(),
            Some(trips(3, 3)),
            "a tie goes to the worse"
        );
    }
}
