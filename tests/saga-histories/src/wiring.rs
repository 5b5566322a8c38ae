//! How events travel, read from template.yaml so the bus cannot drift from the stack:
//! which table's outbox publisher feeds which topic, which queue subscribes to which
//! topic with which filter policy, which worker consumes which queue with what batch size,
//! and after how many receives a queue gives a message to its dead-letter queue.

use serde_yaml::Value;
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
    /// When the template cannot be read, or uses a form of wiring this reader does not
    /// understand (better to fail than to deliver differently from the stack).
    pub fn from_template() -> Self {
        let path = moto_runner::workspace_root().join("template.yaml");
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
        let template: Value = serde_yaml::from_str(&text)
            .unwrap_or_else(|e| panic!("parsing {}: {e}", path.display()));
        Self::from_value(&template)
    }

    fn from_value(template: &Value) -> Self {
        let resources = template["Resources"]
            .as_mapping()
            .expect("template.yaml has Resources");
        let mut wiring = Wiring {
            topic_of_table: BTreeMap::new(),
            subscriptions: Vec::new(),
            queues: Vec::new(),
        };
        for resource in resources.values() {
            let props = &resource["Properties"];
            match resource["Type"].as_str() {
                Some("AWS::SNS::Subscription") if props["Protocol"].as_str() == Some("sqs") => {
                    wiring.subscriptions.push(subscription(props));
                }
                Some("AWS::Serverless::Function") => {
                    wiring.add_function(resource, resources);
                }
                _ => {}
            }
        }
        wiring
    }

    fn add_function(&mut self, function: &Value, resources: &serde_yaml::Mapping) {
        let props = &function["Properties"];
        let Some(events) = props["Events"].as_mapping() else {
            return;
        };
        for event in events.values() {
            let source = &event["Properties"];
            match event["Type"].as_str() {
                Some("DynamoDB") => {
                    let table = logical_id(&source["Stream"]).expect("a stream !GetAtt");
                    let topic = logical_id(&props["Environment"]["Variables"]["TOPIC_ARN"])
                        .unwrap_or_else(|| panic!("the publisher of {table} has no TOPIC_ARN"));
                    self.topic_of_table
                        .insert(table.to_owned(), topic.to_owned());
                }
                Some("SQS") => {
                    let queue = logical_id(&source["Queue"]).expect("a queue !GetAtt");
                    let consumer = function["Metadata"]["BuildProperties"]["Binary"]
                        .as_str()
                        .unwrap_or_else(|| panic!("the consumer of {queue} names no Binary"));
                    let table = logical_id(&props["Environment"]["Variables"]["TABLE_NAME"])
                        .unwrap_or_else(|| panic!("{consumer} has no TABLE_NAME"));
                    let redrive = &resources[queue]["Properties"]["RedrivePolicy"];
                    let max_receive_count = redrive["maxReceiveCount"]
                        .as_u64()
                        .unwrap_or_else(|| panic!("{queue} has no maxReceiveCount"));
                    self.queues.push(QueueWiring {
                        queue: queue.to_owned(),
                        consumer: consumer.to_owned(),
                        table: table.to_owned(),
                        batch_size: source["BatchSize"].as_u64().unwrap_or(10) as usize,
                        max_receive_count: u32::try_from(max_receive_count)
                            .expect("a small maxReceiveCount"),
                    });
                }
                _ => {}
            }
        }
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

fn subscription(props: &Value) -> Subscription {
    let topic = logical_id(&props["TopicArn"]).expect("a topic !Ref");
    let queue = logical_id(&props["Endpoint"]).expect("a queue !GetAtt");
    assert_eq!(
        props["RawMessageDelivery"].as_bool(),
        Some(true),
        "{topic} -> {queue}: the workers read raw envelopes"
    );
    let policy = props["FilterPolicy"]
        .as_mapping()
        .unwrap_or_else(|| panic!("{topic} -> {queue} has no FilterPolicy"));
    assert_eq!(
        policy.len(),
        1,
        "{topic} -> {queue}: only an event_type filter is understood here"
    );
    let event_types = policy
        .get("event_type")
        .and_then(Value::as_sequence)
        .unwrap_or_else(|| panic!("{topic} -> {queue}: the filter is not an event_type list"))
        .iter()
        .map(|t| {
            t.as_str()
                .unwrap_or_else(|| panic!("{topic} -> {queue}: only exact type names"))
                .to_owned()
        })
        .collect();
    Subscription {
        topic: topic.to_owned(),
        queue: queue.to_owned(),
        event_types,
    }
}

/// The resource a `!Ref X` or `!GetAtt X.Attr` names.
fn logical_id(value: &Value) -> Option<&str> {
    let Value::Tagged(tagged) = value else {
        return None;
    };
    let target = tagged.value.as_str()?;
    match tagged.tag.to_string().as_str() {
        "!Ref" => Some(target),
        "!GetAtt" => target.split_once('.').map(|(id, _)| id),
        _ => None,
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
