//! What crabcart does when its dependencies fail, shown on the local cloud with the fault
//! switch of its moto: a write during a DynamoDB outage is a 503 that leaves nothing
//! behind, events written during an SNS outage are all published once it ends, a poison
//! message goes to the DLQ without holding up its batch, a worker that times out in the
//! middle of a batch loses nothing, and an order cancelled while its charge keeps failing
//! is refunded without waiting for it. The tests take turns (an outage hits every
//! function) and every fault is cleared when its guard drops, even when a test fails.

use e2e::catalog::{create_product, create_product_id, product_body, unique_category};
use e2e::faults::{
    exclusive_switch, items_mentioning, publish_as_one_batch, FaultRule, FaultService, StackQueue,
    StalledCharge,
};
use e2e::orders::{
    cancel, create_priced_product, eur, new_key, order_body, order_id, payments_of, place,
    place_when_priced, wait_for_notices, wait_for_payment, wait_for_status, wait_for_stock,
};
use e2e::{envelope, EventTap, Reply, Stack, StackOptions, TestApp};
use reqwest::header::RETRY_AFTER;
use reqwest::Method;
use serde_json::{json, Value};
use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// How long events may take to come through the outbox, the topics and the queues,
/// retries after an outage included.
const EVENTS_TIMEOUT: Duration = Duration::from_secs(90);
/// The products worker's Timeout in template.yaml (ProductsWorkerFunction).
const PRODUCTS_WORKER_TIMEOUT: Duration = Duration::from_secs(20);
/// Long enough, after the last expected event, for a duplicate to show up.
const DUPLICATE_WINDOW: Duration = Duration::from_secs(3);

/// Asserts a 503 in the error shape, with a Retry-After of whole seconds.
#[track_caller]
fn assert_unavailable(reply: &Reply) {
    reply.expect(503);
    assert_eq!(reply.error_code(), "SERVICE_UNAVAILABLE");
    let retry_after = reply
        .headers
        .get(RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u32>().ok());
    assert!(
        retry_after.is_some_and(|s| s >= 1),
        "no Retry-After in {:?}",
        reply.headers
    );
}

/// The distinct envelope ids seen per `data.<key>` (redeliveries of one envelope collapse).
fn envelopes_by(received: &[Value], key: &str) -> HashMap<String, HashSet<String>> {
    let mut by: HashMap<String, HashSet<String>> = HashMap::new();
    for e in received {
        if let (Some(k), Some(id)) = (e["data"][key].as_str(), e["id"].as_str()) {
            by.entry(k.to_owned()).or_default().insert(id.to_owned());
        }
    }
    by
}

/// OrderPlaced for one unit of `product_id`, as the orders service publishes it.
fn order_placed(order_id: &str, product_id: &str) -> Value {
    envelope(
        "orders",
        "OrderPlaced",
        order_id,
        json!({
            "order_id": order_id,
            "user_id": "e2e-faults",
            "lines": [{"product_id": product_id, "quantity": 1,
                       "unit_price": {"amount": 1999, "currency": "EUR"}}],
            "total": {"amount": 1999, "currency": "EUR"},
        }),
    )
}

fn new_order_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// An outage hits every function of a stack: the fault tests have one of their own, and
/// take turns on it ([`exclusive_switch`]).
fn app() -> TestApp {
    static STACK: OnceLock<Stack> = OnceLock::new();
    TestApp::on(Stack::once(&STACK, StackOptions::default))
}

#[tokio::test]
async fn a_write_during_a_dynamodb_outage_is_a_503_and_leaves_nothing_behind() {
    let app = app();
    let (_turn, switch) = exclusive_switch(app.stack).await;
    let admin = app.admin().await;
    let buyer = app.new_user().await;
    let product = create_priced_product(&app, &admin, "Outage Kettle", 5, eur(2500)).await;
    // An order by someone else first: the price projection knows the product, and its
    // saga is over before the outage starts.
    let earlier = app.new_user().await;
    let first = place_when_priced(
        &app,
        &earlier,
        &order_body(&[(&product, 1)], "pm_card_visa"),
    )
    .await;
    first.expect(201);
    wait_for_status(&app, &earlier, &order_id(&first), "CONFIRMED").await;

    let category = unique_category("outage");
    let key = new_key();
    let checkout = order_body(&[(&product, 2)], "pm_card_visa");

    // Every DynamoDB call fails.
    let outage = switch
        .inject(&FaultRule::error(FaultService::Dynamodb))
        .await
        .expect("start the outage");
    let created = app
        .call(
            Method::POST,
            "/v1/products",
            Some(&admin.id_token),
            Some(product_body("Outage Lamp", &category, 3)),
        )
        .await;
    assert_unavailable(&created);
    assert_unavailable(&place(&app, &buyer, Some(&key), &checkout).await);
    let full = outage.clear().await.expect("end the outage");
    assert!(full.hits >= 2, "both calls reached DynamoDB: {full:?}");

    // Only the orders table's transactions fail: the idempotency key is claimed, the
    // order's transaction is refused, and the claim must be released again.
    let transactions = switch
        .inject(
            &FaultRule::error(FaultService::Dynamodb)
                .operations(&["TransactWriteItems"])
                .resource(app.stack.resource_ref("OrdersTable")),
        )
        .await
        .expect("start the partial outage");
    assert_unavailable(&place(&app, &buyer, Some(&key), &checkout).await);
    let partial = transactions.clear().await.expect("end the partial outage");
    assert_eq!(partial.hits, 1, "the order's transaction was refused once");

    // Nothing half-written: no product, no order, no idempotency record, no outbox item.
    let listed = app
        .call(
            Method::GET,
            &format!("/v1/products?category={category}"),
            None,
            None,
        )
        .await;
    listed.expect(200);
    assert_eq!(listed.body["items"], json!([]));
    assert_eq!(
        items_mentioning(app.stack, "ProductsTable", &category).await,
        Vec::<String>::new()
    );
    assert_eq!(
        items_mentioning(app.stack, "OrdersTable", &buyer.id).await,
        Vec::<String>::new()
    );
    let mine = app
        .call(Method::GET, "/v1/orders", Some(&buyer.id_token), None)
        .await;
    mine.expect(200);
    assert_eq!(mine.body["items"], json!([]));

    // After recovery the same key places the order, once.
    let placed = place(&app, &buyer, Some(&key), &checkout).await;
    placed.expect(201);
    assert!(placed.headers.get("Idempotent-Replayed").is_none());
    let replayed = place(&app, &buyer, Some(&key), &checkout).await;
    replayed.expect(201);
    assert_eq!(replayed.headers["Idempotent-Replayed"], "true");
    assert_eq!(replayed.body["id"], placed.body["id"]);
    let id = order_id(&placed);
    wait_for_status(&app, &buyer, &id, "CONFIRMED").await;
    let mine = app
        .call(Method::GET, "/v1/orders", Some(&buyer.id_token), None)
        .await;
    mine.expect(200);
    let ids: Vec<&Value> = mine.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|o| &o["id"])
        .collect();
    assert_eq!(ids, [&json!(id)]);
    wait_for_stock(&app, &product, json!({"available": 2, "reserved": 3})).await;
    eprintln!(
        "figures: DynamoDB outage: {} calls refused, then {} transaction; lost or half-written: 0",
        full.hits, partial.hits
    );
}

#[tokio::test]
async fn events_written_during_an_sns_outage_are_all_published_once_it_ends() {
    let app = app();
    let (_turn, switch) = exclusive_switch(app.stack).await;
    let admin = app.admin().await;
    let tap = EventTap::subscribe(app.stack, "ProductsTopic", &["ProductCreated"]).await;
    let category = unique_category("sns-outage");

    let outage = switch
        .inject(
            &FaultRule::error(FaultService::Sns)
                .operations(&["Publish", "PublishBatch"])
                .resource(app.stack.resource_ref("ProductsTopic")),
        )
        .await
        .expect("start the SNS outage");
    let mut created = HashSet::new();
    for n in 0..6 {
        let body = product_body(&format!("Outage Chair {n}"), &category, 1);
        let product = create_product(&app, &admin, body).await;
        created.insert(product["id"].as_str().expect("id").to_owned());
    }
    // The outbox publisher keeps trying while SNS refuses it.
    let started = Instant::now();
    while outage.report().await.expect("fault report").hits < 2 {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the outbox publisher never tried to publish"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let during = tap.receive_for(Duration::from_secs(1)).await;
    let ours = |received: &[Value]| -> HashMap<String, HashSet<String>> {
        envelopes_by(received, "product_id")
            .into_iter()
            .filter(|(id, _)| created.contains(id))
            .collect()
    };
    assert!(ours(&during).is_empty(), "published during the outage");
    let refused = outage.clear().await.expect("end the SNS outage");

    let mut received = tap
        .receive_until(EVENTS_TIMEOUT, |r| ours(r).len() == created.len())
        .await;
    received.extend(tap.receive_for(DUPLICATE_WINDOW).await);
    let published = ours(&received);
    assert_eq!(
        published.keys().cloned().collect::<HashSet<_>>(),
        created,
        "every ProductCreated is published after the outage ({} publishes refused)",
        refused.hits
    );
    for (product, envelopes) in &published {
        assert_eq!(envelopes.len(), 1, "{product} published as {envelopes:?}");
    }
    eprintln!(
        "figures: SNS outage: {} publishes refused, {} events written, {} published once, {} deliveries",
        refused.hits,
        created.len(),
        published.len(),
        received.len()
    );
}

#[tokio::test]
async fn a_poison_message_goes_to_the_dlq_and_the_rest_of_its_batch_is_processed() {
    let app = app();
    let (_turn, switch) = exclusive_switch(app.stack).await;
    let admin = app.admin().await;
    let product = create_product_id(
        &app,
        &admin,
        product_body("Poison Pot", &unique_category("poison"), 10),
    )
    .await;
    let tap = EventTap::subscribe(
        app.stack,
        "ProductsTopic",
        &["StockReserved", "StockReservationFailed"],
    )
    .await;
    let good: Vec<String> = (0..3).map(|_| new_order_id()).collect();
    let poison_order = new_order_id();
    // A valid envelope whose OrderPlaced payload is not one: no retry can handle it.
    let poison = envelope(
        "orders",
        "OrderPlaced",
        &poison_order,
        json!({"order_id": poison_order, "lines": "three mugs"}),
    );
    let batch = vec![
        order_placed(&good[0], &product),
        order_placed(&good[1], &product),
        poison.clone(),
        order_placed(&good[2], &product),
    ];
    publish_as_one_batch(app.stack, &switch, "OrdersTopic", "ProductsQueue", &batch).await;

    let received = tap
        .receive_until(EVENTS_TIMEOUT, |r| {
            good.iter()
                .all(|o| envelopes_by(r, "order_id").contains_key(o))
        })
        .await;
    let outcomes = envelopes_by(&received, "order_id");
    for order in &good {
        assert_eq!(outcomes.get(order).map(HashSet::len), Some(1), "{order}");
    }
    assert!(received
        .iter()
        .filter(|e| e["data"]["order_id"] == json!(good[0]))
        .all(|e| e["type"] == "StockReserved"));
    wait_for_stock(&app, &product, json!({"available": 7, "reserved": 3})).await;

    let queue = StackQueue::of(app.stack, "ProductsQueue").await;
    let max_receives = queue.max_receive_count().await;
    let dlq = StackQueue::of(app.stack, "ProductsDeadLetterQueue").await;
    let dead = dlq
        .take(EVENTS_TIMEOUT, |body| body["id"] == poison["id"])
        .await;
    let letter = dead
        .iter()
        .find(|r| r.body["id"] == poison["id"])
        .expect("the poison message is in ProductsDeadLetterQueue");
    // The count carries over from the source queue; this receive adds one.
    assert_eq!(letter.receive_count, max_receives + 1, "{letter:?}");
    assert!(
        !outcomes.contains_key(&poison_order),
        "the poison message changed stock"
    );
    eprintln!(
        "figures: poison message: dead-lettered after {} receives, {} valid batch mates processed once",
        letter.receive_count - 1,
        good.len()
    );
}

#[tokio::test]
async fn a_worker_timeout_in_the_middle_of_a_batch_loses_nothing() {
    let app = app();
    let (_turn, switch) = exclusive_switch(app.stack).await;
    let admin = app.admin().await;
    let product = create_product_id(
        &app,
        &admin,
        product_body("Timeout Tray", &unique_category("timeout"), 10),
    )
    .await;
    let tap = EventTap::subscribe(
        app.stack,
        "ProductsTopic",
        &["StockReserved", "StockReservationFailed"],
    )
    .await;
    let orders: Vec<String> = (0..5).map(|_| new_order_id()).collect();
    let batch: Vec<Value> = orders.iter().map(|o| order_placed(o, &product)).collect();

    // The third reservation of the batch hangs past the worker's timeout: Lambda ends the
    // invocation with two reservations committed and three not even tried, and the whole
    // batch comes back.
    let hang = switch
        .inject(
            &FaultRule::timeout(
                FaultService::Dynamodb,
                PRODUCTS_WORKER_TIMEOUT + Duration::from_secs(10),
            )
            .operations(&["TransactWriteItems"])
            .resource(app.stack.resource_ref("ProductsTable"))
            .after(2)
            .count(1),
        )
        .await
        .expect("set the hang");
    let started = Instant::now();
    publish_as_one_batch(app.stack, &switch, "OrdersTopic", "ProductsQueue", &batch).await;

    let mut received = tap
        .receive_until(EVENTS_TIMEOUT, |r| {
            let seen = envelopes_by(r, "order_id");
            orders.iter().all(|o| seen.contains_key(o))
        })
        .await;
    let settled_after = started.elapsed();
    received.extend(tap.receive_for(DUPLICATE_WINDOW).await);
    let report = hang.clear().await.expect("clear the hang");
    assert_eq!((report.matched, report.hits), (3, 1), "{report:?}");
    assert!(
        settled_after >= PRODUCTS_WORKER_TIMEOUT,
        "the batch settled in {settled_after:?}, before the worker could have timed out"
    );

    let outcomes = envelopes_by(&received, "order_id");
    for order in &orders {
        assert_eq!(outcomes.get(order).map(HashSet::len), Some(1), "{order}");
    }
    assert!(received
        .iter()
        .filter(|e| orders.iter().any(|o| e["data"]["order_id"] == json!(o)))
        .all(|e| e["type"] == "StockReserved"));
    wait_for_stock(&app, &product, json!({"available": 5, "reserved": 5})).await;
    let dlq = StackQueue::of(app.stack, "ProductsDeadLetterQueue").await;
    let dead = dlq.take(Duration::from_secs(2), |_| false).await;
    assert!(
        dead.iter()
            .all(|r| orders.iter().all(|o| r.body["correlation_id"] != json!(o))),
        "a message of the batch went to the DLQ: {dead:?}"
    );
    eprintln!(
        "figures: worker timeout: {} reservation held past the timeout, batch of {} settled in {settled_after:?}, each reserved once",
        report.hits,
        orders.len()
    );
}

#[tokio::test]
async fn an_order_cancelled_while_its_charge_keeps_failing_is_refunded_without_waiting_for_it() {
    let app = app();
    let (_turn, switch) = exclusive_switch(app.stack).await;
    let (admin, shopper) = (app.admin().await, app.new_user().await);
    let product = create_priced_product(&app, &admin, "Second Thoughts", 4, eur(1500)).await;
    let refunds = EventTap::subscribe(app.stack, "PaymentsTopic", &["PaymentRefunded"]).await;
    // The provider charges the card (after pm_card_error's two transient failures), then
    // recording the charge fails; every retry of the charge's message then fails before
    // it gets anywhere. The customer cancels meanwhile.
    let stalled = StalledCharge::set(app.stack, &switch).await;
    let placed = place_when_priced(
        &app,
        &shopper,
        &order_body(&[(&product, 1)], "pm_card_error"),
    )
    .await;
    placed.expect(201);
    let order = order_id(&placed);
    stalled
        .wait_until_stalled(app.stack, &order, EVENTS_TIMEOUT)
        .await;

    cancel(&app, &shopper, &order).await.expect(200);
    // Refunded while the charge's own message still cannot make progress: the refund
    // settles the charge itself instead of waiting (and dead-lettering) behind it.
    let payments = wait_for_payment(&app, &shopper, &order, "REFUNDED").await;
    let blocked = stalled.retries_fail.clear().await.expect("clear the fault");
    eprintln!(
        "figures: the charge's message failed {} more times before the refund",
        blocked.hits
    );
    assert_eq!(payments.len(), 1, "{payments:?}");
    assert_eq!(payments[0]["amount"], eur(1500));
    wait_for_stock(&app, &product, json!({"available": 4, "reserved": 0})).await;
    wait_for_notices(
        &app,
        &shopper,
        &order,
        &["order_cancelled", "payment_refunded"],
    )
    .await;
    let refunded = refunds.receive_for(DUPLICATE_WINDOW).await;
    let ours: HashSet<&Value> = refunded
        .iter()
        .filter(|e| e["data"]["order_id"] == json!(order))
        .map(|e| &e["id"])
        .collect();
    assert_eq!(ours.len(), 1, "one refund: {refunded:?}");
    // Once the outage is over, the charge's message finds the payment refunded and is
    // done with: nothing waits in the dead-letter queue.
    let ours = |body: &Value| body["correlation_id"] == json!(order);
    let dead = StackQueue::of(app.stack, "PaymentsDeadLetterQueue")
        .await
        .take(DUPLICATE_WINDOW, ours)
        .await;
    let dead: Vec<_> = dead.iter().filter(|r| ours(&r.body)).collect();
    assert!(dead.is_empty(), "dead-lettered: {dead:?}");
    assert_eq!(payments_of(&app, &shopper, &order).await.len(), 1);
}
