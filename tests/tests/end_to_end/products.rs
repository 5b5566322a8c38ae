//! The products journeys through the local cloud: the catalog API with real Cognito
//! tokens, and the reservations of the order saga driven by order events published to
//! the orders topic, as the orders service will publish them.

use e2e::catalog::{create_product, join_all, product_body, unique_category};
use e2e::orders::stock_of;
use e2e::{envelope, publish, EventTap, TestApp, User};
use reqwest::header::{CACHE_CONTROL, ETAG, IF_MATCH, IF_NONE_MATCH, LOCATION};
use reqwest::Method;
use serde_json::{json, Value};
use std::collections::HashSet;
use std::time::Duration;

/// How long the saga may take to answer a batch of order events locally.
const SAGA_TIMEOUT: Duration = Duration::from_secs(90);

/// The saga journeys flood the one local moto (40 orders at once), and the API journeys'
/// calls have the function's 10 s timeout: the two kinds take turns rather than make
/// each other time out. Saga journeys hold it exclusively.
static MOTO_LOAD: tokio::sync::RwLock<()> = tokio::sync::RwLock::const_new(());

async fn create(app: &TestApp, admin: &User, name: &str, category: &str, stock: i64) -> Value {
    create_product(app, admin, product_body(name, category, stock)).await
}

async fn get(app: &TestApp, id: &str) -> e2e::Reply {
    app.call(Method::GET, &format!("/v1/products/{id}"), None, None)
        .await
}

#[tokio::test]
async fn admins_manage_the_catalog_and_everyone_browses_it() {
    let _turn = MOTO_LOAD.read().await;
    let app = TestApp::shared();
    let admin = app.admin().await;
    let category = unique_category("crud");

    let created = app
        .call(
            Method::POST,
            "/v1/products",
            Some(&admin.id_token),
            Some(product_body("  Walnut Desk ", &category, 7)),
        )
        .await;
    created.expect(201);
    let id = created.body["id"].as_str().expect("id").to_owned();
    assert_eq!(
        created.headers[LOCATION],
        format!("/v1/products/{id}").as_str()
    );
    let created_tag = created.headers[ETAG].to_str().expect("an ETag").to_owned();
    assert_eq!(created.body["name"], "Walnut Desk");
    assert_eq!(
        created.body["price"],
        json!({"amount": 1999, "currency": "EUR"})
    );
    assert_eq!(
        created.body["stock"],
        json!({"available": 7, "reserved": 0})
    );
    assert_eq!(created.body["version"], 1);

    // Public read, with the ETag, revalidated through the gateway with a 304.
    let read = get(&app, &id).await;
    read.expect(200);
    assert_eq!(read.headers[ETAG], created_tag.as_str());
    assert_eq!(read.headers[CACHE_CONTROL], "public, no-cache");
    assert_eq!(read.body, created.body);
    let unchanged = app
        .send(
            app.request(Method::GET, &format!("/v1/products/{id}"))
                .header(IF_NONE_MATCH, &created_tag),
        )
        .await;
    unchanged.expect(304);
    assert_eq!(unchanged.headers[ETAG], created_tag.as_str());

    // PUT with the current ETag; the stock is not writable there.
    let mut replacement = product_body("Walnut Desk XL", &category, 0);
    replacement.as_object_mut().unwrap().remove("stock");
    let put = app
        .send(
            app.request(Method::PUT, &format!("/v1/products/{id}"))
                .bearer_auth(&admin.id_token)
                .header(IF_MATCH, &created_tag)
                .json(&replacement),
        )
        .await;
    put.expect(200);
    assert_ne!(put.headers[ETAG], created_tag.as_str());
    assert_eq!(put.body["version"], 2);
    assert_eq!(put.body["name"], "Walnut Desk XL");
    assert_eq!(put.body["stock"]["available"], 7);

    // A stale If-Match is refused and changes nothing.
    let stale = app
        .send(
            app.request(Method::PATCH, &format!("/v1/products/{id}"))
                .bearer_auth(&admin.id_token)
                .header(IF_MATCH, &created_tag)
                .json(&json!({"name": "Lost update"})),
        )
        .await;
    stale.expect(412);
    assert_eq!(get(&app, &id).await.body["name"], "Walnut Desk XL");

    // PATCH without If-Match applies on top of the current version.
    let patch = app
        .call(
            Method::PATCH,
            &format!("/v1/products/{id}"),
            Some(&admin.id_token),
            Some(json!({"price": {"amount": 2500, "currency": "EUR"}})),
        )
        .await;
    patch.expect(200);
    assert_eq!(patch.body["price"]["amount"], 2500);
    assert_eq!(patch.body["version"], 3);
    for body in [
        json!({"stock": 99}),
        json!({}),
        json!({"price": {"amount": 0, "currency": "EUR"}}),
    ] {
        app.call(
            Method::PATCH,
            &format!("/v1/products/{id}"),
            Some(&admin.id_token),
            Some(body),
        )
        .await
        .expect(400);
    }

    // Stock corrections.
    let stock_path = format!("/v1/products/{id}/stock");
    let up = app
        .call(
            Method::POST,
            &stock_path,
            Some(&admin.id_token),
            Some(json!({"delta": 3})),
        )
        .await;
    up.expect(200);
    assert_eq!(up.body, json!({"available": 10, "reserved": 0}));
    app.call(
        Method::POST,
        &stock_path,
        Some(&admin.id_token),
        Some(json!({"delta": -11})),
    )
    .await
    .expect(409);
    app.call(
        Method::POST,
        &stock_path,
        Some(&admin.id_token),
        Some(json!({"delta": 0})),
    )
    .await
    .expect(400);
    assert_eq!(get(&app, &id).await.body["stock"]["available"], 10);

    // Archive: gone from reads, listings and writes.
    app.call(
        Method::DELETE,
        &format!("/v1/products/{id}"),
        Some(&admin.id_token),
        None,
    )
    .await
    .expect(204);
    get(&app, &id).await.expect(404);
    app.call(
        Method::DELETE,
        &format!("/v1/products/{id}"),
        Some(&admin.id_token),
        None,
    )
    .await
    .expect(404);
    app.call(
        Method::POST,
        &stock_path,
        Some(&admin.id_token),
        Some(json!({"delta": 1})),
    )
    .await
    .expect(404);
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

    get(&app, &uuid::Uuid::now_v7().to_string())
        .await
        .expect(404);
    get(&app, "not-a-product-id").await.expect(404);
}

/// `make dev` should have something to browse: the devstack creates its sample catalog
/// through the products API.
#[tokio::test]
async fn the_devstack_seeds_a_browsable_sample_catalog() {
    let _turn = MOTO_LOAD.read().await;
    let app = TestApp::shared();
    let toys = app
        .call(Method::GET, "/v1/products?category=toys", None, None)
        .await;
    toys.expect(200);
    let names: Vec<&str> = toys.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|p| p["name"].as_str())
        .collect();
    assert_eq!(names, ["Borrow Checker Board Game", "Ferris Plush"]);
    let plush = &toys.body["items"][1];
    assert_eq!(plush["price"], json!({"amount": 2499, "currency": "EUR"}));
    assert_eq!(plush["stock"], json!({"available": 25, "reserved": 0}));
}

#[tokio::test]
async fn bad_input_is_refused_with_every_field_named() {
    let _turn = MOTO_LOAD.read().await;
    let app = TestApp::shared();
    let admin = app.admin().await;
    let bad = app
        .call(
            Method::POST,
            "/v1/products",
            Some(&admin.id_token),
            Some(json!({
                "name": "",
                "description": "x".repeat(4001),
                "category": "Not A Slug",
                "price": {"amount": 10_000_001, "currency": "usd"},
                "stock": 1_000_001,
            })),
        )
        .await;
    bad.expect(400);
    let mut fields = bad.error_fields();
    fields.sort();
    assert_eq!(
        fields,
        [
            "category",
            "description",
            "name",
            "price.amount",
            "price.currency",
            "stock"
        ]
    );
    let unknown = app
        .call(
            Method::POST,
            "/v1/products",
            Some(&admin.id_token),
            Some(json!({"name": "x", "category": "a", "price": {"amount": 1, "currency": "EUR"}, "stock": 1, "version": 9})),
        )
        .await;
    unknown.expect(400);
    assert_eq!(unknown.error_fields(), ["version"]);
    app.call(Method::GET, "/v1/products?limit=0", None, None)
        .await
        .expect(400);
    app.call(Method::GET, "/v1/products?category=Bad_Slug", None, None)
        .await
        .expect(400);
}

#[tokio::test]
async fn only_admins_may_change_the_catalog() {
    let _turn = MOTO_LOAD.read().await;
    let app = TestApp::shared();
    let admin = app.admin().await;
    let user = app.new_user().await;
    let product = create(&app, &admin, "Guarded", &unique_category("auth"), 1).await;
    let id = product["id"].as_str().unwrap();
    let writes = [
        (
            Method::POST,
            "/v1/products".to_owned(),
            Some(product_body("x", "a", 1)),
        ),
        (
            Method::PUT,
            format!("/v1/products/{id}"),
            Some(json!({"name": "x", "category": "a", "price": {"amount": 1, "currency": "EUR"}})),
        ),
        (
            Method::PATCH,
            format!("/v1/products/{id}"),
            Some(json!({"name": "x"})),
        ),
        (Method::DELETE, format!("/v1/products/{id}"), None),
        (
            Method::POST,
            format!("/v1/products/{id}/stock"),
            Some(json!({"delta": 1})),
        ),
    ];
    for (method, path, body) in writes {
        app.call(method.clone(), &path, Some(&user.id_token), body.clone())
            .await
            .expect(403);
        app.call(method, &path, None, body).await.expect(401);
    }
    let after = get(&app, id).await;
    after.expect(200);
    assert_eq!(after.body["name"], "Guarded");
    assert_eq!(after.body["version"], 1);
}

#[tokio::test]
async fn a_45_product_category_pages_without_duplicates_or_gaps() {
    let _turn = MOTO_LOAD.read().await;
    let app = TestApp::shared();
    let admin = app.admin().await;
    let category = unique_category("paging");
    let mut created = HashSet::new();
    for i in 0..45 {
        let p = create(&app, &admin, &format!("Item {i:02}"), &category, 1).await;
        created.insert(p["id"].as_str().unwrap().to_owned());
    }
    let user = app.new_user().await;
    let mut seen = Vec::new();
    let mut sizes = Vec::new();
    let mut cursor: Option<String> = None;
    let mut first_cursor = None;
    loop {
        let mut path = format!("/v1/products?category={category}&limit=20");
        if let Some(c) = &cursor {
            path.push_str(&format!("&cursor={c}"));
        }
        let page = app
            .call(Method::GET, &path, Some(&user.id_token), None)
            .await;
        page.expect(200);
        let items = page.body["items"].as_array().unwrap();
        sizes.push(items.len());
        seen.extend(items.iter().map(|p| p["id"].as_str().unwrap().to_owned()));
        match page.body["next_cursor"].as_str() {
            Some(c) => {
                first_cursor.get_or_insert_with(|| c.to_owned());
                cursor = Some(c.to_owned());
            }
            None => break,
        }
    }
    assert_eq!(sizes, [20, 20, 5]);
    assert_eq!(seen.len(), 45);
    assert_eq!(seen.iter().cloned().collect::<HashSet<_>>(), created);

    // A cursor is bound to its query and to its client.
    let c = first_cursor.expect("a second page");
    let other_query = format!("/v1/products?category={category}&q=item&limit=20&cursor={c}");
    app.call(Method::GET, &other_query, Some(&user.id_token), None)
        .await
        .expect(400);
    let same_query = format!("/v1/products?category={category}&limit=20&cursor={c}");
    let other_user = app.new_user().await;
    app.call(Method::GET, &same_query, Some(&other_user.id_token), None)
        .await
        .expect(400);
    app.call(Method::GET, &same_query, None, None)
        .await
        .expect(400);
    app.call(Method::GET, &same_query, Some(&user.id_token), None)
        .await
        .expect(200);

    // Search within the category, case-insensitively.
    let found = app
        .call(
            Method::GET,
            &format!("/v1/products?category={category}&q=ITEM%204"),
            None,
            None,
        )
        .await;
    found.expect(200);
    let names: Vec<&str> = found.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["Item 40", "Item 41", "Item 42", "Item 43", "Item 44"]
    );
}

#[tokio::test]
async fn catalog_changes_are_published_for_the_price_projection() {
    let _turn = MOTO_LOAD.read().await;
    let app = TestApp::shared();
    let admin = app.admin().await;
    let tap = EventTap::subscribe(
        app.stack,
        "ProductsTopic",
        &["ProductCreated", "ProductUpdated", "ProductDeleted"],
    )
    .await;
    let product = create(&app, &admin, "Published", &unique_category("events"), 1).await;
    let id = product["id"].as_str().unwrap().to_owned();
    app.call(
        Method::PATCH,
        &format!("/v1/products/{id}"),
        Some(&admin.id_token),
        Some(json!({"price": {"amount": 1500, "currency": "EUR"}})),
    )
    .await
    .expect(200);
    app.call(
        Method::DELETE,
        &format!("/v1/products/{id}"),
        Some(&admin.id_token),
        None,
    )
    .await
    .expect(204);
    let mine = |events: &[Value]| -> Vec<Value> {
        events
            .iter()
            .filter(|e| e["data"]["product_id"] == json!(id))
            .cloned()
            .collect()
    };
    let events = tap
        .receive_until(SAGA_TIMEOUT, |received| mine(received).len() >= 3)
        .await;
    let events = mine(&events);
    let types: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(
        types,
        ["ProductCreated", "ProductUpdated", "ProductDeleted"]
    );
    assert_eq!(events[1]["data"]["price"]["amount"], 1500);
    assert_eq!(events[1]["data"]["version"], 2);
    assert_eq!(events[2]["data"]["status"], "ARCHIVED");
}

fn order_placed(order_id: &str, product_id: &str, quantity: u32) -> Value {
    envelope(
        "orders",
        "OrderPlaced",
        order_id,
        json!({
            "order_id": order_id,
            "user_id": "e2e-user",
            "lines": [{"product_id": product_id, "quantity": quantity,
                       "unit_price": {"amount": 1999, "currency": "EUR"}}],
            "total": {"amount": 1999 * u64::from(quantity), "currency": "EUR"},
        }),
    )
}

fn order_cancelled(order_id: &str) -> Value {
    envelope(
        "orders",
        "OrderCancelled",
        order_id,
        json!({"order_id": order_id, "user_id": "e2e-user", "total": {"amount": 1000, "currency": "EUR"}, "refund": false}),
    )
}

#[tokio::test]
async fn forty_concurrent_orders_for_ten_units_never_oversell() {
    let _turn = MOTO_LOAD.write().await;
    let app = TestApp::shared();
    let admin = app.admin().await;
    let tap = EventTap::subscribe(
        app.stack,
        "ProductsTopic",
        &["StockReserved", "StockReservationFailed"],
    )
    .await;
    for round in 0..5 {
        let product = create(
            &app,
            &admin,
            &format!("Scarce {round}"),
            &unique_category("race"),
            10,
        )
        .await;
        let id = product["id"].as_str().unwrap().to_owned();
        let orders: Vec<String> = (0..40)
            .map(|i| format!("race-{round}-{i}-{}", uuid::Uuid::new_v4().simple()))
            .collect();
        let publishes = orders.iter().map(|o| {
            let event = order_placed(o, &id, 1);
            async move { publish(app.stack, "OrdersTopic", &event).await }
        });
        join_all(publishes).await;
        let ours: HashSet<&str> = orders.iter().map(String::as_str).collect();
        // Delivery is at least once (a retried outbox batch publishes again); consumers
        // dedupe on the envelope id, and so does this count.
        let outcomes = |events: &[Value]| -> Vec<Value> {
            let mut seen = HashSet::new();
            events
                .iter()
                .filter(|e| {
                    e["correlation_id"]
                        .as_str()
                        .is_some_and(|c| ours.contains(c))
                        && seen.insert(e["id"].to_string())
                })
                .cloned()
                .collect()
        };
        let events = tap
            .receive_until(SAGA_TIMEOUT, |received| outcomes(received).len() >= 40)
            .await;
        let events = outcomes(&events);
        let count = |t: &str| events.iter().filter(|e| e["type"] == t).count();
        assert_eq!(
            (count("StockReserved"), count("StockReservationFailed")),
            (10, 30),
            "round {round}"
        );
        let answered: HashSet<&str> = events
            .iter()
            .map(|e| e["correlation_id"].as_str().unwrap())
            .collect();
        assert_eq!(
            answered.len(),
            40,
            "round {round}: every order answered once"
        );
        assert_eq!(
            stock_of(&app, &id).await,
            json!({"available": 0, "reserved": 10})
        );
    }
}

#[tokio::test]
async fn duplicated_and_reordered_order_events_conserve_stock() {
    let _turn = MOTO_LOAD.write().await;
    let app = TestApp::shared();
    let admin = app.admin().await;
    let tap = EventTap::subscribe(
        app.stack,
        "ProductsTopic",
        &["StockReserved", "StockReservationFailed", "StockReleased"],
    )
    .await;
    let product = create(&app, &admin, "Conserved", &unique_category("reorder"), 5).await;
    let id = product["id"].as_str().unwrap().to_owned();
    let stock_path = format!("/v1/products/{id}/stock");
    app.call(
        Method::POST,
        &stock_path,
        Some(&admin.id_token),
        Some(json!({"delta": 2})),
    )
    .await
    .expect(200);

    let suffix = uuid::Uuid::new_v4().simple().to_string();
    let (early, twice) = (format!("early-{suffix}"), format!("twice-{suffix}"));
    let ours = |events: &[Value]| -> Vec<Value> {
        events
            .iter()
            .filter(|e| e["correlation_id"] == json!(twice) || e["correlation_id"] == json!(early))
            .cloned()
            .collect()
    };
    // `early` is cancelled before it is placed; `twice` is placed twice (the same event
    // delivered again). Its reservation shows the cancellation was handled before the
    // late placement of `early` is published.
    publish(app.stack, "OrdersTopic", &order_cancelled(&early)).await;
    let placed = order_placed(&twice, &id, 3);
    publish(app.stack, "OrdersTopic", &placed).await;
    publish(app.stack, "OrdersTopic", &placed).await;
    let reserved = tap
        .receive_until(SAGA_TIMEOUT, |r| !ours(r).is_empty())
        .await;
    publish(app.stack, "OrdersTopic", &order_placed(&early, &id, 2)).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(
        stock_of(&app, &id).await,
        json!({"available": 4, "reserved": 3})
    );
    let cancel = order_cancelled(&twice);
    publish(app.stack, "OrdersTopic", &cancel).await;
    publish(app.stack, "OrdersTopic", &cancel).await;
    publish(app.stack, "OrdersTopic", &order_cancelled(&twice)).await;
    let mut events = ours(&reserved);
    events.extend(ours(
        &tap.receive_until(SAGA_TIMEOUT, |r| {
            ours(r).iter().any(|e| e["type"] == "StockReleased")
        })
        .await,
    ));
    // Anything late would show up in this window.
    events.extend(ours(&tap.receive_for(Duration::from_secs(5)).await));
    let summary: Vec<(String, String)> = events
        .iter()
        .map(|e| {
            (
                e["type"].as_str().unwrap().to_owned(),
                e["correlation_id"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("StockReserved".to_owned(), twice.clone()),
            ("StockReleased".to_owned(), twice.clone())
        ]
    );
    // 5 created + 2 adjusted, all back on the shelf.
    assert_eq!(
        stock_of(&app, &id).await,
        json!({"available": 7, "reserved": 0})
    );
}
