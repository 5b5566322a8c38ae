//! The publisher against moto's SNS and SQS: a topic fanned out to a raw-delivery queue,
//! as template.yaml wires the services, and stream events shaped as Lambda sends them.

use aws_lambda_events::event::dynamodb::Event;
use aws_lambda_events::event::streams::DynamoDbEventResponse;
use aws_sdk_sqs::types::QueueAttributeName;
use outbox_publisher::{Config, Publisher};
use serde_json::{json, Value};
use std::sync::atomic::{AtomicUsize, Ordering};

/// A topic with one queue subscribed with raw delivery, unique to the test.
struct Fanout {
    sns: aws_sdk_sns::Client,
    sqs: aws_sdk_sqs::Client,
    topic_arn: String,
    queue_url: String,
}

/// A message as a consumer receives it.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Received {
    body: String,
    event_type: Option<String>,
}

impl Fanout {
    async fn new() -> Self {
        let aws = moto_runner::sdk_config(moto_runner::shared_endpoint()).await;
        let sns = aws_sdk_sns::Client::new(&aws);
        let sqs = aws_sdk_sqs::Client::new(&aws);
        let name = unique_name();
        let topic_arn = sns
            .create_topic()
            .name(&name)
            .send()
            .await
            .unwrap()
            .topic_arn
            .unwrap();
        let queue_url = sqs
            .create_queue()
            .queue_name(&name)
            .send()
            .await
            .unwrap()
            .queue_url
            .unwrap();
        let queue_arn = sqs
            .get_queue_attributes()
            .queue_url(&queue_url)
            .attribute_names(QueueAttributeName::QueueArn)
            .send()
            .await
            .unwrap()
            .attributes
            .unwrap()[&QueueAttributeName::QueueArn]
            .clone();
        sns.subscribe()
            .topic_arn(&topic_arn)
            .protocol("sqs")
            .endpoint(queue_arn)
            .attributes("RawMessageDelivery", "true")
            .send()
            .await
            .unwrap();
        Self {
            sns,
            sqs,
            topic_arn,
            queue_url,
        }
    }

    fn publisher_to(&self, topic_arn: &str) -> Publisher {
        Publisher::new(
            self.sns.clone(),
            &Config {
                topic_arn: topic_arn.to_owned(),
            },
        )
    }

    fn publisher(&self) -> Publisher {
        self.publisher_to(&self.topic_arn)
    }

    /// Everything on the queue, until a receive comes back empty.
    async fn drain(&self) -> Vec<Received> {
        let mut received = Vec::new();
        loop {
            let out = self
                .sqs
                .receive_message()
                .queue_url(&self.queue_url)
                .max_number_of_messages(10)
                .wait_time_seconds(1)
                .message_attribute_names("All")
                .send()
                .await
                .unwrap();
            let messages = out.messages.unwrap_or_default();
            if messages.is_empty() {
                break;
            }
            for m in messages {
                let event_type = m
                    .message_attributes()
                    .and_then(|a| a.get("event_type"))
                    .and_then(|v| v.string_value())
                    .map(str::to_owned);
                received.push(Received {
                    body: m.body.clone().unwrap_or_default(),
                    event_type,
                });
                self.sqs
                    .delete_message()
                    .queue_url(&self.queue_url)
                    .receipt_handle(m.receipt_handle.unwrap_or_default())
                    .send()
                    .await
                    .unwrap();
            }
        }
        received.sort();
        received
    }
}

fn unique_name() -> String {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    format!(
        "outbox-publisher-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

fn envelope(n: usize, event_type: &str) -> String {
    json!({
        "id": format!("0198a5c2-0000-7000-8000-{n:012}"),
        "type": event_type,
        "version": 1,
        "source": "users",
        "time": "2026-01-15T10:20:30.123Z",
        "correlation_id": format!("user-{n}"),
        "data": {"user_id": format!("user-{n}"), "name": format!("User {n}")}
    })
    .to_string()
}

fn sequence_number(n: usize) -> String {
    format!("{:028}", 4_421_584_500_000_000_000usize + n)
}

/// A stream record as Lambda delivers it; `image` is the NewImage (`null` for REMOVE).
fn record(n: usize, event_name: &str, pk: &str, sk: &str, image: Value) -> Value {
    json!({
        "eventID": format!("event-{n}"),
        "eventName": event_name,
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": "us-east-1",
        "dynamodb": {
            "ApproximateCreationDateTime": 1768472430,
            "Keys": {"PK": {"S": pk}, "SK": {"S": sk}},
            "NewImage": image,
            "SequenceNumber": sequence_number(n),
            "SizeBytes": 321,
            "StreamViewType": "NEW_IMAGE"
        },
        "eventSourceARN": "arn:aws:dynamodb:us-east-1:123456789012:table/users/stream/2026-01-01T00:00:00.000"
    })
}

fn outbox_insert(n: usize, event_type: &str) -> Value {
    let pk = format!("OUTBOX#{n}");
    record(
        n,
        "INSERT",
        &pk,
        "OUTBOX",
        json!({
            "PK": {"S": pk}, "SK": {"S": "OUTBOX"},
            "event_type": {"S": event_type},
            "envelope": {"S": envelope(n, event_type)},
            "ttl": {"N": "1769077230"}
        }),
    )
}

fn event(records: Vec<Value>) -> Event {
    serde_json::from_value(json!({ "Records": records })).unwrap()
}

fn failed_sequence_numbers(response: &DynamoDbEventResponse) -> Vec<String> {
    response
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.clone().unwrap_or_default())
        .collect()
}

const TYPES: [&str; 3] = ["UserRegistered", "UserProfileUpdated", "UserDeleted"];

/// 12 outbox inserts (two PublishBatch calls) with a REMOVE, a MODIFY and a profile
/// INSERT in between; returns the event and the outbox record numbers.
fn mixed_batch() -> (Event, Vec<usize>) {
    let mut records = Vec::new();
    let mut outbox = Vec::new();
    for n in 0..15 {
        let r = match n {
            3 => record(n, "REMOVE", "OUTBOX#old", "OUTBOX", Value::Null),
            7 => outbox_modify(n),
            11 => record(
                n,
                "INSERT",
                "USER#x",
                "PROFILE",
                json!({"PK": {"S": "USER#x"}, "SK": {"S": "PROFILE"}, "name": {"S": "X"}}),
            ),
            _ => {
                outbox.push(n);
                outbox_insert(n, TYPES[n % 3])
            }
        };
        records.push(r);
    }
    (event(records), outbox)
}

fn outbox_modify(n: usize) -> Value {
    let mut r = outbox_insert(n, "UserRegistered");
    r["eventName"] = json!("MODIFY");
    r
}

#[tokio::test]
async fn every_outbox_insert_arrives_once_with_its_event_type_and_nothing_else() {
    let fanout = Fanout::new().await;
    let (event, outbox) = mixed_batch();
    assert_eq!(outbox.len(), 12);

    let response = fanout.publisher().publish(event).await;

    assert_eq!(failed_sequence_numbers(&response), Vec::<String>::new());
    let mut expected: Vec<_> = outbox
        .iter()
        .map(|&n| Received {
            body: envelope(n, TYPES[n % 3]),
            event_type: Some(TYPES[n % 3].to_owned()),
        })
        .collect();
    expected.sort();
    assert_eq!(fanout.drain().await, expected);
}

#[tokio::test]
async fn a_topic_that_does_not_exist_fails_every_outbox_record_and_only_those() {
    let fanout = Fanout::new().await;
    let (event, outbox) = mixed_batch();
    let missing = format!(
        "arn:aws:sns:us-east-1:123456789012:{}-missing",
        unique_name()
    );

    let response = fanout.publisher_to(&missing).publish(event).await;

    let expected: Vec<_> = outbox.iter().map(|&n| sequence_number(n)).collect();
    assert_eq!(failed_sequence_numbers(&response), expected);
    assert_eq!(fanout.drain().await, Vec::new());
}

#[tokio::test]
async fn a_malformed_outbox_item_is_reported_and_stops_the_batch_there() {
    let fanout = Fanout::new().await;
    let mut malformed = outbox_insert(1, "UserRegistered");
    malformed["dynamodb"]["NewImage"]["envelope"] = json!({"S": "{not json"});
    let mut no_envelope = outbox_insert(4, "UserRegistered");
    no_envelope["dynamodb"]["NewImage"]
        .as_object_mut()
        .unwrap()
        .remove("envelope");
    let event = event(vec![
        outbox_insert(0, "UserRegistered"),
        malformed,
        record(2, "INSERT", "USER#y", "PROFILE", json!({})),
        outbox_insert(3, "UserDeleted"),
        no_envelope,
    ]);

    let response = fanout.publisher().publish(event).await;

    // Lambda resumes from the lowest reported record: 1 is retried until it goes to the
    // OnFailure destination, 3 and 4 wait behind it; 0 went out and is not reported.
    assert_eq!(
        failed_sequence_numbers(&response),
        vec![sequence_number(1), sequence_number(3), sequence_number(4)]
    );
    let received = fanout.drain().await;
    assert_eq!(
        received,
        vec![Received {
            body: envelope(0, "UserRegistered"),
            event_type: Some("UserRegistered".to_owned()),
        }]
    );
}

#[tokio::test]
async fn a_batch_without_outbox_inserts_publishes_nothing_and_succeeds() {
    let fanout = Fanout::new().await;
    let event = event(vec![
        record(0, "REMOVE", "OUTBOX#0", "OUTBOX", Value::Null),
        record(1, "INSERT", "USER#z", "PROFILE", json!({})),
    ]);

    let response = fanout.publisher().publish(event).await;

    assert!(response.batch_item_failures.is_empty());
    assert_eq!(fanout.drain().await, Vec::new());
}

#[tokio::test]
async fn an_entry_sns_rejects_is_reported_and_nothing_after_it_is_published() {
    let fanout = Fanout::new().await;
    // Over SNS's 256 KiB message limit (a DynamoDB item may hold 400 KB): SNS fails the
    // entry while accepting the call.
    let mut too_big = outbox_insert(5, "UserRegistered");
    let mut huge: Value = serde_json::from_str(&envelope(5, "UserRegistered")).unwrap();
    huge["data"]["name"] = json!("x".repeat(300 * 1024));
    too_big["dynamodb"]["NewImage"]["envelope"] = json!({"S": huge.to_string()});
    let mut records: Vec<_> = (0..5).map(|n| outbox_insert(n, "UserRegistered")).collect();
    records.push(too_big);
    records.extend((6..8).map(|n| outbox_insert(n, "UserDeleted")));

    let response = fanout.publisher().publish(event(records)).await;

    assert_eq!(
        failed_sequence_numbers(&response),
        vec![sequence_number(5), sequence_number(6), sequence_number(7)]
    );
    let published: Vec<_> = fanout.drain().await.into_iter().map(|r| r.body).collect();
    let mut expected: Vec<_> = (0..5).map(|n| envelope(n, "UserRegistered")).collect();
    expected.sort();
    assert_eq!(published, expected);
}
