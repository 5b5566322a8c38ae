//! Fixtures for adapter tests, built from template.yaml so that an adapter is tested
//! against what the stack deploys, not against a hand-copied imitation that drifts.

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use aws_sdk_dynamodb as dynamodb;
use lambda_runtime::{Context, LambdaEvent};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use std::collections::BTreeSet;

/// The sample events of one function under events/ (for `cargo lambda invoke
/// --data-file`), as (path, JSON text) in file-name order; panics when there are none.
pub fn sample_events(function: &str) -> Vec<(std::path::PathBuf, String)> {
    let dir = crate::workspace_root().join("events").join(function);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| {
            entry
                .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
                .path()
        })
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no samples in {}", dir.display());
    files
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            (path, text)
        })
        .collect()
}

/// An SQS batch as Lambda hands it to a worker subscribed with raw delivery: one message
/// per envelope (the body is the envelope's JSON), with message ids `m0`, `m1`, ...
pub fn sqs_batch<T: serde::Serialize>(envelopes: &[&T]) -> LambdaEvent<SqsEvent> {
    let mut event = SqsEvent::default();
    event.records = envelopes
        .iter()
        .enumerate()
        .map(|(i, envelope)| {
            let mut message = SqsMessage::default();
            message.message_id = Some(format!("m{i}"));
            message.body = Some(serde_json::to_string(envelope).expect("envelopes serialise"));
            message
        })
        .collect();
    LambdaEvent::new(event, Context::default())
}

/// The ids of the messages a worker reported as failed (to be retried by SQS).
pub fn failed_message_ids(response: SqsBatchResponse) -> Vec<String> {
    response
        .batch_item_failures
        .into_iter()
        .map(|f| f.item_identifier)
        .collect()
}

/// A name no other test of this moto uses.
pub fn unique_name(prefix: &str) -> String {
    format!("{prefix}-{}", uuid::Uuid::now_v7().simple())
}

/// One `Type: Api` event of a function of the template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiEvent {
    /// The function's logical id.
    pub function: String,
    /// The event's name (openapi.yaml's operationId).
    pub name: String,
    /// The HTTP method, upper case.
    pub method: String,
    /// The path template, e.g. `/v1/orders/{id}`.
    pub path: String,
    /// True when the route opts out of the default authorizer (`Auth: Authorizer: NONE`).
    pub public: bool,
}

/// `Logical.Attr` of a `!GetAtt Logical.Attr` (or `Fn::GetAtt: [Logical, Attr]`).
fn get_att(value: &serde_yaml::Value) -> Option<String> {
    match value {
        serde_yaml::Value::Tagged(tagged) if tagged.tag == "GetAtt" => {
            tagged.value.as_str().map(str::to_owned)
        }
        serde_yaml::Value::Mapping(m) => {
            let parts = m.get("Fn::GetAtt")?.as_sequence()?;
            let parts: Vec<&str> = parts.iter().filter_map(serde_yaml::Value::as_str).collect();
            Some(parts.join("."))
        }
        _ => None,
    }
}

/// The parsed template.yaml of the workspace.
pub struct Template(serde_yaml::Value);

impl Template {
    /// Reads the workspace's template.yaml.
    pub fn load() -> Self {
        let path = crate::workspace_root().join("template.yaml");
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
        Self(
            serde_yaml::from_str(&text)
                .unwrap_or_else(|e| panic!("parsing {}: {e}", path.display())),
        )
    }

    /// The `Properties` of resource `logical_id`, which must be of type `resource_type`.
    pub fn properties<T: DeserializeOwned>(&self, logical_id: &str, resource_type: &str) -> T {
        let resource = &self.0["Resources"][logical_id];
        assert_eq!(
            resource["Type"].as_str(),
            Some(resource_type),
            "template.yaml: resource {logical_id} is not a {resource_type}"
        );
        serde_yaml::from_value(resource["Properties"].clone())
            .unwrap_or_else(|e| panic!("template.yaml: properties of {logical_id}: {e}"))
    }

    /// Every `Type: Api` event of the template's functions, in template order.
    pub fn api_events(&self) -> Vec<ApiEvent> {
        let mut events = Vec::new();
        for (logical_id, resource) in self.resources("AWS::Serverless::Function") {
            let declared = resource["Properties"]["Events"].as_mapping();
            for (name, event) in declared.into_iter().flatten() {
                if event["Type"].as_str() != Some("Api") {
                    continue;
                }
                let props = &event["Properties"];
                events.push(ApiEvent {
                    function: logical_id.clone(),
                    name: name.as_str().expect("event names are strings").to_owned(),
                    method: props["Method"].as_str().expect("Method").to_uppercase(),
                    path: props["Path"].as_str().expect("Path").to_owned(),
                    public: props["Auth"]["Authorizer"].as_str() == Some("NONE"),
                });
            }
        }
        events
    }

    /// The Api events of function `function_logical_id`.
    pub fn api_events_of(&self, function_logical_id: &str) -> Vec<ApiEvent> {
        self.api_events()
            .into_iter()
            .filter(|e| e.function == function_logical_id)
            .collect()
    }

    /// The event types SNS delivers to queue `queue_logical_id`: the union of the
    /// `event_type` filter policies of the subscriptions whose endpoint is that queue,
    /// each of which must use raw delivery (the workers parse the body as the envelope).
    pub fn event_types_delivered_to(&self, queue_logical_id: &str) -> BTreeSet<String> {
        #[derive(Deserialize)]
        #[serde(rename_all = "PascalCase")]
        struct Subscription {
            raw_message_delivery: bool,
            filter_policy: FilterPolicy,
        }
        #[derive(Deserialize)]
        struct FilterPolicy {
            event_type: Vec<String>,
        }
        let endpoint = format!("{queue_logical_id}.Arn");
        let mut types = BTreeSet::new();
        for (logical_id, resource) in self.resources("AWS::SNS::Subscription") {
            if get_att(&resource["Properties"]["Endpoint"]).as_deref() != Some(endpoint.as_str()) {
                continue;
            }
            let sub: Subscription = serde_yaml::from_value(resource["Properties"].clone())
                .unwrap_or_else(|e| panic!("template.yaml: properties of {logical_id}: {e}"));
            assert!(
                sub.raw_message_delivery,
                "{logical_id} must use raw delivery"
            );
            types.extend(sub.filter_policy.event_type);
        }
        assert!(
            !types.is_empty(),
            "nothing is subscribed to {queue_logical_id}"
        );
        types
    }

    fn resources<'a>(
        &'a self,
        resource_type: &'a str,
    ) -> impl Iterator<Item = (String, &'a serde_yaml::Value)> + 'a {
        self.0["Resources"]
            .as_mapping()
            .expect("template.yaml has Resources")
            .iter()
            .filter(move |(_, r)| r["Type"].as_str() == Some(resource_type))
            .map(|(id, r)| (id.as_str().unwrap_or_default().to_owned(), r))
    }

    /// The `Properties` of every resource of `resource_type`.
    pub fn all_properties<T: DeserializeOwned>(&self, resource_type: &str) -> Vec<T> {
        let resources = self.0["Resources"]
            .as_mapping()
            .expect("template.yaml has Resources");
        resources
            .values()
            .filter(|r| r["Type"].as_str() == Some(resource_type))
            .map(|r| serde_yaml::from_value(r["Properties"].clone()).expect("resource properties"))
            .collect()
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct TableProperties {
    attribute_definitions: Vec<AttributeDefinition>,
    key_schema: Vec<KeyElement>,
    #[serde(default)]
    global_secondary_indexes: Vec<GlobalSecondaryIndex>,
    #[serde(default)]
    local_secondary_indexes: Option<serde_yaml::Value>,
    stream_specification: Option<StreamSpecification>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct AttributeDefinition {
    attribute_name: String,
    attribute_type: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct KeyElement {
    attribute_name: String,
    key_type: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct GlobalSecondaryIndex {
    index_name: String,
    key_schema: Vec<KeyElement>,
    projection: Projection,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Projection {
    projection_type: String,
    #[serde(default)]
    non_key_attributes: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct StreamSpecification {
    stream_view_type: String,
}

fn key_schema(elements: &[KeyElement]) -> Vec<dynamodb::types::KeySchemaElement> {
    elements
        .iter()
        .map(|k| {
            dynamodb::types::KeySchemaElement::builder()
                .attribute_name(&k.attribute_name)
                .key_type(k.key_type.as_str().into())
                .build()
                .expect("key schema element")
        })
        .collect()
}

/// Creates a table with the key schema, indexes and stream of the template's table
/// `logical_id` (on demand, as there) under a fresh name, and returns the name.
pub async fn create_table(client: &dynamodb::Client, logical_id: &str) -> String {
    let props: TableProperties = Template::load().properties(logical_id, "AWS::DynamoDB::Table");
    // A local index would change what the adapter can query; fail loudly rather than
    // test against a table without it.
    assert!(
        props.local_secondary_indexes.is_none(),
        "support: build LocalSecondaryIndexes too"
    );
    let name = unique_name(&logical_id.to_lowercase());
    let mut request = client
        .create_table()
        .table_name(&name)
        .billing_mode(dynamodb::types::BillingMode::PayPerRequest)
        .set_key_schema(Some(key_schema(&props.key_schema)));
    for a in &props.attribute_definitions {
        request = request.attribute_definitions(
            dynamodb::types::AttributeDefinition::builder()
                .attribute_name(&a.attribute_name)
                .attribute_type(a.attribute_type.as_str().into())
                .build()
                .expect("attribute definition"),
        );
    }
    for gsi in &props.global_secondary_indexes {
        let projection = dynamodb::types::Projection::builder()
            .projection_type(gsi.projection.projection_type.as_str().into())
            .set_non_key_attributes(
                (!gsi.projection.non_key_attributes.is_empty())
                    .then(|| gsi.projection.non_key_attributes.clone()),
            )
            .build();
        request = request.global_secondary_indexes(
            dynamodb::types::GlobalSecondaryIndex::builder()
                .index_name(&gsi.index_name)
                .set_key_schema(Some(key_schema(&gsi.key_schema)))
                .projection(projection)
                .build()
                .expect("global secondary index"),
        );
    }
    if let Some(stream) = &props.stream_specification {
        request = request.stream_specification(
            dynamodb::types::StreamSpecification::builder()
                .stream_enabled(true)
                .stream_view_type(stream.stream_view_type.as_str().into())
                .build()
                .expect("stream specification"),
        );
    }
    request
        .send()
        .await
        .unwrap_or_else(|e| panic!("create a table like {logical_id}: {e:?}"));
    name
}
