//! The orders API through its route table, with API Gateway REST proxy events as the
//! authorizer sends them, against moto: placement priced from the projection, every
//! Idempotency-Key outcome as a client sees it, privacy of orders, cancellation by the
//! saga's rules, the listings with their cursors, and the AWS calls each route makes
//! (the round-trip budget of docs/benchmarks.md), and the OrdersPlaced metric.

mod support;

use moto_runner::call_log::{sequential_depth, CallLog};
use orders::domain::ProductId;
use orders::App;
use serde_json::{json, Value};
use shared::config::ListingApiConfig;
use shared::http::Router;
use shared::metrics::{Metrics, MetricsRecorder, RecordedMetric};
use stack_model::fixtures::api::{send, Call, Caller, Reply};
use std::collections::BTreeSet;
use std::sync::Arc;
use support::{deliver, snapshot, TestTable};

const CURSOR_KEY: &str = "an-orders-api-test-cursor-signing-key";

/// The API over one test table.
struct Api {
    t: TestTable,
    app: Arc<App>,
    router: Arc<Router<App>>,
    /// The DynamoDB calls the app made.
    calls: CallLog,
    /// The business metrics the app emitted.
    metrics: MetricsRecorder,
}

impl Api {
    async fn new() -> Self {
        let t = TestTable::new().await;
        let aws = moto_runner::sdk_config(moto_runner::shared_endpoint()).await;
        let config = ListingApiConfig {
            table_name: t.name.clone(),
            cursor_signing_key: CURSOR_KEY.as_bytes().to_vec(),
        };
        let calls = CallLog::default();
        let (metrics, recorder) = Metrics::recording(orders::SERVICE);
        Self {
            app: Arc::new(App::with_client(calls.client(&aws), config).with_metrics(metrics)),
            router: Arc::new(orders::api::router()),
            calls,
            metrics: recorder,
            t,
        }
    }

    /// Sends `call` as `user` through the route table.
    async fn call(&self, user: &Caller, call: Call) -> Reply {
        send(&self.router, &self.app, Some(user), &call).await
    }

    async fn place(&self, user: &Caller, key: Option<&str>, body: &Value) -> Reply {
        let mut call = Call::new("POST", "/v1/orders", "/v1/orders").json(body);
        if let Some(key) = key {
            call = call.header("Idempotency-Key", key);
        }
        self.call(user, call).await
    }

    async fn get(&self, user: &Caller, id: &str) -> Reply {
        let call = Call::new("GET", "/v1/orders/{id}", format!("/v1/orders/{id}"));
        self.call(user, call).await
    }

    async fn cancel(&self, user: &Caller, id: &str) -> Reply {
        let path = format!("/v1/orders/{id}/cancel");
        self.call(user, Call::new("POST", "/v1/orders/{id}/cancel", path))
            .await
    }

    async fn list(&self, user: &Caller, query: &[(&str, &str)]) -> Reply {
        let call = Call::new("GET", "/v1/orders", "/v1/orders");
        self.call(user, with_query(call, query)).await
    }

    async fn admin_list(&self, user: &Caller, query: &[(&str, &str)]) -> Reply {
        let call = Call::new("GET", "/v1/admin/orders", "/v1/admin/orders");
        self.call(user, with_query(call, query)).await
    }

    /// Places an order under a fresh key and returns its view.
    async fn placed(&self, user: &Caller, lines: &[(&ProductId, u32)]) -> Value {
        let key = shared::ids::new_id();
        let answer = self.place(user, Some(&key), &checkout(lines)).await;
        assert_eq!(answer.status, 201, "{}", answer.body);
        answer.json()
    }
}

fn with_query(call: Call, query: &[(&str, &str)]) -> Call {
    query.iter().fold(call, |call, (k, v)| call.query(k, v))
}

fn checkout(lines: &[(&ProductId, u32)]) -> Value {
    json!({
        "items": lines
            .iter()
            .map(|(id, q)| json!({"product_id": id.as_str(), "quantity": q}))
            .collect::<Vec<_>>(),
        "payment_method": "pm_card_visa",
        "shipping_address": {
            "name": "Ada Lovelace", "line1": "12 St James's Square", "line2": "Flat 2",
            "city": "London", "postal_code": "SW1Y 4JH", "country": "GB"
        }
    })
}

#[tokio::test]
async fn an_order_is_priced_from_the_projection_and_created_with_its_location() {
    let api = Api::new().await;
    let mug = api.t.product("Mug", 1250, "EUR").await;
    let plate = api.t.product("Plate", 899, "EUR").await;
    let alice = Caller::user();
    let answer = api
        .place(
            &alice,
            Some("first-order"),
            &checkout(&[(&mug, 2), (&plate, 3)]),
        )
        .await;
    assert_eq!(answer.status, 201, "{}", answer.body);
    let order = answer.json();
    let id = order["id"].as_str().unwrap();
    assert_eq!(
        answer.header("location"),
        Some(format!("/v1/orders/{id}").as_str())
    );
    assert_eq!(answer.header("idempotent-replayed"), None);
    let fields: BTreeSet<&str> = order
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        fields,
        BTreeSet::from([
            "id",
            "status",
            "status_reason",
            "items",
            "total",
            "payment_method",
            "shipping_address",
            "created_at",
            "updated_at",
            "redacted_at"
        ])
    );
    assert_eq!(order["status"], "PENDING");
    assert_eq!(order["status_reason"], Value::Null);
    assert_eq!(
        order["items"],
        json!([
            {"product_id": mug.as_str(), "name": "Mug", "quantity": 2,
             "unit_price": {"amount": 1250, "currency": "EUR"},
             "line_total": {"amount": 2500, "currency": "EUR"}},
            {"product_id": plate.as_str(), "name": "Plate", "quantity": 3,
             "unit_price": {"amount": 899, "currency": "EUR"},
             "line_total": {"amount": 2697, "currency": "EUR"}}
        ])
    );
    assert_eq!(order["total"], json!({"amount": 5197, "currency": "EUR"}));
    assert_eq!(order["payment_method"], "pm_card_visa");
    assert_eq!(order["shipping_address"]["line2"], "Flat 2");
    assert_eq!(order["shipping_address"]["country"], "GB");
    assert!(shared::time::parse_rfc3339(order["created_at"].as_str().unwrap()).is_some());
    assert!(order["created_at"].as_str().unwrap().ends_with('Z'));

    let read = api.get(&alice, id).await;
    assert_eq!(read.status, 200);
    assert_eq!(read.json(), order);
    let placed = api.t.events_of("OrderPlaced").await;
    assert_eq!(placed.len(), 1);
    assert_eq!(placed[0].data["user_id"], alice.sub.as_str());
    assert_eq!(placed[0].data["total"]["amount"], 5197);
}

#[tokio::test]
async fn a_placed_order_is_counted_once_and_neither_a_replay_nor_a_refusal_counts() {
    let api = Api::new().await;
    let mug = api.t.product("Mug", 1250, "EUR").await;
    let alice = Caller::user();
    let placed = RecordedMetric {
        name: "OrdersPlaced".into(),
        service: "orders".into(),
        reason: None,
        count: 1,
    };
    let first = api
        .place(&alice, Some("k-1"), &checkout(&[(&mug, 1)]))
        .await;
    assert_eq!(first.status, 201, "{}", first.body);
    assert_eq!(api.metrics.metrics(), std::slice::from_ref(&placed));

    let replay = api
        .place(&alice, Some("k-1"), &checkout(&[(&mug, 1)]))
        .await;
    assert_eq!(replay.status, 201);
    assert_eq!(replay.header("idempotent-replayed"), Some("true"));
    let unknown = ProductId::parse(&shared::ids::new_id()).unwrap();
    let refused = api
        .place(&alice, Some("k-2"), &checkout(&[(&unknown, 1)]))
        .await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert_eq!(api.metrics.metrics(), [placed], "one order, one count");
    assert_eq!(api.t.events_of("OrderPlaced").await.len(), 1);
}

#[tokio::test]
async fn a_retry_replays_the_first_answer_byte_for_byte() {
    let api = Api::new().await;
    let mug = api.t.product("Mug", 1250, "EUR").await;
    let alice = Caller::user();
    let body = checkout(&[(&mug, 1)]);
    let first = api.place(&alice, Some("\"retry-me\""), &body).await;
    assert_eq!(first.status, 201);
    // The same payload, formatted differently, with the key unquoted.
    let reformatted =
        serde_json::from_str::<Value>(&serde_json::to_string_pretty(&body).unwrap()).unwrap();
    let again = api.place(&alice, Some("retry-me"), &reformatted).await;
    assert_eq!(again.status, 201);
    assert_eq!(again.body, first.body);
    assert_eq!(again.header("location"), first.header("location"));
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(api.t.events_of("OrderPlaced").await.len(), 1);
    assert_eq!(
        api.list(&alice, &[]).await.json()["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );

    // The same key is another key for another caller.
    let bob = Caller::user();
    let bobs = api.place(&bob, Some("retry-me"), &body).await;
    assert_eq!(bobs.status, 201);
    assert_ne!(bobs.json()["id"], first.json()["id"]);
}

#[tokio::test]
async fn a_key_reused_with_another_body_is_422_and_a_missing_key_is_400() {
    let api = Api::new().await;
    let mug = api.t.product("Mug", 1250, "EUR").await;
    let alice = Caller::user();
    assert_eq!(
        api.place(&alice, Some("k"), &checkout(&[(&mug, 1)]))
            .await
            .status,
        201
    );
    let other = api.place(&alice, Some("k"), &checkout(&[(&mug, 2)])).await;
    assert_eq!(other.status, 422, "{}", other.body);
    assert_eq!(other.json()["error"]["code"], "UNPROCESSABLE_ENTITY");
    assert_eq!(other.error_fields(), ["Idempotency-Key"]);

    let missing = api.place(&alice, None, &checkout(&[(&mug, 1)])).await;
    assert_eq!(missing.status, 400);
    assert_eq!(missing.error_fields(), ["Idempotency-Key"]);
    let malformed = api
        .place(&alice, Some("no spaces"), &checkout(&[(&mug, 1)]))
        .await;
    assert_eq!(malformed.status, 400);
    assert_eq!(api.t.events_of("OrderPlaced").await.len(), 1);
}

#[tokio::test]
async fn ten_concurrent_requests_with_one_key_place_one_order() {
    let api = Arc::new(Api::new().await);
    let mug = api.t.product("Mug", 1250, "EUR").await;
    let alice = Caller::user();
    let body = checkout(&[(&mug, 1)]);
    let tasks: Vec<_> = (0..10)
        .map(|_| {
            let (api, alice, body) = (Arc::clone(&api), alice.clone(), body.clone());
            tokio::spawn(async move { api.place(&alice, Some("burst"), &body).await })
        })
        .collect();
    let mut created = Vec::new();
    for task in tasks {
        let answer = task.await.unwrap();
        match answer.status {
            201 => created.push(answer),
            409 => {
                assert_eq!(answer.header("retry-after"), Some("1"));
                assert_eq!(answer.json()["error"]["code"], "CONFLICT");
            }
            other => panic!("unexpected {other}: {}", answer.body),
        }
    }
    let originals = created
        .iter()
        .filter(|a| a.header("idempotent-replayed").is_none())
        .count();
    assert_eq!(originals, 1);
    assert!(created.windows(2).all(|w| w[0].body == w[1].body));
    assert_eq!(api.t.events_of("OrderPlaced").await.len(), 1);
    // Once the first answered, every retry is its replay.
    let late = api.place(&alice, Some("burst"), &body).await;
    assert_eq!(late.status, 201);
    assert_eq!(late.body, created[0].body);
}

#[tokio::test]
async fn bad_bodies_are_400_naming_each_field_and_their_answer_is_kept_for_the_key() {
    let api = Api::new().await;
    let mug = api.t.product("Mug", 1250, "EUR").await;
    let alice = Caller::user();
    let mut body = checkout(&[(&mug, 0)]);
    body["items"]
        .as_array_mut()
        .unwrap()
        .push(json!({"product_id": "x", "quantity": 1}));
    body["payment_method"] = json!("pm card");
    body["shipping_address"]["country"] = json!("gb");
    body["shipping_address"]["name"] = json!(" ");
    let first = api.place(&alice, Some("bad"), &body).await;
    assert_eq!(first.status, 400, "{}", first.body);
    assert_eq!(first.json()["error"]["code"], "VALIDATION_ERROR");
    assert_eq!(
        first.error_fields(),
        [
            "items[0].quantity",
            "items[1].product_id",
            "payment_method",
            "shipping_address.name",
            "shipping_address.country"
        ]
    );
    let again = api.place(&alice, Some("bad"), &body).await;
    assert_eq!(again.status, 400);
    assert_eq!(again.body, first.body);
    assert_eq!(again.header("idempotent-replayed"), Some("true"));

    let mut with_price = checkout(&[(&mug, 1)]);
    with_price["items"][0]["unit_price"] = json!(1);
    let unknown_field = api
        .place(&alice, Some("price-injection"), &with_price)
        .await;
    assert_eq!(unknown_field.status, 400);
    assert_eq!(unknown_field.error_fields(), ["items[0].unit_price"]);
    assert!(api.t.outbox().await.is_empty());
}

#[tokio::test]
async fn orders_that_cannot_be_placed_are_422_and_change_nothing() {
    let api = Api::new().await;
    let mug = api.t.product("Mug", 1250, "EUR").await;
    let teapot = api.t.product("Teapot", 3000, "USD").await;
    let old = api.t.product("Old Cup", 500, "EUR").await;
    api.t
        .projection
        .apply(&snapshot(&old, "Old Cup", 500, "ARCHIVED", 2))
        .await
        .unwrap();
    let ghost = ProductId::parse(&shared::ids::new_id()).unwrap();
    let alice = Caller::user();
    let cases: Vec<(Value, Vec<&str>)> = vec![
        (
            checkout(&[(&mug, 1), (&ghost, 1)]),
            vec!["items[1].product_id"],
        ),
        (checkout(&[(&old, 1)]), vec!["items[0].product_id"]),
        (checkout(&[(&mug, 1), (&teapot, 1)]), vec!["items"]),
        (
            checkout(&[(&mug, 1), (&mug, 2)]),
            vec!["items[1].product_id"],
        ),
    ];
    for (i, (body, fields)) in cases.into_iter().enumerate() {
        let answer = api
            .place(&alice, Some(&format!("unplaceable-{i}")), &body)
            .await;
        assert_eq!(answer.status, 422, "case {i}: {}", answer.body);
        assert_eq!(answer.error_fields(), fields, "case {i}");
    }
    assert!(api.t.outbox().await.is_empty());
    assert_eq!(api.list(&alice, &[]).await.json()["items"], json!([]));
}

#[tokio::test]
async fn a_server_error_releases_the_key_so_that_a_retry_runs_again() {
    let api = Api::new().await;
    let broken = ProductId::parse(&shared::ids::new_id()).unwrap();
    // A price item the projection cannot read: pricing fails with a 500.
    let key = |pk: String| {
        [
            (
                "PK".to_owned(),
                aws_sdk_dynamodb::types::AttributeValue::S(pk),
            ),
            (
                "SK".to_owned(),
                aws_sdk_dynamodb::types::AttributeValue::S("PRICE".to_owned()),
            ),
        ]
    };
    let pk = format!("PRODUCT#{}", broken.as_str());
    api.t
        .client
        .put_item()
        .table_name(&api.t.name)
        .set_item(Some(key(pk.clone()).into_iter().collect()))
        .send()
        .await
        .unwrap();
    let alice = Caller::user();
    let body = checkout(&[(&broken, 1)]);
    let failed = api.place(&alice, Some("flaky"), &body).await;
    assert_eq!(failed.status, 500, "{}", failed.body);
    assert_eq!(failed.json()["error"]["message"], "internal error");
    let again = api.place(&alice, Some("flaky"), &body).await;
    assert_eq!(again.status, 500);
    assert_eq!(
        again.header("idempotent-replayed"),
        None,
        "a 5xx is never replayed"
    );

    api.t
        .client
        .delete_item()
        .table_name(&api.t.name)
        .set_key(Some(key(pk).into_iter().collect()))
        .send()
        .await
        .unwrap();
    api.t
        .projection
        .apply(&snapshot(&broken, "Fixed", 700, "ACTIVE", 1))
        .await
        .unwrap();
    let retry = api.place(&alice, Some("flaky"), &body).await;
    assert_eq!(retry.status, 201, "{}", retry.body);
    assert_eq!(retry.header("idempotent-replayed"), None);
}

#[tokio::test]
async fn a_placement_is_three_calls_in_two_rounds_and_a_replay_writes_nothing() {
    let api = Api::new().await;
    let mug = api.t.product("Mug", 1250, "EUR").await;
    let alice = Caller::user();
    let body = checkout(&[(&mug, 2)]);
    let placed = api.place(&alice, Some("two-rounds"), &body).await;
    assert_eq!(placed.status, 201, "{}", placed.body);
    let calls = api.calls.take();
    let operations: Vec<&str> = calls.iter().map(|c| c.operation.as_str()).collect();
    // The claim and the price read overlap; the transaction needs the claim.
    let (overlapping, then) = operations.split_at(2.min(operations.len()));
    assert_eq!(
        BTreeSet::from_iter(overlapping.iter().copied()),
        BTreeSet::from(["BatchGetItem", "PutItem"]),
        "{calls:#?}"
    );
    assert_eq!(then, ["TransactWriteItems"], "{calls:#?}");
    assert_eq!(sequential_depth(&calls), 2, "{calls:#?}");

    // A replay: the claim finds the answer (PutItem refused, GetItem) while the price
    // read runs for nothing; no write succeeds and no order is added.
    let again = api.place(&alice, Some("two-rounds"), &body).await;
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(again.body, placed.body);
    let calls = api.calls.take();
    let operations: BTreeSet<&str> = calls.iter().map(|c| c.operation.as_str()).collect();
    assert_eq!(
        operations,
        BTreeSet::from(["BatchGetItem", "GetItem", "PutItem"]),
        "{calls:#?}"
    );
    assert_eq!(calls.len(), 3, "{calls:#?}");
    assert_eq!(sequential_depth(&calls), 2, "{calls:#?}");
    assert_eq!(api.t.events_of("OrderPlaced").await.len(), 1);
}

#[tokio::test]
async fn a_read_by_id_and_a_listing_page_are_one_call_each() {
    let api = Api::new().await;
    let mug = api.t.product("Mug", 1250, "EUR").await;
    let alice = Caller::user();
    let order = api.placed(&alice, &[(&mug, 1)]).await;
    let id = order["id"].as_str().unwrap();
    api.calls.take();
    let operations =
        |api: &Api| -> Vec<String> { api.calls.take().into_iter().map(|c| c.operation).collect() };

    assert_eq!(api.get(&alice, id).await.status, 200);
    assert_eq!(operations(&api), ["GetItem"]);
    assert_eq!(api.list(&alice, &[("limit", "1")]).await.status, 200);
    assert_eq!(operations(&api), ["Query"]);
    let admin = Caller::admin();
    let page = api.admin_list(&admin, &[("status", "PENDING")]).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert_eq!(operations(&api), ["Query"]);
}

#[tokio::test]
async fn orders_are_private_to_their_owner() {
    let api = Api::new().await;
    let mug = api.t.product("Mug", 1250, "EUR").await;
    let (alice, bob) = (Caller::user(), Caller::user());
    let order = api.placed(&alice, &[(&mug, 1)]).await;
    let id = order["id"].as_str().unwrap();
    assert_eq!(api.get(&bob, id).await.status, 404);
    assert_eq!(api.cancel(&bob, id).await.status, 404);
    assert_eq!(api.list(&bob, &[]).await.json()["items"], json!([]));
    assert_eq!(api.get(&alice, "not-an-order").await.status, 404);
    assert_eq!(api.get(&alice, &shared::ids::new_id()).await.status, 404);
    assert_eq!(api.t.events_of("OrderCancelled").await.len(), 0);
    assert_eq!(api.get(&alice, id).await.json()["status"], "PENDING");
}

#[tokio::test]
async fn cancelling_follows_the_saga() {
    let api = Api::new().await;
    let mug = api.t.product("Mug", 1250, "EUR").await;
    let alice = Caller::user();
    let worker = api.t.worker();

    let pending = api.placed(&alice, &[(&mug, 1)]).await;
    let id = pending["id"].as_str().unwrap();
    let cancelled = api.cancel(&alice, id).await;
    assert_eq!(cancelled.status, 200, "{}", cancelled.body);
    assert_eq!(cancelled.json()["status"], "CANCELLED");
    assert_eq!(api.get(&alice, id).await.json(), cancelled.json());
    let twice = api.cancel(&alice, id).await;
    assert_eq!(twice.status, 409);
    assert_eq!(
        twice.json()["error"]["message"],
        "an order in status CANCELLED cannot be cancelled"
    );

    // A confirmed order is cancelled with a refund.
    let confirmed = api.placed(&alice, &[(&mug, 2)]).await;
    let stored = api
        .t
        .orders
        .get(&orders::domain::OrderId::parse(confirmed["id"].as_str().unwrap()).unwrap())
        .await
        .unwrap()
        .unwrap();
    let reserved = shared::Envelope::new(
        "products",
        stored.id.as_str(),
        shared::events::products::StockReserved {
            order_id: stored.id.as_str().to_owned(),
            lines: vec![],
        },
    );
    let paid = shared::Envelope::new(
        "payments",
        stored.id.as_str(),
        shared::events::payments::PaymentSucceeded {
            order_id: stored.id.as_str().to_owned(),
            user_id: alice.sub.clone(),
            payment_id: shared::ids::new_id(),
            amount: stored.total,
        },
    );
    assert!(deliver(&worker, &[&reserved]).await.is_empty());
    assert!(deliver(&worker, &[&paid]).await.is_empty());
    assert_eq!(
        api.get(&alice, stored.id.as_str()).await.json()["status"],
        "CONFIRMED"
    );
    assert_eq!(api.cancel(&alice, stored.id.as_str()).await.status, 200);

    let cancellations: Vec<(String, bool)> = api
        .t
        .events_of("OrderCancelled")
        .await
        .into_iter()
        .map(|e| (e.correlation_id, e.data["refund"].as_bool().unwrap()))
        .collect();
    assert_eq!(
        cancellations,
        [
            (id.to_owned(), false),
            (stored.id.as_str().to_owned(), true)
        ]
    );
}

#[tokio::test]
async fn listings_are_newest_first_with_cursors_bound_to_caller_and_query() {
    let api = Api::new().await;
    let mug = api.t.product("Mug", 1250, "EUR").await;
    let (alice, bob, admin) = (Caller::user(), Caller::user(), Caller::admin());
    let mut ids = Vec::new();
    for _ in 0..3 {
        ids.push(
            api.placed(&alice, &[(&mug, 1)]).await["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
        tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    }
    let bobs = api.placed(&bob, &[(&mug, 1)]).await;
    api.cancel(&alice, &ids[0]).await;

    let first = api.list(&alice, &[("limit", "2")]).await.json();
    let cursor = first["next_cursor"].as_str().unwrap().to_owned();
    let second = api
        .list(&alice, &[("limit", "2"), ("cursor", &cursor)])
        .await
        .json();
    let listed: Vec<&str> = first["items"]
        .as_array()
        .unwrap()
        .iter()
        .chain(second["items"].as_array().unwrap())
        .map(|o| o["id"].as_str().unwrap())
        .collect();
    assert_eq!(listed, [ids[2].as_str(), ids[1].as_str(), ids[0].as_str()]);
    assert_eq!(second["next_cursor"], Value::Null);
    let stolen = api.list(&bob, &[("limit", "2"), ("cursor", &cursor)]).await;
    assert_eq!(stolen.status, 400);
    assert_eq!(api.list(&alice, &[("limit", "0")]).await.status, 400);

    assert_eq!(api.admin_list(&alice, &[]).await.status, 403);
    let all = api.admin_list(&admin, &[]).await.json();
    let all_ids: Vec<&str> = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        all_ids,
        [bobs["id"].as_str().unwrap(), &ids[2], &ids[1], &ids[0]]
    );
    let cancelled = api
        .admin_list(&admin, &[("status", "CANCELLED")])
        .await
        .json();
    assert_eq!(cancelled["items"].as_array().unwrap().len(), 1);
    assert_eq!(cancelled["items"][0]["id"], ids[0].as_str());
    let pending = api
        .admin_list(&admin, &[("status", "PENDING"), ("limit", "1")])
        .await
        .json();
    let next = pending["next_cursor"].as_str().unwrap().to_owned();
    let other_query = api
        .admin_list(&admin, &[("status", "CANCELLED"), ("cursor", &next)])
        .await;
    assert_eq!(other_query.status, 400, "a cursor is bound to its query");
    let bad = api.admin_list(&admin, &[("status", "shipped")]).await;
    assert_eq!(bad.status, 400);
    assert_eq!(bad.error_fields(), ["status"]);
}
