//! Catalog set-up shared by the journeys that need products: unique categories so tests
//! never see each other's products, and products created as an admin through the API.

use crate::{TestApp, User};
use reqwest::Method;
use serde_json::{json, Value};

/// A category slug no other test (or earlier run) uses.
pub fn unique_category(prefix: &str) -> String {
    format!(
        "{prefix}-{}",
        &uuid::Uuid::new_v4().simple().to_string()[..12]
    )
}

/// A valid POST /v1/products body priced at 19.99 EUR.
pub fn product_body(name: &str, category: &str, stock: i64) -> Value {
    json!({
        "name": name,
        "description": "A fine thing.",
        "category": category,
        "price": {"amount": 1999, "currency": "EUR"},
        "stock": stock,
    })
}

/// Creates a product as `admin` and returns the 201 body.
pub async fn create_product(app: &TestApp, admin: &User, body: Value) -> Value {
    let reply = app
        .call(
            Method::POST,
            "/v1/products",
            Some(&admin.id_token),
            Some(body),
        )
        .await;
    reply.expect(201);
    reply.body.clone()
}

/// Creates a product as `admin` and returns its id.
pub async fn create_product_id(app: &TestApp, admin: &User, body: Value) -> String {
    create_product(app, admin, body).await["id"]
        .as_str()
        .expect("a created product has an id")
        .to_owned()
}

/// Runs futures concurrently on the current task (a JoinSet would need 'static futures).
pub async fn join_all<F: std::future::Future<Output = ()>>(futures: impl Iterator<Item = F>) {
    let mut pending: Vec<_> = futures.map(Box::pin).collect();
    std::future::poll_fn(|cx| {
        pending.retain_mut(|f| f.as_mut().poll(cx).is_pending());
        if pending.is_empty() {
            std::task::Poll::Ready(())
        } else {
            std::task::Poll::Pending
        }
    })
    .await;
}
