//! Shopping through the API: checkout bodies, placing orders once the price projection
//! knows the products, and polling an order, its payment and its products' stock until
//! the saga has settled them.

use crate::catalog::{create_product_id, product_body, unique_category};
use crate::{Reply, TestApp, User};
use reqwest::Method;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

/// How long an order may take to settle after checkout: the saga's promise to a shopper.
pub const SETTLE_TIMEOUT: Duration = Duration::from_secs(20);
/// How long catalog events may take to reach the orders service's price projection.
pub const PROJECTION_TIMEOUT: Duration = Duration::from_secs(30);
/// How often the polling helpers look again.
pub const POLL_EVERY: Duration = Duration::from_millis(250);

/// A valid shipping address.
pub fn address() -> Value {
    json!({
        "name": "Ada Lovelace",
        "line1": "12 Analytical Row",
        "city": "London",
        "postal_code": "NW1 6XE",
        "country": "GB",
    })
}

/// A checkout body for `(product id, quantity)` lines paid with `payment_method`.
pub fn order_body(lines: &[(&str, u32)], payment_method: &str) -> Value {
    let items: Vec<Value> = lines
        .iter()
        .map(|(id, q)| json!({"product_id": id, "quantity": q}))
        .collect();
    json!({"items": items, "payment_method": payment_method, "shipping_address": address()})
}

/// A fresh Idempotency-Key.
pub fn new_key() -> String {
    format!("key-{}", uuid::Uuid::new_v4().simple())
}

/// POST /v1/orders as `user`, with `key` as Idempotency-Key when given.
pub async fn place(app: &TestApp, user: &User, key: Option<&str>, body: &Value) -> Reply {
    let mut req = app
        .request(Method::POST, "/v1/orders")
        .bearer_auth(&user.id_token)
        .json(body);
    if let Some(key) = key {
        req = req.header("Idempotency-Key", key);
    }
    app.send(req).await
}

/// Places an order once the products it names have reached the orders service's price
/// projection (catalog events are asynchronous): a 422 naming an unknown product is
/// retried with a fresh key until the projection knows them.
pub async fn place_when_priced(app: &TestApp, user: &User, body: &Value) -> Reply {
    let started = Instant::now();
    loop {
        let reply = place(app, user, Some(&new_key()), body).await;
        if reply.status != 422 || started.elapsed() > PROJECTION_TIMEOUT {
            return reply;
        }
        tokio::time::sleep(POLL_EVERY).await;
    }
}

/// A product with `price` in a category of its own, created by `admin`; returns its id.
pub async fn create_priced_product(
    app: &TestApp,
    admin: &User,
    name: &str,
    stock: i64,
    price: Value,
) -> String {
    let mut body = product_body(name, &unique_category("saga"), stock);
    body["price"] = price;
    create_product_id(app, admin, body).await
}

/// `amount` euro cents as the API writes money.
pub fn eur(amount: u64) -> Value {
    json!({"amount": amount, "currency": "EUR"})
}

/// GET /v1/orders/{id} as `user`.
pub async fn get_order(app: &TestApp, user: &User, id: &str) -> Reply {
    app.call(
        Method::GET,
        &format!("/v1/orders/{id}"),
        Some(&user.id_token),
        None,
    )
    .await
}

/// Polls the order until `settled` holds for it, or panics with its last state.
pub async fn wait_for_order(
    app: &TestApp,
    user: &User,
    id: &str,
    timeout: Duration,
    settled: impl Fn(&Value) -> bool,
) -> Value {
    let started = Instant::now();
    loop {
        let reply = get_order(app, user, id).await;
        reply.expect(200);
        if settled(&reply.body) {
            return reply.body;
        }
        assert!(
            started.elapsed() < timeout,
            "order {id} did not settle within {timeout:?}; last seen: {}",
            reply.body
        );
        tokio::time::sleep(POLL_EVERY).await;
    }
}

/// Polls the order until it has `status` (within [`SETTLE_TIMEOUT`]).
pub async fn wait_for_status(app: &TestApp, user: &User, id: &str, status: &str) -> Value {
    wait_for_order(app, user, id, SETTLE_TIMEOUT, |o| o["status"] == status).await
}

/// The `stock` of a product, read publicly.
pub async fn stock_of(app: &TestApp, id: &str) -> Value {
    let reply = app
        .call(Method::GET, &format!("/v1/products/{id}"), None, None)
        .await;
    reply.expect(200);
    reply.body["stock"].clone()
}

/// Polls the product's stock until it equals `expected`, or fails with the last value.
pub async fn wait_for_stock(app: &TestApp, id: &str, expected: Value) {
    let started = Instant::now();
    loop {
        let stock = stock_of(app, id).await;
        if stock == expected {
            return;
        }
        assert!(
            started.elapsed() < SETTLE_TIMEOUT,
            "stock of {id} is {stock}, expected {expected}"
        );
        tokio::time::sleep(POLL_EVERY).await;
    }
}

/// GET /v1/payments?order_id= as `user`: the items.
pub async fn payments_of(app: &TestApp, user: &User, order_id: &str) -> Vec<Value> {
    let reply = app
        .call(
            Method::GET,
            &format!("/v1/payments?order_id={order_id}"),
            Some(&user.id_token),
            None,
        )
        .await;
    reply.expect(200);
    reply.body["items"].as_array().expect("items").clone()
}

/// Polls the order's payments until one has `status`, and returns them all.
pub async fn wait_for_payment(
    app: &TestApp,
    user: &User,
    order_id: &str,
    status: &str,
) -> Vec<Value> {
    let started = Instant::now();
    loop {
        let payments = payments_of(app, user, order_id).await;
        if payments.iter().any(|p| p["status"] == status) {
            return payments;
        }
        assert!(
            started.elapsed() < SETTLE_TIMEOUT,
            "no {status} payment for {order_id}: {payments:?}"
        );
        tokio::time::sleep(POLL_EVERY).await;
    }
}

/// The types of the notices in `user`'s inbox about order `order_id` (its id is in every
/// subject), oldest first.
pub async fn notices_about(app: &TestApp, user: &User, order_id: &str) -> Vec<String> {
    let mut types: Vec<String> = app
        .inbox(user)
        .await
        .iter()
        .filter(|n| n["subject"].as_str().is_some_and(|s| s.contains(order_id)))
        .map(|n| n["type"].as_str().unwrap_or_default().to_owned())
        .collect();
    types.reverse();
    types
}

/// Waits until `user`'s notices about `order_id` are `expected` (sorted), then watches
/// them a few seconds more: a duplicate notice shows up, or the test fails.
pub async fn wait_for_notices(app: &TestApp, user: &User, order_id: &str, expected: &[&str]) {
    let mut expected: Vec<&str> = expected.to_vec();
    expected.sort_unstable();
    let started = Instant::now();
    let mut settled_at = None;
    loop {
        let mut told = notices_about(app, user, order_id).await;
        told.sort_unstable();
        assert!(
            told.len() <= expected.len(),
            "order {order_id}: notices {told:?}, expected {expected:?}"
        );
        if told == expected {
            let since = *settled_at.get_or_insert_with(Instant::now);
            if since.elapsed() > Duration::from_secs(3) {
                return;
            }
        }
        assert!(
            started.elapsed() < SETTLE_TIMEOUT,
            "order {order_id}: notices {told:?}, expected {expected:?}"
        );
        tokio::time::sleep(POLL_EVERY).await;
    }
}

/// POST /v1/orders/{id}/cancel as `user`.
pub async fn cancel(app: &TestApp, user: &User, id: &str) -> Reply {
    app.call(
        Method::POST,
        &format!("/v1/orders/{id}/cancel"),
        Some(&user.id_token),
        None,
    )
    .await
}

/// The `id` of an order reply.
pub fn order_id(reply: &Reply) -> String {
    reply.body["id"].as_str().expect("order id").to_owned()
}
