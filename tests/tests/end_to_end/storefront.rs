//! The storefront (`web/`) in a real browser, headless Chromium, against the shared
//! devstack, which serves it on an origin of its own: what a shopper and an admin do, with
//! what the API then holds checked through the API. Each step's screenshot is saved under
//! `target/storefront/<test>/` for a person to look at.

use e2e::browser::{png_size, Browser, PHONE};
use e2e::catalog::{create_product_id, product_body, unique_category};
use e2e::orders::{eur, order_body, place_when_priced, wait_for_stock};
use e2e::{unique_email, TestApp, User};
use reqwest::Method;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

const PASSWORD: &str = "Crab-Shop-Passw0rd";

/// Units of each product [`products_for_sale`] creates.
const STOCK: i64 = 50;

/// Products named `<name> <tag>` in a category of their own, already known to the orders
/// service's price projection (catalog events are asynchronous), so that a checkout in
/// the page is priced at once. The order that proves it has its unit reserved too: a test
/// that reads a product's stock or holds its ETag starts after the last change that
/// order's saga makes to the product.
async fn products_for_sale(app: &TestApp, names: &[&str], tag: &str) -> Vec<(String, String)> {
    let admin = app.admin().await;
    let category = unique_category("shop");
    let mut created = Vec::new();
    for name in names {
        let full = format!("{name} {tag}");
        let mut body = product_body(&full, &category, STOCK);
        body["price"] = eur(1250);
        created.push((create_product_id(app, &admin, body).await, full));
    }
    let warm = app.new_user().await;
    let lines: Vec<(&str, u32)> = created.iter().map(|(id, _)| (id.as_str(), 1)).collect();
    place_when_priced(app, &warm, &order_body(&lines, "pm_card_visa"))
        .await
        .expect(201);
    let reserved = json!({"available": STOCK - 1, "reserved": 1});
    for (id, _) in &created {
        wait_for_stock(app, id, reserved.clone()).await;
    }
    created
}

fn tag() -> String {
    format!("t{}", &uuid::Uuid::new_v4().simple().to_string()[..8])
}

async fn register(browser: &mut Browser, app: &TestApp, email: &str) {
    browser
        .goto(&format!("{}/#/register", app.stack.storefront_url))
        .await;
    browser.fill("Name", "Ferris Shopper").await;
    browser.fill("Email", email).await;
    browser.fill("Password", PASSWORD).await;
    browser.screenshot("register").await;
    browser.click("Create account").await;
    browser.wait_for_text("Signed in as").await;
}

/// The same shopper, signed in through the API, to check what the page did.
async fn as_api_user(app: &TestApp, email: &str) -> String {
    let login = app.login(email, PASSWORD).await;
    login.expect(200);
    login.body["id_token"]
        .as_str()
        .expect("id_token")
        .to_owned()
}

async fn orders_of(app: &TestApp, token: &str) -> Vec<Value> {
    let reply = app
        .call(Method::GET, "/v1/orders?limit=100", Some(token), None)
        .await;
    reply.expect(200);
    reply.body["items"].as_array().expect("items").clone()
}

async fn fill_address(browser: &Browser) {
    browser.fill("Full name", "Ferris Shopper").await;
    browser.fill("Address", "1 Harbour Road").await;
    browser.fill("City", "Hamburg").await;
    browser.fill("Postal code", "20457").await;
    browser.fill("Country", "DE").await;
}

/// A new shopper with one `product` in the cart, at the checkout with the address filled
/// in; returns the shopper's email.
async fn at_checkout_with(
    browser: &mut Browser,
    app: &TestApp,
    product: &(String, String),
) -> String {
    let email = unique_email();
    register(browser, app, &email).await;
    let (id, name) = product;
    browser
        .goto(&format!("{}/#/products/{id}", app.stack.storefront_url))
        .await;
    browser.wait_for_heading(name).await;
    browser.click("Add to cart").await;
    browser.wait_for_text("Cart (1)").await;
    browser
        .goto(&format!("{}/#/checkout", app.stack.storefront_url))
        .await;
    browser.wait_for_heading("Checkout").await;
    fill_address(browser).await;
    email
}

/// Shows `path` again until it shows `text` (the page does not poll an inbox).
async fn reload_until(browser: &Browser, app: &TestApp, path: &str, text: &str) {
    let started = Instant::now();
    loop {
        browser
            .goto(&format!("{}/#/empty", app.stack.storefront_url))
            .await;
        browser
            .goto(&format!("{}/#{path}", app.stack.storefront_url))
            .await;
        tokio::time::sleep(Duration::from_millis(500)).await;
        let shown = browser.text().await;
        if shown.contains(text) {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "{path} never showed {text:?}:\n{shown}"
        );
    }
}

#[tokio::test]
async fn a_shopper_registers_searches_buys_cancels_and_reads_the_refund_notice() {
    let app = TestApp::shared();
    let tag = tag();
    let products = products_for_sale(&app, &["Crab Mug", "Crab Teapot"], &tag).await;
    let email = unique_email();
    let mut browser = Browser::open("shopper-journey").await;

    browser
        .goto(&format!("{}/", app.stack.storefront_url))
        .await;
    browser.wait_for_text("All products").await;
    let shop = browser.screenshot("shop").await;
    let (width, height) = png_size(&shop);
    assert!(
        width >= 800 && height >= 600,
        "a real screenshot: {width}x{height}"
    );

    register(&mut browser, &app, &email).await;
    assert!(
        !browser.text().await.contains("Admin"),
        "a shopper is not shown the admin area"
    );

    browser.fill("Search products", &tag).await;
    browser.click("Search").await;
    browser
        .wait_for_text(&format!("All products matching “{tag}”"))
        .await;
    for (_, name) in &products {
        browser.wait_for_text(name).await;
    }
    browser.screenshot("search").await;
    for (_, name) in &products {
        browser
            .click_labelled(&format!("Add {name} to the cart"))
            .await;
    }
    browser.wait_for_text("Cart (2)").await;
    browser.follow("Cart (2)").await;
    browser.wait_for_text("Your cart").await;
    browser.screenshot("cart").await;
    browser.follow("Check out").await;
    browser.wait_for_heading("Checkout").await;
    fill_address(&browser).await;
    browser.choose("Card", "Test card: always paid").await;
    browser.screenshot("checkout").await;
    browser.click("Place order").await;

    browser
        .wait_for_text("Confirmed: your payment was taken")
        .await;
    browser.screenshot("confirmed").await;
    let order_id = browser
        .fragment()
        .await
        .trim_start_matches("/orders/")
        .to_owned();
    let token = as_api_user(&app, &email).await;
    let orders = orders_of(&app, &token).await;
    assert_eq!(orders.len(), 1, "one order: {orders:?}");
    assert_eq!(orders[0]["id"], order_id.as_str());
    assert_eq!(orders[0]["status"], "CONFIRMED");
    assert_eq!(
        orders[0]["total"],
        json!({"amount": 2500, "currency": "EUR"})
    );

    browser.click("Cancel order").await;
    browser
        .wait_for_text("Cancelled. Anything you paid is refunded.")
        .await;
    browser.screenshot("cancelled").await;
    reload_until(&browser, &app, "/inbox", &format!("for order {order_id}")).await;
    let inbox = browser.text().await;
    assert!(
        inbox.contains("Refund of") && inbox.contains("is cancelled"),
        "the inbox tells of the refund and the cancellation:\n{inbox}"
    );
    browser.screenshot("refund-notice").await;
    browser.close().await;
}

#[tokio::test]
async fn a_declined_card_is_shown_as_declined_and_nothing_is_charged() {
    let app = TestApp::shared();
    let tag = tag();
    let products = products_for_sale(&app, &["Declined Lamp"], &tag).await;
    let mut browser = Browser::open("declined-card").await;
    let email = at_checkout_with(&mut browser, &app, &products[0]).await;
    browser.choose("Card", "Test card: declined").await;
    browser.click("Place order").await;
    browser
        .wait_for_text("Not placed: your card was declined. You have not been charged.")
        .await;
    browser.screenshot("declined").await;

    let token = as_api_user(&app, &email).await;
    let orders = orders_of(&app, &token).await;
    assert_eq!(orders.len(), 1);
    assert_eq!(orders[0]["status"], "REJECTED");
    assert_eq!(orders[0]["status_reason"], "payment_declined");
    browser.close().await;
}

#[tokio::test]
async fn a_double_click_on_place_order_places_one_order() {
    let app = TestApp::shared();
    let tag = tag();
    let products = products_for_sale(&app, &["Double Kettle"], &tag).await;
    let mut browser = Browser::open("double-click").await;
    let email = at_checkout_with(&mut browser, &app, &products[0]).await;
    // Two clicks in one task, as an impatient double click lands.
    browser
        .run(
            "const button = [...document.querySelectorAll('button')]
               .find((b) => b.textContent.trim() === 'Place order');
             button.click();
             button.click();",
            vec![],
        )
        .await;
    browser
        .wait_for_text("Confirmed: your payment was taken")
        .await;
    browser.screenshot("one-order").await;

    let token = as_api_user(&app, &email).await;
    let orders = orders_of(&app, &token).await;
    assert_eq!(orders.len(), 1, "one order for a double click: {orders:?}");
    assert_eq!(orders[0]["items"][0]["product_id"], products[0].0.as_str());
    assert_eq!(orders[0]["items"][0]["quantity"], 1);
    browser.close().await;
}

/// A browser signed in as the stack's admin, on the edit page of product `id`.
async fn editing_as_admin(app: &TestApp, test: &str, id: &str, name: &str) -> Browser {
    let mut browser = Browser::open(test).await;
    browser
        .goto(&format!("{}/#/signin", app.stack.storefront_url))
        .await;
    browser.fill("Email", &app.stack.admin_email).await;
    browser.fill("Password", &app.stack.admin_password).await;
    browser.click("Sign in").await;
    browser.wait_for_text("Signed in as").await;
    browser.follow("Admin").await;
    browser.wait_for_text("Admin: products").await;
    browser.screenshot("admin").await;
    browser
        .goto(&format!(
            "{}/#/admin/products/{id}",
            app.stack.storefront_url
        ))
        .await;
    browser.wait_for_text(&format!("Admin: {name}")).await;
    browser
}

#[tokio::test]
async fn an_admin_saving_over_another_admins_change_is_told_and_changes_nothing() {
    let app = TestApp::shared();
    let tag = tag();
    let products = products_for_sale(&app, &["Contested Vase"], &tag).await;
    let (id, name) = &products[0];
    let mut browser = editing_as_admin(&app, "admin-conflict", id, name).await;

    // Meanwhile another admin renames it.
    let other: User = app.promote_to_admin(&app.new_user().await).await;
    let current = app
        .call(Method::GET, &format!("/v1/products/{id}"), None, None)
        .await;
    current.expect(200);
    let etag = current.headers["etag"]
        .to_str()
        .expect("an ETag")
        .to_owned();
    let theirs = format!("Their Vase {tag}");
    let renamed = app
        .send(
            app.request(Method::PUT, &format!("/v1/products/{id}"))
                .bearer_auth(&other.id_token)
                .header("If-Match", etag)
                .json(&json!({"name": theirs, "category": current.body["category"], "price": current.body["price"]})),
        )
        .await;
    renamed.expect(200);

    browser.fill("Name", &format!("Mine Vase {tag}")).await;
    browser.click("Save").await;
    browser
        .wait_for_text("another admin changed this product after you opened it")
        .await;
    browser.screenshot("precondition-failed").await;
    let after = app
        .call(Method::GET, &format!("/v1/products/{id}"), None, None)
        .await;
    assert_eq!(
        after.body["name"],
        theirs.as_str(),
        "the other admin's change stands"
    );
    browser.close().await;
}

#[tokio::test]
async fn an_admins_save_goes_through_when_only_the_stock_moved_meanwhile() {
    let app = TestApp::shared();
    let tag = tag();
    let products = products_for_sale(&app, &["Busy Lamp"], &tag).await;
    let (id, name) = &products[0];
    let mut browser = editing_as_admin(&app, "admin-stock-moved", id, name).await;

    // Meanwhile the stock moves, as an order's reservation moves it: the product's ETag
    // changes, its catalog version does not.
    let path = format!("/v1/products/{id}");
    let before = app.call(Method::GET, &path, None, None).await;
    before.expect(200);
    let admin = app.admin().await;
    app.call(
        Method::POST,
        &format!("{path}/stock"),
        Some(&admin.id_token),
        Some(json!({"delta": -1})),
    )
    .await
    .expect(200);

    let renamed = format!("Renamed Lamp {tag}");
    browser.fill("Name", &renamed).await;
    browser.click("Save").await;
    browser.wait_for_text(&format!("{name} is saved.")).await;
    browser.screenshot("saved").await;
    let after = app.call(Method::GET, &path, None, None).await;
    assert_eq!(after.body["name"], renamed.as_str());
    assert_eq!(
        after.body["stock"]["available"].as_i64(),
        before.body["stock"]["available"].as_i64().map(|n| n - 1),
        "the save wrote no stock"
    );
    browser.close().await;
}

#[tokio::test]
async fn a_page_on_another_origin_is_refused_by_the_apis_cors() {
    let app = TestApp::shared();
    let mut browser = Browser::open("other-origin").await;
    // The same files from another origin: 127.0.0.1 is not localhost to a browser.
    let elsewhere = app
        .stack
        .storefront_url
        .replace("//localhost:", "//127.0.0.1:");
    assert_ne!(elsewhere, app.stack.storefront_url);
    browser.goto(&format!("{elsewhere}/")).await;
    browser.wait_for_text("We could not reach the shop").await;
    browser.screenshot("refused").await;
    assert!(!browser.text().await.contains("Add to cart"));

    browser
        .goto(&format!("{}/", app.stack.storefront_url))
        .await;
    browser.wait_for_text("Add to cart").await;
    browser.close().await;
}

/// Every form control of every page a shopper sees has a label, and on a phone-sized
/// screen nothing is wider than the screen.
#[tokio::test]
async fn every_page_fits_a_phone_and_labels_every_control() {
    let app = TestApp::shared();
    let tag = tag();
    let products = products_for_sale(&app, &["Pocket Compass"], &tag).await;
    let mut browser = Browser::open_sized("phone", PHONE).await;
    register(&mut browser, &app, &unique_email()).await;
    let pages = [
        ("/".to_owned(), "All products".to_owned()),
        (
            format!("/products/{}", products[0].0),
            products[0].1.clone(),
        ),
        ("/cart".to_owned(), "Your cart".to_owned()),
        ("/orders".to_owned(), "Your orders".to_owned()),
        ("/inbox".to_owned(), "Inbox".to_owned()),
    ];
    let mut failures = Vec::new();
    for (path, heading) in &pages {
        browser
            .goto(&format!("{}/#{path}", app.stack.storefront_url))
            .await;
        browser.wait_for_heading(heading).await;
        if path.starts_with("/products/") {
            browser.click("Add to cart").await;
        }
        let found = browser
            .run(
                "const unlabelled = [...document.querySelectorAll('input, select, textarea')]
                   .filter((c) => c.type !== 'hidden')
                   .filter((c) => !(c.labels && c.labels.length) && !c.getAttribute('aria-label'))
                   .map((c) => c.outerHTML);
                 // Boxes past the screen's edge, and text spilling out of its box.
                 const wide = [...document.querySelectorAll('body *:not(input, select, textarea)')]
                   .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1
                     || e.scrollWidth > e.clientWidth + 1)
                   .map((e) => `${e.tagName.toLowerCase()}: ${e.textContent.slice(0, 40)}`);
                 return { unlabelled, wide };",
                vec![],
            )
            .await;
        if found["unlabelled"]
            .as_array()
            .is_some_and(|u| !u.is_empty())
        {
            failures.push(format!(
                "{path}: controls without a label: {}",
                found["unlabelled"]
            ));
        }
        if found["wide"].as_array().is_none_or(|w| !w.is_empty()) {
            failures.push(format!("{path}: wider than the phone: {}", found["wide"]));
        }
        let name = path
            .trim_start_matches('/')
            .split('/')
            .next()
            .unwrap_or_default();
        browser
            .screenshot(if name.is_empty() { "shop" } else { name })
            .await;
    }
    browser
        .goto(&format!("{}/#/checkout", app.stack.storefront_url))
        .await;
    browser.wait_for_heading("Checkout").await;
    let unlabelled = browser
        .run(
            "return [...document.querySelectorAll('input, select, textarea')]
               .filter((c) => !(c.labels && c.labels.length)).length;",
            vec![],
        )
        .await;
    if unlabelled != json!(0) {
        failures.push(format!("/checkout: {unlabelled} controls without a label"));
    }
    browser.screenshot("checkout").await;
    browser.close().await;
    assert!(failures.is_empty(), "{failures:#?}");
}

/// A session about to expire is renewed with its refresh token before the next call, and
/// an API error is told in words, field by field.
#[tokio::test]
async fn a_session_is_refreshed_before_it_expires_and_errors_are_told_in_words() {
    let app = TestApp::shared();
    let mut browser = Browser::open("session").await;

    // A password the pool's policy refuses: the API's 422, field by field.
    browser
        .goto(&format!("{}/#/register", app.stack.storefront_url))
        .await;
    browser.fill("Name", "Ferris Shopper").await;
    browser.fill("Email", &unique_email()).await;
    browser.fill("Password", "alllowercase").await;
    browser.click("Create account").await;
    browser.wait_for_text("password:").await;
    browser.screenshot("refused-password").await;
    let refusal = browser.text().await;
    assert!(
        !refusal.contains("Signed in"),
        "a refused registration signs nobody in:\n{refusal}"
    );

    register(&mut browser, &app, &unique_email()).await;
    let read_session = "return JSON.parse(sessionStorage.getItem('crabcart.session'));";
    let before = browser.run(read_session, vec![]).await;
    assert!(before["refreshToken"]
        .as_str()
        .is_some_and(|t| !t.is_empty()));
    // Tokens carry their issue time in seconds: the renewed one must differ.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    browser
        .run(
            "const s = JSON.parse(sessionStorage.getItem('crabcart.session'));
             s.expiresAt = Date.now() + 5000;
             sessionStorage.setItem('crabcart.session', JSON.stringify(s));",
            vec![],
        )
        .await;
    browser
        .goto(&format!("{}/#/orders", app.stack.storefront_url))
        .await;
    browser.wait_for_heading("Your orders").await;
    let after = browser.run(read_session, vec![]).await;
    // Compared, never printed: a failure message must not carry a token.
    assert!(
        after["idToken"] != before["idToken"],
        "the ID token was not renewed"
    );
    assert!(
        after["refreshToken"] == before["refreshToken"],
        "the refresh token changed"
    );
    assert!(after["expiresAt"].as_f64() > before["expiresAt"].as_f64());
    let me = app
        .call(Method::GET, "/v1/users/me", after["idToken"].as_str(), None)
        .await;
    me.expect(200);
    browser.close().await;
}
