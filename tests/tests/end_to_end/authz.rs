//! Authorization of every route, through the local API Gateway with real tokens.
//!
//! The matrix calls each route of template.yaml as anonymous, as the owner of the
//! resource it names, as another user and as an admin, and checks the status of every
//! cell (and that nothing of the owner's reaches the other user). Around it: cursors
//! that were tampered with or belong to another caller or query, tokens that are forged,
//! expired, for another audience or issuer, and bodies that try to set what only the
//! server may set (mass assignment), which must be refused and change nothing.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use e2e::catalog::{create_product, create_product_id, product_body, unique_category};
use e2e::orders::{
    create_priced_product, eur, new_key, order_body, order_id, place, place_when_priced,
    wait_for_status,
};
use e2e::{forge_id_token, Reply, TestApp, User};
use reqwest::Method;
use serde_json::{json, Value};
use stack_model::Template;
use std::collections::BTreeSet;
use std::time::{Duration, Instant};

/// Who calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    /// No token.
    Anonymous,
    /// The user who owns the resource the route names (their order, their account).
    Owner,
    /// Another signed-in user.
    Other,
    /// A member of the `admin` group.
    Admin,
}
use Who::{Admin, Anonymous, Other, Owner};

/// The columns of [`Row::expect`].
const CALLERS: [Who; 4] = [Anonymous, Owner, Other, Admin];

/// One route of the matrix: how to call it, and the status each caller gets.
struct Row {
    /// The route as template.yaml declares it: `METHOD /path/{param}`.
    route: &'static str,
    /// The path called, with `{order}`, `{owner}`, `{product}`, `{doomed}` filled in
    /// from the [`World`].
    path: &'static str,
    /// The JSON body, if any.
    body: fn(&World) -> Option<Value>,
    /// The status for [`CALLERS`]: anonymous, owner, other user, admin.
    expect: [u16; 4],
    /// Callers whose 2xx answer must show the owner's resource.
    reveals_to: &'static [Who],
    /// Sends a fresh Idempotency-Key.
    idempotent: bool,
    /// The route acts on the caller's own account and destroys it: the owner, other
    /// and admin are stand-ins (fresh accounts), so the world's own stay intact.
    destroys_caller: bool,
}

fn no_body(_: &World) -> Option<Value> {
    None
}

/// Everything the matrix is tested on.
struct World {
    owner: User,
    other: User,
    admin: User,
    /// A user whose credentials every caller of the public auth routes uses.
    guest: User,
    /// The owner's confirmed order (so it has a payment).
    order: String,
    /// A product everyone may order.
    product: String,
    /// A product only the admin's DELETE archives.
    doomed: String,
}

impl World {
    fn fill(&self, path: &str) -> String {
        path.replace("{order}", &self.order)
            .replace("{owner}", &self.owner.id)
            .replace("{product}", &self.product)
            .replace("{doomed}", &self.doomed)
    }

    /// What the other user must never see.
    fn owners_secrets(&self) -> [&str; 3] {
        [&self.order, &self.owner.id, &self.owner.email]
    }
}

/// The matrix. Read a row as: this route, called by anonymous / the owner / another
/// user / an admin, answers these statuses. "Owner" is the owner of the resource the
/// path names (the world's order, their own account); rows without one treat the
/// owner as any signed-in user.
#[rustfmt::skip]
fn matrix() -> Vec<Row> {
    vec![
        //  route                              path called                            body                 anon owner other admin
        // Public: the same for everyone, token or not.
        row("POST /v1/auth/register",          "/v1/auth/register",                   register_body,      [201, 201, 201, 201]),
        // moto accepts any code for an account the devstack confirmed at registration
        // (Cognito would refuse it: 409 when confirmed, 400 for a wrong code); the row
        // shows that nobody needs a token and a token changes nothing.
        row("POST /v1/auth/confirm",           "/v1/auth/confirm",                    confirm_body,       [204, 204, 204, 204]),
        row("POST /v1/auth/login",             "/v1/auth/login",                      login_body,         [200, 200, 200, 200]),
        row("POST /v1/auth/refresh",           "/v1/auth/refresh",                    refresh_body,       [200, 200, 200, 200]),
        row("GET /v1/health",                  "/v1/health",                          no_body,            [200, 200, 200, 200]),
        row("GET /v1/products",                "/v1/products?limit=100",              no_body,            [200, 200, 200, 200]),
        row("GET /v1/products/{id}",           "/v1/products/{product}",              no_body,            [200, 200, 200, 200]),
        // The caller's own account, whoever they are.
        row("GET /v1/users/me",                "/v1/users/me",                        no_body,            [401, 200, 200, 200]).reveals_to(&[Owner]),
        row("PATCH /v1/users/me",              "/v1/users/me",                        rename_body,        [401, 200, 200, 200]).reveals_to(&[Owner]),
        row("DELETE /v1/users/me",             "/v1/users/me",                        no_body,            [401, 204, 204, 204]).destroys_caller(),
        // Admins only.
        row("GET /v1/users",                   "/v1/users?limit=100",                 no_body,            [401, 403, 403, 200]).reveals_to(&[Admin]),
        row("GET /v1/users/{id}",              "/v1/users/{owner}",                   no_body,            [401, 403, 403, 200]).reveals_to(&[Admin]),
        row("POST /v1/products",               "/v1/products",                        new_product_body,   [401, 403, 403, 201]),
        row("PUT /v1/products/{id}",           "/v1/products/{product}",              replacement_body,   [401, 403, 403, 200]),
        row("PATCH /v1/products/{id}",         "/v1/products/{product}",              product_patch_body, [401, 403, 403, 200]),
        row("POST /v1/products/{id}/stock",    "/v1/products/{product}/stock",        stock_body,         [401, 403, 403, 200]),
        row("DELETE /v1/products/{id}",        "/v1/products/{doomed}",               no_body,            [401, 403, 403, 204]),
        row("GET /v1/admin/orders",            "/v1/admin/orders?limit=100",          no_body,            [401, 403, 403, 200]).reveals_to(&[Admin]),
        // The owner's own: someone else's order does not exist for them, admins
        // included (they have the admin listing); another's payments list is empty.
        row("POST /v1/orders",                 "/v1/orders",                          checkout_body,      [401, 201, 201, 201]).idempotent(),
        row("GET /v1/orders",                  "/v1/orders?limit=100",                no_body,            [401, 200, 200, 200]).reveals_to(&[Owner]),
        row("GET /v1/orders/{id}",             "/v1/orders/{order}",                  no_body,            [401, 200, 404, 404]).reveals_to(&[Owner]),
        row("GET /v1/payments",                "/v1/payments?order_id={order}",       no_body,            [401, 200, 200, 200]).reveals_to(&[Owner]),
        row("POST /v1/orders/{id}/cancel",     "/v1/orders/{order}/cancel",           no_body,            [401, 200, 404, 404]).reveals_to(&[Owner]),
        row("GET /v1/notifications",           "/v1/notifications?limit=100",         no_body,            [401, 200, 200, 200]),
    ]
}

fn register_body(_: &World) -> Option<Value> {
    Some(json!({"email": e2e::unique_email(), "password": "Corr3ct-Horse-Battery!", "name": "New"}))
}

fn confirm_body(w: &World) -> Option<Value> {
    Some(json!({"email": w.guest.email, "code": "123456"}))
}

fn login_body(w: &World) -> Option<Value> {
    Some(json!({"email": w.guest.email, "password": w.guest.password}))
}

fn refresh_body(w: &World) -> Option<Value> {
    Some(json!({"refresh_token": w.guest.refresh_token}))
}

fn rename_body(_: &World) -> Option<Value> {
    Some(json!({"name": "Renamed"}))
}

fn new_product_body(_: &World) -> Option<Value> {
    Some(product_body("Matrix Lamp", &unique_category("authz"), 3))
}

fn replacement_body(_: &World) -> Option<Value> {
    Some(json!({"name": "Matrix Mug", "description": "", "category": "authz", "price": eur(1000)}))
}

fn product_patch_body(_: &World) -> Option<Value> {
    Some(json!({"description": "Still a mug."}))
}

fn stock_body(_: &World) -> Option<Value> {
    Some(json!({"delta": 1}))
}

fn checkout_body(w: &World) -> Option<Value> {
    Some(order_body(&[(&w.product, 1)], "pm_card_visa"))
}

impl Row {
    fn reveals_to(self, callers: &'static [Who]) -> Self {
        Self {
            reveals_to: callers,
            ..self
        }
    }

    fn idempotent(self) -> Self {
        Self {
            idempotent: true,
            ..self
        }
    }

    fn destroys_caller(self) -> Self {
        Self {
            destroys_caller: true,
            ..self
        }
    }
}

/// A row with no extras.
fn row(
    route: &'static str,
    path: &'static str,
    body: fn(&World) -> Option<Value>,
    expect: [u16; 4],
) -> Row {
    Row {
        route,
        path,
        body,
        expect,
        reveals_to: &[],
        idempotent: false,
        destroys_caller: false,
    }
}

/// `base` with `field` set to `value`.
fn with(base: Value, field: &str, value: Value) -> Value {
    let mut body = base;
    body[field] = value;
    body
}

/// The template's Api events as `METHOD /path`.
fn template_routes() -> BTreeSet<String> {
    Template::workspace()
        .api_routes()
        .into_iter()
        .map(|e| format!("{} {}", e.method, e.path))
        .collect()
}

/// What is wrong with an error reply's shape (openapi.yaml `Error`), if anything.
fn shape_problem(reply: &Reply) -> Option<String> {
    if reply.status.as_u16() < 400 {
        return None;
    }
    let e = &reply.body["error"];
    let ok = e["code"].is_string()
        && e["message"].is_string()
        && e["timestamp"].is_string()
        && e.get("request_id").is_some();
    (!ok).then(|| format!("error body not in the documented shape: {}", reply.body))
}

async fn build_world(app: &TestApp) -> World {
    let admin = app.admin().await;
    let (owner, other, guest) = (
        app.new_user().await,
        app.new_user().await,
        app.new_user().await,
    );
    let product = create_priced_product(app, &admin, "Matrix Mug", 100, eur(1000)).await;
    let doomed = create_product_id(
        app,
        &admin,
        product_body("Doomed", &unique_category("authz"), 1),
    )
    .await;
    let placed =
        place_when_priced(app, &owner, &order_body(&[(&product, 1)], "pm_card_visa")).await;
    placed.expect(201);
    let order = order_id(&placed);
    wait_for_status(app, &owner, &order, "CONFIRMED").await;
    World {
        owner,
        other,
        admin,
        guest,
        order,
        product,
        doomed,
    }
}

async fn stand_ins(app: &TestApp) -> [Option<User>; 4] {
    let admin = app.promote_to_admin(&app.new_user().await).await;
    [
        None,
        Some(app.new_user().await),
        Some(app.new_user().await),
        Some(admin),
    ]
}

async fn call_cell(app: &TestApp, world: &World, row: &Row, token: Option<&str>) -> Reply {
    let (method, _) = row.route.split_once(' ').expect("METHOD /path");
    let method = Method::from_bytes(method.as_bytes()).expect("a method");
    let mut req = app.request(method, &world.fill(row.path));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some(body) = (row.body)(world) {
        req = req.json(&body);
    }
    if row.idempotent {
        req = req.header("Idempotency-Key", new_key());
    }
    app.send(req).await
}

#[tokio::test]
async fn every_route_answers_each_kind_of_caller_as_the_matrix_says() {
    let app = TestApp::shared();
    let world = build_world(&app).await;
    let rows = matrix();

    let covered: BTreeSet<String> = rows.iter().map(|r| r.route.to_owned()).collect();
    assert_eq!(
        covered.len(),
        rows.len(),
        "a route appears twice in the matrix"
    );
    assert_eq!(
        covered,
        template_routes(),
        "the matrix must have exactly the template's routes"
    );

    let mut wrong = Vec::new();
    for row in &rows {
        let stand_ins = if row.destroys_caller {
            Some(stand_ins(&app).await)
        } else {
            None
        };
        for (column, who) in CALLERS.into_iter().enumerate() {
            let user = match (&stand_ins, who) {
                (_, Anonymous) => None,
                (Some(s), _) => s[column].clone(),
                (None, Owner) => Some(world.owner.clone()),
                (None, Other) => Some(world.other.clone()),
                (None, Admin) => Some(world.admin.clone()),
            };
            let reply = call_cell(
                &app,
                &world,
                row,
                user.as_ref().map(|u| u.id_token.as_str()),
            )
            .await;
            let cell = format!("{} as {who:?}", row.route);
            let expected = row.expect[column];
            if reply.status.as_u16() != expected {
                wrong.push(format!(
                    "{cell}: expected {expected}, got {} {}",
                    reply.status.as_u16(),
                    reply.body
                ));
                continue;
            }
            if let Some(problem) = shape_problem(&reply) {
                wrong.push(format!("{cell}: {problem}"));
            }
            let text = reply.body.to_string();
            if who == Other && !row.destroys_caller {
                for secret in world.owners_secrets() {
                    if text.contains(secret) {
                        wrong.push(format!("{cell}: the answer shows the owner's {secret}"));
                    }
                }
            }
            if row.reveals_to.contains(&who) && expected < 300 {
                let needle = if row.path.contains("{owner}") || row.route.contains("/users") {
                    &world.owner.id
                } else {
                    &world.order
                };
                if !text.contains(needle.as_str()) {
                    wrong.push(format!("{cell}: the answer does not show {needle}: {text}"));
                }
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{} wrong cell(s) of {}:\n  {}",
        wrong.len(),
        rows.len() * CALLERS.len(),
        wrong.join("\n  ")
    );
}

/// The first page's cursor of `path` for `token`.
async fn first_cursor(app: &TestApp, path: &str, token: Option<&str>) -> String {
    let started = Instant::now();
    loop {
        let page = app.call(Method::GET, path, token, None).await;
        page.expect(200);
        if let Some(c) = page.body["next_cursor"].as_str() {
            return c.to_owned();
        }
        // Inboxes fill asynchronously.
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "{path}: no second page: {}",
            page.body
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// The cursor with one byte of its signed payload changed.
fn flip_a_byte(cursor: &str) -> String {
    let (payload, tag) = cursor.split_once('.').expect("payload.tag");
    let mut bytes = URL_SAFE_NO_PAD.decode(payload).expect("base64url");
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x01;
    format!("{}.{tag}", URL_SAFE_NO_PAD.encode(bytes))
}

#[tokio::test]
async fn cursors_are_refused_when_tampered_or_replayed_by_another_caller_or_query() {
    let app = TestApp::shared();
    let admin = app.admin().await;
    let (owner, other) = (app.new_user().await, app.new_user().await);
    let product = create_priced_product(&app, &admin, "Cursor Cup", 100, eur(500)).await;
    let body = order_body(&[(&product, 1)], "pm_card_visa");
    place_when_priced(&app, &owner, &body).await.expect(201);
    place(&app, &owner, Some(&new_key()), &body)
        .await
        .expect(201);
    let category = unique_category("cursor");
    for name in ["Cursor A", "Cursor B"] {
        create_product(&app, &admin, product_body(name, &category, 1)).await;
    }

    // (listing, the caller it was issued to, another caller, another query of it).
    let products = format!("/v1/products?limit=1&category={category}");
    // Admins too, with tokens that say so, for the admin listings.
    let (owner_as_admin, other_as_admin) = (
        app.promote_to_admin(&owner).await,
        app.promote_to_admin(&other).await,
    );
    let cases: [(&str, &User, &User, String); 5] = [
        (
            "/v1/orders?limit=1",
            &owner,
            &other,
            "/v1/orders?limit=1&x=1".into(),
        ),
        (
            "/v1/notifications?limit=1",
            &owner,
            &other,
            "/v1/notifications?limit=1&x=1".into(),
        ),
        (
            "/v1/users?limit=1",
            &admin,
            &other_as_admin,
            "/v1/users?limit=1&email=x".into(),
        ),
        (
            "/v1/admin/orders?limit=1",
            &admin,
            &owner_as_admin,
            "/v1/admin/orders?limit=1&status=CONFIRMED".into(),
        ),
        (&products, &owner, &other, "/v1/products?limit=1".into()),
    ];
    let mut wrong = Vec::new();
    for (path, issued_to, someone_else, other_query) in &cases {
        let cursor = first_cursor(&app, path, Some(&issued_to.id_token)).await;
        let attempts = [
            (
                "its caller",
                format!("{path}&cursor={cursor}"),
                &issued_to.id_token,
                200,
            ),
            (
                "a flipped byte",
                format!("{path}&cursor={}", flip_a_byte(&cursor)),
                &issued_to.id_token,
                400,
            ),
            (
                "a truncated tag",
                format!("{path}&cursor={}", &cursor[..cursor.len() - 2]),
                &issued_to.id_token,
                400,
            ),
            (
                "another caller",
                format!("{path}&cursor={cursor}"),
                &someone_else.id_token,
                400,
            ),
            (
                "another query",
                format!("{other_query}&cursor={cursor}"),
                &issued_to.id_token,
                400,
            ),
            (
                "garbage",
                format!("{path}&cursor=not-a-cursor"),
                &issued_to.id_token,
                400,
            ),
        ];
        for (what, url, token, expected) in attempts {
            let reply = app.call(Method::GET, &url, Some(token), None).await;
            if reply.status != expected {
                wrong.push(format!(
                    "{path} with {what}: expected {expected}, got {} {}",
                    reply.status, reply.body
                ));
            } else if expected == 400 && reply.error_fields() != ["cursor"] {
                wrong.push(format!(
                    "{path} with {what}: the 400 does not name the cursor: {}",
                    reply.body
                ));
            }
        }
    }
    // A cursor of one listing is not a cursor of another, even for the same caller.
    let orders_cursor =
        first_cursor(&app, "/v1/orders?limit=1", Some(&owner_as_admin.id_token)).await;
    for elsewhere in [
        "/v1/notifications?limit=1",
        "/v1/admin/orders?limit=1",
        "/v1/users?limit=1",
    ] {
        let url = format!("{elsewhere}&cursor={orders_cursor}");
        let reply = app
            .call(Method::GET, &url, Some(&owner_as_admin.id_token), None)
            .await;
        if reply.status != 400 {
            wrong.push(format!(
                "{elsewhere} with an orders cursor: expected 400, got {}",
                reply.status
            ));
        }
    }
    let anonymous = first_cursor(&app, &products, None).await;
    let reply = app
        .call(
            Method::GET,
            &format!("{products}&cursor={anonymous}"),
            Some(&owner.id_token),
            None,
        )
        .await;
    if reply.status != 400 {
        wrong.push(format!(
            "an anonymous products cursor replayed by a user: expected 400, got {}",
            reply.status
        ));
    }
    assert!(
        wrong.is_empty(),
        "{} wrong:\n  {}",
        wrong.len(),
        wrong.join("\n  ")
    );
}

fn claims_of(token: &str) -> Value {
    let payload = token.split('.').nth(1).expect("a JWT");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).expect("base64url")).expect("claims")
}

#[tokio::test]
async fn forged_expired_and_foreign_tokens_are_refused_on_every_protected_route() {
    let app = TestApp::shared();
    let admin = app.admin().await;
    let claims = claims_of(&admin.id_token);
    let altered = |key: &str, value: Value| {
        let mut c = claims.clone();
        c[key] = value;
        forge_id_token(&c)
    };
    let now = chrono::Utc::now().timestamp();
    let parts: Vec<&str> = admin.id_token.split('.').collect();
    let unsigned_header =
        URL_SAFE_NO_PAD.encode(json!({"alg": "none", "kid": "dummy"}).to_string());
    let tokens = [
        ("expired", altered("exp", json!(now - 60))),
        (
            "for another audience",
            altered("aud", json!("another-app-client")),
        ),
        (
            "from another issuer",
            altered(
                "iss",
                json!("https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Other"),
            ),
        ),
        ("an access token", altered("token_use", json!("access"))),
        (
            "with a foreign signature",
            format!(
                "{}.{}.{}",
                parts[0],
                URL_SAFE_NO_PAD.encode(json!({"sub": "x"}).to_string()),
                parts[2]
            ),
        ),
        ("unsigned", format!("{unsigned_header}.{}.", parts[1])),
        ("not a JWT", "not-a-token".to_owned()),
    ];
    // The control: the admin's claims re-signed as they are pass the authorizer.
    let control = forge_id_token(&claims);
    app.call(Method::GET, "/v1/users?limit=1", Some(&control), None)
        .await
        .expect(200);

    let public: BTreeSet<&str> = matrix()
        .iter()
        .filter(|r| r.expect[0] != 401)
        .map(|r| r.route)
        .collect();
    let protected: Vec<String> = template_routes()
        .into_iter()
        .filter(|r| !public.contains(r.as_str()))
        .collect();
    assert!(protected.len() > 10, "{protected:?}");
    let mut wrong = Vec::new();
    for route in &protected {
        let (method, path) = route.split_once(' ').expect("METHOD /path");
        let path = path.replace("{id}", &uuid::Uuid::now_v7().to_string());
        let method = Method::from_bytes(method.as_bytes()).expect("method");
        for (what, token) in &tokens {
            let reply = app.call(method.clone(), &path, Some(token), None).await;
            if reply.status != 401 || shape_problem(&reply).is_some() {
                wrong.push(format!(
                    "{route} with a token {what}: {} {}",
                    reply.status, reply.body
                ));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{} wrong:\n  {}",
        wrong.len(),
        wrong.join("\n  ")
    );
}

#[tokio::test]
async fn bodies_that_set_server_owned_fields_are_refused_and_change_nothing() {
    let app = TestApp::shared();
    let admin = app.admin().await;
    let (shopper, victim) = (app.new_user().await, app.new_user().await);
    let product = create_priced_product(&app, &admin, "Guarded Gadget", 10, eur(1500)).await;
    let good_order = order_body(&[(&product, 1)], "pm_card_visa");
    // The projection knows the product once a real order goes through.
    place_when_priced(&app, &app.new_user().await, &good_order)
        .await
        .expect(201);

    let mut wrong = Vec::new();
    let mut refused = |what: String, reply: Reply, field: &str| {
        if reply.status != 400 || !reply.error_fields().iter().any(|f| f.contains(field)) {
            wrong.push(format!(
                "{what}: expected a 400 naming {field}, got {} {}",
                reply.status, reply.body
            ));
        }
    };

    // Checkout: the server owns the order's identity, owner, status, prices and times.
    for (field, value) in [
        ("status", json!("CONFIRMED")),
        ("total", eur(1)),
        ("user_id", json!(victim.id)),
        ("id", json!(uuid::Uuid::now_v7().to_string())),
        ("created_at", json!("2020-01-01T00:00:00Z")),
        ("cognito:groups", json!(["admin"])),
    ] {
        let mut body = good_order.clone();
        body[field] = value;
        let reply = place(&app, &shopper, Some(&new_key()), &body).await;
        refused(format!("POST /v1/orders with {field}"), reply, field);
    }
    let mut priced_line = good_order.clone();
    priced_line["items"][0]["unit_price"] = eur(1);
    let reply = place(&app, &shopper, Some(&new_key()), &priced_line).await;
    refused(
        "POST /v1/orders with items[0].unit_price".into(),
        reply,
        "unit_price",
    );
    for user in [&shopper, &victim] {
        let orders = app
            .call(Method::GET, "/v1/orders", Some(&user.id_token), None)
            .await;
        orders.expect(200);
        assert_eq!(
            orders.body["items"],
            json!([]),
            "no order was placed for {}",
            user.id
        );
    }

    // Own profile: only the name is the user's to change.
    let before = app
        .call(Method::GET, "/v1/users/me", Some(&shopper.id_token), None)
        .await;
    before.expect(200);
    for (field, value) in [
        ("id", json!(victim.id)),
        ("user_id", json!(victim.id)),
        ("email", json!(victim.email)),
        ("created_at", json!("2020-01-01T00:00:00Z")),
        ("cognito:groups", json!("admin")),
        ("groups", json!(["admin"])),
    ] {
        let reply = app
            .call(
                Method::PATCH,
                "/v1/users/me",
                Some(&shopper.id_token),
                Some(with(json!({"name": "Mallory"}), field, value)),
            )
            .await;
        refused(format!("PATCH /v1/users/me with {field}"), reply, field);
    }
    let after = app
        .call(Method::GET, "/v1/users/me", Some(&shopper.id_token), None)
        .await;
    assert_eq!(after.body, before.body, "the profile is unchanged");
    let relogin = app.login(&shopper.email, &shopper.password).await;
    let token = relogin.body["id_token"]
        .as_str()
        .expect("id_token")
        .to_owned();
    app.call(Method::GET, "/v1/users", Some(&token), None)
        .await
        .expect(403);

    // Registration cannot choose an id or a group.
    for (field, value) in [
        ("cognito:groups", json!(["admin"])),
        ("groups", json!(["admin"])),
        ("id", json!(victim.id)),
    ] {
        let email = e2e::unique_email();
        let body = with(
            json!({"email": email, "password": "Corr3ct-Horse-Battery!", "name": "Eve"}),
            field,
            value,
        );
        let reply = app
            .call(Method::POST, "/v1/auth/register", None, Some(body))
            .await;
        refused(format!("POST /v1/auth/register with {field}"), reply, field);
        app.login(&email, "Corr3ct-Horse-Battery!")
            .await
            .expect(401);
    }

    // Catalog: stock moves only through /stock; identity, version and times are the
    // server's.
    let path = format!("/v1/products/{product}");
    let before = app.call(Method::GET, &path, None, None).await;
    before.expect(200);
    let replacement = json!({"name": "Guarded Gadget", "description": "", "category": "authz", "price": eur(1500)});
    for (field, value) in [
        ("stock", json!(1_000)),
        ("id", json!(uuid::Uuid::now_v7().to_string())),
        ("version", json!(99)),
        ("created_at", json!("2020-01-01T00:00:00Z")),
        ("status", json!("ARCHIVED")),
    ] {
        let mut put = replacement.clone();
        put[field] = value.clone();
        let reply = app
            .call(Method::PUT, &path, Some(&admin.id_token), Some(put))
            .await;
        refused(format!("PUT {path} with {field}"), reply, field);
        let reply = app
            .call(
                Method::PATCH,
                &path,
                Some(&admin.id_token),
                Some(with(json!({}), field, value.clone())),
            )
            .await;
        refused(format!("PATCH {path} with {field}"), reply, field);
        let mut post = product_body("Twin", &unique_category("authz"), 1);
        if field != "stock" {
            post[field] = value;
            let reply = app
                .call(
                    Method::POST,
                    "/v1/products",
                    Some(&admin.id_token),
                    Some(post),
                )
                .await;
            refused(format!("POST /v1/products with {field}"), reply, field);
        }
    }
    for field in ["available", "reserved"] {
        let reply = app
            .call(
                Method::POST,
                &format!("{path}/stock"),
                Some(&admin.id_token),
                Some(with(json!({"delta": 1}), field, json!(500))),
            )
            .await;
        refused(format!("POST {path}/stock with {field}"), reply, field);
    }
    let after = app.call(Method::GET, &path, None, None).await;
    assert_eq!(after.body, before.body, "the product is unchanged");
    assert!(
        wrong.is_empty(),
        "{} wrong:\n  {}",
        wrong.len(),
        wrong.join("\n  ")
    );
}
