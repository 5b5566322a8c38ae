//! How events travel, read from template.yaml so the bus cannot drift from the stack:
//! which table's outbox publisher feeds which topic, which queue subscribes to which
//! topic with which filter policy, which worker consumes which queue with what batch size,
//! and after how many receives a queue gives a message to its dead-letter queue.

use serde_json::Value;
use stack_model::{target, Function, Template};
use std::collections::BTreeMap;

/// A queue and the worker behind it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueWiring {
    /// The queue's logical id, e.g. `ProductsQueue`.
    pub queue: String,
    /// The binary of the function its event source mapping invokes, e.g. `products-worker`.
    pub consumer: String,
    /// The logical id of the table that function writes (its `TABLE_NAME`).
    pub table: String,
    /// Most messages per invocation (`BatchSize`).
    pub batch_size: usize,
    /// Receives after which a failed message moves to the dead-letter queue.
    pub max_receive_count: u32,
}

/// A topic-to-queue subscription with raw delivery and an `event_type` filter policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    /// The topic's logical id.
    pub topic: String,
    /// The subscribed queue's logical id.
    pub queue: String,
    /// The event types the filter policy lets through.
    pub event_types: Vec<String>,
}

/// The event wiring of the whole template.
#[derive(Debug, Clone)]
pub struct Wiring {
    /// Table logical id -> the topic its outbox publisher publishes to.
    pub topic_of_table: BTreeMap<String, String>,
    /// Every SQS subscription.
    pub subscriptions: Vec<Subscription>,
    /// Every queue with an SQS event source, in template order.
    pub queues: Vec<QueueWiring>,
}

impl Wiring {
    /// Reads the workspace's template.yaml.
    ///
    /// # Panics
    /// When the template uses a form of wiring this reader does not understand (better
    /// to fail than to deliver differently from the stack).
    pub fn from_template() -> Self {
        Self::of(&Template::workspace())
    }

    fn of(template: &Template) -> Self {
        let mut wiring = Wiring {
            topic_of_table: BTreeMap::new(),
            subscriptions: template
                .subscriptions()
                .into_iter()
                .filter(|s| s.protocol == "sqs")
                .map(subscription)
                .collect(),
            queues: Vec::new(),
        };
        for function in template.functions() {
            for event in function.events() {
                let source = &event.properties;
                match event.type_.as_str() {
                    "DynamoDB" => {
                        let table = target(&source["Stream"]).expect("a stream !GetAtt");
                        let topic = function
                            .env("TOPIC_ARN")
                            .and_then(target)
                            .unwrap_or_else(|| panic!("the publisher of {table} has no TOPIC_ARN"));
                        wiring
                            .topic_of_table
                            .insert(table.to_owned(), topic.to_owned());
                    }
                    "SQS" => wiring.queues.push(queue(template, &function, source)),
                    _ => {}
                }
            }
        }
        wiring
    }

    /// The queues `event_type`, published to `topic`, is delivered to.
    pub fn queues_for<'a>(
        &'a self,
        topic: &'a str,
        event_type: &'a str,
    ) -> impl Iterator<Item = &'a str> + 'a {
        self.subscriptions
            .iter()
            .filter(move |s| s.topic == topic && s.event_types.iter().any(|t| t == event_type))
            .map(|s| s.queue.as_str())
    }
}

fn queue(template: &Template, function: &Function<'_>, source: &Value) -> QueueWiring {
    let queue = target(&source["Queue"]).expect("a queue !GetAtt");
    let consumer = function
        .binary()
        .unwrap_or_else(|| panic!("the consumer of {queue} names no Binary"));
    let table = function
        .env("TABLE_NAME")
        .and_then(target)
        .unwrap_or_else(|| panic!("{consumer} has no TABLE_NAME"));
    let redrive = &template
        .resource(queue)
        .unwrap_or_else(|| panic!("no queue {queue}"))
        .properties["RedrivePolicy"];
    let max_receive_count = redrive["maxReceiveCount"]
        .as_u64()
        .unwrap_or_else(|| panic!("{queue} has no maxReceiveCount"));
    QueueWiring {
        queue: queue.to_owned(),
        consumer: consumer.to_owned(),
        table: table.to_owned(),
        batch_size: source["BatchSize"].as_u64().unwrap_or(10) as usize,
        max_receive_count: u32::try_from(max_receive_count).expect("a small maxReceiveCount"),
    }
}

fn subscription(s: stack_model::Subscription) -> Subscription {
    let (topic, queue) = (s.topic, s.endpoint);
    assert!(
        s.raw_message_delivery,
        "{topic} -> {queue}: the workers read raw envelopes"
    );
    let event_types = s.event_types.unwrap_or_else(|| {
        panic!(
            "{topic} -> {queue}: only a FilterPolicy of exact event_type names is understood here"
        )
    });
    Subscription {
        topic,
        queue,
        event_types,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_template_wires_the_saga_through_four_queues() {
        let wiring = Wiring::from_template();
        let consumers: Vec<(&str, &str)> = wiring
            .queues
            .iter()
            .map(|q| (q.queue.as_str(), q.consumer.as_str()))
            .collect();
        for expected in [
            ("ProductsQueue", "products-worker"),
            ("OrdersQueue", "orders-worker"),
            ("PaymentsQueue", "payments-worker"),
            ("NotificationsQueue", "notifications-worker"),
        ] {
            assert!(
                consumers.contains(&expected),
                "{expected:?} in {consumers:?}"
            );
        }
        assert_eq!(wiring.topic_of_table["OrdersTable"], "OrdersTopic");
        let cancelled: Vec<&str> = wiring.queues_for("OrdersTopic", "OrderCancelled").collect();
        assert_eq!(
            cancelled,
            ["ProductsQueue", "PaymentsQueue", "NotificationsQueue"]
        );
        assert_eq!(
            wiring
                .queues_for("OrdersTopic", "OrderPlaced")
                .collect::<Vec<_>>(),
            ["ProductsQueue"]
        );
        assert!(wiring.queues.iter().all(|q| q.max_receive_count >= 1));
    }
}
