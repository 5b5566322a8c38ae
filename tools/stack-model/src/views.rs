//! Typed views of the template: the questions the local cloud, the tools and the tests
//! ask of it (which functions, with which events and environment; which routes; which
//! queue receives which event types), answered on the unresolved long form, so a
//! reference still names the resource it points at.

use crate::template::{Resource, Template};
use anyhow::{bail, Context as _, Result};
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::collections::BTreeSet;

pub const SERVERLESS_FUNCTION: &str = "AWS::Serverless::Function";
pub const SERVERLESS_API: &str = "AWS::Serverless::Api";

/// The logical id a `Ref` or `Fn::GetAtt` (either form in the YAML) points at.
pub fn target(v: &Value) -> Option<&str> {
    if let Some(id) = v.get("Ref").and_then(Value::as_str) {
        return Some(id);
    }
    v.get("Fn::GetAtt")?.get(0)?.as_str()
}

/// A function of the template, with the Globals merged into its properties.
#[derive(Debug, Clone)]
pub struct Function<'t> {
    pub resource: &'t Resource,
    /// `Properties` over `Globals.Function`, as SAM merges them.
    pub properties: Value,
}

impl<'t> Function<'t> {
    pub fn logical_id(&self) -> &'t str {
        &self.resource.logical_id
    }

    /// The cargo binary it is built from (`Metadata.BuildProperties.Binary`).
    pub fn binary(&self) -> Option<&'t str> {
        self.resource.metadata["BuildProperties"]["Binary"].as_str()
    }

    /// Environment variable `name`, unresolved (a `Ref` stays a reference).
    pub fn env(&self, name: &str) -> Option<&Value> {
        self.properties["Environment"]["Variables"].get(name)
    }

    /// Every event of the function, in template order.
    pub fn events(&self) -> Vec<FunctionEvent> {
        let Some(events) = self.properties["Events"].as_object() else {
            return Vec::new();
        };
        events
            .iter()
            .map(|(name, event)| FunctionEvent {
                function: self.logical_id().to_owned(),
                name: name.clone(),
                type_: event["Type"].as_str().unwrap_or_default().to_owned(),
                properties: event["Properties"].clone(),
            })
            .collect()
    }
}

/// One entry of a function's `Events`.
#[derive(Debug, Clone, PartialEq)]
pub struct FunctionEvent {
    /// The function's logical id.
    pub function: String,
    /// The event's name (for an Api event, openapi.yaml's operationId).
    pub name: String,
    /// `Api`, `SQS`, `DynamoDB`, `Schedule`, ...
    pub type_: String,
    pub properties: Value,
}

/// One `Type: Api` event: a route of the REST API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiRoute {
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

/// An `AWS::SNS::Subscription`.
#[derive(Debug, Clone, PartialEq)]
pub struct Subscription {
    pub logical_id: String,
    /// The topic's logical id.
    pub topic: String,
    /// The logical id of the subscribed endpoint (a queue).
    pub endpoint: String,
    pub protocol: String,
    pub raw_message_delivery: bool,
    /// The `event_type` list of the filter policy, when that is all the policy says.
    pub event_types: Option<Vec<String>>,
}

impl Template {
    /// The resource `logical_id`.
    pub fn resource(&self, logical_id: &str) -> Option<&Resource> {
        self.resources.iter().find(|r| r.logical_id == logical_id)
    }

    /// Every resource of `type_`, in template order.
    pub fn resources_of<'t>(&'t self, type_: &'t str) -> impl Iterator<Item = &'t Resource> {
        self.resources.iter().filter(move |r| r.type_ == type_)
    }

    /// Whether `logical_id` is a resource of `type_`.
    pub fn is(&self, logical_id: &str, type_: &str) -> bool {
        self.resource(logical_id).is_some_and(|r| r.type_ == type_)
    }

    /// The properties of resource `logical_id`, which must be of `type_`, as `T`.
    pub fn properties<T: DeserializeOwned>(&self, logical_id: &str, type_: &str) -> Result<T> {
        let Some(r) = self.resource(logical_id) else {
            bail!("the template has no resource {logical_id}");
        };
        if r.type_ != type_ {
            bail!("resource {logical_id} is a {}, not a {type_}", r.type_);
        }
        serde_json::from_value(self.effective_properties(r))
            .with_context(|| format!("properties of {logical_id}"))
    }

    /// Every function, in template order.
    pub fn functions(&self) -> Vec<Function<'_>> {
        self.resources_of(SERVERLESS_FUNCTION)
            .map(|r| Function {
                resource: r,
                properties: self.effective_properties(r),
            })
            .collect()
    }

    /// The function `logical_id`.
    pub fn function(&self, logical_id: &str) -> Option<Function<'_>> {
        self.functions()
            .into_iter()
            .find(|f| f.logical_id() == logical_id)
    }

    /// Every event of `type_` of every function, in template order.
    pub fn function_events(&self, type_: &str) -> Vec<FunctionEvent> {
        self.functions()
            .iter()
            .flat_map(Function::events)
            .filter(|e| e.type_ == type_)
            .collect()
    }

    /// Every route of the REST API, in template order.
    pub fn api_routes(&self) -> Vec<ApiRoute> {
        self.function_events("Api")
            .into_iter()
            .map(|e| ApiRoute {
                method: e.properties["Method"]
                    .as_str()
                    .unwrap_or_default()
                    .to_uppercase(),
                path: e.properties["Path"].as_str().unwrap_or_default().to_owned(),
                public: e.properties["Auth"]["Authorizer"].as_str() == Some("NONE"),
                function: e.function,
                name: e.name,
            })
            .collect()
    }

    /// The routes served by function `logical_id`, in template order.
    pub fn api_routes_of(&self, logical_id: &str) -> Vec<ApiRoute> {
        self.api_routes()
            .into_iter()
            .filter(|r| r.function == logical_id)
            .collect()
    }

    /// Every SNS subscription, in template order.
    pub fn subscriptions(&self) -> Vec<Subscription> {
        self.resources_of("AWS::SNS::Subscription")
            .map(|r| {
                let p = &r.properties;
                let policy = p["FilterPolicy"].as_object();
                let event_types = policy.filter(|m| m.len() == 1).and_then(|m| {
                    m.get("event_type")?
                        .as_array()?
                        .iter()
                        .map(|t| t.as_str().map(str::to_owned))
                        .collect()
                });
                Subscription {
                    logical_id: r.logical_id.clone(),
                    topic: target(&p["TopicArn"]).unwrap_or_default().to_owned(),
                    endpoint: target(&p["Endpoint"]).unwrap_or_default().to_owned(),
                    protocol: p["Protocol"].as_str().unwrap_or_default().to_owned(),
                    raw_message_delivery: p["RawMessageDelivery"].as_bool() == Some(true),
                    event_types,
                }
            })
            .collect()
    }

    /// The event types SNS delivers to queue `queue`: the union of the `event_type`
    /// filter policies of the subscriptions whose endpoint it is.
    pub fn event_types_delivered_to(&self, queue: &str) -> BTreeSet<String> {
        self.subscriptions()
            .into_iter()
            .filter(|s| s.endpoint == queue)
            .flat_map(|s| s.event_types.unwrap_or_default())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn views_of_the_workspace_template() {
        let t = Template::workspace();
        let orders_api = t.function("OrdersApiFunction").unwrap();
        assert_eq!(orders_api.binary(), Some("orders-api"));
        assert_eq!(
            orders_api.env("TABLE_NAME").and_then(target),
            Some("OrdersTable")
        );
        // Globals are merged under each function.
        assert!(orders_api.properties["Runtime"].is_string());
        let routes = t.api_routes();
        assert!(routes.contains(&ApiRoute {
            function: "ProductsApiFunction".into(),
            name: "GetProduct".into(),
            method: "GET".into(),
            path: "/v1/products/{id}".into(),
            public: true,
        }));
        assert!(t
            .event_types_delivered_to("ProductsQueue")
            .contains("OrderPlaced"));
        let to_queues: Vec<Subscription> = t
            .subscriptions()
            .into_iter()
            .filter(|s| s.protocol == "sqs")
            .collect();
        assert!(to_queues.len() >= 6, "{to_queues:?}");
        assert!(to_queues.iter().all(|s| s.raw_message_delivery));
        // Template order, not alphabetical.
        let topics: Vec<&str> = to_queues.iter().map(|s| s.topic.as_str()).collect();
        assert_eq!(topics[..2], ["OrdersTopic", "ProductsTopic"]);
    }

    #[test]
    fn target_reads_refs_and_getatts() {
        let t = Template::parse(
            "Resources:\n  A:\n    Type: X\n    Properties: {R: !Ref B, G: !GetAtt C.Arn, L: {Fn::GetAtt: [D, Arn]}, S: x}\n",
        )
        .unwrap();
        let p = &t.resources[0].properties;
        assert_eq!(target(&p["R"]), Some("B"));
        assert_eq!(target(&p["G"]), Some("C"));
        assert_eq!(target(&p["L"]), Some("D"));
        assert_eq!(target(&p["S"]), None);
    }
}
