//! Outages on demand for the end-to-end tests: the fault switch of the stack's moto (see
//! `tools/moto-runner/moto_faults.py`), one fault test at a time, and the observations
//! they make from the outside: what a table holds, what a dead-letter queue holds, and a
//! batch of events that reaches a worker's queue at once.

use crate::Stack;
use aws_sdk_sqs::types::{MessageSystemAttributeName, QueueAttributeName};
use serde_json::Value;
use std::time::{Duration, Instant};
use tokio::sync::{Mutex, MutexGuard};

/// How long the devstack's SQS pollers wait in one ReceiveMessage.
const DEVSTACK_LONG_POLL: Duration = Duration::from_secs(1);

pub use moto_runner::faults::{Fault, FaultReport, FaultRule, FaultService, FaultSwitch};

/// A DynamoDB outage hits every function of the stack: fault tests take turns.
static ONE_OUTAGE_AT_A_TIME: Mutex<()> = Mutex::const_new(());

/// Waits for this test's turn and returns the stack's fault switch with no rule set (a
/// rule a failed test could not clear is gone too).
pub async fn exclusive_switch(stack: &Stack) -> (MutexGuard<'static, ()>, FaultSwitch) {
    let turn = ONE_OUTAGE_AT_A_TIME.lock().await;
    let switch = FaultSwitch::new(&stack.moto_url);
    switch
        .clear_all()
        .await
        .expect("the fault switch of the stack's moto answers");
    (turn, switch)
}

/// Every item of the template table `table_logical_id` that mentions `needle` in any
/// attribute (records, outbox items, idempotency records alike).
pub async fn items_mentioning(stack: &Stack, table_logical_id: &str, needle: &str) -> Vec<String> {
    let aws = moto_runner::sdk_config(&stack.moto_url).await;
    let items = aws_sdk_dynamodb::Client::new(&aws)
        .scan()
        .table_name(stack.resource_ref(table_logical_id))
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .expect("scan the table");
    items
        .iter()
        .map(|item| format!("{item:?}"))
        .filter(|text| text.contains(needle))
        .collect()
}

/// A charge the provider makes but payments cannot record: the first write of a
/// PaymentSucceeded fails, and every later claim of a payment fails before it gets
/// anywhere, so the charge's own message makes no progress while this holds. Whatever
/// settles the payment meanwhile (a refund, an expiry) has to do it itself.
pub struct StalledCharge {
    /// The failing write of the charge; spent after one.
    pub recording_fails: Fault,
    /// The failing claims of every retry; cleared to end the stall.
    pub retries_fail: Fault,
}

impl StalledCharge {
    /// Sets the two rules on `switch` (take the switch with [`exclusive_switch`]).
    pub async fn set(stack: &Stack, switch: &FaultSwitch) -> StalledCharge {
        let recording_fails = switch
            .inject(
                &FaultRule::error(FaultService::Dynamodb)
                    .operations(&["TransactWriteItems"])
                    .resource("PaymentSucceeded")
                    .count(1),
            )
            .await
            .expect("set the fault");
        let retries_fail = switch
            .inject(
                &FaultRule::error(FaultService::Dynamodb)
                    .operations(&["PutItem"])
                    .resource(stack.resource_ref("PaymentsTable"))
                    .after(1),
            )
            .await
            .expect("set the fault");
        StalledCharge {
            recording_fails,
            retries_fail,
        }
    }

    /// Waits, at most `timeout`, until the charge of `order` was made and its recording
    /// failed, and checks that its payment is left CHARGING.
    pub async fn wait_until_stalled(&self, stack: &Stack, order: &str, timeout: Duration) {
        let started = Instant::now();
        while self
            .recording_fails
            .report()
            .await
            .expect("fault report")
            .hits
            == 0
        {
            assert!(
                started.elapsed() < timeout,
                "the charge of {order} was not attempted within {timeout:?}"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        let charging = items_mentioning(stack, "PaymentsTable", order).await;
        assert!(
            charging.iter().any(|item| item.contains("CHARGING")),
            "{charging:?}"
        );
    }
}

/// A queue of the stack, seen through SQS.
pub struct StackQueue {
    sqs: aws_sdk_sqs::Client,
    /// The queue URL.
    pub url: String,
}

/// A message read from a queue: its body as JSON and how often it was received.
#[derive(Debug)]
pub struct Received {
    /// The body (an event envelope).
    pub body: Value,
    /// ApproximateReceiveCount, this receive included.
    pub receive_count: u32,
}

impl StackQueue {
    /// The queue `logical_id` of the template.
    pub async fn of(stack: &Stack, logical_id: &str) -> StackQueue {
        let aws = moto_runner::sdk_config(&stack.moto_url).await;
        StackQueue {
            sqs: aws_sdk_sqs::Client::new(&aws),
            url: stack.resource_ref(logical_id).to_owned(),
        }
    }

    /// A queue attribute (`ApproximateNumberOfMessages`, `RedrivePolicy`, ...).
    pub async fn attribute(&self, name: QueueAttributeName) -> Option<String> {
        self.sqs
            .get_queue_attributes()
            .queue_url(&self.url)
            .attribute_names(name.clone())
            .send()
            .await
            .expect("queue attributes")
            .attributes
            .and_then(|mut a| a.remove(&name))
    }

    /// The maxReceiveCount of the queue's redrive policy.
    pub async fn max_receive_count(&self) -> u32 {
        let policy = self
            .attribute(QueueAttributeName::RedrivePolicy)
            .await
            .expect("the queue has a redrive policy");
        let policy: Value = serde_json::from_str(&policy).expect("redrive policy JSON");
        match &policy["maxReceiveCount"] {
            Value::Number(n) => n.as_u64(),
            Value::String(s) => s.parse().ok(),
            _ => None,
        }
        .and_then(|n| u32::try_from(n).ok())
        .expect("maxReceiveCount")
    }

    /// Receives (and deletes) messages until one satisfies `wanted` or `timeout` passes.
    pub async fn take(&self, timeout: Duration, wanted: impl Fn(&Value) -> bool) -> Vec<Received> {
        let started = Instant::now();
        let mut taken = Vec::new();
        while started.elapsed() < timeout && !taken.iter().any(|r: &Received| wanted(&r.body)) {
            let out = self
                .sqs
                .receive_message()
                .queue_url(&self.url)
                .max_number_of_messages(10)
                .wait_time_seconds(1)
                .message_system_attribute_names(MessageSystemAttributeName::All)
                .send()
                .await
                .expect("receive");
            for m in out.messages() {
                let count = m
                    .attributes()
                    .and_then(|a| a.get(&MessageSystemAttributeName::ApproximateReceiveCount))
                    .and_then(|c| c.parse().ok())
                    .unwrap_or(0);
                taken.push(Received {
                    body: serde_json::from_str(m.body().unwrap_or_default()).unwrap_or(Value::Null),
                    receive_count: count,
                });
                if let Some(handle) = m.receipt_handle() {
                    self.sqs
                        .delete_message()
                        .queue_url(&self.url)
                        .receipt_handle(handle)
                        .send()
                        .await
                        .expect("delete");
                }
            }
        }
        taken
    }
}

/// Publishes `envelopes` to the topic `topic_logical_id` in one PublishBatch and makes
/// them reach the worker queue `queue_logical_id` as one batch: the queue's poller is held
/// off (its ReceiveMessage calls fail) until every message is in, so the test controls
/// what shares a batch. The poller logs each refused poll as a warning.
pub async fn publish_as_one_batch(
    stack: &Stack,
    switch: &FaultSwitch,
    topic_logical_id: &str,
    queue_logical_id: &str,
    envelopes: &[Value],
) {
    assert!(
        envelopes.len() <= 10,
        "one SQS batch holds at most 10 messages"
    );
    let queue = StackQueue::of(stack, queue_logical_id).await;
    let paused = switch
        .inject(
            &FaultRule::error(FaultService::Sqs)
                .operations(&["ReceiveMessage"])
                .resource(&queue.url),
        )
        .await
        .expect("pause the queue's poller");
    // A long poll that began before the rule would still take the messages. The queue has
    // several pollers (as Lambda polls a queue with several): once one has been refused,
    // every poll begun before the rule has ended within one long poll, and every poll
    // from then on is refused.
    let started = Instant::now();
    while paused.report().await.expect("pause report").hits == 0 {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the poller of {queue_logical_id} did not poll"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(DEVSTACK_LONG_POLL + Duration::from_millis(200)).await;
    let aws = moto_runner::sdk_config(&stack.moto_url).await;
    let entries = envelopes.iter().enumerate().map(|(i, envelope)| {
        let event_type = envelope["type"].as_str().unwrap_or("Unknown");
        aws_sdk_sns::types::PublishBatchRequestEntry::builder()
            .id(format!("e{i}"))
            .message(envelope.to_string())
            .message_attributes(
                "event_type",
                aws_sdk_sns::types::MessageAttributeValue::builder()
                    .data_type("String")
                    .string_value(event_type)
                    .build()
                    .expect("event_type attribute"),
            )
            .build()
            .expect("batch entry")
    });
    let out = aws_sdk_sns::Client::new(&aws)
        .publish_batch()
        .topic_arn(stack.resource_ref(topic_logical_id))
        .set_publish_batch_request_entries(Some(entries.collect()))
        .send()
        .await
        .expect("publish the batch");
    assert!(
        out.failed().is_empty(),
        "entries failed: {:?}",
        out.failed()
    );
    // Other messages may be waiting too; these only add to them while the poller waits.
    let started = Instant::now();
    loop {
        let waiting: usize = queue
            .attribute(QueueAttributeName::ApproximateNumberOfMessages)
            .await
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        if waiting >= envelopes.len() {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the batch did not reach {queue_logical_id}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    paused.clear().await.expect("resume the queue's poller");
}
