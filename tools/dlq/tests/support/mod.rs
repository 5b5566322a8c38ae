//! Fixtures of the dlq tests: template.yaml's queues in moto (as a CloudFormation stack, or
//! provisioned by the devstack), event envelopes, real dead letters, and reading a queue.

#![allow(dead_code)] // each test binary uses its own part

use aws_config::SdkConfig;
use aws_sdk_sqs::types::{Message, MessageAttributeValue, MessageSystemAttributeName};
use serde_json::{json, Value};
use shared::events::Envelope;
use stack_model::template::Template;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The SDK config for this test binary's moto.
pub async fn moto() -> SdkConfig {
    moto_runner::sdk_config(moto_runner::shared_endpoint()).await
}

/// Every AWS::SQS::Queue of template.yaml, as declared there, as a CloudFormation stack of
/// its own (so each test has its own queues in the shared moto); returns its name.
pub async fn queue_stack(config: &SdkConfig) -> String {
    let template = Template::parse(dlq::topology::EMBEDDED_TEMPLATE).unwrap();
    let resources: serde_json::Map<String, Value> = template
        .resources
        .iter()
        .filter(|r| r.type_ == "AWS::SQS::Queue")
        .map(|r| {
            let resource = json!({"Type": r.type_, "Properties": r.properties});
            (r.logical_id.clone(), resource)
        })
        .collect();
    assert!(resources.len() >= 8, "the template's queues: {resources:?}");
    create_stack(config, &json!({ "Resources": resources })).await
}

/// A CloudFormation stack of `template` in moto, with a name no other test uses.
pub async fn create_stack(config: &SdkConfig, template: &Value) -> String {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let name = format!(
        "dlq-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    );
    aws_sdk_cloudformation::Client::new(config)
        .create_stack()
        .stack_name(&name)
        .template_body(template.to_string())
        .send()
        .await
        .unwrap();
    name
}

/// A stack's queue URLs by logical id.
pub async fn stack_queue_url(config: &SdkConfig, stack: &str, logical_id: &str) -> String {
    let out = aws_sdk_cloudformation::Client::new(config)
        .describe_stack_resource()
        .stack_name(stack)
        .logical_resource_id(logical_id)
        .send()
        .await
        .unwrap();
    out.stack_resource_detail()
        .and_then(|d| d.physical_resource_id())
        .unwrap()
        .to_owned()
}

/// An event envelope as it travels, and its id.
pub fn envelope(event_type: &str, correlation_id: &str) -> (String, String) {
    let envelope = Envelope {
        id: shared::ids::new_id(),
        event_type: event_type.to_owned(),
        version: 1,
        source: "orders".to_owned(),
        time: shared::time::now(),
        correlation_id: correlation_id.to_owned(),
        data: json!({"order_id": correlation_id}),
    };
    (
        envelope.id.clone(),
        serde_json::to_string(&envelope).unwrap(),
    )
}

/// Sends `body` with the `event_type` attribute SNS raw delivery copies onto the message.
pub async fn send(sqs: &aws_sdk_sqs::Client, url: &str, body: &str, event_type: &str) {
    sqs.send_message()
        .queue_url(url)
        .message_body(body)
        .message_attributes(
            shared::events::EVENT_TYPE_ATTRIBUTE,
            MessageAttributeValue::builder()
                .data_type("String")
                .string_value(event_type)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
}

/// Makes the oldest message of `source_url` a real dead letter: received (and not
/// deleted) until SQS moves it to the queue's dead-letter queue.
pub async fn receive_until_dead_lettered(
    sqs: &aws_sdk_sqs::Client,
    source_url: &str,
    max_receive_count: usize,
) {
    for _ in 0..max_receive_count {
        let got = sqs
            .receive_message()
            .queue_url(source_url)
            .visibility_timeout(0)
            .send()
            .await
            .unwrap();
        assert_eq!(
            got.messages().len(),
            1,
            "the message is still in the source queue"
        );
    }
    let last = sqs
        .receive_message()
        .queue_url(source_url)
        .send()
        .await
        .unwrap();
    assert!(last.messages().is_empty(), "moved to the dead-letter queue");
}

/// Every message of the queue, received and deleted (what a consumer would get).
pub async fn drain(sqs: &aws_sdk_sqs::Client, url: &str) -> Vec<Message> {
    let mut all = Vec::new();
    loop {
        let got = sqs
            .receive_message()
            .queue_url(url)
            .max_number_of_messages(10)
            .visibility_timeout(30)
            .message_attribute_names("All")
            .message_system_attribute_names(MessageSystemAttributeName::All)
            .send()
            .await
            .unwrap();
        if got.messages().is_empty() {
            return all;
        }
        for m in got.messages() {
            sqs.delete_message()
                .queue_url(url)
                .receipt_handle(m.receipt_handle().unwrap())
                .send()
                .await
                .unwrap();
        }
        all.extend(got.messages.unwrap_or_default());
    }
}

/// The messages available in the queue.
pub async fn depth(sqs: &aws_sdk_sqs::Client, url: &str) -> u64 {
    dlq::queue::QueueState::read(sqs, url)
        .await
        .unwrap()
        .messages
}

/// A message's string attribute.
pub fn attribute<'m>(m: &'m Message, name: &str) -> Option<(&'m str, &'m str)> {
    let a = m.message_attributes()?.get(name)?;
    Some((a.data_type(), a.string_value()?))
}

/// A Lambda on-failure record for a stream batch, as Lambda sends it.
pub fn stream_failure_record(stream_arn: &str) -> String {
    json!({
        "requestContext": {"requestId": "r-1", "functionArn": "arn:aws:lambda:us-east-1:123456789012:function:publisher",
            "condition": "RetryAttemptsExhausted", "approximateInvokeCount": 11},
        "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
        "version": "1.0", "timestamp": "2026-01-02T03:04:05.000Z",
        "DDBStreamBatchInfo": {"shardId": "shardId-0001", "startSequenceNumber": "100", "endSequenceNumber": "102",
            "approximateArrivalOfFirstRecord": "2026-01-02T03:00:00.000Z",
            "approximateArrivalOfLastRecord": "2026-01-02T03:00:01.000Z", "batchSize": 3, "streamArn": stream_arn}
    })
    .to_string()
}
