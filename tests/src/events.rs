//! Observing a service's topic from the outside: a test queue subscribed to it, as a
//! consuming service's queue would be (raw delivery, filter policy on `event_type`).

use aws_sdk_sqs::types::MessageSystemAttributeName;
use serde_json::Value;
use std::time::{Duration, Instant};

/// A test queue subscribed to one topic of the stack.
pub struct EventTap {
    sqs: aws_sdk_sqs::Client,
    queue_url: String,
}

impl EventTap {
    /// Subscribes a fresh queue to the topic `topic_logical_id` of the template, receiving
    /// only the given event types.
    pub async fn subscribe(
        stack: &crate::Stack,
        topic_logical_id: &str,
        event_types: &[&str],
    ) -> EventTap {
        let aws = moto_runner::sdk_config(&stack.moto_url).await;
        let sqs = aws_sdk_sqs::Client::new(&aws);
        let sns = aws_sdk_sns::Client::new(&aws);
        let name = format!("e2e-tap-{}", uuid::Uuid::new_v4().simple());
        let queue_url = sqs
            .create_queue()
            .queue_name(&name)
            .send()
            .await
            .expect("create the tap queue")
            .queue_url
            .expect("queue url");
        let attrs = sqs
            .get_queue_attributes()
            .queue_url(&queue_url)
            .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
            .send()
            .await
            .expect("tap queue attributes");
        let queue_arn = attrs
            .attributes()
            .and_then(|a| a.get(&aws_sdk_sqs::types::QueueAttributeName::QueueArn))
            .expect("queue arn")
            .clone();
        let filter = serde_json::json!({ "event_type": event_types }).to_string();
        sns.subscribe()
            .topic_arn(stack.resource_ref(topic_logical_id))
            .protocol("sqs")
            .endpoint(queue_arn)
            .attributes("RawMessageDelivery", "true")
            .attributes("FilterPolicy", filter)
            .send()
            .await
            .expect("subscribe the tap queue");
        EventTap { sqs, queue_url }
    }

    /// Receives envelopes until `done` holds for everything received so far or `timeout`
    /// passes; returns everything received.
    pub async fn receive_until(
        &self,
        timeout: Duration,
        done: impl Fn(&[Value]) -> bool,
    ) -> Vec<Value> {
        let started = Instant::now();
        let mut received = Vec::new();
        while !done(&received) && started.elapsed() < timeout {
            received.extend(self.receive_once().await);
        }
        received
    }

    /// Everything that arrives within `window`.
    pub async fn receive_for(&self, window: Duration) -> Vec<Value> {
        self.receive_until(window, |_| false).await
    }

    async fn receive_once(&self) -> Vec<Value> {
        let out = self
            .sqs
            .receive_message()
            .queue_url(&self.queue_url)
            .max_number_of_messages(10)
            .wait_time_seconds(1)
            .message_system_attribute_names(MessageSystemAttributeName::All)
            .send()
            .await
            .expect("receive from the tap queue");
        let mut envelopes = Vec::new();
        for m in out.messages() {
            let body = m.body().unwrap_or_default();
            envelopes.push(
                serde_json::from_str(body)
                    .unwrap_or_else(|e| panic!("not an envelope ({e}): {body}")),
            );
            if let Some(handle) = m.receipt_handle() {
                self.sqs
                    .delete_message()
                    .queue_url(&self.queue_url)
                    .receipt_handle(handle)
                    .send()
                    .await
                    .expect("delete from the tap queue");
            }
        }
        envelopes
    }
}

/// Publishes an event envelope to the topic `topic_logical_id` of the template as its
/// producing service's outbox publisher would: the envelope as the message, its type in
/// the `event_type` attribute that subscription filter policies match.
pub async fn publish(stack: &crate::Stack, topic_logical_id: &str, envelope: &Value) {
    let aws = moto_runner::sdk_config(&stack.moto_url).await;
    let event_type = envelope["type"].as_str().expect("an envelope with a type");
    aws_sdk_sns::Client::new(&aws)
        .publish()
        .topic_arn(stack.resource_ref(topic_logical_id))
        .message(envelope.to_string())
        .message_attributes(
            "event_type",
            aws_sdk_sns::types::MessageAttributeValue::builder()
                .data_type("String")
                .string_value(event_type)
                .build()
                .expect("event_type attribute"),
        )
        .send()
        .await
        .expect("publish to the topic");
}

/// A new envelope of `event_type` from `source` about `correlation_id`.
pub fn envelope(source: &str, event_type: &str, correlation_id: &str, data: Value) -> Value {
    serde_json::json!({
        "id": uuid::Uuid::now_v7().to_string(),
        "type": event_type,
        "version": 1,
        "source": source,
        "time": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "correlation_id": correlation_id,
        "data": data,
    })
}
