//! The notifications functions against what is declared outside them: the route and the
//! subscriptions of template.yaml, the sample events in events/notifications-* (for
//! `cargo lambda invoke --data-file`), which must parse as the events Lambda delivers and
//! be handled, and GET /v1/notifications through the router with API Gateway events
//! built from the sample: own inbox only, cursor paging, 401 without claims.

use aws_lambda_events::event::sqs::SqsEvent;
use notifications::channel::DisabledChannel;
use notifications::worker::{Consumed, Worker};
use notifications::App;
use serde_json::{json, Value};
use shared::config::ListingApiConfig;
use shared::consumer::EventSet;
use shared::events::orders::OrderConfirmed;
use shared::{Currency, Envelope, Money};
use stack_model::fixtures::api::send_event;
use stack_model::fixtures::{api_samples, sample_event, sample_events};
use stack_model::Template;
use std::collections::BTreeSet;
use std::sync::Arc;

#[test]
fn the_route_table_is_exactly_the_templates_api_events_behind_the_authorizer() {
    let declared = Template::workspace().api_routes_of("NotificationsApiFunction");
    assert!(
        declared.iter().all(|e| !e.public),
        "the inbox keeps the default Cognito authorizer"
    );
    stack_model::fixtures::assert_router_serves_exactly(
        "NotificationsApiFunction",
        &notifications::api::router(),
    );
}

#[test]
fn the_queue_receives_exactly_the_events_the_worker_handles() {
    stack_model::fixtures::assert_queue_delivers_exactly::<Consumed>("NotificationsQueue");
}

#[test]
fn notifications_api_samples_are_authenticated_rest_proxy_events_for_its_route() {
    for (name, event) in api_samples("notifications-api", &notifications::api::router()) {
        let claims = event.request_context.authorizer.fields.get("claims");
        let sub = claims.and_then(|c| c["sub"].as_str());
        assert!(sub.is_some_and(|s| !s.is_empty()), "{name}: needs a caller");
    }
}

#[test]
fn notifications_worker_samples_are_sqs_batches_of_every_event_it_handles() {
    let mut seen = BTreeSet::new();
    for (path, text) in sample_events("notifications-worker") {
        let name = path.display().to_string();
        let event: SqsEvent = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(!event.records.is_empty(), "{name}");
        for record in event.records {
            let body = record.body.unwrap_or_else(|| panic!("{name}: no body"));
            let envelope = Envelope::parse(&body).unwrap_or_else(|e| panic!("{name}: {e}"));
            let attribute = record
                .message_attributes
                .get("event_type")
                .and_then(|a| a.string_value.clone());
            assert_eq!(
                attribute.as_deref(),
                Some(envelope.event_type.as_str()),
                "{name}"
            );
            seen.insert(envelope.event_type);
        }
    }
    let handled: BTreeSet<String> = Consumed::TYPES.iter().map(|t| (*t).to_owned()).collect();
    assert_eq!(seen, handled, "a sample of every event the queue receives");
}

struct TestApi {
    app: Arc<App>,
    worker: Worker<DisabledChannel>,
}

impl TestApi {
    async fn new() -> Self {
        let aws = moto_runner::sdk_config(moto_runner::shared_endpoint()).await;
        let client = aws_sdk_dynamodb::Client::new(&aws);
        let table = stack_model::fixtures::create_table(&client, "NotificationsTable").await;
        Self {
            app: Arc::new(App::new(
                &aws,
                ListingApiConfig {
                    table_name: table.clone(),
                    cursor_signing_key: b"0123456789abcdef0123456789abcdef".to_vec(),
                },
            )),
            worker: Worker::new(client, table, DisabledChannel),
        }
    }

    /// Delivers one SQS event's JSON to the worker; returns the failed message ids.
    async fn deliver(&self, sqs_json: &str) -> Vec<String> {
        stack_model::fixtures::deliver_json(&self.worker, sqs_json).await
    }

    /// Sends the list-notifications sample, edited by `edit`, through the router.
    async fn get(&self, edit: impl FnOnce(&mut Value)) -> (u16, Value) {
        let mut event = list_sample();
        edit(&mut event);
        let reply = send_event(&notifications::api::router(), &self.app, &event).await;
        (reply.status, reply.json())
    }
}

fn list_sample() -> Value {
    serde_json::from_str(&sample_event(
        "notifications-api",
        "list-notifications.json",
    ))
    .unwrap()
}

fn worker_sample(file: &str) -> String {
    sample_event("notifications-worker", file)
}

fn sample_caller() -> String {
    list_sample()["requestContext"]["authorizer"]["claims"]["sub"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn set_query(event: &mut Value, params: &[(&str, &str)]) {
    let single: serde_json::Map<String, Value> = params
        .iter()
        .map(|(k, v)| ((*k).to_owned(), json!(v)))
        .collect();
    let multi: serde_json::Map<String, Value> = params
        .iter()
        .map(|(k, v)| ((*k).to_owned(), json!([v])))
        .collect();
    event["queryStringParameters"] = Value::Object(single);
    event["multiValueQueryStringParameters"] = Value::Object(multi);
}

fn set_caller(event: &mut Value, sub: &str) {
    event["requestContext"]["authorizer"]["claims"]["sub"] = json!(sub);
}

#[tokio::test]
async fn the_worker_samples_fill_the_sample_users_inbox_in_the_documented_shape() {
    let t = TestApi::new().await;
    for file in [
        "user-registered.json",
        "payment-refunded.json",
        "order-confirmed.json",
        "order-rejected.json",
        "order-cancelled.json",
    ] {
        assert!(t.deliver(&worker_sample(file)).await.is_empty(), "{file}");
    }
    let (status, body) = t.get(|_| {}).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["next_cursor"], Value::Null);
    let items = body["items"].as_array().unwrap();
    let types: Vec<&str> = items.iter().map(|i| i["type"].as_str().unwrap()).collect();
    assert_eq!(
        types,
        [
            "payment_refunded",
            "order_cancelled",
            "order_rejected",
            "order_confirmed",
            "welcome"
        ],
        "newest first by event time"
    );
    let mut fields: Vec<&str> = items[0]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    fields.sort_unstable();
    assert_eq!(
        fields,
        ["body", "created_at", "delivery", "id", "subject", "type"]
    );
    assert_eq!(items[0]["id"], "0193f1a3-2000-7b10-9d2a-5e8f00c0ffee");
    assert_eq!(items[0]["created_at"], "2026-01-15T10:21:03.000Z");
    assert_eq!(
        items[0]["subject"],
        "Refund of 998.00 EUR for order 0193f1a2-7c4e-7b10-9d2a-000000000001"
    );
    assert_eq!(
        items[0]["delivery"],
        json!({"channel": "none", "status": "skipped"})
    );
    assert!(
        items[0]["body"].as_str().unwrap().starts_with("Hi Alice,"),
        "greeted by the registered name: {}",
        items[0]["body"]
    );

    assert!(t
        .deliver(&worker_sample("user-deleted.json"))
        .await
        .is_empty());
    let (status, body) = t.get(|_| {}).await;
    assert_eq!(
        (status, body),
        (200, json!({"items": [], "next_cursor": null}))
    );
}

#[tokio::test]
async fn a_user_sees_only_their_own_inbox_page_by_page() {
    let t = TestApi::new().await;
    let caller = sample_caller();
    let other = shared::ids::new_id();
    let mut expected_ids = Vec::new();
    for (n, user) in [&caller, &other, &caller, &caller, &other, &caller, &caller]
        .into_iter()
        .enumerate()
    {
        let mut event = Envelope::new(
            "orders",
            "c",
            OrderConfirmed {
                order_id: shared::ids::new_id(),
                user_id: user.clone(),
                total: Money::new(100 + n as u64, Currency::parse("USD").unwrap()),
            },
        );
        event.time = shared::time::parse_rfc3339(&format!("2026-02-01T00:00:0{n}.000Z")).unwrap();
        let sqs = json!({"Records": [{"messageId": "m", "body": serde_json::to_string(&event).unwrap()}]});
        assert!(t.deliver(&sqs.to_string()).await.is_empty());
        if *user == caller {
            expected_ids.push(event.id);
        }
    }
    expected_ids.reverse();

    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let (status, body) = t
            .get(|e| match &cursor {
                Some(c) => set_query(e, &[("limit", "2"), ("cursor", c)]),
                None => set_query(e, &[("limit", "2")]),
            })
            .await;
        assert_eq!(status, 200, "{body}");
        pages += 1;
        let items = body["items"].as_array().unwrap();
        assert!(items.len() <= 2);
        seen.extend(items.iter().map(|i| i["id"].as_str().unwrap().to_owned()));
        match body["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
        assert!(pages < 10, "paging does not end");
    }
    assert_eq!(
        seen, expected_ids,
        "all five, newest first, none of the other user's"
    );

    let (status, body) = t.get(|e| set_caller(e, &other)).await;
    assert_eq!(status, 200);
    assert_eq!(body["items"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn a_cursor_is_bound_to_its_caller_and_bad_parameters_are_400() {
    let t = TestApi::new().await;
    let caller = sample_caller();
    for n in 0..3 {
        let event = Envelope::new(
            "orders",
            "c",
            OrderConfirmed {
                order_id: shared::ids::new_id(),
                user_id: caller.clone(),
                total: Money::new(100 + n, Currency::parse("USD").unwrap()),
            },
        );
        let sqs = json!({"Records": [{"messageId": "m", "body": serde_json::to_string(&event).unwrap()}]});
        assert!(t.deliver(&sqs.to_string()).await.is_empty());
    }
    let (_, body) = t.get(|e| set_query(e, &[("limit", "1")])).await;
    let cursor = body["next_cursor"].as_str().unwrap().to_owned();

    let (status, body) = t
        .get(|e| {
            set_query(e, &[("limit", "1"), ("cursor", &cursor)]);
            set_caller(e, &shared::ids::new_id());
        })
        .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["details"][0]["field"], "cursor");

    for limit in ["0", "101", "ten"] {
        let (status, body) = t.get(|e| set_query(e, &[("limit", limit)])).await;
        assert_eq!(status, 400, "{limit}: {body}");
        assert_eq!(body["error"]["code"], "VALIDATION_ERROR");
        assert_eq!(body["error"]["details"][0]["field"], "limit");
    }
}

#[tokio::test]
async fn a_request_without_authorizer_claims_is_unauthorized() {
    let t = TestApi::new().await;
    let (status, body) = t
        .get(|e| e["requestContext"]["authorizer"] = json!({}))
        .await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["error"]["code"], "UNAUTHORIZED");
}
