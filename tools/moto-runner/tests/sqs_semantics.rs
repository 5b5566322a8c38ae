//! The SQS and SNS behaviour the devstack's pollers and the saga rely on, through the
//! real SDK clients against the launcher's moto, whose SQS hot paths it patches
//! (moto_launcher.py, `cheap_sqs_clock`): a received message stays hidden for its
//! visibility timeout and comes back when that is reset, a delayed message waits, a
//! message received too often moves to its dead-letter queue, SNS delivers raw messages
//! only where a filter policy matches, and a deep queue hands out each message once.

use aws_sdk_sqs::types::{
    DeleteMessageBatchRequestEntry, MessageSystemAttributeName, SendMessageBatchRequestEntry,
};
use serde_json::json;
use stack_model::fixtures::{create_queue, queue_depth, unique_name};
use std::collections::BTreeSet;
use std::time::{Duration, Instant};

async fn sqs() -> aws_sdk_sqs::Client {
    aws_sdk_sqs::Client::new(&moto_runner::sdk_config(moto_runner::shared_endpoint()).await)
}

async fn sns() -> aws_sdk_sns::Client {
    aws_sdk_sns::Client::new(&moto_runner::sdk_config(moto_runner::shared_endpoint()).await)
}

/// One receive of up to 10 messages, at once (no long poll): (body, receipt, receive count).
async fn receive(
    sqs: &aws_sdk_sqs::Client,
    url: &str,
    visibility: i32,
) -> Vec<(String, String, String)> {
    sqs.receive_message()
        .queue_url(url)
        .max_number_of_messages(10)
        .visibility_timeout(visibility)
        .wait_time_seconds(0)
        .message_system_attribute_names(MessageSystemAttributeName::ApproximateReceiveCount)
        .send()
        .await
        .unwrap()
        .messages
        .unwrap_or_default()
        .into_iter()
        .map(|m| {
            let count = m
                .attributes
                .and_then(|a| {
                    a.get(&MessageSystemAttributeName::ApproximateReceiveCount)
                        .cloned()
                })
                .unwrap_or_default();
            (m.body.unwrap(), m.receipt_handle.unwrap(), count)
        })
        .collect()
}

fn bodies(received: &[(String, String, String)]) -> Vec<&str> {
    received.iter().map(|(b, _, _)| b.as_str()).collect()
}

#[tokio::test]
async fn a_received_message_stays_hidden_for_its_visibility_timeout_and_returns_when_it_is_reset() {
    let sqs = sqs().await;
    let (url, _) = create_queue(&sqs, "semantics", None).await;
    for body in ["a", "b"] {
        sqs.send_message()
            .queue_url(&url)
            .message_body(body)
            .send()
            .await
            .unwrap();
    }

    let first = receive(&sqs, &url, 30).await;
    assert_eq!(bodies(&first), ["a", "b"]);
    assert!(first.iter().all(|(_, _, count)| count == "1"), "{first:?}");
    assert_eq!(queue_depth(&sqs, &url).await, (0, 2));
    assert!(
        receive(&sqs, &url, 30).await.is_empty(),
        "in flight: hidden"
    );

    let (_, receipt, _) = &first[0];
    sqs.change_message_visibility()
        .queue_url(&url)
        .receipt_handle(receipt)
        .visibility_timeout(0)
        .send()
        .await
        .unwrap();
    let again = receive(&sqs, &url, 30).await;
    assert_eq!(bodies(&again), ["a"], "only the reset one comes back");
    assert_eq!(again[0].2, "2", "its second receive");

    sqs.delete_message()
        .queue_url(&url)
        .receipt_handle(&again[0].1)
        .send()
        .await
        .unwrap();
    assert_eq!(
        queue_depth(&sqs, &url).await,
        (0, 1),
        "b is still in flight"
    );
}

#[tokio::test]
async fn a_delayed_message_is_received_only_after_its_delay() {
    let sqs = sqs().await;
    let (url, _) = create_queue(&sqs, "semantics", None).await;
    let sent = Instant::now();
    sqs.send_message()
        .queue_url(&url)
        .message_body("later")
        .delay_seconds(1)
        .send()
        .await
        .unwrap();
    sqs.send_message()
        .queue_url(&url)
        .message_body("now")
        .send()
        .await
        .unwrap();

    assert_eq!(bodies(&receive(&sqs, &url, 30).await), ["now"]);
    let later = loop {
        let received = receive(&sqs, &url, 30).await;
        if !received.is_empty() {
            break received;
        }
        assert!(
            sent.elapsed() < Duration::from_secs(10),
            "the delayed message never came"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(
        sent.elapsed() >= Duration::from_secs(1),
        "received before its delay"
    );
    assert_eq!(bodies(&later), ["later"]);
}

#[tokio::test]
async fn a_message_received_more_than_max_receive_count_moves_to_the_dead_letter_queue() {
    let sqs = sqs().await;
    let (dlq_url, dlq_arn) = create_queue(&sqs, "semantics", None).await;
    let (url, _) = create_queue(&sqs, "semantics", Some(&dlq_arn)).await;
    sqs.send_message()
        .queue_url(&url)
        .message_body("poison")
        .send()
        .await
        .unwrap();

    // Visibility 0: each receive hands it back at once, as a failed batch does.
    for attempt in ["1", "2"] {
        let received = receive(&sqs, &url, 0).await;
        assert_eq!(bodies(&received), ["poison"]);
        assert_eq!(received[0].2, attempt);
    }
    assert!(
        receive(&sqs, &url, 0).await.is_empty(),
        "redriven, not received a third time"
    );
    assert_eq!(bodies(&receive(&sqs, &dlq_url, 30).await), ["poison"]);
    assert_eq!(queue_depth(&sqs, &url).await, (0, 0));
}

#[tokio::test]
async fn sns_delivers_raw_messages_only_to_queues_whose_filter_policy_matches() {
    let (sqs, sns) = (sqs().await, sns().await);
    let topic = sns
        .create_topic()
        .name(unique_name("semantics"))
        .send()
        .await
        .unwrap()
        .topic_arn
        .unwrap();
    let mut queues = Vec::new();
    for event_type in ["OrderPlaced", "PaymentSucceeded"] {
        let (url, arn) = create_queue(&sqs, "semantics", None).await;
        sns.subscribe()
            .topic_arn(&topic)
            .protocol("sqs")
            .endpoint(arn)
            .attributes("RawMessageDelivery", "true")
            .attributes("FilterPolicy", json!({"type": [event_type]}).to_string())
            .send()
            .await
            .unwrap();
        queues.push(url);
    }

    let body = json!({"order_id": "o-1"}).to_string();
    sns.publish()
        .topic_arn(&topic)
        .message(&body)
        .message_attributes(
            "type",
            aws_sdk_sns::types::MessageAttributeValue::builder()
                .data_type("String")
                .string_value("OrderPlaced")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();

    let delivered = sqs
        .receive_message()
        .queue_url(&queues[0])
        .message_attribute_names("All")
        .wait_time_seconds(0)
        .send()
        .await
        .unwrap()
        .messages
        .unwrap_or_default();
    assert_eq!(delivered.len(), 1);
    assert_eq!(
        delivered[0].body(),
        Some(body.as_str()),
        "raw: the message itself"
    );
    let attribute = delivered[0]
        .message_attributes()
        .and_then(|a| a.get("type"));
    assert_eq!(
        attribute.and_then(|a| a.string_value()),
        Some("OrderPlaced")
    );
    assert!(
        receive(&sqs, &queues[1], 30).await.is_empty(),
        "filtered out"
    );
}

#[tokio::test]
async fn a_deep_queue_hands_out_every_message_once() {
    let sqs = sqs().await;
    let (url, _) = create_queue(&sqs, "semantics", None).await;
    let sent: BTreeSet<String> = (0..1000).map(|i| format!("m{i:04}")).collect();
    let all: Vec<&String> = sent.iter().collect();
    for chunk in all.chunks(10) {
        let entries = chunk.iter().enumerate().map(|(i, body)| {
            SendMessageBatchRequestEntry::builder()
                .id(format!("e{i}"))
                .message_body(body.as_str())
                .build()
                .unwrap()
        });
        sqs.send_message_batch()
            .queue_url(&url)
            .set_entries(Some(entries.collect()))
            .send()
            .await
            .unwrap();
    }
    assert_eq!(queue_depth(&sqs, &url).await, (1000, 0));

    let mut received = Vec::new();
    loop {
        let batch = receive(&sqs, &url, 60).await;
        if batch.is_empty() {
            break;
        }
        let mut deletes = Vec::new();
        for (i, (body, receipt, count)) in batch.into_iter().enumerate() {
            assert_eq!(count, "1", "{body} was handed out twice");
            deletes.push(
                DeleteMessageBatchRequestEntry::builder()
                    .id(format!("d{i}"))
                    .receipt_handle(receipt)
                    .build()
                    .unwrap(),
            );
            received.push(body);
        }
        let deleted = sqs
            .delete_message_batch()
            .queue_url(&url)
            .set_entries(Some(deletes))
            .send()
            .await
            .unwrap();
        assert!(deleted.failed.is_empty(), "{:?}", deleted.failed);
    }
    assert_eq!(received.len(), sent.len(), "each message once");
    assert_eq!(received.into_iter().collect::<BTreeSet<_>>(), sent);
    assert_eq!(queue_depth(&sqs, &url).await, (0, 0));
}
