//! notifications-worker against moto, on a table made from the template's
//! NotificationsTable: one inbox entry per event however often it is delivered, the
//! inbox in event-time order whatever the delivery order, a deleted user erased for good,
//! and delivery through moto's SES v2 (sent, refused) or
//! through no channel at all (skipped).

use aws_sdk_dynamodb::types::AttributeValue;
use notifications::channel::{Channel, DisabledChannel, SesChannel};
use notifications::domain::{
    ChannelKind, DeliveryStatus, Email, InboxEntry, NotificationType, UserId,
};
use notifications::store::{ContactStore, InboxStore, Recipient};
use notifications::worker::Worker;
use serde_json::Value;
use shared::events::orders::{OrderCancelled, OrderConfirmed, OrderRejected};
use shared::events::payments::PaymentRefunded;
use shared::events::users::{UserDeleted, UserRegistered};
use shared::{Currency, Envelope, Event, Money};
use stack_model::fixtures::deliver;

struct TestTable {
    client: aws_sdk_dynamodb::Client,
    name: String,
    inbox: InboxStore,
    contacts: ContactStore,
}

impl TestTable {
    async fn new() -> Self {
        let aws = moto_runner::sdk_config(moto_runner::shared_endpoint()).await;
        let client = aws_sdk_dynamodb::Client::new(&aws);
        let name = stack_model::fixtures::create_table(&client, "NotificationsTable").await;
        Self {
            inbox: InboxStore::new(client.clone(), name.clone()),
            contacts: ContactStore::new(client.clone(), name.clone()),
            client,
            name,
        }
    }

    fn worker<C: Channel>(&self, channel: C) -> Worker<C> {
        Worker::new(self.client.clone(), self.name.clone(), channel)
    }

    /// The user's whole inbox, newest first, as the API reads it.
    async fn inbox(&self, user: &str) -> Vec<InboxEntry> {
        let (entries, _) = self.inbox.list(user, 100, None).await.unwrap();
        entries
    }

    /// The sort keys of every item in the user's partition.
    async fn partition(&self, user: &str) -> Vec<String> {
        let out = self
            .client
            .query()
            .table_name(&self.name)
            .key_condition_expression("PK = :pk")
            .expression_attribute_values(":pk", AttributeValue::S(format!("USER#{user}")))
            .consistent_read(true)
            .send()
            .await
            .unwrap();
        out.items
            .unwrap_or_default()
            .iter()
            .map(|item| item["SK"].as_s().unwrap().clone())
            .collect()
    }

    /// How many processed markers of `event_id` there are.
    async fn markers(&self, event_id: &str) -> usize {
        let out = self
            .client
            .query()
            .table_name(&self.name)
            .key_condition_expression("PK = :pk")
            .expression_attribute_values(":pk", AttributeValue::S(format!("EVENT#{event_id}")))
            .consistent_read(true)
            .send()
            .await
            .unwrap();
        out.items.unwrap_or_default().len()
    }

    async fn recipient(&self, user: &str) -> Recipient {
        self.contacts
            .recipient(&UserId::parse(user).unwrap())
            .await
            .unwrap()
    }
}

fn raw<T: Event>(envelope: Envelope<T>) -> Envelope {
    envelope.to_raw().unwrap()
}

/// The same event, as if it had happened at `time` (RFC 3339).
fn at(mut envelope: Envelope, time: &str) -> Envelope {
    envelope.time = shared::time::parse_rfc3339(time).unwrap();
    envelope
}

fn eur(amount: u64) -> Money {
    Money::new(amount, Currency::parse("EUR").unwrap())
}

fn unique_email() -> String {
    format!(
        "{}@example.com",
        stack_model::fixtures::unique_name("buyer")
    )
}

fn registered(user: &str, email: &str, name: &str) -> Envelope {
    raw(Envelope::new(
        "users",
        user,
        UserRegistered {
            user_id: user.to_owned(),
            email: email.to_owned(),
            name: name.to_owned(),
            registered_at: shared::time::now(),
        },
    ))
}

fn deleted(user: &str) -> Envelope {
    raw(Envelope::new(
        "users",
        user,
        UserDeleted {
            user_id: user.to_owned(),
            deleted_at: shared::time::now(),
        },
    ))
}

fn confirmed(user: &str, order: &str) -> Envelope {
    raw(Envelope::new(
        "orders",
        order,
        OrderConfirmed {
            order_id: order.to_owned(),
            user_id: user.to_owned(),
            total: eur(99800),
        },
    ))
}

fn rejected(user: &str, order: &str) -> Envelope {
    raw(Envelope::new(
        "orders",
        order,
        OrderRejected {
            order_id: order.to_owned(),
            user_id: user.to_owned(),
            total: eur(99800),
            reason: "out_of_stock".to_owned(),
        },
    ))
}

fn cancelled(user: &str, order: &str) -> Envelope {
    raw(Envelope::new(
        "orders",
        order,
        OrderCancelled {
            order_id: order.to_owned(),
            user_id: user.to_owned(),
            total: eur(99800),
            refund: true,
        },
    ))
}

fn refunded(user: &str, order: &str) -> Envelope {
    raw(Envelope::new(
        "payments",
        order,
        PaymentRefunded {
            order_id: order.to_owned(),
            user_id: user.to_owned(),
            payment_id: shared::ids::new_id(),
            amount: eur(1250),
        },
    ))
}

/// (type, subject) of each entry, in inbox order.
fn kinds_and_subjects(entries: &[InboxEntry]) -> Vec<(NotificationType, String)> {
    entries
        .iter()
        .map(|e| (e.message.kind, e.message.subject.clone()))
        .collect()
}

#[tokio::test]
async fn every_event_makes_one_entry_however_often_it_is_delivered() {
    let t = TestTable::new().await;
    let worker = t.worker(DisabledChannel);
    let user = shared::ids::new_id();
    let [o1, o2, o3, o4] = std::array::from_fn(|_| shared::ids::new_id());
    let events = [
        at(
            registered(&user, &unique_email(), "Alice"),
            "2026-01-15T10:00:00.000Z",
        ),
        at(confirmed(&user, &o1), "2026-01-15T10:01:00.000Z"),
        at(rejected(&user, &o2), "2026-01-15T10:02:00.000Z"),
        at(cancelled(&user, &o3), "2026-01-15T10:03:00.000Z"),
        at(refunded(&user, &o4), "2026-01-15T10:04:00.000Z"),
    ];
    // Event n is delivered n % 3 + 1 times: twice in one batch, the rest alone.
    for (n, event) in events.iter().enumerate() {
        let copies = n % 3 + 1;
        let in_one_batch = copies.min(2);
        assert!(deliver(&worker, &vec![event; in_one_batch])
            .await
            .is_empty());
        for _ in in_one_batch..copies {
            assert!(deliver(&worker, &[event]).await.is_empty());
        }
    }
    // And all of them once more, together.
    let again: Vec<&Envelope> = events.iter().collect();
    assert!(deliver(&worker, &again).await.is_empty());

    let inbox = t.inbox(&user).await;
    assert_eq!(
        kinds_and_subjects(&inbox),
        vec![
            (
                NotificationType::PaymentRefunded,
                format!("Refund of 12.50 EUR for order {o4}")
            ),
            (
                NotificationType::OrderCancelled,
                format!("Your order {o3} is cancelled")
            ),
            (
                NotificationType::OrderRejected,
                format!("Your order {o2} could not be completed")
            ),
            (
                NotificationType::OrderConfirmed,
                format!("Your order {o1} is confirmed")
            ),
            (NotificationType::Welcome, "Welcome to crabcart".to_owned()),
        ]
    );
    for (entry, event) in inbox.iter().zip(events.iter().rev()) {
        assert_eq!(entry.id.as_str(), event.id);
        assert_eq!(entry.created_at, event.time);
        assert_eq!(
            (entry.delivery.channel, entry.delivery.status),
            (ChannelKind::None, DeliveryStatus::Skipped),
            "no sender configured: nothing sent, nothing failed"
        );
        assert_eq!(t.markers(&event.id).await, 1);
    }
    assert!(
        inbox[1].message.body.starts_with("Hi Alice,"),
        "the registration's name greets: {}",
        inbox[1].message.body
    );
    assert!(
        matches!(t.recipient(&user).await, Recipient::Known(c) if c.name.as_deref() == Some("Alice"))
    );
}

#[tokio::test]
async fn the_inbox_is_in_event_time_order_whatever_the_delivery_order() {
    let t = TestTable::new().await;
    let worker = t.worker(DisabledChannel);
    let user = shared::ids::new_id();
    let order = shared::ids::new_id();
    let confirmed_at = at(confirmed(&user, &order), "2026-01-15T10:20:31.000Z");
    let cancelled_at = at(cancelled(&user, &order), "2026-01-15T10:21:02.456Z");
    let refunded_at = at(refunded(&user, &order), "2026-01-15T10:21:03.000Z");
    for event in [&refunded_at, &confirmed_at, &cancelled_at] {
        assert!(deliver(&worker, &[event]).await.is_empty());
    }
    let inbox = t.inbox(&user).await;
    let times: Vec<String> = inbox
        .iter()
        .map(|e| shared::time::rfc3339(&e.created_at))
        .collect();
    assert_eq!(
        times,
        [
            "2026-01-15T10:21:03.000Z",
            "2026-01-15T10:21:02.456Z",
            "2026-01-15T10:20:31.000Z"
        ]
    );
    let kinds: Vec<NotificationType> = inbox.iter().map(|e| e.message.kind).collect();
    assert_eq!(
        kinds,
        [
            NotificationType::PaymentRefunded,
            NotificationType::OrderCancelled,
            NotificationType::OrderConfirmed
        ]
    );
    // Registered later than its orders arrived (or never): entries were still stored,
    // greeting no one by name.
    assert!(inbox[0].message.body.starts_with("Hello,"));
    assert_eq!(t.recipient(&user).await, Recipient::Unknown);
}

#[tokio::test]
async fn a_deleted_user_is_erased_and_late_events_create_nothing() {
    let t = TestTable::new().await;
    let worker = t.worker(DisabledChannel);
    let (user, bystander) = (shared::ids::new_id(), shared::ids::new_id());
    let registration = registered(&user, &unique_email(), "Alice");
    let order = shared::ids::new_id();
    for event in [
        &registration,
        &confirmed(&user, &order),
        &cancelled(&user, &order),
        &registered(&bystander, &unique_email(), "Bob"),
    ] {
        assert!(deliver(&worker, &[event]).await.is_empty());
    }
    assert_eq!(
        t.partition(&user).await.len(),
        4,
        "contact and three entries"
    );

    let deletion = deleted(&user);
    assert!(deliver(&worker, &[&deletion, &deletion]).await.is_empty());
    assert!(
        deliver(&worker, &[&deletion]).await.is_empty(),
        "idempotent"
    );
    assert_eq!(
        t.partition(&user).await,
        ["DELETED"],
        "only the tombstone is left"
    );
    assert_eq!(t.recipient(&user).await, Recipient::Deleted);

    // Late: a redelivered registration and an order event that had not arrived yet.
    let late_refund = refunded(&user, &order);
    assert!(deliver(&worker, &[&registration, &late_refund])
        .await
        .is_empty());
    assert_eq!(t.partition(&user).await, ["DELETED"]);
    assert!(t.inbox(&user).await.is_empty());
    assert_eq!(t.markers(&late_refund.id).await, 0, "nothing recorded");

    assert_eq!(
        t.inbox(&bystander).await.len(),
        1,
        "other users are untouched"
    );
}

#[tokio::test]
async fn events_that_name_no_user_or_order_fail_and_store_nothing() {
    let t = TestTable::new().await;
    let worker = t.worker(DisabledChannel);
    let user = shared::ids::new_id();
    let bad_order = confirmed(&user, "order-1");
    let bad_user = confirmed("USER#x", &shared::ids::new_id());
    let good = confirmed(&user, &shared::ids::new_id());
    let failed = deliver(&worker, &[&bad_order, &good, &bad_user]).await;
    assert_eq!(failed, ["m0", "m2"]);
    assert_eq!(t.inbox(&user).await.len(), 1);
}

// ------------------------------------------------------------------- SES channel

/// Every email moto's SES has accepted to `to`, as (from, subject, body).
async fn emails_to(to: &str) -> Vec<(String, String, String)> {
    let url = format!("{}/moto-api/data.json", moto_runner::shared_endpoint());
    let data: Value = reqwest::get(url).await.unwrap().json().await.unwrap();
    data["ses"]["Message"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .filter(|m| {
            m["destinations"]["ToAddresses"]
                .as_array()
                .is_some_and(|a| a.iter().any(|v| v == to))
        })
        .map(|m| {
            let text = |k: &str| m[k].as_str().unwrap_or_default().to_owned();
            (text("source"), text("subject"), text("body"))
        })
        .collect()
}

/// An SES channel sending from a fresh sender; verified in moto's SES when `verified`.
async fn ses_channel(verified: bool) -> (SesChannel, String) {
    let aws = moto_runner::sdk_config(moto_runner::shared_endpoint()).await;
    let ses = aws_sdk_sesv2::Client::new(&aws);
    let sender = format!(
        "{}@shop.example.com",
        stack_model::fixtures::unique_name("noreply")
    );
    if verified {
        ses.create_email_identity()
            .email_identity(&sender)
            .send()
            .await
            .unwrap();
    }
    let channel = SesChannel::new(ses, Email::parse(&sender).unwrap());
    (channel, sender)
}

#[tokio::test]
async fn email_goes_through_ses_once_per_event_to_the_users_address() {
    let t = TestTable::new().await;
    let (channel, sender) = ses_channel(true).await;
    let worker = t.worker(channel);
    let user = shared::ids::new_id();
    let email = unique_email();
    let order = shared::ids::new_id();
    let registration = registered(&user, &email, "Alice");
    let confirmation = confirmed(&user, &order);
    assert!(deliver(&worker, &[&registration]).await.is_empty());
    assert!(deliver(&worker, &[&confirmation, &confirmation])
        .await
        .is_empty());
    assert!(deliver(&worker, &[&confirmation, &registration])
        .await
        .is_empty());

    let mut sent = emails_to(&email).await;
    sent.sort();
    let subjects: Vec<&str> = sent.iter().map(|(_, s, _)| s.as_str()).collect();
    let mut expected = vec![
        "Welcome to crabcart".to_owned(),
        format!("Your order {order} is confirmed"),
    ];
    expected.sort();
    assert_eq!(
        subjects, expected,
        "one email per event, redeliveries send none"
    );
    assert!(sent.iter().all(|(from, _, _)| *from == sender));
    let (_, _, body) = sent.iter().find(|(_, s, _)| s.contains(&order)).unwrap();
    assert!(body.contains("we charged 998.00 EUR"), "{body}");

    let inbox = t.inbox(&user).await;
    assert_eq!(inbox.len(), 2);
    for entry in &inbox {
        assert_eq!(
            (entry.delivery.channel, entry.delivery.status),
            (ChannelKind::Email, DeliveryStatus::Sent)
        );
    }
}

#[tokio::test]
async fn a_refused_email_is_recorded_failed_and_the_entry_is_kept() {
    let t = TestTable::new().await;
    let (channel, _) = ses_channel(false).await;
    let worker = t.worker(channel);
    let user = shared::ids::new_id();
    let email = unique_email();
    assert!(deliver(&worker, &[&registered(&user, &email, "Alice")])
        .await
        .is_empty());
    let inbox = t.inbox(&user).await;
    assert_eq!(inbox.len(), 1);
    assert_eq!(inbox[0].message.kind, NotificationType::Welcome);
    assert_eq!(
        (inbox[0].delivery.channel, inbox[0].delivery.status),
        (ChannelKind::Email, DeliveryStatus::Failed),
        "moto's SES refuses an unverified sender"
    );
    assert!(emails_to(&email).await.is_empty());
}

#[tokio::test]
async fn without_an_address_on_file_the_entry_is_stored_and_no_email_sent() {
    let t = TestTable::new().await;
    let (channel, _) = ses_channel(true).await;
    let worker = t.worker(channel);
    let user = shared::ids::new_id();
    assert!(
        deliver(&worker, &[&rejected(&user, &shared::ids::new_id())])
            .await
            .is_empty()
    );
    let inbox = t.inbox(&user).await;
    assert_eq!(inbox.len(), 1);
    assert_eq!(
        (inbox[0].delivery.channel, inbox[0].delivery.status),
        (ChannelKind::Email, DeliveryStatus::Skipped)
    );
}

#[tokio::test]
async fn a_notice_reads_in_one_round_then_writes_once_and_a_redelivery_writes_nothing() {
    let table = TestTable::new().await;
    let calls = moto_runner::call_log::CallLog::default();
    let aws = moto_runner::sdk_config(moto_runner::shared_endpoint()).await;
    let worker = Worker::new(calls.client(&aws), table.name.clone(), DisabledChannel);
    let user = shared::ids::new_id();
    assert!(
        deliver(&worker, &[&registered(&user, &unique_email(), "Ada")])
            .await
            .is_empty()
    );
    calls.take();

    let event = confirmed(&user, &shared::ids::new_id());
    assert!(deliver(&worker, &[&event]).await.is_empty());
    let made = calls.take();
    let operations: Vec<&str> = made.iter().map(|c| c.operation.as_str()).collect();
    // The tombstone, the contact and the entry are read together; then one transaction.
    assert_eq!(
        operations,
        ["GetItem", "GetItem", "GetItem", "TransactWriteItems"],
        "{made:#?}"
    );
    assert_eq!(
        moto_runner::call_log::sequential_depth(&made),
        2,
        "{made:#?}"
    );

    assert!(deliver(&worker, &[&event]).await.is_empty());
    let again = calls.take();
    assert!(
        again.iter().all(|c| c.operation == "GetItem"),
        "a redelivery only reads: {again:#?}"
    );
    assert_eq!(
        moto_runner::call_log::sequential_depth(&again),
        1,
        "{again:#?}"
    );
    assert_eq!(
        table.inbox(&user).await.len(),
        2,
        "welcome and confirmation"
    );
}
