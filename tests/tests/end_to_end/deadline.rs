//! The reservation deadline, on a stack of its own whose deadline is seconds instead of
//! 30 minutes and whose expiry sweep runs every second (template parameters, overridden
//! as `sam deploy --parameter-overrides` would): an order that stalls past it is rejected
//! as expired, its stock comes back and its owner is told once; a payment recorded after
//! that is refunded. The stalls are faults of the stack's moto, so the tests take turns.

use e2e::faults::{exclusive_switch, items_mentioning, FaultRule, FaultService, StalledCharge};
use e2e::orders::{
    create_priced_product, eur, order_body, order_id, payments_of, place_when_priced,
    wait_for_notices, wait_for_payment, wait_for_status, wait_for_stock,
};
use e2e::{EventTap, Stack, StackOptions, TestApp};
use serde_json::{json, Value};
use std::collections::HashSet;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The stack's reservation deadline: long enough for a healthy order to settle, short
/// enough for a test to wait it out.
const DEADLINE_SECONDS: u64 = 10;

fn stack() -> &'static Stack {
    static STACK: OnceLock<Stack> = OnceLock::new();
    Stack::once(&STACK, || StackOptions {
        args: vec![
            "--parameter-overrides".into(),
            format!("ReservationDeadlineSeconds={DEADLINE_SECONDS}"),
            "ExpirySweepSchedule=rate(1 second)".into(),
        ],
        ..StackOptions::default()
    })
}

/// Waits for the order to be rejected as expired: past the deadline and the next sweep.
async fn wait_until_expired(app: &TestApp, user: &e2e::User, order: &str) -> Value {
    let started = Instant::now();
    loop {
        let reply = app
            .call(
                reqwest::Method::GET,
                &format!("/v1/orders/{order}"),
                Some(&user.id_token),
                None,
            )
            .await;
        reply.expect(200);
        if reply.body["status"] == "REJECTED" {
            return reply.body.clone();
        }
        assert!(
            started.elapsed() < Duration::from_secs(DEADLINE_SECONDS + 30),
            "order {order} is still {} past its deadline",
            reply.body["status"]
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

#[tokio::test]
async fn an_order_that_stalls_past_its_deadline_is_rejected_as_expired_and_its_stock_returns() {
    let app = TestApp::on(stack());
    let (_turn, switch) = exclusive_switch(app.stack).await;
    let (admin, shopper) = (app.admin().await, app.new_user().await);
    let product = create_priced_product(&app, &admin, "Stalled Stool", 5, eur(2000)).await;
    // Payments cannot record anything: the order waits for its payment with its stock
    // reserved, as it would behind a payments outage or a dead-lettered message.
    let _payments_down = switch
        .inject(
            &FaultRule::error(FaultService::Dynamodb)
                .operations(&["PutItem"])
                .resource(app.stack.resource_ref("PaymentsTable")),
        )
        .await
        .expect("set the fault");
    let placed = place_when_priced(
        &app,
        &shopper,
        &order_body(&[(&product, 2)], "pm_card_visa"),
    )
    .await;
    placed.expect(201);
    let order = order_id(&placed);
    wait_for_status(&app, &shopper, &order, "AWAITING_PAYMENT").await;
    wait_for_stock(&app, &product, json!({"available": 3, "reserved": 2})).await;

    let rejected = wait_until_expired(&app, &shopper, &order).await;
    assert_eq!(rejected["status_reason"], "expired", "{rejected}");
    let time = |field: &str| {
        chrono::DateTime::parse_from_rfc3339(rejected[field].as_str().unwrap_or_default())
            .unwrap_or_else(|e| panic!("{field}: {e}"))
    };
    assert!(
        time("updated_at") - time("created_at")
            >= chrono::Duration::seconds(DEADLINE_SECONDS as i64),
        "expired before its deadline: {rejected}"
    );
    wait_for_stock(&app, &product, json!({"available": 5, "reserved": 0})).await;
    wait_for_notices(&app, &shopper, &order, &["order_rejected"]).await;
    assert_eq!(
        payments_of(&app, &shopper, &order).await,
        Vec::<Value>::new(),
        "nothing was charged"
    );
}

#[tokio::test]
async fn a_payment_recorded_after_the_deadline_is_refunded() {
    let app = TestApp::on(stack());
    let (_turn, switch) = exclusive_switch(app.stack).await;
    let (admin, shopper) = (app.admin().await, app.new_user().await);
    let product = create_priced_product(&app, &admin, "Late Lantern", 3, eur(3500)).await;
    let refunds = EventTap::subscribe(app.stack, "PaymentsTopic", &["PaymentRefunded"]).await;
    // The provider charges the card, then recording the charge fails, and every retry of
    // the charge's message fails before it gets anywhere: the payment is still CHARGING
    // when the deadline passes.
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
        .wait_until_stalled(app.stack, &order, Duration::from_secs(DEADLINE_SECONDS))
        .await;

    // Expired; OrderRejected makes payments finish the charge under its key (it went
    // through) and refund it.
    let rejected = wait_until_expired(&app, &shopper, &order).await;
    assert_eq!(rejected["status_reason"], "expired", "{rejected}");
    let payments = wait_for_payment(&app, &shopper, &order, "REFUNDED").await;
    assert_eq!(payments.len(), 1, "{payments:?}");
    assert_eq!(payments[0]["amount"], eur(3500));
    wait_for_stock(&app, &product, json!({"available": 3, "reserved": 0})).await;
    wait_for_notices(
        &app,
        &shopper,
        &order,
        &["order_rejected", "payment_refunded"],
    )
    .await;
    let refunded = refunds.receive_for(Duration::from_secs(3)).await;
    let ours: HashSet<&Value> = refunded
        .iter()
        .filter(|e| e["data"]["order_id"] == json!(order))
        .map(|e| &e["id"])
        .collect();
    assert_eq!(ours.len(), 1, "one refund: {refunded:?}");
    let started = Instant::now();
    while !items_mentioning(app.stack, "OrdersTable", &order)
        .await
        .iter()
        .any(|item| item.contains("ORDER#") && item.contains("refunded_at"))
    {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the order never recorded its refund"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert_eq!(
        wait_for_status(&app, &shopper, &order, "REJECTED").await["status_reason"],
        "expired"
    );
}
