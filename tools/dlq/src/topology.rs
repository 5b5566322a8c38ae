//! The stack's dead-letter queues, read from template.yaml: every queue another queue's
//! RedrivePolicy moves messages to, and every queue a stream event source's OnFailure
//! destination sends failure records to. Nothing here is hard-coded per service, so a
//! queue added to the template is covered without touching the tool.

use crate::error::Error;
use serde::Serialize;
use serde_json::Value;
use stack_model::template::{Resource, Template};

/// The template this binary was built with; `--template` reads another.
pub const EMBEDDED_TEMPLATE: &str = include_str!("../../../template.yaml");

/// One dead-letter queue of the stack.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeadLetterQueue {
    /// What the command line calls it: `products` for ProductsDeadLetterQueue,
    /// `users-outbox` for UsersOutboxFailuresQueue.
    pub name: String,
    /// The queue's logical id in the template.
    pub logical_id: String,
    /// Where its messages come from.
    pub source: Source,
}

/// Where a dead-letter queue's messages come from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Source {
    /// SQS moves a message here once it was received `max_receive_count` times from
    /// this queue; the message is the event itself and can go back.
    Queue {
        /// The source queue's logical id.
        logical_id: String,
        /// The RedrivePolicy's maxReceiveCount in the template.
        max_receive_count: Option<u64>,
    },
    /// Lambda sends a failure record here (shard and sequence range, not the records)
    /// when a function gave up on a batch of a table's stream; nothing to send back.
    Stream {
        /// The function's logical id.
        function: String,
        /// The logical id of the table whose stream feeds it.
        table: String,
    },
}

/// Every dead-letter queue of a template, by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Topology {
    /// The queues.
    pub queues: Vec<DeadLetterQueue>,
}

impl Topology {
    /// The dead-letter queues of the template the binary was built with.
    pub fn embedded() -> Result<Topology, Error> {
        Topology::parse(EMBEDDED_TEMPLATE)
    }

    /// The dead-letter queues of the template in `text`.
    pub fn parse(text: &str) -> Result<Topology, Error> {
        let template = Template::parse(text).map_err(|e| Error::Template(format!("{e:#}")))?;
        Topology::from_template(&template)
    }

    /// The dead-letter queues of a parsed template.
    pub fn from_template(template: &Template) -> Result<Topology, Error> {
        let mut queues = Vec::new();
        for r in &template.resources {
            match r.type_.as_str() {
                "AWS::SQS::Queue" => queues.extend(redrive_target(r)?),
                "AWS::Serverless::Function" => {
                    queues.extend(on_failure_targets(&template.effective_properties(r), r))
                }
                _ => {}
            }
        }
        // By name, so that the listing is stable whatever order the template has.
        queues.sort_by(|a, b| (&a.name, &a.logical_id).cmp(&(&b.name, &b.logical_id)));
        queues.dedup_by(|a, b| a.logical_id == b.logical_id);
        let position = |id: &str| template.resources.iter().position(|r| r.logical_id == id);
        for (i, q) in queues.iter().enumerate() {
            if position(&q.logical_id).is_none() {
                return Err(Error::Template(format!(
                    "{} is a dead-letter target but not a resource",
                    q.logical_id
                )));
            }
            if queues[..i].iter().any(|p| p.name == q.name) {
                return Err(Error::Template(format!(
                    "two dead-letter queues would be called {:?}; rename one",
                    q.name
                )));
            }
        }
        Ok(Topology { queues })
    }

    /// The queue called `name` (its command-line name or its logical id).
    pub fn find(&self, name: &str) -> Result<&DeadLetterQueue, Error> {
        self.queues
            .iter()
            .find(|q| q.name == name || q.logical_id == name)
            .ok_or_else(|| Error::UnknownQueue {
                name: name.to_owned(),
                known: self.queues.iter().map(|q| q.name.clone()).collect(),
            })
    }
}

/// The dead-letter queue of a queue with a RedrivePolicy.
fn redrive_target(queue: &Resource) -> Result<Option<DeadLetterQueue>, Error> {
    let Some(policy) = queue.properties.get("RedrivePolicy") else {
        return Ok(None);
    };
    // CloudFormation takes the policy as a mapping or as a JSON string.
    let policy = match policy {
        Value::String(s) => serde_json::from_str(s)
            .map_err(|e| Error::Template(format!("{}: RedrivePolicy: {e}", queue.logical_id)))?,
        other => other.clone(),
    };
    let target = policy
        .get("deadLetterTargetArn")
        .and_then(|arn| getatt_of(arn, "Arn"))
        .ok_or_else(|| {
            Error::Template(format!(
                "{}: RedrivePolicy.deadLetterTargetArn is not !GetAtt <queue>.Arn",
                queue.logical_id
            ))
        })?;
    Ok(Some(DeadLetterQueue {
        name: cli_name(&target),
        source: Source::Queue {
            logical_id: queue.logical_id.clone(),
            max_receive_count: policy.get("maxReceiveCount").and_then(number),
        },
        logical_id: target,
    }))
}

/// The OnFailure queues of a function's stream event sources.
fn on_failure_targets(properties: &Value, function: &Resource) -> Vec<DeadLetterQueue> {
    let Some(events) = properties.get("Events").and_then(Value::as_object) else {
        return Vec::new();
    };
    events
        .values()
        .filter_map(|event| {
            let p = event.get("Properties")?;
            let destination = p.pointer("/DestinationConfig/OnFailure")?;
            if destination.get("Type").and_then(Value::as_str) != Some("SQS") {
                return None;
            }
            let target = getatt_of(destination.get("Destination")?, "Arn")?;
            let table = p
                .get("Stream")
                .and_then(|s| getatt_of(s, "StreamArn"))
                .unwrap_or_default();
            Some(DeadLetterQueue {
                name: cli_name(&target),
                source: Source::Stream {
                    function: function.logical_id.clone(),
                    table,
                },
                logical_id: target,
            })
        })
        .collect()
}

/// `X` of `{"Fn::GetAtt": ["X", attribute]}`.
fn getatt_of(v: &Value, attribute: &str) -> Option<String> {
    match v.get("Fn::GetAtt")?.as_array()?.as_slice() {
        [Value::String(id), Value::String(a)] if a == attribute => Some(id.clone()),
        _ => None,
    }
}

fn number(v: &Value) -> Option<u64> {
    v.as_u64()
        .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
}

/// `ProductsDeadLetterQueue` -> `products`, `UsersOutboxFailuresQueue` -> `users-outbox`.
fn cli_name(logical_id: &str) -> String {
    let stem = ["DeadLetterQueue", "FailuresQueue", "Queue"]
        .iter()
        .find_map(|suffix| logical_id.strip_suffix(suffix))
        .filter(|stem| !stem.is_empty())
        .unwrap_or(logical_id);
    let mut name = String::with_capacity(stem.len() + 4);
    for (i, c) in stem.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            name.push('-');
        }
        name.push(c.to_ascii_lowercase());
    }
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_template_has_a_dead_letter_queue_per_consumer_and_per_outbox_publisher() {
        let t = Topology::embedded().unwrap();
        let names: Vec<&str> = t.queues.iter().map(|q| q.name.as_str()).collect();
        let mut sorted = names.clone();
        sorted.sort_unstable();
        assert_eq!(
            sorted,
            [
                "notifications",
                "orders",
                "orders-outbox",
                "payments",
                "payments-outbox",
                "products",
                "products-outbox",
                "users-outbox"
            ]
        );
        let products = t.find("products").unwrap();
        assert_eq!(products.logical_id, "ProductsDeadLetterQueue");
        assert_eq!(
            products.source,
            Source::Queue {
                logical_id: "ProductsQueue".into(),
                max_receive_count: Some(5)
            }
        );
        assert_eq!(
            t.find("UsersOutboxFailuresQueue").unwrap().source,
            Source::Stream {
                function: "UsersOutboxPublisherFunction".into(),
                table: "UsersTable".into()
            }
        );
    }

    #[test]
    fn every_queue_the_template_dead_letters_to_is_covered() {
        // Independent of the parser above: any queue named in a deadLetterTargetArn or an
        // OnFailure Destination anywhere in the template text.
        let t = Topology::embedded().unwrap();
        for line in EMBEDDED_TEMPLATE.lines() {
            let line = line.trim();
            let target = line
                .strip_prefix("deadLetterTargetArn: !GetAtt ")
                .or_else(|| line.strip_prefix("Destination: !GetAtt "));
            if let Some(target) = target {
                let id = target.trim_end_matches(".Arn");
                assert!(
                    t.queues.iter().any(|q| q.logical_id == id),
                    "{id} is not covered"
                );
            }
        }
    }

    #[test]
    fn an_unknown_name_lists_the_known_ones() {
        let e = Topology::embedded()
            .unwrap()
            .find("shipping")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("\"shipping\"") && e.contains("products, "),
            "{e}"
        );
    }

    #[test]
    fn a_string_redrive_policy_and_odd_names_are_read() {
        let t = Topology::parse(
            r#"
Resources:
  Dlq:
    Type: AWS::SQS::Queue
  Work:
    Type: AWS::SQS::Queue
    Properties:
      RedrivePolicy: '{"deadLetterTargetArn": {"Fn::GetAtt": ["Dlq", "Arn"]}, "maxReceiveCount": "3"}'
"#,
        )
        .unwrap();
        assert_eq!(t.queues.len(), 1);
        assert_eq!(t.queues[0].name, "dlq");
        assert_eq!(
            t.queues[0].source,
            Source::Queue {
                logical_id: "Work".into(),
                max_receive_count: Some(3)
            }
        );
    }

    #[test]
    fn a_redrive_target_that_is_not_a_getatt_is_an_error() {
        let e = Topology::parse(
            "Resources:\n  Work:\n    Type: AWS::SQS::Queue\n    Properties:\n      RedrivePolicy: {deadLetterTargetArn: arn:aws:sqs:us-east-1:1:x, maxReceiveCount: 5}\n",
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("Work") && e.contains("deadLetterTargetArn"),
            "{e}"
        );
    }

    #[test]
    fn names_are_kebab_case_stems() {
        assert_eq!(cli_name("ProductsDeadLetterQueue"), "products");
        assert_eq!(cli_name("OrdersOutboxFailuresQueue"), "orders-outbox");
        assert_eq!(cli_name("AuditQueue"), "audit");
        assert_eq!(cli_name("Queue"), "queue");
    }
}
