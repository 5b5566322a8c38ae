//! Pollers against a real moto server and a real runtime client
//! (tests/fixtures/echo_runtime.py, which records every batch it receives).

use super::*;
use crate::lambda::{FunctionPool, FunctionSpec};
use crate::running::RunningFunction;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, KeySchemaElement, KeyType,
    ScalarAttributeType, StreamSpecification, StreamViewType,
};
use aws_sdk_sqs::types::MessageAttributeValue;
use serde_json::{json, Value};
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// How long a delivery may take. Only an upper bound (a passing test waits for what it
/// expects, not for this), so it is generous: on a loaded 2-core CI box these pollers
/// share the CPU with a dozen processes, and tight bounds made the tests flaky.
const DELIVERY_LIMIT: Duration = Duration::from_secs(60);

/// One moto server shared by all tests of this binary (starting one costs seconds of
/// CPU); tests keep apart by using unique resource names.
struct Moto {
    _guard: std::process::Child,
    url: String,
}

static MOTO: std::sync::OnceLock<Moto> = std::sync::OnceLock::new();

fn moto() -> &'static Moto {
    MOTO.get_or_init(|| {
        let bin = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.venv/bin/moto_server");
        assert!(
            bin.is_file(),
            "{} does not exist: run `make venv` to install moto into the project venv",
            bin.display()
        );
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        // A static is never dropped, so the server is tied to the test process through a
        // pipe instead: the shell kills moto when our end of its stdin closes at exit.
        let script = format!(
            "\"{}\" -H 127.0.0.1 -p {port} >/dev/null 2>&1 & pid=$!; read _; kill $pid",
            bin.display()
        );
        let guard = std::process::Command::new("sh")
            .args(["-c", &script])
            .stdin(std::process::Stdio::piped())
            .spawn()
            .expect("spawn moto_server");
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(120),
                "moto_server did not come up"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        Moto {
            _guard: guard,
            url: format!("http://127.0.0.1:{port}"),
        }
    })
}

fn unique(name: &str) -> String {
    let id = uuid::Uuid::now_v7().simple().to_string();
    format!("{name}-{}", &id[20..])
}

async fn sdk_config() -> aws_config::SdkConfig {
    moto_runner::sdk_config(&moto().url).await
}

/// The echo function with a record file; removed on drop.
struct Recorder {
    path: PathBuf,
}

impl Recorder {
    fn new(tag: &str) -> Recorder {
        let path = std::env::temp_dir().join(format!(
            "devstack-{tag}-{}-{}.jsonl",
            std::process::id(),
            uuid::Uuid::now_v7().simple()
        ));
        Recorder { path }
    }

    fn batches(&self) -> Vec<Value> {
        std::fs::read_to_string(&self.path)
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).expect("recorded batch is JSON"))
            .collect()
    }

    async fn wait_for_batches(&self, n: usize, limit: Duration) -> Vec<Value> {
        let started = Instant::now();
        loop {
            let b = self.batches();
            if b.len() >= n {
                return b;
            }
            assert!(
                started.elapsed() < limit,
                "expected {n} batches, got {}: {b:#?}",
                b.len()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn function(&self, report_failures: bool) -> RunningFunction {
        let mut env: Vec<(&str, &str)> = vec![("RECORD_FILE", self.path.to_str().unwrap())];
        if report_failures {
            env.push(("REPORT_FAILURES", "1"));
        }
        FunctionPool::start(
            FunctionSpec {
                name: "EchoFunction".into(),
                binary: crate::lambda::tests::echo_fixture(),
                env: env
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
                timeout: Duration::from_secs(5),
                memory_mb: 128,
                log: crate::logs::FunctionLog::passthrough("echo"),
            },
            1,
        )
        .await
        .map(RunningFunction::Local)
        .expect("start function")
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
        let _ = std::fs::remove_file(self.path.with_extension("jsonl.failed"));
    }
}

fn records(batch: &Value) -> &Vec<Value> {
    batch["Records"].as_array().expect("Records array")
}

// ---------------------------------------------------------------- SQS

#[tokio::test]
async fn sqs_batch_shape_filter_and_partial_failure() {
    let sqs = aws_sdk_sqs::Client::new(&sdk_config().await);
    let (url, arn) = stack_model::fixtures::create_queue(&sqs, "orders", None).await;
    let attr = |t: &str, s: Option<&str>, b: Option<&[u8]>| {
        let mut a = MessageAttributeValue::builder().data_type(t);
        if let Some(s) = s {
            a = a.string_value(s);
        }
        if let Some(b) = b {
            a = a.binary_value(aws_smithy_types::Blob::new(b.to_vec()));
        }
        a.build().unwrap()
    };
    sqs.send_message()
        .queue_url(&url)
        .message_body(r#"{"kind": "keep", "n": 1}"#)
        .message_attributes("color", attr("String", Some("red"), None))
        .message_attributes("raw", attr("Binary", None, Some(&[1, 2])))
        .send()
        .await
        .unwrap();
    for body in [
        r#"{"kind": "keep", "n": 2, "x": "fail:once"}"#,
        r#"{"kind": "keep", "n": 3}"#,
        r#"{"kind": "drop", "n": 4}"#,
    ] {
        sqs.send_message()
            .queue_url(&url)
            .message_body(body)
            .send()
            .await
            .unwrap();
    }

    let rec = Recorder::new("sqs");
    let f = rec.function(true).await;
    let (stop, shutdown) = watch::channel(false);
    let poller = spawn_sqs_poller(
        sqs.clone(),
        SqsSource {
            queue_url: url.clone(),
            queue_arn: arn.clone(),
            batch_size: 10,
            report_batch_item_failures: true,
            filters: vec![r#"{"body": {"kind": ["keep"]}}"#.into()],
        },
        f.clone(),
        1,
        shutdown,
    );

    let batches = rec.wait_for_batches(2, DELIVERY_LIMIT).await;
    let first = records(&batches[0]);
    let bodies: Vec<&str> = first.iter().map(|r| r["body"].as_str().unwrap()).collect();
    assert_eq!(
        bodies.len(),
        3,
        "the filtered-out message is not delivered: {bodies:?}"
    );
    assert!(bodies.iter().all(|b| !b.contains("drop")));
    let r = first
        .iter()
        .find(|r| r["body"].as_str().unwrap().contains("\"n\": 1"))
        .unwrap();
    assert_eq!(r["eventSource"], "aws:sqs");
    assert_eq!(r["eventSourceARN"], arn.as_str());
    assert_eq!(r["awsRegion"], "us-east-1");
    assert!(r["messageId"].as_str().is_some_and(|s| !s.is_empty()));
    assert!(r["receiptHandle"].as_str().is_some_and(|s| !s.is_empty()));
    assert_eq!(r["md5OfBody"].as_str().map(str::len), Some(32));
    let a = &r["attributes"];
    assert_eq!(a["ApproximateReceiveCount"], "1");
    for k in [
        "SentTimestamp",
        "SenderId",
        "ApproximateFirstReceiveTimestamp",
    ] {
        assert!(a[k].is_string(), "attributes.{k} missing: {a}");
    }
    assert_eq!(
        r["messageAttributes"]["color"],
        json!({"stringValue": "red", "stringListValues": [], "binaryListValues": [], "dataType": "String"})
    );
    assert_eq!(
        r["messageAttributes"]["raw"],
        json!({"binaryValue": "AQI=", "stringListValues": [], "binaryListValues": [], "dataType": "Binary"})
    );

    // Only the reported failure comes back, and it is the same message.
    let second = records(&batches[1]);
    assert_eq!(second.len(), 1, "{second:#?}");
    assert!(second[0]["body"].as_str().unwrap().contains("fail:once"));
    assert_eq!(second[0]["attributes"]["ApproximateReceiveCount"], "2");
    let failed_id = &second[0]["messageId"];
    assert!(first.iter().any(|r| &r["messageId"] == failed_id));

    // Everything, including the filtered-out message, ends up deleted.
    let started = Instant::now();
    while stack_model::fixtures::queue_depth(&sqs, &url).await != (0, 0) {
        assert!(
            started.elapsed() < DELIVERY_LIMIT,
            "queue not drained: {:?}",
            stack_model::fixtures::queue_depth(&sqs, &url).await
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(rec.batches().len(), 2, "nothing is delivered twice");

    stop.send(true).unwrap();
    tokio::time::timeout(Duration::from_secs(3), poller)
        .await
        .expect("poller stops promptly")
        .unwrap();
    f.shutdown().await;
}

#[tokio::test]
async fn a_queue_hands_batches_to_environments_of_their_own_at_once() {
    let sqs = aws_sdk_sqs::Client::new(&sdk_config().await);
    let (url, arn) = stack_model::fixtures::create_queue(&sqs, "in-flight", None).await;
    for n in 0..3 {
        sqs.send_message()
            .queue_url(&url)
            .message_body(format!("m{n}"))
            .send()
            .await
            .unwrap();
    }
    let rec = Recorder::new("sqs-in-flight");
    let f = FunctionPool::start(
        crate::lambda::tests::echo_spec(
            "EchoFunction",
            Duration::from_secs(5),
            &[
                ("RECORD_FILE", rec.path.to_str().unwrap()),
                ("BATCH_SLEEP", "0.5"),
            ],
        ),
        3,
    )
    .await
    .map(RunningFunction::Local)
    .expect("start function");
    let (stop, shutdown) = watch::channel(false);
    let poller = spawn_sqs_poller(
        sqs.clone(),
        SqsSource {
            queue_url: url,
            queue_arn: arn,
            batch_size: 1,
            report_batch_item_failures: false,
            filters: vec![],
        },
        f.clone(),
        3,
        shutdown,
    );

    let batches = rec.wait_for_batches(3, DELIVERY_LIMIT).await;
    let pids: HashSet<i64> = batches.iter().filter_map(|b| b["pid"].as_i64()).collect();
    assert!(
        pids.len() >= 2,
        "one batch was taken while another ran, in another environment: {batches:#?}"
    );

    stop.send(true).unwrap();
    poller.await.unwrap();
    f.shutdown().await;
}

#[tokio::test]
async fn sqs_always_failing_message_is_redriven_to_dlq() {
    let sqs = aws_sdk_sqs::Client::new(&sdk_config().await);
    let (dlq_url, dlq_arn) = stack_model::fixtures::create_queue(&sqs, "orders-dlq", None).await;
    let (url, arn) = stack_model::fixtures::create_queue(&sqs, "orders", Some(&dlq_arn)).await;
    sqs.send_message()
        .queue_url(&url)
        .message_body("poison fail:always")
        .send()
        .await
        .unwrap();

    let rec = Recorder::new("sqs-dlq");
    let f = rec.function(false).await;
    let (stop, shutdown) = watch::channel(false);
    let poller = spawn_sqs_poller(
        sqs.clone(),
        SqsSource {
            queue_url: url,
            queue_arn: arn,
            batch_size: 10,
            report_batch_item_failures: false,
            filters: vec![],
        },
        f.clone(),
        1,
        shutdown,
    );

    let started = Instant::now();
    let body = loop {
        let out = sqs
            .receive_message()
            .queue_url(&dlq_url)
            .wait_time_seconds(1)
            .send()
            .await
            .unwrap();
        if let Some(m) = out.messages.unwrap_or_default().into_iter().next() {
            break m.body.unwrap();
        }
        assert!(
            started.elapsed() < DELIVERY_LIMIT,
            "message never reached the DLQ"
        );
    };
    assert_eq!(body, "poison fail:always");
    let batches = rec.batches();
    assert_eq!(
        batches.len(),
        2,
        "delivered maxReceiveCount times: {batches:#?}"
    );
    assert_eq!(
        records(&batches[1])[0]["attributes"]["ApproximateReceiveCount"],
        "2"
    );

    stop.send(true).unwrap();
    tokio::time::timeout(Duration::from_secs(3), poller)
        .await
        .expect("poller stops promptly")
        .unwrap();
    f.shutdown().await;
}

// ---------------------------------------------------------------- DynamoDB streams

async fn create_table(ddb: &aws_sdk_dynamodb::Client, name: &str) -> String {
    let out = ddb
        .create_table()
        .table_name(name)
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("PK")
                .key_type(KeyType::Hash)
                .build()
                .unwrap(),
        )
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("PK")
                .attribute_type(ScalarAttributeType::S)
                .build()
                .unwrap(),
        )
        .billing_mode(BillingMode::PayPerRequest)
        .stream_specification(
            StreamSpecification::builder()
                .stream_enabled(true)
                .stream_view_type(StreamViewType::NewAndOldImages)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .expect("create table");
    out.table_description.unwrap().latest_stream_arn.unwrap()
}

async fn put(
    ddb: &aws_sdk_dynamodb::Client,
    table: &str,
    pk: &str,
    extra: &[(&str, AttributeValue)],
) {
    let mut req = ddb
        .put_item()
        .table_name(table)
        .item("PK", AttributeValue::S(pk.into()));
    for (k, v) in extra {
        req = req.item(*k, v.clone());
    }
    req.send().await.expect("put item");
}

struct StreamRig {
    table: String,
    ddb: aws_sdk_dynamodb::Client,
    sqs: aws_sdk_sqs::Client,
    streams: aws_sdk_dynamodbstreams::Client,
    stream_arn: String,
}

async fn stream_rig() -> StreamRig {
    let conf = sdk_config().await;
    let ddb = aws_sdk_dynamodb::Client::new(&conf);
    let table = unique("users");
    let stream_arn = create_table(&ddb, &table).await;
    StreamRig {
        table,
        sqs: aws_sdk_sqs::Client::new(&conf),
        streams: aws_sdk_dynamodbstreams::Client::new(&conf),
        ddb,
        stream_arn,
    }
}

fn stream_source(rig: &StreamRig) -> StreamSource {
    StreamSource {
        stream_arn: rig.stream_arn.clone(),
        table_name: rig.table.clone(),
        batch_size: 100,
        starting_position: "TRIM_HORIZON".into(),
        maximum_retry_attempts: Some(10),
        bisect_on_error: false,
        report_batch_item_failures: false,
        on_failure_queue_url: None,
        filters: vec![],
    }
}

fn pks(batch: &Value) -> Vec<String> {
    records(batch)
        .iter()
        .map(|r| {
            r["dynamodb"]["Keys"]["PK"]["S"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect()
}

#[tokio::test]
async fn stream_delivers_filtered_inserts_in_lambda_shape() {
    let rig = stream_rig().await;
    let ddb = &rig.ddb;
    put(
        ddb,
        &rig.table,
        "OUTBOX#1",
        &[
            ("n", AttributeValue::N("5".into())),
            (
                "b",
                AttributeValue::B(aws_smithy_types::Blob::new(b"hi".to_vec())),
            ),
        ],
    )
    .await;
    put(ddb, &rig.table, "USER#1", &[]).await;
    put(
        ddb,
        &rig.table,
        "OUTBOX#1",
        &[("n", AttributeValue::N("6".into()))],
    )
    .await; // MODIFY
    put(ddb, &rig.table, "OUTBOX#2", &[]).await;

    let rec = Recorder::new("stream-shape");
    let f = rec.function(false).await;
    let (stop, shutdown) = watch::channel(false);
    let mut src = stream_source(&rig);
    src.filters = vec![
        r#"{"eventName": ["INSERT"], "dynamodb": {"Keys": {"PK": {"S": [{"prefix": "OUTBOX#"}]}}}}"#.into(),
    ];
    let poller = spawn_stream_poller(
        rig.streams.clone(),
        rig.sqs.clone(),
        src,
        f.clone(),
        shutdown,
    );

    let batches = rec.wait_for_batches(1, DELIVERY_LIMIT).await;
    assert_eq!(pks(&batches[0]), ["OUTBOX#1", "OUTBOX#2"], "{batches:#?}");
    let r = &records(&batches[0])[0];
    assert_eq!(r["eventName"], "INSERT");
    assert_eq!(r["eventVersion"], "1.1");
    assert_eq!(r["eventSource"], "aws:dynamodb");
    assert_eq!(r["awsRegion"], "us-east-1");
    assert_eq!(r["eventSourceARN"], rig.stream_arn.as_str());
    assert!(r["eventID"].as_str().is_some_and(|s| !s.is_empty()));
    let d = &r["dynamodb"];
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let created = d["ApproximateCreationDateTime"]
        .as_i64()
        .expect("epoch seconds as an integer");
    assert!(
        (created - now).abs() < 120,
        "created {created} vs now {now}"
    );
    assert_eq!(d["Keys"], json!({"PK": {"S": "OUTBOX#1"}}));
    assert_eq!(
        d["NewImage"],
        json!({"PK": {"S": "OUTBOX#1"}, "n": {"N": "5"}, "b": {"B": "aGk="}})
    );
    assert!(d.get("OldImage").is_none());
    assert!(d["SequenceNumber"].is_string());
    assert!(d["SizeBytes"].as_i64().is_some_and(|n| n > 0));
    assert_eq!(d["StreamViewType"], "NEW_AND_OLD_IMAGES");

    // The poller keeps tailing the shard.
    put(ddb, &rig.table, "OUTBOX#3", &[]).await;
    put(ddb, &rig.table, "USER#2", &[]).await;
    let batches = rec.wait_for_batches(2, DELIVERY_LIMIT).await;
    assert_eq!(pks(&batches[1]), ["OUTBOX#3"]);

    stop.send(true).unwrap();
    tokio::time::timeout(Duration::from_secs(3), poller)
        .await
        .expect("poller stops promptly")
        .unwrap();
    f.shutdown().await;
}

#[tokio::test]
async fn stream_partial_failure_retries_from_the_failed_sequence_number() {
    let rig = stream_rig().await;
    for (pk, fail) in [("A", None), ("B", Some("once")), ("C", None)] {
        let extra: Vec<(&str, AttributeValue)> = fail
            .map(|f| ("fail", AttributeValue::S(f.into())))
            .into_iter()
            .collect();
        put(&rig.ddb, &rig.table, pk, &extra).await;
    }
    let rec = Recorder::new("stream-partial");
    let f = rec.function(true).await;
    let (stop, shutdown) = watch::channel(false);
    let mut src = stream_source(&rig);
    src.report_batch_item_failures = true;
    let poller = spawn_stream_poller(
        rig.streams.clone(),
        rig.sqs.clone(),
        src,
        f.clone(),
        shutdown,
    );

    let batches = rec.wait_for_batches(2, DELIVERY_LIMIT).await;
    assert_eq!(pks(&batches[0]), ["A", "B", "C"]);
    assert_eq!(
        pks(&batches[1]),
        ["B", "C"],
        "retried from B's sequence number"
    );
    assert_eq!(
        records(&batches[0])[1]["dynamodb"]["SequenceNumber"],
        records(&batches[1])[0]["dynamodb"]["SequenceNumber"]
    );
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert_eq!(rec.batches().len(), 2, "done after the successful retry");

    stop.send(true).unwrap();
    tokio::time::timeout(Duration::from_secs(3), poller)
        .await
        .expect("poller stops promptly")
        .unwrap();
    f.shutdown().await;
}

async fn wait_for_message(sqs: &aws_sdk_sqs::Client, url: &str, limit: Duration) -> Value {
    let started = Instant::now();
    loop {
        let out = sqs
            .receive_message()
            .queue_url(url)
            .wait_time_seconds(1)
            .send()
            .await
            .unwrap();
        if let Some(m) = out.messages.unwrap_or_default().into_iter().next() {
            return serde_json::from_str(m.body.as_deref().unwrap())
                .expect("on-failure record is JSON");
        }
        assert!(started.elapsed() < limit, "nothing arrived on {url}");
    }
}

#[tokio::test]
async fn stream_exhausted_retries_go_to_the_on_failure_queue() {
    let rig = stream_rig().await;
    let (failures_url, _) =
        stack_model::fixtures::create_queue(&rig.sqs, "outbox-failures", None).await;
    put(
        &rig.ddb,
        &rig.table,
        "POISON",
        &[("fail", AttributeValue::S("always".into()))],
    )
    .await;
    put(&rig.ddb, &rig.table, "OK1", &[]).await;

    let rec = Recorder::new("stream-exhausted");
    let f = rec.function(false).await;
    let (stop, shutdown) = watch::channel(false);
    let mut src = stream_source(&rig);
    src.maximum_retry_attempts = Some(1);
    src.on_failure_queue_url = Some(failures_url.clone());
    let poller = spawn_stream_poller(
        rig.streams.clone(),
        rig.sqs.clone(),
        src,
        f.clone(),
        shutdown,
    );

    let info = wait_for_message(&rig.sqs, &failures_url, DELIVERY_LIMIT).await;
    let batches = rec.batches();
    assert_eq!(batches.len(), 2, "one try and one retry: {batches:#?}");
    assert!(batches.iter().all(|b| pks(b) == ["POISON", "OK1"]));
    let seqs: Vec<&Value> = records(&batches[0])
        .iter()
        .map(|r| &r["dynamodb"]["SequenceNumber"])
        .collect();
    assert_eq!(
        info["requestContext"]["condition"],
        "RetryAttemptsExhausted"
    );
    assert_eq!(info["requestContext"]["approximateInvokeCount"], 2);
    assert_eq!(info["requestContext"]["functionArn"], f.arn());
    assert_eq!(info["responseContext"]["functionError"], "Unhandled");
    assert_eq!(info["version"], "1.0");
    let b = &info["DDBStreamBatchInfo"];
    assert_eq!(b["batchSize"], 2);
    assert_eq!(&b["startSequenceNumber"], seqs[0]);
    assert_eq!(&b["endSequenceNumber"], seqs[1]);
    assert_eq!(b["streamArn"], rig.stream_arn.as_str());
    assert!(b["shardId"]
        .as_str()
        .is_some_and(|s| s.starts_with("shardId-")));
    assert!(b["approximateArrivalOfFirstRecord"].is_string());

    // The shard moves on past the poison batch.
    put(&rig.ddb, &rig.table, "OK2", &[]).await;
    let batches = rec.wait_for_batches(3, DELIVERY_LIMIT).await;
    assert_eq!(pks(&batches[2]), ["OK2"]);

    stop.send(true).unwrap();
    tokio::time::timeout(Duration::from_secs(3), poller)
        .await
        .expect("poller stops promptly")
        .unwrap();
    f.shutdown().await;
}

#[tokio::test]
async fn stream_bisect_isolates_the_failing_record() {
    let rig = stream_rig().await;
    let (failures_url, _) =
        stack_model::fixtures::create_queue(&rig.sqs, "outbox-failures", None).await;
    put(&rig.ddb, &rig.table, "OK1", &[]).await;
    put(
        &rig.ddb,
        &rig.table,
        "POISON",
        &[("fail", AttributeValue::S("always".into()))],
    )
    .await;

    let rec = Recorder::new("stream-bisect");
    let f = rec.function(false).await;
    let (stop, shutdown) = watch::channel(false);
    let mut src = stream_source(&rig);
    src.maximum_retry_attempts = Some(1);
    src.bisect_on_error = true;
    src.on_failure_queue_url = Some(failures_url.clone());
    let poller = spawn_stream_poller(
        rig.streams.clone(),
        rig.sqs.clone(),
        src,
        f.clone(),
        shutdown,
    );

    let info = wait_for_message(&rig.sqs, &failures_url, DELIVERY_LIMIT).await;
    let delivered: Vec<Vec<String>> = rec.batches().iter().map(pks).collect();
    assert_eq!(
        delivered,
        [vec!["OK1", "POISON"], vec!["OK1"], vec!["POISON"]]
    );
    assert_eq!(info["DDBStreamBatchInfo"]["batchSize"], 1);

    stop.send(true).unwrap();
    tokio::time::timeout(Duration::from_secs(3), poller)
        .await
        .expect("poller stops promptly")
        .unwrap();
    f.shutdown().await;
}
