//! The payments functions against what is declared outside them: the routes of
//! template.yaml, the sample events in events/payments-* (for `cargo lambda invoke
//! --data-file`), which must parse as the events Lambda delivers and be handled, and
//! GET /v1/payments through the router with API Gateway events built from the sample.

use aws_lambda_events::event::sqs::SqsEvent;
use payments::domain::{OrderId, OrderPayment, Payment, PaymentRequest, PaymentStatus};
use payments::provider::{ResiliencePolicy, ResilientProvider, SimulatedProvider};
use payments::store::PaymentStore;
use payments::worker::Worker;
use payments::App;
use serde_json::{json, Value};
use shared::config::TableConfig;
use shared::events::orders::{OrderCancelled, PaymentRequested, RefundRequested};
use shared::{Currency, Envelope, Money};
use stack_model::fixtures::api::send_event;
use stack_model::fixtures::{api_samples, sample_event, sample_events};
use stack_model::Template;
use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

#[test]
fn the_queue_receives_exactly_the_events_the_worker_handles() {
    stack_model::fixtures::assert_queue_delivers_exactly::<payments::worker::Consumed>(
        "PaymentsQueue",
    );
}

#[test]
fn the_route_table_is_exactly_the_templates_api_events_and_all_are_protected() {
    let declared = Template::workspace().api_routes_of("PaymentsApiFunction");
    assert!(
        declared.iter().all(|e| !e.public),
        "every payments route keeps the default Cognito authorizer"
    );
    stack_model::fixtures::assert_router_serves_exactly(
        "PaymentsApiFunction",
        &payments::api::router(),
    );
}

#[test]
fn payments_api_samples_are_authenticated_rest_proxy_events_for_its_routes() {
    for (name, event) in api_samples("payments-api", &payments::api::router()) {
        let claims = event.request_context.authorizer.fields.get("claims");
        let sub = claims.and_then(|c| c["sub"].as_str());
        assert!(sub.is_some_and(|s| !s.is_empty()), "{name}: needs a caller");
    }
}

#[test]
fn payments_worker_samples_are_sqs_batches_of_the_events_it_consumes() {
    let mut seen = BTreeSet::new();
    for (path, text) in sample_events("payments-worker") {
        let name = path.display().to_string();
        let event: SqsEvent = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(!event.records.is_empty(), "{name}");
        for record in event.records {
            let body = record.body.unwrap_or_else(|| panic!("{name}: no body"));
            let envelope = Envelope::parse(&body).unwrap_or_else(|e| panic!("{name}: {e}"));
            if envelope.is::<PaymentRequested>() {
                let requested = envelope
                    .decode::<PaymentRequested>()
                    .unwrap_or_else(|e| panic!("{name}: {e}"));
                PaymentRequest::parse(&requested).unwrap_or_else(|e| panic!("{name}: {e}"));
            } else if envelope.is::<RefundRequested>() {
                let refund = envelope
                    .decode::<RefundRequested>()
                    .unwrap_or_else(|e| panic!("{name}: {e}"));
                assert!(OrderId::parse(&refund.order_id).is_some(), "{name}");
            } else {
                let cancelled = envelope
                    .decode::<OrderCancelled>()
                    .unwrap_or_else(|e| panic!("{name}: {e}"));
                assert!(OrderId::parse(&cancelled.order_id).is_some(), "{name}");
            }
            seen.insert(envelope.event_type);
        }
    }
    assert_eq!(
        seen,
        BTreeSet::from([
            "OrderCancelled".to_owned(),
            "PaymentRequested".to_owned(),
            "RefundRequested".to_owned()
        ]),
        "a sample of every event the subscription lets through"
    );
}

struct TestApi {
    app: Arc<App>,
    store: PaymentStore,
    worker: Worker<ResilientProvider<SimulatedProvider>>,
}

impl TestApi {
    async fn new() -> Self {
        let aws = moto_runner::sdk_config(moto_runner::shared_endpoint()).await;
        let client = aws_sdk_dynamodb::Client::new(&aws);
        let table = stack_model::fixtures::create_table(&client, "PaymentsTable").await;
        let policy = ResiliencePolicy {
            backoff_base: Duration::from_millis(1),
            ..ResiliencePolicy::default()
        };
        Self {
            app: Arc::new(App::new(
                &aws,
                TableConfig {
                    table_name: table.clone(),
                },
            )),
            store: PaymentStore::new(client.clone(), table.clone()),
            worker: Worker::new(
                client,
                table,
                ResilientProvider::new(SimulatedProvider::new(), policy),
            ),
        }
    }

    /// Delivers one SQS sample event (or any SQS event JSON); returns the failed ids.
    async fn deliver(&self, sqs_json: &str) -> Vec<String> {
        stack_model::fixtures::deliver_json(&self.worker, sqs_json).await
    }

    /// Sends the list-payments sample, edited by `edit`, through the router.
    async fn get(&self, edit: impl FnOnce(&mut Value)) -> (u16, Value) {
        let mut event = list_payments_sample();
        edit(&mut event);
        let reply = send_event(&payments::api::router(), &self.app, &event).await;
        (reply.status, reply.json())
    }
}

fn list_payments_sample() -> Value {
    serde_json::from_str(&sample_event("payments-api", "list-payments.json")).unwrap()
}

fn worker_sample(file: &str) -> String {
    sample_event("payments-worker", file)
}

/// The sample's caller and order.
fn sample_caller_and_order() -> (String, String) {
    let sample = list_payments_sample();
    (
        sample["requestContext"]["authorizer"]["claims"]["sub"]
            .as_str()
            .unwrap()
            .to_owned(),
        sample["queryStringParameters"]["order_id"]
            .as_str()
            .unwrap()
            .to_owned(),
    )
}

fn set_order_id(event: &mut Value, order_id: Option<&str>) {
    match order_id {
        Some(id) => {
            event["queryStringParameters"] = json!({ "order_id": id });
            event["multiValueQueryStringParameters"] = json!({ "order_id": [id] });
        }
        None => {
            event["queryStringParameters"] = Value::Null;
            event["multiValueQueryStringParameters"] = Value::Null;
        }
    }
}

#[tokio::test]
async fn the_worker_samples_charge_then_refund_the_sample_order() {
    let t = TestApi::new().await;
    let (_, order_id) = sample_caller_and_order();
    let order = OrderId::parse(&order_id).unwrap();
    assert!(t
        .deliver(&worker_sample("payment-requested.json"))
        .await
        .is_empty());
    assert_eq!(
        t.store.get(&order).await.unwrap().map(|p| p.status()),
        Some(PaymentStatus::Succeeded)
    );
    assert!(t
        .deliver(&worker_sample("order-cancelled.json"))
        .await
        .is_empty());
    assert_eq!(
        t.store.get(&order).await.unwrap().map(|p| p.status()),
        Some(PaymentStatus::Refunded)
    );
}

#[tokio::test]
async fn a_buyer_sees_their_own_payment_of_an_order_in_the_documented_shape() {
    let t = TestApi::new().await;
    let (_, order_id) = sample_caller_and_order();
    assert!(t
        .deliver(&worker_sample("payment-requested.json"))
        .await
        .is_empty());
    let Some(OrderPayment::Payment(stored)) = t
        .store
        .get(&OrderId::parse(&order_id).unwrap())
        .await
        .unwrap()
    else {
        panic!("no payment stored");
    };

    let (status, body) = t.get(|_| {}).await;
    assert_eq!(status, 200, "{body}");
    let items = body["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{body}");
    let item = &items[0];
    let mut fields: Vec<&str> = item
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    fields.sort_unstable();
    assert_eq!(
        fields,
        [
            "amount",
            "created_at",
            "failure_reason",
            "id",
            "order_id",
            "status",
            "updated_at"
        ]
    );
    assert_eq!(item["id"], stored.id.as_str());
    assert_eq!(item["order_id"], order_id.as_str());
    assert_eq!(item["amount"], json!({"amount": 99800, "currency": "EUR"}));
    assert_eq!(item["status"], "SUCCEEDED");
    assert_eq!(item["failure_reason"], Value::Null);
    for time in ["created_at", "updated_at"] {
        let text = item[time].as_str().unwrap();
        assert!(
            shared::time::parse_rfc3339(text).is_some() && text.ends_with('Z'),
            "{text}"
        );
    }
}

#[tokio::test]
async fn someone_elses_order_and_an_unpaid_order_list_nothing() {
    let t = TestApi::new().await;
    assert!(t
        .deliver(&worker_sample("payment-requested.json"))
        .await
        .is_empty());
    let (status, body) = t.get(|_| {}).await;
    assert_eq!(
        (status, body["items"].as_array().map(Vec::len)),
        (200, Some(1))
    );

    let (status, body) = t
        .get(|e| {
            e["requestContext"]["authorizer"]["claims"]["sub"] = json!("someone-else");
        })
        .await;
    assert_eq!((status, body), (200, json!({"items": []})));

    let unpaid = shared::ids::new_id();
    let (status, body) = t.get(|e| set_order_id(e, Some(&unpaid))).await;
    assert_eq!((status, body), (200, json!({"items": []})));
}

#[tokio::test]
async fn internal_states_are_not_listed_and_a_failure_shows_its_reason() {
    let t = TestApi::new().await;
    let (caller, _) = sample_caller_and_order();
    let charging = Payment::claim(
        &PaymentRequest::parse(&PaymentRequested {
            order_id: shared::ids::new_id(),
            user_id: caller.clone(),
            amount: Money::new(500, Currency::parse("USD").unwrap()),
            payment_method: "pm_card_visa".to_owned(),
        })
        .unwrap(),
        shared::time::now(),
    );
    t.store.claim(&charging).await.unwrap();
    let (status, body) = t
        .get(|e| set_order_id(e, Some(charging.order_id.as_str())))
        .await;
    assert_eq!(
        (status, body),
        (200, json!({"items": []})),
        "CHARGING is internal"
    );

    let declined = Envelope::new(
        "orders",
        "c",
        PaymentRequested {
            order_id: shared::ids::new_id(),
            user_id: caller,
            amount: Money::new(500, Currency::parse("USD").unwrap()),
            payment_method: "pm_card_insufficient_funds".to_owned(),
        },
    );
    let sqs = json!({"Records": [{"messageId": "m1", "body": serde_json::to_string(&declined).unwrap()}]});
    assert!(t.deliver(&sqs.to_string()).await.is_empty());
    let (status, body) = t
        .get(|e| set_order_id(e, Some(&declined.data.order_id)))
        .await;
    assert_eq!(status, 200);
    assert_eq!(body["items"][0]["status"], "FAILED");
    assert_eq!(body["items"][0]["failure_reason"], "insufficient_funds");
}

#[tokio::test]
async fn order_id_is_required_and_must_be_an_order_id() {
    let t = TestApi::new().await;
    let (status, body) = t.get(|e| set_order_id(e, None)).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["code"], "VALIDATION_ERROR");
    assert_eq!(body["error"]["details"][0]["field"], "order_id");
    assert_eq!(body["error"]["details"][0]["message"], "is required");

    let (status, body) = t.get(|e| set_order_id(e, Some("PAYMENT#x"))).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["details"][0]["field"], "order_id");
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
