//! Fixtures for the orders adapter tests: an orders table on the shared moto, built from
//! template.yaml (see stack_model::fixtures), with a catalog projection to price from.

// Each test binary includes this module and uses only part of it.
#![allow(dead_code)]

use aws_sdk_dynamodb::types::AttributeValue;
use orders::domain::{decide, price, Checkout, Order, OrderId, ProductId, Reaction, SagaInput};
use orders::store::{OrderStore, PriceProjection};
use orders::worker::Worker;
use shared::events::products::ProductSnapshot;
use shared::idempotency::StoredResponse;
use shared::idempotency::{Claimed, Fingerprint, IdempotencyKey, IdempotencyStore, Policy};
use shared::outbox::{ENVELOPE_ATTRIBUTE, OUTBOX_PK_PREFIX};
use shared::{Currency, Envelope, Money};
use std::time::Duration;

pub use stack_model::fixtures::deliver;

/// An orders table of its own, with the stores over it.
pub struct TestTable {
    pub client: aws_sdk_dynamodb::Client,
    pub name: String,
    pub orders: OrderStore,
    pub projection: PriceProjection,
    pub idempotency: IdempotencyStore,
}

impl TestTable {
    /// A fresh table like the template's `OrdersTable`.
    pub async fn new() -> Self {
        let aws = moto_runner::sdk_config(moto_runner::shared_endpoint()).await;
        let client = aws_sdk_dynamodb::Client::new(&aws);
        let name = stack_model::fixtures::create_table(&client, "OrdersTable").await;
        Self {
            orders: OrderStore::new(client.clone(), name.clone()),
            projection: PriceProjection::new(client.clone(), name.clone()),
            idempotency: IdempotencyStore::new(client.clone(), name.clone()),
            client,
            name,
        }
    }

    /// A worker over this table.
    pub fn worker(&self) -> Worker {
        Worker::new(self.client.clone(), self.name.clone())
    }

    /// Idempotency records of this table with another lease and retention.
    pub fn idempotency_with(&self, lease: Duration, retention: Duration) -> IdempotencyStore {
        IdempotencyStore::new(self.client.clone(), self.name.clone())
            .with_policy(Policy { lease, retention })
    }

    /// A new active product in the projection, at catalog version 1.
    pub async fn product(&self, name: &str, amount: u64, currency: &str) -> ProductId {
        let id = ProductId::parse(&shared::ids::new_id()).unwrap();
        let mut snap = snapshot(&id, name, amount, "ACTIVE", 1);
        snap.price = Money::new(amount, Currency::parse(currency).unwrap());
        assert!(self.projection.apply(&snap).await.unwrap());
        id
    }

    /// A PENDING order of `user`, priced from the projection but not stored.
    pub async fn order(&self, user: &str, lines: &[(&ProductId, u32)]) -> Order {
        let request: orders::api::CheckoutBody = serde_json::from_value(serde_json::json!({
            "items": lines
                .iter()
                .map(|(id, q)| serde_json::json!({"product_id": id.as_str(), "quantity": q}))
                .collect::<Vec<_>>(),
            "payment_method": "pm_card_visa",
            "shipping_address": {
                "name": "Ada", "line1": "1 Main St", "city": "Berlin",
                "postal_code": "10115", "country": "DE"
            }
        }))
        .unwrap();
        let checkout = Checkout::try_from(&request).unwrap();
        let ids: Vec<&ProductId> = checkout.lines.iter().map(|l| &l.product_id).collect();
        let catalog = self.projection.get_many(&ids).await.unwrap();
        let priced = price(&checkout.lines, &catalog).unwrap();
        Order::place(
            OrderId::generate(),
            user,
            checkout,
            priced,
            shared::time::now(),
        )
    }

    /// A PENDING order of `user`, placed under a fresh idempotency key.
    pub async fn place(&self, user: &str, lines: &[(&ProductId, u32)]) -> Order {
        let order = self.order(user, lines).await;
        let key = IdempotencyKey::from_header(Some(order.id.as_str())).unwrap();
        let claim = match self
            .idempotency
            .claim(user, &key, &Fingerprint::of_body(b"{}"))
            .await
            .unwrap()
        {
            Claimed::Acquired(claim) => claim,
            other => panic!("fresh key not acquired: {other:?}"),
        };
        let completion = self
            .idempotency
            .completion(&claim, &answer(&order))
            .unwrap();
        self.orders.place(&order, completion).await.unwrap();
        order
    }

    /// Cancels `order` as its owner would, returning the cancelled order.
    pub async fn cancel(&self, order: &Order) -> Order {
        let current = self.orders.get(&order.id).await.unwrap().unwrap();
        let Reaction::Transition { to, reason, emit } =
            decide(current.status, SagaInput::CancelRequested)
        else {
            panic!("{} cannot be cancelled", current.status);
        };
        let next = current.transitioned(to, reason, shared::time::now());
        self.orders
            .transition(&current, &next, emit, None)
            .await
            .unwrap();
        next
    }

    /// The order as stored now.
    pub async fn stored(&self, order: &Order) -> Order {
        self.orders.get(&order.id).await.unwrap().unwrap()
    }

    /// Every outbox envelope of the table, oldest first.
    pub async fn outbox(&self) -> Vec<Envelope> {
        let out = self
            .client
            .scan()
            .table_name(&self.name)
            .filter_expression("begins_with(PK, :p)")
            .expression_attribute_values(":p", AttributeValue::S(OUTBOX_PK_PREFIX.to_owned()))
            .consistent_read(true)
            .send()
            .await
            .unwrap();
        let mut events: Vec<Envelope> = out
            .items
            .unwrap_or_default()
            .iter()
            .map(|item| Envelope::parse(item[ENVELOPE_ATTRIBUTE].as_s().unwrap()).unwrap())
            .collect();
        events.sort_by(|a, b| a.id.cmp(&b.id));
        events
    }

    /// The outbox envelopes of one type, oldest first.
    pub async fn events_of(&self, event_type: &str) -> Vec<Envelope> {
        self.outbox()
            .await
            .into_iter()
            .filter(|e| e.event_type == event_type)
            .collect()
    }
}

/// The stored answer of a placed order, as the API would store it.
pub fn answer(order: &Order) -> StoredResponse {
    StoredResponse::created(
        &format!("/v1/orders/{}", order.id.as_str()),
        &serde_json::json!({"id": order.id.as_str()}),
    )
    .unwrap()
}

/// Euros in minor units.
pub fn eur(amount: u64) -> Money {
    Money::new(amount, Currency::parse("EUR").unwrap())
}

/// A catalog snapshot as products publishes it.
pub fn snapshot(
    id: &ProductId,
    name: &str,
    amount: u64,
    status: &str,
    version: u64,
) -> ProductSnapshot {
    ProductSnapshot {
        product_id: id.as_str().to_owned(),
        name: name.to_owned(),
        price: eur(amount),
        category: "kitchen".to_owned(),
        status: status.to_owned(),
        version,
    }
}
