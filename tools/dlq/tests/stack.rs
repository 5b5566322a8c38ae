//! dlq against template.yaml's queues in moto, found through CloudFormation as in AWS:
//! list shows depths and sources, inspect decodes and leaves messages in place, redrive
//! moves exactly what it says with redrive_count, a dry run changes nothing, and what
//! cannot be redriven is refused with the messages left where they were.

mod support;

use dlq::cli::Command;
use dlq::error::Error;
use dlq::message::Body;
use dlq::target::Stack;
use dlq::topology::{Source, Topology};
use dlq::{run_on, Report};
use moto_runner::faults::{FaultRule, FaultService, FaultSwitch};
use support::*;

struct Fixture {
    config: aws_config::SdkConfig,
    stack_name: String,
    stack: Stack,
    sqs: aws_sdk_sqs::Client,
    topology: Topology,
}

impl Fixture {
    async fn new() -> Fixture {
        let config = moto().await;
        let stack_name = queue_stack(&config).await;
        let stack = Stack::aws(&config, &stack_name).await.unwrap();
        Fixture {
            sqs: aws_sdk_sqs::Client::new(&config),
            config,
            stack_name,
            stack,
            topology: Topology::embedded().unwrap(),
        }
    }

    async fn url(&self, logical_id: &str) -> String {
        stack_queue_url(&self.config, &self.stack_name, logical_id).await
    }

    async fn run(&self, command: Command) -> Result<Report, Error> {
        run_on(&self.stack, &self.topology, &command).await
    }

    async fn inspect(&self, queue: &str, max: usize) -> Vec<dlq::message::DeadLetter> {
        match self
            .run(Command::Inspect {
                queue: queue.into(),
                max,
            })
            .await
            .unwrap()
        {
            Report::Inspect { messages, .. } => messages,
            other => panic!("{other:?}"),
        }
    }

    async fn redrive(
        &self,
        queue: &str,
        max: Option<usize>,
        dry_run: bool,
    ) -> dlq::redrive::Outcome {
        let command = Command::Redrive {
            queue: queue.into(),
            max,
            dry_run,
        };
        match self.run(command).await.unwrap() {
            Report::Redrive {
                outcome,
                dry_run: d,
                ..
            } => {
                assert_eq!(d, dry_run);
                outcome
            }
            other => panic!("{other:?}"),
        }
    }
}

#[tokio::test]
async fn list_shows_every_dead_letter_queue_with_its_depth_and_source() {
    let f = Fixture::new().await;
    let products_dlq = f.url("ProductsDeadLetterQueue").await;
    for i in 0..3 {
        send(
            &f.sqs,
            &products_dlq,
            &envelope("OrderPlaced", &format!("o{i}")).1,
            "OrderPlaced",
        )
        .await;
    }
    send(
        &f.sqs,
        &f.url("OrdersDeadLetterQueue").await,
        &envelope("StockReserved", "o9").1,
        "StockReserved",
    )
    .await;
    let failures = f.url("UsersOutboxFailuresQueue").await;
    f.sqs
        .send_message()
        .queue_url(&failures)
        .message_body(stream_failure_record("arn:s"))
        .send()
        .await
        .unwrap();

    let Report::List { target, queues } = f.run(Command::List).await.unwrap() else {
        panic!("not a list")
    };
    assert_eq!(target, format!("stack {} (us-east-1)", f.stack_name));
    let depth: Vec<(&str, u64)> = queues
        .iter()
        .map(|q| (q.queue.name.as_str(), q.state.messages))
        .collect();
    assert_eq!(
        depth,
        [
            ("notifications", 0),
            ("orders", 1),
            ("orders-outbox", 0),
            ("payments", 0),
            ("payments-outbox", 0),
            ("products", 3),
            ("products-outbox", 0),
            ("users-outbox", 1),
        ]
    );
    let products = &queues[5];
    assert_eq!(products.state.url, products_dlq);
    assert_eq!(
        products.queue.source,
        Source::Queue {
            logical_id: "ProductsQueue".into(),
            max_receive_count: Some(5)
        }
    );
    let source = products.source_state.as_ref().unwrap();
    assert_eq!(source.url, f.url("ProductsQueue").await);
    assert!(source.dead_letters_to(&products.state.arn));
    assert_eq!(
        queues[7].queue.source,
        Source::Stream {
            function: "UsersOutboxPublisherFunction".into(),
            table: "UsersTable".into()
        }
    );
    assert!(queues[7].source_state.is_none());

    let text = dlq::output::text(&Report::List {
        target,
        queues: queues.clone(),
    });
    assert!(
        text.contains("queue ProductsQueue after 5 receives, 0 waiting there"),
        "{text}"
    );
    let json: serde_json::Value = serde_json::from_str(&dlq::output::json(&Report::List {
        target: String::new(),
        queues,
    }))
    .unwrap();
    assert_eq!(json["command"], "list");
    assert_eq!(json["queues"][5]["name"], "products");
    assert_eq!(json["queues"][5]["state"]["messages"], 3);
    assert_eq!(json["queues"][5]["source"]["logical_id"], "ProductsQueue");
}

#[tokio::test]
async fn inspect_decodes_the_envelopes_and_leaves_them_in_the_queue() {
    let f = Fixture::new().await;
    let dlq_url = f.url("PaymentsDeadLetterQueue").await;
    let (charge_id, charge) = envelope("PaymentRequested", "order-1");
    let (cancel_id, cancel) = envelope("OrderCancelled", "order-2");
    send(&f.sqs, &dlq_url, &charge, "PaymentRequested").await;
    send(&f.sqs, &dlq_url, &cancel, "OrderCancelled").await;
    send(&f.sqs, &dlq_url, "not json at all", "PaymentRequested").await;

    let first = f.inspect("payments", 10).await;
    assert_eq!(first.len(), 3);
    let mut events: Vec<(String, String, String)> = first
        .iter()
        .filter_map(|m| match &m.body {
            Body::Event(e) => Some((e.event_type.clone(), e.id.clone(), e.correlation_id.clone())),
            _ => None,
        })
        .collect();
    events.sort();
    assert_eq!(
        events,
        [
            ("OrderCancelled".to_owned(), cancel_id, "order-2".to_owned()),
            (
                "PaymentRequested".to_owned(),
                charge_id,
                "order-1".to_owned()
            ),
        ]
    );
    let raw: Vec<&Body> = first
        .iter()
        .map(|m| &m.body)
        .filter(|b| matches!(b, Body::Raw { .. }))
        .collect();
    assert!(
        matches!(raw.as_slice(), [Body::Raw { text, note }] if text == "not json at all" && note.starts_with("not an event envelope")),
        "{raw:?}"
    );
    for m in &first {
        assert_eq!(m.receive_count, Some(1), "{m:?}");
        assert!(
            m.sent_at.is_some() && m.first_received_at.is_some(),
            "{m:?}"
        );
        assert_eq!(m.redrive_count, None);
    }
    // Still there, visible at once; the second read is the second receive.
    assert_eq!(depth(&f.sqs, &dlq_url).await, 3);
    let second = f.inspect("payments", 10).await;
    let mut ids: Vec<(&str, Option<u64>)> = second
        .iter()
        .map(|m| (m.message_id.as_str(), m.receive_count))
        .collect();
    let mut expected: Vec<(&str, Option<u64>)> = first
        .iter()
        .map(|m| (m.message_id.as_str(), Some(2)))
        .collect();
    ids.sort();
    expected.sort();
    assert_eq!(ids, expected);
    assert_eq!(
        f.inspect("PaymentsDeadLetterQueue", 2).await.len(),
        2,
        "--max"
    );
    assert_eq!(depth(&f.sqs, &dlq_url).await, 3);
}

#[tokio::test]
async fn a_real_dead_letter_shows_its_receives_and_is_redriven_twice() {
    let f = Fixture::new().await;
    let source = f.url("OrdersQueue").await;
    let dead = f.url("OrdersDeadLetterQueue").await;
    let (id, body) = envelope("PaymentSucceeded", "order-7");
    send(&f.sqs, &source, &body, "PaymentSucceeded").await;
    receive_until_dead_lettered(&f.sqs, &source, 5).await;

    let [mut letter] = f.inspect("orders", 10).await.try_into().unwrap();
    assert!(
        matches!(&letter.body, Body::Event(e) if e.id == id && e.event_type == "PaymentSucceeded")
    );
    assert_eq!(
        letter.receive_count,
        Some(6),
        "5 in the source queue, 1 by inspect"
    );

    for round in 1..=2u64 {
        let outcome = f.redrive("orders", None, false).await;
        assert_eq!(outcome.moved, std::slice::from_ref(&letter.message_id));
        assert!(outcome.failures.is_empty());
        assert_eq!(depth(&f.sqs, &dead).await, 0);
        // The consumer fails it again: back in the dead-letter queue, attributes and all.
        receive_until_dead_lettered(&f.sqs, &source, 5).await;
        let [again] = f.inspect("orders", 10).await.try_into().unwrap();
        assert_eq!(again.redrive_count, Some(round));
        assert_eq!(
            again.receive_count,
            Some(6),
            "a new message: counted afresh"
        );
        assert!(matches!(&again.body, Body::Event(e) if e.id == id));
        letter = again;
    }
}

#[tokio::test]
async fn redrive_moves_exactly_n_with_body_attributes_and_redrive_count() {
    let f = Fixture::new().await;
    let dead = f.url("NotificationsDeadLetterQueue").await;
    let source = f.url("NotificationsQueue").await;
    let mut bodies = Vec::new();
    for i in 0..5 {
        let (_, body) = envelope("OrderConfirmed", &format!("order-{i}"));
        send(&f.sqs, &dead, &body, "OrderConfirmed").await;
        bodies.push(body);
    }

    let outcome = f.redrive("notifications", Some(3), false).await;
    assert_eq!(outcome.moved.len(), 3);
    assert!(outcome.failures.is_empty());
    assert_eq!(depth(&f.sqs, &dead).await, 2);
    let first = drain(&f.sqs, &source).await;
    assert_eq!(first.len(), 3);
    for m in &first {
        assert!(bodies.contains(&m.body().unwrap().to_owned()));
        assert_eq!(
            attribute(m, "event_type"),
            Some(("String", "OrderConfirmed"))
        );
        assert_eq!(attribute(m, "redrive_count"), Some(("Number", "1")));
    }

    // Put those three back as dead letters that were redriven once, then redrive all.
    for m in &first {
        f.sqs
            .send_message()
            .queue_url(&dead)
            .message_body(m.body().unwrap())
            .set_message_attributes(m.message_attributes().cloned())
            .send()
            .await
            .unwrap();
    }
    let outcome = f.redrive("notifications", None, false).await;
    assert_eq!(outcome.moved.len(), 5);
    assert_eq!(depth(&f.sqs, &dead).await, 0);
    let second = drain(&f.sqs, &source).await;
    let mut counts: Vec<&str> = second
        .iter()
        .map(|m| attribute(m, "redrive_count").unwrap().1)
        .collect();
    counts.sort_unstable();
    assert_eq!(counts, ["1", "1", "2", "2", "2"]);
    let mut got: Vec<&str> = second.iter().map(|m| m.body().unwrap()).collect();
    let mut want: Vec<&str> = bodies.iter().map(String::as_str).collect();
    got.sort_unstable();
    want.sort_unstable();
    assert_eq!(got, want, "every body once, unchanged");
}

#[tokio::test]
async fn a_dry_run_changes_nothing() {
    let f = Fixture::new().await;
    let dead = f.url("ProductsDeadLetterQueue").await;
    let source = f.url("ProductsQueue").await;
    for i in 0..4 {
        send(
            &f.sqs,
            &dead,
            &envelope("OrderPlaced", &format!("o{i}")).1,
            "OrderPlaced",
        )
        .await;
    }
    let before: Vec<String> = f
        .inspect("products", 10)
        .await
        .into_iter()
        .map(|m| m.message_id)
        .collect();

    let outcome = f.redrive("products", None, true).await;
    let mut would: Vec<String> = outcome.moved.clone();
    let mut ids = before.clone();
    would.sort();
    ids.sort();
    assert_eq!(would, ids);
    assert_eq!(f.redrive("products", Some(2), true).await.moved.len(), 2);
    assert_eq!(depth(&f.sqs, &dead).await, 4);
    assert_eq!(depth(&f.sqs, &source).await, 0);
    let after = f.inspect("products", 10).await;
    assert!(after.iter().all(|m| m.redrive_count.is_none()));
    assert_eq!(after.len(), 4);
}

#[tokio::test]
async fn stream_failure_records_are_decoded_and_not_redriven() {
    let f = Fixture::new().await;
    let failures = f.url("ProductsOutboxFailuresQueue").await;
    let stream = "arn:aws:dynamodb:us-east-1:123456789012:table/products/stream/2026";
    f.sqs
        .send_message()
        .queue_url(&failures)
        .message_body(stream_failure_record(stream))
        .send()
        .await
        .unwrap();

    let [record] = f.inspect("products-outbox", 10).await.try_into().unwrap();
    let Body::StreamFailure(failure) = &record.body else {
        panic!("{record:?}")
    };
    assert_eq!(failure.batch.stream_arn, stream);
    assert_eq!(failure.batch.start_sequence_number.as_deref(), Some("100"));
    assert_eq!(failure.request.condition, "RetryAttemptsExhausted");

    let refused = f
        .run(Command::Redrive {
            queue: "products-outbox".into(),
            max: None,
            dry_run: false,
        })
        .await;
    assert!(
        matches!(&refused, Err(Error::NotRedrivable { name, reason }) if name == "products-outbox" && reason.contains("ProductsTable stream")),
        "{refused:?}"
    );
    assert_eq!(depth(&f.sqs, &failures).await, 1);
}

#[tokio::test]
async fn a_source_queue_that_dead_letters_elsewhere_is_not_redriven_into() {
    // The template says Work dead-letters to Dlq; the deployed stack says Other.
    let topology = Topology::parse(
        "Resources:\n  Dlq:\n    Type: AWS::SQS::Queue\n  Work:\n    Type: AWS::SQS::Queue\n    Properties:\n      RedrivePolicy: {deadLetterTargetArn: !GetAtt Dlq.Arn, maxReceiveCount: 5}\n",
    )
    .unwrap();
    let config = moto().await;
    let deployed = serde_json::json!({"Resources": {
        "Dlq": {"Type": "AWS::SQS::Queue"},
        "Other": {"Type": "AWS::SQS::Queue"},
        "Work": {"Type": "AWS::SQS::Queue", "Properties": {"RedrivePolicy": {
            "deadLetterTargetArn": {"Fn::GetAtt": ["Other", "Arn"]}, "maxReceiveCount": 5}}}
    }});
    let name = create_stack(&config, &deployed).await;
    let stack = Stack::aws(&config, &name).await.unwrap();
    let sqs = aws_sdk_sqs::Client::new(&config);
    let dead = stack_queue_url(&config, &name, "Dlq").await;
    send(&sqs, &dead, &envelope("OrderPlaced", "o1").1, "OrderPlaced").await;

    let refused = run_on(
        &stack,
        &topology,
        &Command::Redrive {
            queue: "dlq".into(),
            max: None,
            dry_run: false,
        },
    )
    .await;
    assert!(
        matches!(&refused, Err(Error::SourceMismatch { source_queue, .. }) if source_queue == "Work"),
        "{refused:?}"
    );
    assert_eq!(depth(&sqs, &dead).await, 1);
    assert_eq!(
        depth(&sqs, &stack_queue_url(&config, &name, "Work").await).await,
        0
    );
}

#[tokio::test]
async fn unknown_queues_and_stacks_are_named_in_the_error() {
    let f = Fixture::new().await;
    let unknown = f
        .run(Command::Inspect {
            queue: "shipping".into(),
            max: 1,
        })
        .await;
    assert!(
        matches!(&unknown, Err(Error::UnknownQueue { name, known }) if name == "shipping" && known.len() == 8),
        "{unknown:?}"
    );

    let missing = Stack::aws(&f.config, "no-such-stack")
        .await
        .unwrap_err()
        .to_string();
    assert!(
        missing.contains("cloudformation:ListStackResources") && missing.contains("no-such-stack"),
        "{missing}"
    );

    // A stack deployed from an older template, with only one of the queues.
    let old =
        serde_json::json!({"Resources": {"ProductsDeadLetterQueue": {"Type": "AWS::SQS::Queue"}}});
    let name = create_stack(&f.config, &old).await;
    let stack = Stack::aws(&f.config, &name).await.unwrap();
    let e = run_on(&stack, &f.topology, &Command::List)
        .await
        .unwrap_err();
    assert!(
        matches!(&e, Error::NotInStack { logical_id, .. } if logical_id == "NotificationsDeadLetterQueue"),
        "{e:?}"
    );
}

#[tokio::test]
async fn a_send_sqs_refuses_leaves_the_message_in_the_dead_letter_queue() {
    let f = Fixture::new().await;
    let dead = f.url("PaymentsDeadLetterQueue").await;
    let source = f.url("PaymentsQueue").await;
    let (_, body) = envelope("PaymentRequested", "order-1");
    send(&f.sqs, &dead, &body, "PaymentRequested").await;
    let switch = FaultSwitch::new(moto_runner::shared_endpoint());
    let fault = switch
        .inject(
            &FaultRule::error(FaultService::Sqs)
                .operations(&["SendMessageBatch"])
                .resource(source.clone()),
        )
        .await
        .unwrap();

    let report = f
        .run(Command::Redrive {
            queue: "payments".into(),
            max: None,
            dry_run: false,
        })
        .await
        .unwrap();
    fault.clear().await.unwrap();
    assert!(!report.succeeded());
    let Report::Redrive { outcome, .. } = report else {
        panic!("{report:?}")
    };
    assert!(outcome.moved.is_empty());
    let [failure] = outcome.failures.as_slice() else {
        panic!("{outcome:?}")
    };
    assert!(
        failure.reason.contains("sqs:SendMessageBatch failed"),
        "{failure:?}"
    );
    assert!(
        failure.reason.ends_with("left in the dead-letter queue"),
        "{failure:?}"
    );
    assert_eq!(depth(&f.sqs, &dead).await, 1, "handed back at once");
    assert_eq!(depth(&f.sqs, &source).await, 0);
}

#[tokio::test]
async fn a_delete_that_fails_after_the_send_is_reported_as_in_both_queues() {
    let f = Fixture::new().await;
    let dead = f.url("ProductsDeadLetterQueue").await;
    let source = f.url("ProductsQueue").await;
    let (_, body) = envelope("OrderCancelled", "order-1");
    send(&f.sqs, &dead, &body, "OrderCancelled").await;
    let switch = FaultSwitch::new(moto_runner::shared_endpoint());
    let fault = switch
        .inject(
            &FaultRule::error(FaultService::Sqs)
                .operations(&["DeleteMessageBatch"])
                .resource(dead.clone()),
        )
        .await
        .unwrap();

    let report = f
        .run(Command::Redrive {
            queue: "products".into(),
            max: None,
            dry_run: false,
        })
        .await
        .unwrap();
    fault.clear().await.unwrap();
    let Report::Redrive { outcome, .. } = &report else {
        panic!("{report:?}")
    };
    assert!(!report.succeeded() && outcome.moved.is_empty());
    assert!(
        outcome.failures[0].reason.contains("it is in both now"),
        "{outcome:?}"
    );
    let copies = drain(&f.sqs, &source).await;
    assert_eq!(copies.len(), 1);
    assert_eq!(copies[0].body(), Some(body.as_str()));
    let dead_state = dlq::queue::QueueState::read(&f.sqs, &dead).await.unwrap();
    assert_eq!(
        (dead_state.messages, dead_state.in_flight),
        (0, 1),
        "held, not deleted"
    );
}
