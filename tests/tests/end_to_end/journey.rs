//! The whole journey through the local API Gateway only, as a newcomer would walk it:
//! an admin stocks the shelves; a shopper registers, signs in, browses and searches,
//! buys, is declined, cancels and is refunded, and finds each step in their inbox; a
//! second shopper sees none of it. And docs/walkthrough.md's curl walk-through of the same
//! journey, run as written.

use e2e::catalog::{create_product, product_body, unique_category};
use e2e::orders::{
    cancel, get_order, order_body, order_id, payments_of, place, place_when_priced,
    wait_for_payment, wait_for_status, wait_for_stock, POLL_EVERY,
};
use e2e::{TestApp, User};
use reqwest::Method;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

/// How long the last event of a journey may take to reach the inbox.
const INBOX_TIMEOUT: Duration = Duration::from_secs(30);

/// Polls the inbox until it holds `count` entries; returns them oldest first.
async fn wait_for_inbox(app: &TestApp, user: &User, count: usize) -> Vec<Value> {
    let started = Instant::now();
    loop {
        let mut items = app.inbox(user).await;
        if items.len() >= count || started.elapsed() > INBOX_TIMEOUT {
            items.reverse();
            return items;
        }
        tokio::time::sleep(POLL_EVERY).await;
    }
}

#[tokio::test]
async fn a_shopper_buys_is_declined_cancels_and_is_refunded_and_hears_of_each_step() {
    let app = TestApp::shared();

    // The admin stocks two products in a category of their own.
    let admin = app.admin().await;
    let category = unique_category("journey");
    let mut kettle = product_body("Copper Kettle", &category, 5);
    kettle["price"] = json!({"amount": 3450, "currency": "EUR"});
    let kettle = create_product(&app, &admin, kettle).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let teapot = create_product(&app, &admin, product_body("Stoneware Teapot", &category, 3)).await
        ["id"]
        .as_str()
        .unwrap()
        .to_owned();

    // A registers and signs in (TestApp::new_user goes through /v1/auth/*), then browses
    // the category and searches it.
    let (a, b) = (app.new_user().await, app.new_user().await);
    let listed = app
        .call(
            Method::GET,
            &format!("/v1/products?category={category}"),
            None,
            None,
        )
        .await;
    listed.expect(200);
    let names: Vec<&str> = listed.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Copper Kettle", "Stoneware Teapot"]);
    let found = app
        .call(
            Method::GET,
            &format!("/v1/products?category={category}&q=KETTLE"),
            Some(&a.id_token),
            None,
        )
        .await;
    found.expect(200);
    assert_eq!(found.body["items"][0]["id"], json!(kettle));
    assert_eq!(found.body["items"].as_array().unwrap().len(), 1);

    // A buys both (CONFIRMED), then is declined on another teapot (REJECTED).
    let bought = place_when_priced(
        &app,
        &a,
        &order_body(&[(&kettle, 2), (&teapot, 1)], "pm_card_visa"),
    )
    .await;
    bought.expect(201);
    let bought = order_id(&bought);
    let confirmed = wait_for_status(&app, &a, &bought, "CONFIRMED").await;
    assert_eq!(
        confirmed["total"],
        json!({"amount": 2 * 3450 + 1999, "currency": "EUR"})
    );
    let declined = place(
        &app,
        &a,
        Some("journey-declined"),
        &order_body(&[(&teapot, 1)], "pm_card_declined"),
    )
    .await;
    declined.expect(201);
    let declined = order_id(&declined);
    let rejected = wait_for_status(&app, &a, &declined, "REJECTED").await;
    assert_eq!(rejected["status_reason"], "payment_declined");

    // A changes their mind about the first order and sees the refund.
    cancel(&app, &a, &bought).await.expect(200);
    let refunded = wait_for_payment(&app, &a, &bought, "REFUNDED").await;
    assert_eq!(refunded.len(), 1);
    assert_eq!(
        refunded[0]["amount"],
        json!({"amount": 8899, "currency": "EUR"})
    );

    // B sees none of A's: not the orders, not the payments, not the inbox.
    get_order(&app, &b, &bought).await.expect(404);
    cancel(&app, &b, &declined).await.expect(404);
    assert_eq!(payments_of(&app, &b, &bought).await, Vec::<Value>::new());
    let theirs = wait_for_inbox(&app, &b, 1).await;
    let types: Vec<&str> = theirs.iter().map(|n| n["type"].as_str().unwrap()).collect();
    assert_eq!(types, ["welcome"], "B's inbox holds only B's welcome");
    app.call(Method::GET, "/v1/notifications", None, None)
        .await
        .expect(401);

    // A's inbox tells the journey in order.
    let notes = wait_for_inbox(&app, &a, 5).await;
    let types: Vec<&str> = notes.iter().map(|n| n["type"].as_str().unwrap()).collect();
    assert_eq!(
        types,
        [
            "welcome",
            "order_confirmed",
            "order_rejected",
            "order_cancelled",
            "payment_refunded"
        ]
    );
    for note in &notes[1..] {
        let text = format!("{} {}", note["subject"], note["body"]);
        let (order, total) = if note["type"] == "order_rejected" {
            (&declined, "19.99 EUR")
        } else {
            (&bought, "88.99 EUR")
        };
        assert!(text.contains(order.as_str()), "{note} names its order");
        assert!(text.contains(total), "{note} names its total");
        assert!(
            note["delivery"]["status"].is_string(),
            "{note} says how it was delivered"
        );
    }
    assert!(notes[2]["body"]
        .as_str()
        .unwrap()
        .to_lowercase()
        .contains("declined"));

    // Stock and payments end consistent: everything back on the shelf, one refund, one
    // failure.
    wait_for_stock(&app, &kettle, json!({"available": 5, "reserved": 0})).await;
    wait_for_stock(&app, &teapot, json!({"available": 3, "reserved": 0})).await;
    let failed = payments_of(&app, &a, &declined).await;
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0]["status"], "FAILED");
    assert_eq!(
        get_order(&app, &a, &bought).await.body["status"],
        "CANCELLED"
    );
}

/// docs/walkthrough.md's "whole journey" block, run with bash against this stack: a
/// newcomer can paste it against `make dev` and it goes through.
#[tokio::test]
async fn the_walkthrough_journey_runs_as_written() {
    let app = TestApp::shared();
    let walkthrough = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../docs/walkthrough.md"
    ))
    .expect("docs/walkthrough.md");
    let section = walkthrough
        .split("## The whole journey")
        .nth(1)
        .expect("a docs/walkthrough.md section \"The whole journey\"");
    let script = section
        .split("```sh\n")
        .nth(1)
        .and_then(|s| s.split("```").next())
        .expect("a sh block in that section");
    if std::process::Command::new("curl")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("curl is not installed: the walkthrough (curl) cannot run here");
        return;
    }
    let output = tokio::process::Command::new("bash")
        .arg("-euo")
        .arg("pipefail")
        .arg("-c")
        .arg(script)
        .env("API", &app.stack.api_url)
        .env("ADMIN_EMAIL", &app.stack.admin_email)
        .env("ADMIN_PASSWORD", &app.stack.admin_password)
        .env("SHOPPER_EMAIL", e2e::unique_email())
        .output()
        .await
        .expect("bash runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "the walkthrough journey failed\n--- stdout\n{stdout}\n--- stderr\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.contains("payment_refunded"),
        "the walk-through ends at the refund notice:\n{stdout}"
    );
}
