//! The products API through its route table, with the REST proxy events API Gateway
//! sends, against a products table on moto: who may write the catalog, every bad field
//! named in one answer, edits under If-Match, stock moves, the public listing with its
//! cursors, and public reads revalidated with their ETag.

use products::App;
use serde_json::{json, Value};
use shared::config::ListingApiConfig;
use shared::http::Router;
use stack_model::fixtures::api::{send, Call, Caller, Reply};
use std::sync::Arc;

/// The API over a table of its own.
struct Api {
    app: Arc<App>,
    router: Router<App>,
}

impl Api {
    async fn new() -> Self {
        let aws = moto_runner::sdk_config(moto_runner::shared_endpoint()).await;
        let client = aws_sdk_dynamodb::Client::new(&aws);
        let table = stack_model::fixtures::create_table(&client, "ProductsTable").await;
        let config = ListingApiConfig {
            table_name: table,
            cursor_signing_key: b"a-products-api-test-cursor-signing-key".to_vec(),
        };
        Self {
            app: Arc::new(App::new(&aws, config)),
            router: products::api::router(),
        }
    }

    async fn send(&self, caller: Option<&Caller>, call: Call) -> Reply {
        send(&self.router, &self.app, caller, &call).await
    }

    async fn create(&self, caller: &Caller, body: &Value) -> Reply {
        let call = Call::new("POST", "/v1/products", "/v1/products").json(body);
        self.send(Some(caller), call).await
    }

    /// A new product in `category`, created by an admin; its view.
    async fn created(&self, name: &str, category: &str) -> Value {
        let reply = self
            .create(&Caller::admin(), &product(name, category))
            .await;
        assert_eq!(reply.status, 201, "{}", reply.body);
        reply.json()
    }

    async fn get(&self, id: &str) -> Reply {
        let call = Call::new("GET", "/v1/products/{id}", format!("/v1/products/{id}"));
        self.send(None, call).await
    }

    async fn list(&self, query: &[(&str, &str)]) -> Reply {
        let call = query.iter().fold(
            Call::new("GET", "/v1/products", "/v1/products"),
            |c, (k, v)| c.query(k, v),
        );
        self.send(None, call).await
    }
}

fn product(name: &str, category: &str) -> Value {
    json!({
        "name": name, "description": "Stoneware.", "category": category,
        "price": {"amount": 1250, "currency": "EUR"}, "stock": 5
    })
}

fn category() -> String {
    format!("c{}", &shared::ids::new_id()[24..])
}

#[tokio::test]
async fn health_answers_anyone_with_the_version_and_nothing_else() {
    let api = Api::new().await;
    for caller in [None, Some(&Caller::user())] {
        let reply = api
            .send(caller, Call::new("GET", "/v1/health", "/v1/health"))
            .await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        assert_eq!(
            reply.json(),
            json!({"status": "ok", "version": env!("CARGO_PKG_VERSION")})
        );
    }
}

#[tokio::test]
async fn only_an_admin_creates_a_product_and_anyone_reads_it() {
    let api = Api::new().await;
    let category = category();
    let refused = api
        .create(&Caller::user(), &product("Mug", &category))
        .await;
    assert_eq!(
        (refused.status, refused.error_code().as_str()),
        (403, "FORBIDDEN")
    );

    let created = api.created("Mug", &category).await;
    let id = created["id"].as_str().unwrap();
    assert_eq!(created["stock"], json!({"available": 5, "reserved": 0}));
    let read = api.get(id).await;
    assert_eq!(read.status, 200, "{}", read.body);
    assert_eq!(read.json()["name"], "Mug");
    assert!(read.header("ETag").is_some_and(|e| e.starts_with('"')));
    assert_eq!(api.get(&shared::ids::new_id()).await.status, 404);
}

#[tokio::test]
async fn a_bad_product_is_refused_naming_every_field_and_nothing_is_created() {
    let api = Api::new().await;
    let category = category();
    let bad = json!({
        "name": "", "category": "Not A Slug!", "price": {"amount": 0, "currency": "eur"},
        "stock": -1
    });
    let reply = api.create(&Caller::admin(), &bad).await;
    assert_eq!(reply.status, 400, "{}", reply.body);
    assert_eq!(
        reply.error_fields(),
        [
            "name",
            "category",
            "price.amount",
            "price.currency",
            "stock"
        ]
    );
    let listed = api.list(&[("category", &category)]).await;
    assert_eq!(listed.json()["items"], json!([]));
}

#[tokio::test]
async fn an_edit_with_a_stale_if_match_is_refused_and_a_fresh_one_applies() {
    let api = Api::new().await;
    let created = api.created("Mug", &category()).await;
    let id = created["id"].as_str().unwrap();
    let etag = api.get(id).await.header("ETag").unwrap().to_owned();
    let patch = |if_match: &str, name: &str| {
        Call::new("PATCH", "/v1/products/{id}", format!("/v1/products/{id}"))
            .header("If-Match", if_match)
            .json(&json!({"name": name}))
    };
    let applied = api
        .send(Some(&Caller::admin()), patch(&etag, "Big mug"))
        .await;
    assert_eq!(applied.status, 200, "{}", applied.body);
    let stale = api
        .send(Some(&Caller::admin()), patch(&etag, "Small mug"))
        .await;
    assert_eq!(stale.status, 412, "{}", stale.body);
    assert_eq!(api.get(id).await.json()["name"], "Big mug");
}

/// `GET path` with `If-None-Match: tag`.
fn revalidate(resource: &str, path: &str, tag: &str) -> Call {
    Call::new("GET", resource, path).header("If-None-Match", tag)
}

fn adjust_stock(id: &str, delta: i64) -> Call {
    Call::new(
        "POST",
        "/v1/products/{id}/stock",
        format!("/v1/products/{id}/stock"),
    )
    .json(&json!({"delta": delta}))
}

#[tokio::test]
async fn a_product_is_revalidated_with_an_etag_that_follows_its_stock() {
    let api = Api::new().await;
    let created = api.created("Mug", &category()).await;
    let id = created["id"].as_str().unwrap();
    let path = format!("/v1/products/{id}");
    let read = api.get(id).await;
    assert_eq!(read.header("Cache-Control"), Some("public, no-cache"));
    let tag = read.header("ETag").unwrap().to_owned();

    for held in [
        tag.clone(),
        format!("W/{tag}"),
        format!("\"x\", {tag}"),
        "*".into(),
    ] {
        let unchanged = api
            .send(None, revalidate("/v1/products/{id}", &path, &held))
            .await;
        assert_eq!(unchanged.status, 304, "{held}: {}", unchanged.body);
        assert_eq!(unchanged.body, "");
        assert_eq!(unchanged.header("ETag"), Some(tag.as_str()));
        assert_eq!(unchanged.header("Cache-Control"), Some("public, no-cache"));
    }
    for ignored in ["\"x\"", "not a tag"] {
        let full = api
            .send(None, revalidate("/v1/products/{id}", &path, ignored))
            .await;
        assert_eq!(full.status, 200, "{ignored}");
        assert_eq!(full.json()["stock"]["available"], 5);
    }

    // An order's reservation or an admin's correction changes what a shopper would read.
    let moved = api.send(Some(&Caller::admin()), adjust_stock(id, 2)).await;
    assert_eq!(moved.status, 200, "{}", moved.body);
    let fresh = api
        .send(None, revalidate("/v1/products/{id}", &path, &tag))
        .await;
    assert_eq!(fresh.status, 200, "a copy with the old stock was kept");
    assert_eq!(fresh.json()["stock"]["available"], 7);
    let fresh_tag = fresh.header("ETag").unwrap();
    assert_ne!(fresh_tag, tag);

    // If-Match names the representation too: the old tag is stale, the new one applies.
    let rename = |tag: &str, name: &str| {
        Call::new("PATCH", "/v1/products/{id}", path.clone())
            .header("If-Match", tag)
            .json(&json!({"name": name}))
    };
    let stale = api
        .send(Some(&Caller::admin()), rename(&tag, "Stale mug"))
        .await;
    assert_eq!(stale.status, 412, "{}", stale.body);
    let applied = api
        .send(Some(&Caller::admin()), rename(fresh_tag, "Big mug"))
        .await;
    assert_eq!(applied.status, 200, "{}", applied.body);
    assert_eq!(
        applied.header("ETag"),
        api.get(id).await.header("ETag"),
        "a write answers with the tag a read then gives"
    );
}

#[tokio::test]
async fn a_listing_page_is_revalidated_and_changes_with_the_catalog() {
    let api = Api::new().await;
    let category = category();
    api.created("Cup", &category).await;
    let first = api.list(&[("category", &category)]).await;
    assert_eq!(first.status, 200, "{}", first.body);
    assert_eq!(first.header("Cache-Control"), Some("private, no-cache"));
    let tag = first.header("ETag").unwrap().to_owned();
    let held = || revalidate("/v1/products", "/v1/products", &tag).query("category", &category);

    let unchanged = api.send(None, held()).await;
    assert_eq!(unchanged.status, 304, "{}", unchanged.body);
    assert_eq!(unchanged.body, "");

    api.created("Bowl", &category).await;
    let changed = api.send(None, held()).await;
    assert_eq!(changed.status, 200);
    assert_eq!(changed.json()["items"].as_array().map(Vec::len), Some(2));
    assert_ne!(changed.header("ETag"), Some(tag.as_str()));
}

#[tokio::test]
async fn stock_moves_only_through_its_route_and_never_below_zero() {
    let api = Api::new().await;
    let created = api.created("Mug", &category()).await;
    let id = created["id"].as_str().unwrap();
    let adjust = |delta: i64| {
        Call::new(
            "POST",
            "/v1/products/{id}/stock",
            format!("/v1/products/{id}/stock"),
        )
        .json(&json!({"delta": delta}))
    };
    let added = api.send(Some(&Caller::admin()), adjust(3)).await;
    assert_eq!(added.status, 200, "{}", added.body);
    assert_eq!(added.json()["available"], 8);
    let too_many = api.send(Some(&Caller::admin()), adjust(-9)).await;
    assert_eq!(too_many.status, 409, "{}", too_many.body);
    let via_put = Call::new("PUT", "/v1/products/{id}", format!("/v1/products/{id}"))
        .json(&product("Mug", "kitchen"));
    let refused = api.send(Some(&Caller::admin()), via_put).await;
    assert_eq!(
        (refused.status, refused.error_fields()),
        (400, vec!["stock".to_owned()])
    );
    assert_eq!(api.get(id).await.json()["stock"]["available"], 8);
}

#[tokio::test]
async fn the_listing_pages_alphabetically_with_a_cursor_bound_to_its_query() {
    let api = Api::new().await;
    let category = category();
    for name in ["Cup", "Apron", "Bowl"] {
        api.created(name, &category).await;
    }
    let first = api.list(&[("category", &category), ("limit", "2")]).await;
    assert_eq!(first.status, 200, "{}", first.body);
    let names = |reply: &Reply| -> Vec<String> {
        reply.json()["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(names(&first), ["Apron", "Bowl"]);
    let cursor = first.json()["next_cursor"].as_str().unwrap().to_owned();
    let second = api
        .list(&[("category", &category), ("limit", "2"), ("cursor", &cursor)])
        .await;
    assert_eq!(names(&second), ["Cup"]);
    let elsewhere = api
        .list(&[("category", "kitchen"), ("cursor", &cursor)])
        .await;
    assert_eq!(
        (elsewhere.status, elsewhere.error_fields()),
        (400, vec!["cursor".to_owned()])
    );
}
