//! The orders adapter, the shared idempotency records, the worker and the API against
//! moto, on tables with the template's key schema: orders placed with their event and
//! their completed key in one transaction, every idempotency outcome, the price
//! projection, and the saga under duplicates, reordering and cancellation.

mod support;

use orders::domain::{OrderStatus, ProductId};
use orders::store::OrderListing;
use shared::idempotency::{Claimed, Fingerprint, IdempotencyKey, IdempotencyStore};
use shared::store::StoreError;
use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;
use support::{answer, eur, snapshot, TestTable};

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
