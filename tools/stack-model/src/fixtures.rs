//! Fixtures for adapter tests, provisioned from the template's own resources so that an
//! adapter is tested against what the stack deploys, under a name of its own on a moto
//! other tests share; and the Lambda events a worker is handed.

use crate::provision::{cognito, dynamodb};
use crate::template::intrinsics::resolve_parameters;
use crate::template::{Context, Template};
use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use lambda_runtime::LambdaEvent;
use serde_json::Value;
use shared::consumer::{Consumer, EventSet};
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

/// A name no other test of this moto uses.
pub fn unique_name(prefix: &str) -> String {
    format!("{prefix}-{}", uuid::Uuid::now_v7().simple())
}

/// The template's resource `logical_id` (of `type_`), its properties resolved as they
/// would be on deployment, with `name_property` set to a fresh name.
fn resolved_copy(
    template: &Template,
    ctx: &Context,
    logical_id: &str,
    type_: &str,
    name_property: &str,
    name: &str,
) -> Value {
    let resource = template
        .resource(logical_id)
        .filter(|r| r.type_ == type_)
        .unwrap_or_else(|| panic!("template.yaml has no {type_} {logical_id}"));
    let mut properties = ctx
        .resolve(&template.effective_properties(resource))
        .unwrap_or_else(|e| panic!("resolving {logical_id}: {e:#}"));
    properties[name_property] = Value::String(name.to_owned());
    properties
}

fn context(template: &Template) -> Context {
    let params = resolve_parameters(template, &BTreeMap::new())
        .unwrap_or_else(|e| panic!("template.yaml parameters: {e:#}"));
    Context::new(template, params)
}

/// Creates a table like the template's `logical_id` (keys, indexes, stream, billing)
/// under a fresh name, exactly as the local cloud provisions it, and returns the name.
pub async fn create_table(client: &aws_sdk_dynamodb::Client, logical_id: &str) -> String {
    let template = Template::workspace();
    let ctx = context(&template);
    let name = unique_name(&logical_id.to_lowercase());
    let properties = resolved_copy(
        &template,
        &ctx,
        logical_id,
        "AWS::DynamoDB::Table",
        "TableName",
        &name,
    );
    dynamodb::create_table(logical_id, &properties, client)
        .await
        .unwrap_or_else(|e| panic!("create a table like {logical_id}: {e:#}"));
    name
}

/// A user pool and app client made from the template.
pub struct UserPool {
    /// The pool id.
    pub id: String,
    /// The app client id.
    pub client_id: String,
}

/// Creates the template's `UserPool`, its `UserPoolClient` and every
/// `AWS::Cognito::UserPoolGroup` under fresh names, as the local cloud provisions them.
pub async fn create_user_pool(client: &aws_sdk_cognitoidentityprovider::Client) -> UserPool {
    let template = Template::workspace();
    let mut ctx = context(&template);
    let pool = resolved_copy(
        &template,
        &ctx,
        "UserPool",
        "AWS::Cognito::UserPool",
        "UserPoolName",
        &unique_name("users"),
    );
    let outputs = cognito::create_user_pool("UserPool", &pool, client)
        .await
        .unwrap_or_else(|e| panic!("create the user pool: {e:#}"));
    let id = outputs.ref_.clone();
    ctx.resources.insert("UserPool".to_owned(), outputs);
    let app = resolved_copy(
        &template,
        &ctx,
        "UserPoolClient",
        "AWS::Cognito::UserPoolClient",
        "ClientName",
        &unique_name("users-app"),
    );
    let client_id = cognito::create_client("UserPoolClient", &app, client)
        .await
        .unwrap_or_else(|e| panic!("create the user pool client: {e:#}"))
        .ref_;
    for group in template.resources_of("AWS::Cognito::UserPoolGroup") {
        let properties = ctx
            .resolve(&group.properties)
            .unwrap_or_else(|e| panic!("resolving {}: {e:#}", group.logical_id));
        cognito::create_group(&group.logical_id, &properties, client)
            .await
            .unwrap_or_else(|e| panic!("create the group {}: {e:#}", group.logical_id));
    }
    UserPool { id, client_id }
}

/// The sample events of one function under events/ (for `cargo lambda invoke
/// --data-file`), as (path, JSON text) in file-name order; panics when there are none.
pub fn sample_events(function: &str) -> Vec<(PathBuf, String)> {
    let dir = crate::workspace_template_path()
        .parent()
        .expect("template.yaml is in the workspace root")
        .join("events")
        .join(function);
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
    LambdaEvent::new(event, lambda_runtime::Context::default())
}

/// Delivers `envelopes` to `worker` as one SQS batch ([`sqs_batch`]) and returns the ids
/// of the messages it reported as failed.
pub async fn deliver<C: Consumer, T: serde::Serialize>(
    worker: &C,
    envelopes: &[&T],
) -> Vec<String> {
    deliver_event(worker, sqs_batch(envelopes)).await
}

/// Delivers an SQS event given as JSON (a sample under events/, say) to `worker` and
/// returns the ids of the messages it reported as failed.
pub async fn deliver_json<C: Consumer>(worker: &C, sqs_event: &str) -> Vec<String> {
    let event: SqsEvent = serde_json::from_str(sqs_event).expect("an SQS event");
    deliver_event(
        worker,
        LambdaEvent::new(event, lambda_runtime::Context::default()),
    )
    .await
}

async fn deliver_event<C: Consumer>(worker: &C, event: LambdaEvent<SqsEvent>) -> Vec<String> {
    let response = shared::consumer::handle_batch(worker, event)
        .await
        .expect("a worker answers every batch");
    failed_message_ids(response)
}

/// Fails unless the subscriptions of the template deliver to `queue` exactly the event
/// types of `E`, the set a worker declares it consumes: a type it handles but never
/// receives is dead code, a type it receives but does not handle is dropped.
#[track_caller]
pub fn assert_queue_delivers_exactly<E: EventSet>(queue: &str) {
    let delivered = Template::workspace().event_types_delivered_to(queue);
    let consumed: BTreeSet<String> = E::TYPES.iter().map(|t| (*t).to_owned()).collect();
    assert_eq!(
        delivered, consumed,
        "{queue}: delivered (left) and consumed (right)"
    );
}

/// The ids of the messages a worker reported as failed (to be retried by SQS).
pub fn failed_message_ids(response: SqsBatchResponse) -> Vec<String> {
    response
        .batch_item_failures
        .into_iter()
        .map(|f| f.item_identifier)
        .collect()
}
