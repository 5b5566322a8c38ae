//! The fault switch of the local moto, through the real SDK clients: its errors are the
//! shapes the SDK parses into the codes `shared` treats as "unavailable", its timeouts
//! outlast the client and apply nothing, and its rules stay within their scope, count and
//! lifetime. Every rule here names its own table, topic or queue (`resource`), so the tests
//! of this binary share one moto without faulting each other.

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::types::AttributeValue;
use moto_runner::faults::{FaultRule, FaultService, FaultSwitch};
use shared::store::{is_transient, StoreError};
use stack_model::fixtures::unique_name;
use std::time::{Duration, Instant};

/// One attempt per call, as the functions make locally: a retry would hide the fault.
async fn aws() -> aws_config::SdkConfig {
    moto_runner::sdk_config(moto_runner::shared_endpoint())
        .await
        .into_builder()
        .retry_config(RetryConfig::disabled())
        .build()
}

fn switch() -> FaultSwitch {
    FaultSwitch::new(moto_runner::shared_endpoint())
}

async fn table(client: &aws_sdk_dynamodb::Client) -> String {
    stack_model::fixtures::create_table(client, "ProductsTable").await
}

async fn put(
    client: &aws_sdk_dynamodb::Client,
    table: &str,
    pk: &str,
) -> Result<(), SdkError<aws_sdk_dynamodb::operation::put_item::PutItemError>> {
    client
        .put_item()
        .table_name(table)
        .item("PK", AttributeValue::S(pk.to_owned()))
        .item("SK", AttributeValue::S("ITEM".to_owned()))
        .send()
        .await
        .map(|_| ())
}

async fn stored(client: &aws_sdk_dynamodb::Client, table: &str, pk: &str) -> bool {
    client
        .get_item()
        .table_name(table)
        .key("PK", AttributeValue::S(pk.to_owned()))
        .key("SK", AttributeValue::S("ITEM".to_owned()))
        .send()
        .await
        .expect("get item")
        .item
        .is_some()
}

#[tokio::test]
async fn a_dynamodb_error_is_what_shared_calls_unavailable_and_writes_nothing() {
    let client = aws_sdk_dynamodb::Client::new(&aws().await);
    let table = table(&client).await;
    let fault = switch()
        .inject(
            &FaultRule::error(FaultService::Dynamodb)
                .operations(&["PutItem"])
                .resource(&table),
        )
        .await
        .unwrap();

    let err = put(&client, &table, "a").await.unwrap_err();
    assert_eq!(err.code(), Some("ServiceUnavailable"));
    assert_eq!(err.raw_response().map(|r| r.status().as_u16()), Some(503));
    assert!(matches!(
        StoreError::from_sdk(err),
        StoreError::Unavailable(_)
    ));
    // Other operations of the same table are not in the rule.
    assert!(!stored(&client, &table, "a").await);

    let report = fault.clear().await.unwrap();
    assert_eq!((report.matched, report.hits), (1, 1));
    put(&client, &table, "a").await.unwrap();
    assert!(stored(&client, &table, "a").await);

    let _internal = switch()
        .inject(
            &FaultRule::error(FaultService::Dynamodb)
                .resource(&table)
                .internal_error(),
        )
        .await
        .unwrap();
    let err = put(&client, &table, "b").await.unwrap_err();
    assert_eq!(err.code(), Some("InternalServerError"));
    assert!(is_transient(&err));
}

#[tokio::test]
async fn an_sns_outage_refuses_publish_batch_in_the_query_error_shape() {
    let aws = aws().await;
    let sns = aws_sdk_sns::Client::new(&aws);
    let sqs = aws_sdk_sqs::Client::new(&aws);
    let topic = sns
        .create_topic()
        .name(unique_name("fault-topic"))
        .send()
        .await
        .unwrap()
        .topic_arn
        .unwrap();
    let queue = sqs
        .create_queue()
        .queue_name(unique_name("fault-sub"))
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    let queue_arn = sqs
        .get_queue_attributes()
        .queue_url(&queue)
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
        .send()
        .await
        .unwrap()
        .attributes
        .unwrap()[&aws_sdk_sqs::types::QueueAttributeName::QueueArn]
        .clone();
    sns.subscribe()
        .topic_arn(&topic)
        .protocol("sqs")
        .endpoint(queue_arn)
        .attributes("RawMessageDelivery", "true")
        .send()
        .await
        .unwrap();
    let publish = || {
        sns.publish_batch()
            .topic_arn(&topic)
            .publish_batch_request_entries(
                aws_sdk_sns::types::PublishBatchRequestEntry::builder()
                    .id("e1")
                    .message("hello")
                    .build()
                    .unwrap(),
            )
    };

    let fault = switch()
        .inject(
            &FaultRule::error(FaultService::Sns)
                .operations(&["Publish", "PublishBatch"])
                .resource(&topic)
                .internal_error(),
        )
        .await
        .unwrap();
    let err = publish().send().await.unwrap_err();
    assert_eq!(err.code(), Some("InternalError"));
    // The topic itself still answers: only publishing is down.
    sns.get_topic_attributes()
        .topic_arn(&topic)
        .send()
        .await
        .unwrap();
    fault.clear().await.unwrap();

    publish().send().await.unwrap();
    let received = sqs
        .receive_message()
        .queue_url(&queue)
        .max_number_of_messages(10)
        .wait_time_seconds(2)
        .send()
        .await
        .unwrap();
    let bodies: Vec<_> = received
        .messages()
        .iter()
        .filter_map(|m| m.body())
        .collect();
    assert_eq!(
        bodies,
        ["hello"],
        "only the publish after the outage arrives"
    );
}

#[tokio::test]
async fn an_sqs_rule_scoped_to_a_queue_leaves_other_queues_alone() {
    let sqs = aws_sdk_sqs::Client::new(&aws().await);
    let mut urls = Vec::new();
    for prefix in ["fault-down", "fault-up"] {
        urls.push(
            sqs.create_queue()
                .queue_name(unique_name(prefix))
                .send()
                .await
                .unwrap()
                .queue_url
                .unwrap(),
        );
    }
    let _fault = switch()
        .inject(
            &FaultRule::error(FaultService::Sqs)
                .operations(&["ReceiveMessage"])
                .resource(&urls[0]),
        )
        .await
        .unwrap();
    let receive = |url: &str| sqs.receive_message().queue_url(url).send();
    let err = receive(&urls[0]).await.unwrap_err();
    assert_eq!(err.code(), Some("ServiceUnavailable"));
    receive(&urls[1]).await.unwrap();
}

#[tokio::test]
async fn a_timeout_outlasts_the_client_and_applies_nothing() {
    let client = aws_sdk_dynamodb::Client::new(&aws().await);
    let table = table(&client).await;
    let impatient = aws_sdk_dynamodb::Client::from_conf(
        aws_sdk_dynamodb::config::Builder::from(&aws().await)
            .timeout_config(
                TimeoutConfig::builder()
                    .operation_timeout(Duration::from_millis(500))
                    .build(),
            )
            .build(),
    );
    let fault = switch()
        .inject(
            &FaultRule::timeout(FaultService::Dynamodb, Duration::from_secs(3))
                .operations(&["PutItem"])
                .resource(&table),
        )
        .await
        .unwrap();

    let err = put(&impatient, &table, "a").await.unwrap_err();
    assert!(matches!(err, SdkError::TimeoutError(_)), "{err:?}");
    assert!(is_transient(&err));

    // A patient client is held until the rule is cleared, then refused.
    let started = Instant::now();
    let (held, report) = tokio::join!(put(&client, &table, "b"), async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        fault.clear().await.unwrap()
    });
    assert_eq!(held.unwrap_err().code(), Some("ServiceUnavailable"));
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "held past clear"
    );
    assert_eq!(report.hits, 2);

    tokio::time::sleep(Duration::from_secs(3)).await;
    assert!(
        !stored(&client, &table, "a").await,
        "a timed-out write landed"
    );
    assert!(
        !stored(&client, &table, "b").await,
        "a timed-out write landed"
    );
}

#[tokio::test]
async fn after_and_count_fault_the_middle_of_a_sequence() {
    let client = aws_sdk_dynamodb::Client::new(&aws().await);
    let table = table(&client).await;
    let fault = switch()
        .inject(
            &FaultRule::error(FaultService::Dynamodb)
                .operations(&["PutItem"])
                .resource(&table)
                .after(2)
                .count(1),
        )
        .await
        .unwrap();
    let mut outcomes = Vec::new();
    for pk in ["1", "2", "3", "4"] {
        outcomes.push(put(&client, &table, pk).await.is_ok());
    }
    assert_eq!(outcomes, [true, true, false, true]);
    let report = fault.report().await.unwrap();
    assert_eq!((report.matched, report.hits, report.active), (3, 1, false));
}

#[tokio::test]
async fn a_rule_ends_with_its_duration_and_when_its_guard_drops() {
    let client = aws_sdk_dynamodb::Client::new(&aws().await);
    let table = table(&client).await;
    let rule = FaultRule::error(FaultService::Dynamodb).resource(&table);

    let lasting = switch()
        .inject(&rule.clone().lasting(Duration::from_millis(300)))
        .await
        .unwrap();
    assert!(put(&client, &table, "a").await.is_err());
    tokio::time::sleep(Duration::from_millis(400)).await;
    put(&client, &table, "a").await.unwrap();
    assert!(!lasting.report().await.unwrap().active);
    drop(lasting);

    let dropped = switch().inject(&rule).await.unwrap();
    assert!(put(&client, &table, "b").await.is_err());
    let id = dropped.report().await.unwrap().id;
    drop(dropped);
    put(&client, &table, "b").await.unwrap();
    let (rules, injected) = switch().report().await.unwrap();
    assert!(rules.iter().all(|r| r.id != id), "the dropped rule is gone");
    assert!(injected >= 2);
}

#[tokio::test]
async fn a_malformed_rule_is_refused() {
    let http = reqwest::Client::new();
    let url = format!("{}/_crabcart/faults", moto_runner::shared_endpoint());
    for bad in [
        serde_json::json!({"service": "dynamodb", "mode": "explode"}),
        serde_json::json!({"service": "s3", "mode": "error"}),
        serde_json::json!({"service": "sns", "mode": "error", "count": 0}),
        serde_json::json!({"service": "sns", "mode": "error", "status": 404}),
        serde_json::json!({"service": "sns", "mode": "error", "tables": ["x"]}),
    ] {
        let resp = http.post(&url).json(&bad).send().await.unwrap();
        assert_eq!(resp.status(), 400, "{bad}");
    }
}
