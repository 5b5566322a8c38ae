//! The orders adapter, the shared idempotency records, the worker and the API against
//! moto, on tables with the template's key schema: orders placed with their event and
//! their completed key in one transaction, every idempotency outcome, the price
//! projection, and the saga under duplicates, reordering and cancellation, each step one
//! read and one transaction, and the outcome metrics counted once per committed outcome.

mod support;

use moto_runner::call_log::CallLog;
use orders::domain::{Order, OrderStatus, ProductId, RejectionReason};
use orders::store::OrderListing;
use orders::worker::Worker;
use serde_json::json;
use shared::events::payments::{PaymentFailed, PaymentRefunded, PaymentSucceeded};
use shared::events::products::{
    ProductCreated, ProductDeleted, ProductUpdated, Shortage, StockLine, StockReservationFailed,
    StockReserved,
};
use shared::idempotency::{Claimed, Fingerprint, IdempotencyKey, IdempotencyStore};
use shared::metrics::{Metrics, RecordedMetric};
use shared::store::StoreError;
use shared::Envelope;
use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;
use support::{answer, deliver, eur, snapshot, TestTable};

fn key(k: &str) -> IdempotencyKey {
    IdempotencyKey::from_header(Some(k)).unwrap()
}

fn fingerprint(body: &str) -> Fingerprint {
    Fingerprint::of_body(body.as_bytes())
}

async fn acquire(
    store: &IdempotencyStore,
    user: &str,
    k: &str,
    body: &str,
) -> shared::idempotency::Claim {
    match store
        .claim(user, &key(k), &fingerprint(body))
        .await
        .unwrap()
    {
        Claimed::Acquired(claim) => claim,
        other => panic!("expected to acquire {k}, got {other:?}"),
    }
}

#[tokio::test]
async fn an_order_is_placed_with_its_event_and_its_completed_key_in_one_transaction() {
    let t = TestTable::new().await;
    let mug = t.product("Mug", 1250, "EUR").await;
    let claim = acquire(&t.idempotency, "user-1", "place-1", "{}").await;
    let order = t.order("user-1", &[(&mug, 3)]).await;
    let stored = answer(&order);
    t.orders
        .place(&order, t.idempotency.completion(&claim, &stored).unwrap())
        .await
        .unwrap();

    assert_eq!(t.orders.get(&order.id).await.unwrap(), Some(order.clone()));
    let placed = t.events_of("OrderPlaced").await;
    assert_eq!(placed.len(), 1);
    assert_eq!(placed[0].correlation_id, order.id.as_str());
    assert_eq!(placed[0].data["user_id"], "user-1");
    assert_eq!(placed[0].data["lines"][0]["product_id"], mug.as_str());
    assert_eq!(placed[0].data["lines"][0]["quantity"], 3);
    assert_eq!(placed[0].data["lines"][0]["unit_price"]["amount"], 1250);
    assert_eq!(
        placed[0].data["total"],
        serde_json::json!({"amount": 3750, "currency": "EUR"})
    );
    let replay = t
        .idempotency
        .claim("user-1", &key("place-1"), &fingerprint("{}"))
        .await
        .unwrap();
    assert_eq!(replay, Claimed::Replay(stored));
}

#[tokio::test]
async fn an_order_whose_key_was_taken_over_is_not_placed() {
    let t = TestTable::new().await;
    let mug = t.product("Mug", 1250, "EUR").await;
    let short = t.idempotency_with(Duration::ZERO, Duration::from_secs(60));
    let slow = acquire(&short, "user-1", "slow", "{}").await;
    tokio::time::sleep(Duration::from_millis(5)).await;
    let _retry = acquire(&short, "user-1", "slow", "{}").await;
    let order = t.order("user-1", &[(&mug, 1)]).await;
    let lost = t
        .orders
        .place(&order, short.completion(&slow, &answer(&order)).unwrap())
        .await;
    assert!(matches!(lost, Err(StoreError::ConditionFailed)), "{lost:?}");
    assert_eq!(t.orders.get(&order.id).await.unwrap(), None);
    assert!(t.events_of("OrderPlaced").await.is_empty());
}

#[tokio::test]
async fn a_key_is_scoped_to_its_caller_and_refused_with_another_payload_or_in_flight() {
    let t = TestTable::new().await;
    let _first = acquire(&t.idempotency, "alice", "k1", r#"{"a":1}"#).await;
    let other_payload = t
        .idempotency
        .claim("alice", &key("k1"), &fingerprint(r#"{"a":2}"#))
        .await;
    assert_eq!(other_payload.unwrap(), Claimed::OtherPayload);
    let same = t
        .idempotency
        .claim("alice", &key("k1"), &fingerprint(r#"{ "a": 1 }"#))
        .await;
    assert_eq!(same.unwrap(), Claimed::InFlight);
    // The same key of another caller is another key.
    acquire(&t.idempotency, "bob", "k1", r#"{"a":2}"#).await;
}

#[tokio::test]
async fn a_claim_past_its_lease_is_taken_over_and_the_old_holder_cannot_complete() {
    let t = TestTable::new().await;
    let short = t.idempotency_with(Duration::ZERO, Duration::from_secs(60));
    let crashed = acquire(&short, "alice", "lease", "{}").await;
    tokio::time::sleep(Duration::from_millis(5)).await;
    let retry = acquire(&short, "alice", "lease", "{}").await;
    assert_ne!(crashed, retry);
    let stored = shared::idempotency::StoredResponse {
        status: 201,
        body: "{\"id\":\"1\"}".into(),
        location: Some("/v1/orders/1".into()),
    };
    let late = short.complete(&crashed, &stored).await;
    assert!(matches!(late, Err(StoreError::ConditionFailed)), "{late:?}");
    short.complete(&retry, &stored).await.unwrap();
    let replay = short
        .claim("alice", &key("lease"), &fingerprint("{}"))
        .await
        .unwrap();
    assert_eq!(replay, Claimed::Replay(stored));
}

#[tokio::test]
async fn an_expired_answer_is_forgotten() {
    let t = TestTable::new().await;
    let brief = t.idempotency_with(Duration::from_secs(30), Duration::ZERO);
    let claim = acquire(&brief, "alice", "old", r#"{"a":1}"#).await;
    let stored = shared::idempotency::StoredResponse {
        status: 400,
        body: "{}".into(),
        location: None,
    };
    brief.complete(&claim, &stored).await.unwrap();
    tokio::time::sleep(Duration::from_millis(5)).await;
    // Past expires_at the key is free again, whatever the payload.
    acquire(&brief, "alice", "old", r#"{"a":2}"#).await;
}

#[tokio::test]
async fn ten_concurrent_claims_of_one_key_have_one_winner() {
    let t = TestTable::new().await;
    let store = Arc::new(t.idempotency.clone());
    let tasks: Vec<_> = (0..10)
        .map(|_| {
            let store = Arc::clone(&store);
            tokio::spawn(async move {
                store
                    .claim("alice", &key("race"), &fingerprint("{}"))
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut acquired = 0;
    for task in tasks {
        match task.await.unwrap() {
            Claimed::Acquired(_) => acquired += 1,
            Claimed::InFlight => {}
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(acquired, 1);
}

#[tokio::test]
async fn a_released_key_runs_again_but_a_completed_answer_is_never_released() {
    let t = TestTable::new().await;
    let failed = acquire(&t.idempotency, "alice", "retry", "{}").await;
    t.idempotency.release(&failed).await.unwrap();
    let retry = acquire(&t.idempotency, "alice", "retry", "{}").await;
    let stored = shared::idempotency::StoredResponse {
        status: 422,
        body: "{\"error\":{}}".into(),
        location: None,
    };
    t.idempotency.complete(&retry, &stored).await.unwrap();
    // A release after the commit (its answer lost in transit) keeps the answer.
    t.idempotency.release(&retry).await.unwrap();
    let replay = t
        .idempotency
        .claim("alice", &key("retry"), &fingerprint("{}"))
        .await
        .unwrap();
    assert_eq!(replay, Claimed::Replay(stored));
}

#[tokio::test]
async fn the_projection_keeps_the_latest_catalog_version() {
    let t = TestTable::new().await;
    let id = ProductId::parse(&shared::ids::new_id()).unwrap();
    assert!(t
        .projection
        .apply(&snapshot(&id, "Mug v2", 1300, "ACTIVE", 2))
        .await
        .unwrap());
    // An older snapshot delivered late, and a redelivery, change nothing.
    assert!(!t
        .projection
        .apply(&snapshot(&id, "Mug v1", 1200, "ACTIVE", 1))
        .await
        .unwrap());
    assert!(!t
        .projection
        .apply(&snapshot(&id, "Mug v2", 1300, "ACTIVE", 2))
        .await
        .unwrap());
    let unknown = ProductId::parse(&shared::ids::new_id()).unwrap();
    let found = t.projection.get_many(&[&id, &unknown]).await.unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[&id].name, "Mug v2");
    assert_eq!(found[&id].price, eur(1300));
    assert!(found[&id].orderable);
    assert!(t
        .projection
        .apply(&snapshot(&id, "Mug v2", 1300, "ARCHIVED", 3))
        .await
        .unwrap());
    let found = t.projection.get_many(&[&id]).await.unwrap();
    assert!(!found[&id].orderable);
    assert_eq!(found[&id].version, 3);
}

#[tokio::test]
async fn listings_are_newest_first_per_owner_overall_and_per_status() {
    let t = TestTable::new().await;
    let mug = t.product("Mug", 1000, "EUR").await;
    let owner = format!("lister-{}", shared::ids::new_id());
    let mut placed = Vec::new();
    for _ in 0..5 {
        placed.push(t.place(&owner, &[(&mug, 1)]).await);
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    t.place("someone-else", &[(&mug, 1)]).await;
    let newest_first: Vec<String> = placed
        .iter()
        .rev()
        .map(|o| o.id.as_str().to_owned())
        .collect();

    let mut seen = Vec::new();
    let mut start = None;
    loop {
        let (page, next) = t
            .orders
            .list(&OrderListing::OwnedBy(owner.clone()), 2, start)
            .await
            .unwrap();
        assert!(page.len() <= 2);
        seen.extend(page.into_iter().map(|o| o.id.as_str().to_owned()));
        match next {
            Some(k) => start = Some(k),
            None => break,
        }
    }
    assert_eq!(seen, newest_first);

    let (all, _) = t.orders.list(&OrderListing::All, 100, None).await.unwrap();
    assert_eq!(all.len(), 6);
    assert!(all.windows(2).all(|w| w[0].id.as_str() > w[1].id.as_str()));

    let cancelled = t.cancel(&placed[1]).await;
    let (pending, _) = t
        .orders
        .list(&OrderListing::InStatus(OrderStatus::Pending), 100, None)
        .await
        .unwrap();
    let pending: HashSet<&str> = pending.iter().map(|o| o.id.as_str()).collect();
    assert_eq!(pending.len(), 5);
    assert!(!pending.contains(cancelled.id.as_str()));
    let (in_cancelled, _) = t
        .orders
        .list(&OrderListing::InStatus(OrderStatus::Cancelled), 100, None)
        .await
        .unwrap();
    assert_eq!(in_cancelled, vec![cancelled]);
}

// ------------------------------------------------------------------ the worker

fn stock_reserved(order: &Order) -> Envelope<StockReserved> {
    Envelope::new(
        "products",
        order.id.as_str(),
        StockReserved {
            order_id: order.id.as_str().to_owned(),
            lines: order
                .lines
                .iter()
                .map(|l| StockLine {
                    product_id: l.product_id.as_str().to_owned(),
                    quantity: l.quantity,
                })
                .collect(),
        },
    )
}

fn stock_reservation_failed(order: &Order) -> Envelope<StockReservationFailed> {
    Envelope::new(
        "products",
        order.id.as_str(),
        StockReservationFailed {
            order_id: order.id.as_str().to_owned(),
            shortages: vec![Shortage {
                product_id: order.lines[0].product_id.as_str().to_owned(),
                requested: order.lines[0].quantity,
                available: 0,
            }],
        },
    )
}

fn payment_succeeded(order: &Order) -> Envelope<PaymentSucceeded> {
    Envelope::new(
        "payments",
        order.id.as_str(),
        PaymentSucceeded {
            order_id: order.id.as_str().to_owned(),
            user_id: order.user_id.clone(),
            payment_id: shared::ids::new_id(),
            amount: order.total,
        },
    )
}

fn payment_failed(order: &Order) -> Envelope<PaymentFailed> {
    Envelope::new(
        "payments",
        order.id.as_str(),
        PaymentFailed {
            order_id: order.id.as_str().to_owned(),
            user_id: order.user_id.clone(),
            payment_id: shared::ids::new_id(),
            reason: "card_declined".to_owned(),
        },
    )
}

fn payment_refunded(order: &Order) -> Envelope<PaymentRefunded> {
    Envelope::new(
        "payments",
        order.id.as_str(),
        PaymentRefunded {
            order_id: order.id.as_str().to_owned(),
            user_id: order.user_id.clone(),
            payment_id: shared::ids::new_id(),
            amount: order.total,
        },
    )
}

/// The outbox events about `order`, as (type, data), oldest first.
async fn events_about(t: &TestTable, order: &Order) -> Vec<(String, serde_json::Value)> {
    t.outbox()
        .await
        .into_iter()
        .filter(|e| e.correlation_id == order.id.as_str())
        .map(|e| (e.event_type, e.data))
        .collect()
}

fn types(events: &[(String, serde_json::Value)]) -> Vec<&str> {
    events.iter().map(|(t, _)| t.as_str()).collect()
}

#[tokio::test]
async fn a_reserved_order_requests_its_payment_once_however_often_the_event_comes() {
    let t = TestTable::new().await;
    let mug = t.product("Mug", 1250, "EUR").await;
    let worker = t.worker();
    // Order n's StockReserved is delivered n times (1 to 5): up to two copies in one
    // batch, the rest in batches of their own.
    for copies in 1..=5usize {
        let order = t.place("user-1", &[(&mug, 2)]).await;
        let reserved = stock_reserved(&order);
        let in_one_batch = copies.min(2);
        assert!(deliver(&worker, &vec![&reserved; in_one_batch][..])
            .await
            .is_empty());
        for _ in in_one_batch..copies {
            assert!(deliver(&worker, &[&reserved]).await.is_empty());
        }
        assert_eq!(t.stored(&order).await.status, OrderStatus::AwaitingPayment);
        let events = events_about(&t, &order).await;
        assert_eq!(
            types(&events),
            ["OrderPlaced", "PaymentRequested"],
            "{copies} copies"
        );
        let requested = &events[1].1;
        assert_eq!(
            requested["amount"],
            serde_json::json!({"amount": 2500, "currency": "EUR"})
        );
        assert_eq!(requested["payment_method"], "pm_card_visa");
        assert_eq!(requested["user_id"], "user-1");
    }
}

fn outcome(name: &str, reason: Option<&str>) -> RecordedMetric {
    RecordedMetric {
        name: name.into(),
        service: "orders".into(),
        reason: reason.map(str::to_owned),
        count: 1,
    }
}

#[tokio::test]
async fn a_confirmation_is_counted_once_however_often_its_event_comes() {
    let t = TestTable::new().await;
    let mug = t.product("Mug", 1250, "EUR").await;
    let (metrics, recorded) = Metrics::recording(orders::SERVICE);
    let worker = t.worker().with_metrics(metrics);
    let order = t.place("user-1", &[(&mug, 1)]).await;
    assert!(deliver(&worker, &[&stock_reserved(&order)])
        .await
        .is_empty());
    assert_eq!(
        recorded.metrics(),
        Vec::new(),
        "a reservation is no outcome"
    );
    let paid = payment_succeeded(&order);
    assert!(deliver(&worker, &[&paid, &paid]).await.is_empty());
    assert!(deliver(&worker, &[&paid]).await.is_empty());
    assert_eq!(t.stored(&order).await.status, OrderStatus::Confirmed);
    assert_eq!(recorded.metrics(), [outcome("OrdersConfirmed", None)]);
}

#[tokio::test]
async fn a_rejection_is_counted_once_with_its_reason() {
    let t = TestTable::new().await;
    let mug = t.product("Mug", 1250, "EUR").await;
    let (metrics, recorded) = Metrics::recording(orders::SERVICE);
    let worker = t.worker().with_metrics(metrics);

    let short = t.place("user-1", &[(&mug, 1)]).await;
    let failed = stock_reservation_failed(&short);
    assert!(deliver(&worker, &[&failed]).await.is_empty());
    assert!(deliver(&worker, &[&failed]).await.is_empty());

    let declined = t.place("user-1", &[(&mug, 1)]).await;
    assert!(deliver(&worker, &[&stock_reserved(&declined)])
        .await
        .is_empty());
    assert!(deliver(&worker, &[&payment_failed(&declined)])
        .await
        .is_empty());
    // A late failure of the already rejected order changes nothing and counts nothing.
    assert!(deliver(&worker, &[&payment_failed(&short)])
        .await
        .is_empty());

    assert_eq!(t.stored(&short).await.status, OrderStatus::Rejected);
    assert_eq!(t.stored(&declined).await.status, OrderStatus::Rejected);
    assert_eq!(
        recorded.metrics(),
        [
            outcome("OrdersRejected", Some("out_of_stock")),
            outcome("OrdersRejected", Some("payment_declined")),
        ]
    );
    let line: serde_json::Value = serde_json::from_str(&recorded.lines()[0]).unwrap();
    assert_eq!(
        line["_aws"]["CloudWatchMetrics"][0]["Dimensions"],
        json!([["Service"], ["Service", "Reason"]])
    );
}

#[tokio::test]
async fn a_saga_step_is_one_read_then_one_transaction() {
    let t = TestTable::new().await;
    let mug = t.product("Mug", 1250, "EUR").await;
    let calls = CallLog::default();
    let aws = moto_runner::sdk_config(moto_runner::shared_endpoint()).await;
    let worker = Worker::new(calls.client(&aws), t.name.clone());
    let operations = || -> Vec<String> { calls.take().into_iter().map(|c| c.operation).collect() };

    // A transition: PENDING -> AWAITING_PAYMENT with PaymentRequested and the marker.
    let order = t.place("user-1", &[(&mug, 1)]).await;
    assert!(deliver(&worker, &[&stock_reserved(&order)])
        .await
        .is_empty());
    assert_eq!(t.stored(&order).await.status, OrderStatus::AwaitingPayment);
    assert_eq!(operations(), ["GetItem", "TransactWriteItems"]);

    // A compensation: the cancelled order's stock is released, its status unchanged.
    let cancelled = t.place("user-1", &[(&mug, 1)]).await;
    t.cancel(&cancelled).await;
    assert!(deliver(&worker, &[&stock_reserved(&cancelled)])
        .await
        .is_empty());
    assert_eq!(
        types(&events_about(&t, &cancelled).await),
        ["OrderPlaced", "OrderCancelled", "StockReleaseRequested"]
    );
    assert_eq!(operations(), ["GetItem", "TransactWriteItems"]);
}

#[tokio::test]
async fn a_paid_order_is_confirmed() {
    let t = TestTable::new().await;
    let mug = t.product("Mug", 1250, "EUR").await;
    let worker = t.worker();
    let order = t.place("user-1", &[(&mug, 1)]).await;
    assert!(deliver(&worker, &[&stock_reserved(&order)])
        .await
        .is_empty());
    let paid = payment_succeeded(&order);
    assert!(deliver(&worker, &[&paid, &paid]).await.is_empty());
    assert!(deliver(&worker, &[&paid]).await.is_empty());
    let stored = t.stored(&order).await;
    assert_eq!(stored.status, OrderStatus::Confirmed);
    assert_eq!(stored.status_reason, None);
    let events = events_about(&t, &order).await;
    assert_eq!(
        types(&events),
        ["OrderPlaced", "PaymentRequested", "OrderConfirmed"]
    );
    assert_eq!(events[2].1["total"]["amount"], 1250);
}

#[tokio::test]
async fn an_order_out_of_stock_is_rejected_and_a_late_reservation_changes_nothing() {
    let t = TestTable::new().await;
    let mug = t.product("Mug", 1250, "EUR").await;
    let worker = t.worker();
    let order = t.place("user-1", &[(&mug, 1)]).await;
    assert!(deliver(&worker, &[&stock_reservation_failed(&order)])
        .await
        .is_empty());
    assert!(deliver(&worker, &[&stock_reserved(&order)])
        .await
        .is_empty());
    let stored = t.stored(&order).await;
    assert_eq!(stored.status, OrderStatus::Rejected);
    assert_eq!(stored.status_reason, Some(RejectionReason::OutOfStock));
    let events = events_about(&t, &order).await;
    assert_eq!(types(&events), ["OrderPlaced", "OrderRejected"]);
    assert_eq!(events[1].1["reason"], "out_of_stock");
    assert_eq!(
        events[1].1["total"],
        json!({"amount": 1250, "currency": "EUR"})
    );
}

#[tokio::test]
async fn a_declined_payment_rejects_the_order() {
    let t = TestTable::new().await;
    let mug = t.product("Mug", 1250, "EUR").await;
    let worker = t.worker();
    let order = t.place("user-1", &[(&mug, 1)]).await;
    assert!(deliver(&worker, &[&stock_reserved(&order)])
        .await
        .is_empty());
    assert!(deliver(&worker, &[&payment_failed(&order)])
        .await
        .is_empty());
    let stored = t.stored(&order).await;
    assert_eq!(stored.status, OrderStatus::Rejected);
    assert_eq!(stored.status_reason, Some(RejectionReason::PaymentDeclined));
    let events = events_about(&t, &order).await;
    assert_eq!(
        types(&events),
        ["OrderPlaced", "PaymentRequested", "OrderRejected"]
    );
    assert_eq!(events[2].1["reason"], "payment_declined");
}

#[tokio::test]
async fn stock_reserved_after_a_cancellation_is_released_by_exactly_one_compensation() {
    let t = TestTable::new().await;
    let mug = t.product("Mug", 1250, "EUR").await;
    let worker = t.worker();
    let order = t.place("user-1", &[(&mug, 1)]).await;
    t.cancel(&order).await;
    let late = stock_reserved(&order);
    assert!(deliver(&worker, &[&late, &late]).await.is_empty());
    assert!(deliver(&worker, &[&late]).await.is_empty());
    assert_eq!(t.stored(&order).await.status, OrderStatus::Cancelled);
    let events = events_about(&t, &order).await;
    assert_eq!(
        types(&events),
        ["OrderPlaced", "OrderCancelled", "StockReleaseRequested"],
        "the cancellation once, then one compensation of its own; no payment requested"
    );
    assert_eq!(events[2].1["order_id"], order.id.as_str());
    assert_eq!(events[2].1["user_id"], "user-1");
}

#[tokio::test]
async fn a_payment_after_a_cancellation_is_refunded_and_the_refund_recorded() {
    let t = TestTable::new().await;
    let mug = t.product("Mug", 1250, "EUR").await;
    let worker = t.worker();
    let order = t.place("user-1", &[(&mug, 1)]).await;
    assert!(deliver(&worker, &[&stock_reserved(&order)])
        .await
        .is_empty());
    t.cancel(&order).await;
    let paid = payment_succeeded(&order);
    assert!(deliver(&worker, &[&paid]).await.is_empty());
    assert!(deliver(&worker, &[&paid]).await.is_empty());
    let events = events_about(&t, &order).await;
    assert_eq!(
        types(&events),
        [
            "OrderPlaced",
            "PaymentRequested",
            "OrderCancelled",
            "RefundRequested"
        ]
    );
    assert_eq!(events[2].1["refund"], false, "cancelled before the charge");
    assert_eq!(
        events[3].1["order_id"],
        order.id.as_str(),
        "the late charge is refunded"
    );
    assert_eq!(t.stored(&order).await.refunded_at, None);

    assert!(deliver(&worker, &[&payment_refunded(&order)])
        .await
        .is_empty());
    let stored = t.stored(&order).await;
    assert_eq!(stored.status, OrderStatus::Cancelled);
    assert!(stored.refunded_at.is_some());
    assert_eq!(
        events_about(&t, &order).await.len(),
        4,
        "a refund emits nothing"
    );
}

#[tokio::test]
async fn catalog_events_feed_the_projection_and_unknown_orders_are_ignored() {
    let t = TestTable::new().await;
    let worker = t.worker();
    let id = ProductId::parse(&shared::ids::new_id()).unwrap();
    let created = Envelope::new(
        "products",
        id.as_str(),
        ProductCreated(snapshot(&id, "Lamp", 4000, "ACTIVE", 1)),
    );
    let updated = Envelope::new(
        "products",
        id.as_str(),
        ProductUpdated(snapshot(&id, "Desk Lamp", 4500, "ACTIVE", 2)),
    );
    let deleted = Envelope::new(
        "products",
        id.as_str(),
        ProductDeleted(snapshot(&id, "Desk Lamp", 4500, "ARCHIVED", 3)),
    );
    // Out of order: the update overtakes the creation.
    assert!(deliver(&worker, &[&updated]).await.is_empty());
    assert!(deliver(&worker, &[&created]).await.is_empty());
    let projected = t.projection.get_many(&[&id]).await.unwrap();
    assert_eq!(projected[&id].name, "Desk Lamp");
    assert_eq!(projected[&id].price, eur(4500));
    assert!(deliver(&worker, &[&deleted]).await.is_empty());
    assert!(!t.projection.get_many(&[&id]).await.unwrap()[&id].orderable);

    // Priced but never placed.
    let other = t.product("Vase", 900, "EUR").await;
    let ghost = t.order("user-1", &[(&other, 1)]).await;
    assert!(deliver(&worker, &[&stock_reserved(&ghost)])
        .await
        .is_empty());
    assert_eq!(t.orders.get(&ghost.id).await.unwrap(), None);
    assert!(t.outbox().await.is_empty());
}

fn user_deleted(user_id: &str) -> Envelope<shared::events::users::UserDeleted> {
    Envelope::new(
        "users",
        user_id,
        shared::events::users::UserDeleted {
            user_id: user_id.to_owned(),
            deleted_at: shared::time::now(),
        },
    )
}

#[tokio::test]
async fn a_deleted_users_orders_lose_their_address_and_keep_their_financial_record() {
    let t = TestTable::new().await;
    let worker = t.worker();
    let mug = t.product("Mug", 1250, "EUR").await;
    let theirs = [
        t.place("leaving", &[(&mug, 1)]).await,
        t.place("leaving", &[(&mug, 2)]).await,
        t.place("leaving", &[(&mug, 3)]).await,
    ];
    let others = t.place("staying", &[(&mug, 1)]).await;
    assert!(deliver(&worker, &[&stock_reserved(&theirs[0])])
        .await
        .is_empty());
    let before: Vec<Order> = {
        let mut v = Vec::new();
        for o in &theirs {
            v.push(t.stored(o).await);
        }
        v
    };

    let deleted = user_deleted("leaving");
    assert!(deliver(&worker, &[&deleted]).await.is_empty());
    for (order, was) in theirs.iter().zip(&before) {
        let now = t.stored(order).await;
        assert_eq!(now.shipping_address, None, "{}", order.id.as_str());
        assert!(now.redacted_at.is_some());
        // Everything else is the financial record, kept as it was.
        assert_eq!(
            Order {
                shipping_address: was.shipping_address.clone(),
                redacted_at: None,
                ..now.clone()
            },
            *was
        );
    }
    assert_eq!(
        t.stored(&others).await,
        others,
        "another user's order is untouched"
    );

    // A redelivery, or a second deletion event, keeps the first erasure's time.
    let first = t.stored(&theirs[0]).await.redacted_at;
    assert!(deliver(&worker, &[&deleted, &user_deleted("leaving")])
        .await
        .is_empty());
    assert_eq!(t.stored(&theirs[0]).await.redacted_at, first);

    // The saga goes on after the erasure without bringing the address back.
    assert!(deliver(&worker, &[&payment_succeeded(&theirs[0])])
        .await
        .is_empty());
    let confirmed = t.stored(&theirs[0]).await;
    assert_eq!(confirmed.status, OrderStatus::Confirmed);
    assert_eq!(confirmed.shipping_address, None);
    assert_eq!(confirmed.redacted_at, first);

    // Nothing of the address is left anywhere in the order items.
    let items = t
        .client
        .scan()
        .table_name(&t.name)
        .send()
        .await
        .unwrap()
        .items
        .unwrap_or_default();
    for item in items {
        let is_theirs = item
            .get("user_id")
            .and_then(|v| v.as_s().ok())
            .is_some_and(|u| u == "leaving");
        if is_theirs {
            assert!(!format!("{item:?}").contains("1 Main St"), "{item:?}");
        }
    }
}
