//! Event sources: SQS queues and DynamoDB streams polled and delivered as Lambda's event
//! source mappings do, and scheduled rules run as EventBridge does.

mod filter;
mod schedule;
mod sqs;
mod stream;
#[cfg(test)]
mod tests;

use crate::running::RunningFunction;
use std::time::Duration;
use tokio::sync::watch;

/// An SQS event source mapping from the template.
#[derive(Debug, Clone)]
pub struct SqsSource {
    pub queue_url: String,
    pub queue_arn: String,
    pub batch_size: i32,
    pub report_batch_item_failures: bool,
    /// Lambda event filter patterns (JSON strings) from FilterCriteria.Filters[].Pattern.
    pub filters: Vec<String>,
}

/// A DynamoDB stream event source mapping from the template.
#[derive(Debug, Clone)]
pub struct StreamSource {
    pub stream_arn: String,
    pub table_name: String,
    pub batch_size: i32,
    pub starting_position: String,
    pub maximum_retry_attempts: Option<i64>,
    pub bisect_on_error: bool,
    pub report_batch_item_failures: bool,
    pub on_failure_queue_url: Option<String>,
    /// Lambda event filter patterns (JSON strings) from FilterCriteria.Filters[].Pattern.
    pub filters: Vec<String>,
}

/// Spawns the poller of one queue, delivering up to `in_flight` batches at once; it stops
/// when `shutdown` turns true.
pub fn spawn_sqs_poller(
    sqs: aws_sdk_sqs::Client,
    src: SqsSource,
    f: RunningFunction,
    in_flight: usize,
    shutdown: watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(sqs::run(sqs, src, f, in_flight, shutdown))
}

/// Spawns a poller task; it stops when `shutdown` turns true.
pub fn spawn_stream_poller(
    streams: aws_sdk_dynamodbstreams::Client,
    sqs: aws_sdk_sqs::Client,
    src: StreamSource,
    f: RunningFunction,
    shutdown: watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(stream::run(streams, sqs, src, f, shutdown))
}

pub use schedule::ScheduleSource;

/// Spawns a scheduled rule's timer; it stops when `shutdown` turns true.
pub fn spawn_schedule(
    src: ScheduleSource,
    f: RunningFunction,
    shutdown: watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(schedule::run(src, f, shutdown))
}

/// True once shutdown is requested (or nobody can request it any more).
fn is_shutdown(rx: &watch::Receiver<bool>) -> bool {
    *rx.borrow() || rx.has_changed().is_err()
}

/// Resolves when shutdown is requested.
async fn shutdown_requested(rx: &mut watch::Receiver<bool>) {
    // A dropped sender means the devstack is going away: stop as well.
    let _ = rx.wait_for(|stop| *stop).await;
}

/// Sleeps unless shutdown comes first; returns true on shutdown.
async fn sleep_or_shutdown(d: Duration, rx: &mut watch::Receiver<bool>) -> bool {
    tokio::select! {
        _ = tokio::time::sleep(d) => is_shutdown(rx),
        _ = shutdown_requested(rx) => true,
    }
}

/// Exponential backoff for retries: 200ms doubling up to 5s.
#[derive(Debug)]
struct Backoff {
    next: Duration,
}

impl Backoff {
    const MIN: Duration = Duration::from_millis(200);
    const MAX: Duration = Duration::from_secs(5);

    fn new() -> Backoff {
        Backoff { next: Self::MIN }
    }

    fn reset(&mut self) {
        self.next = Self::MIN;
    }

    /// Sleeps for the current delay and doubles it; returns true on shutdown.
    async fn wait(&mut self, rx: &mut watch::Receiver<bool>) -> bool {
        let d = self.next;
        self.next = (self.next * 2).min(Self::MAX);
        sleep_or_shutdown(d, rx).await
    }
}

/// The region part of an ARN (`arn:aws:sqs:us-east-1:...`), defaulting to us-east-1.
fn region_of(arn: &str) -> String {
    arn.split(':')
        .nth(3)
        .filter(|r| !r.is_empty())
        .unwrap_or("us-east-1")
        .to_string()
}
