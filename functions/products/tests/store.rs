//! The DynamoDB adapter and the worker against moto, on tables with the template's key
//! schema: catalog writes with their events, listings, stock adjustments, and the
//! reservation rules under duplicates, reordering and concurrency, with refusals counted
//! once each (ReservationFailures).

use aws_sdk_dynamodb::types::AttributeValue;
use products::domain::{
    CatalogChanges, CatalogFields, Category, Description, Price, Product, ProductId, ProductName,
    StockDelta, StockError, StockLevel,
};
use products::store::{AdjustError, CatalogStore, Listing};
use products::worker::Worker;
use products::SERVICE;
use shared::events::orders::{OrderCancelled, OrderLine, OrderPlaced, StockReleaseRequested};
use shared::events::products::{ProductCreated, ProductDeleted, ProductUpdated};
use shared::metrics::{Metrics, RecordedMetric};
use shared::outbox::{ENVELOPE_ATTRIBUTE, OUTBOX_PK_PREFIX};
use shared::store::StoreError;
use shared::{Currency, Envelope, Money};
use stack_model::fixtures::deliver;
use std::sync::Arc;

struct TestTable {
    client: aws_sdk_dynamodb::Client,
    name: String,
    catalog: CatalogStore,
}

impl TestTable {
    async fn new() -> Self {
        let aws = moto_runner::sdk_config(moto_runner::shared_endpoint()).await;
        let client = aws_sdk_dynamodb::Client::new(&aws);
        let name = stack_model::fixtures::create_table(&client, "ProductsTable").await;
        let catalog = CatalogStore::new(client.clone(), name.clone());
        Self {
            client,
            name,
            catalog,
        }
    }

    fn worker(&self) -> Worker {
        Worker::new(self.client.clone(), self.name.clone())
    }

    async fn add(&self, name: &str, category: &str, stock: i64) -> Product {
        let product = Product::create(
            ProductId::generate(),
            CatalogFields {
                name: ProductName::parse(name).unwrap(),
                description: Description::parse("").unwrap(),
                category: Category::parse(category, "category").unwrap(),
                price: Price::parse(1000, "EUR").unwrap(),
            },
            StockLevel::initial(stock).unwrap(),
            shared::time::now(),
        );
        let event = Envelope::new(
            SERVICE,
            product.id.as_str(),
            ProductCreated(product.snapshot()),
        );
        self.catalog.create(&product, &event).await.unwrap();
        product
    }

    async fn stock(&self, p: &Product) -> StockLevel {
        self.catalog.get(&p.id).await.unwrap().unwrap().stock
    }

    /// Every outbox envelope of the table, oldest first.
    async fn outbox(&self) -> Vec<Envelope> {
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

    async fn events_of(&self, event_type: &str) -> Vec<Envelope> {
        self.outbox()
            .await
            .into_iter()
            .filter(|e| e.event_type == event_type)
            .collect()
    }
}

fn eur(amount: u64) -> Money {
    Money::new(amount, Currency::parse("EUR").unwrap())
}

fn placed(order_id: &str, lines: &[(&Product, u32)]) -> Envelope<OrderPlaced> {
    Envelope::new(
        "orders",
        order_id,
        OrderPlaced {
            order_id: order_id.to_owned(),
            user_id: "user-1".to_owned(),
            lines: lines
                .iter()
                .map(|(p, q)| OrderLine {
                    product_id: p.id.as_str().to_owned(),
                    quantity: *q,
                    unit_price: eur(1000),
                })
                .collect(),
            total: eur(1000),
        },
    )
}

fn cancelled(order_id: &str) -> Envelope<OrderCancelled> {
    Envelope::new(
        "orders",
        order_id,
        OrderCancelled {
            order_id: order_id.to_owned(),
            user_id: "user-1".to_owned(),
            total: eur(1000),
            refund: false,
        },
    )
}

#[tokio::test]
async fn a_created_product_reads_back_with_its_event() {
    let t = TestTable::new().await;
    let p = t.add("Espresso Cup", "kitchen", 7).await;
    assert_eq!(t.catalog.get(&p.id).await.unwrap(), Some(p.clone()));
    let created = t.events_of("ProductCreated").await;
    assert_eq!(created.len(), 1);
    assert_eq!(created[0].data["product_id"], p.id.as_str());
    assert_eq!(created[0].data["price"]["amount"], 1000);
}

#[tokio::test]
async fn catalog_edits_are_versioned_and_never_overwrite_stock() {
    let t = TestTable::new().await;
    let p = t.add("Teapot", "kitchen", 5).await;
    // Stock moves after the read the edit is based on.
    t.catalog
        .adjust_stock(&p.id, StockDelta::new(3).unwrap())
        .await
        .unwrap();
    let edited = p.edit(
        CatalogChanges {
            name: Some(ProductName::parse("Big Teapot").unwrap()),
            ..CatalogChanges::default()
        },
        shared::time::now(),
    );
    let event = Envelope::new(SERVICE, p.id.as_str(), ProductUpdated(edited.snapshot()));
    t.catalog
        .save_catalog(&edited, p.version, &event)
        .await
        .unwrap();
    let stored = t.catalog.get(&p.id).await.unwrap().unwrap();
    assert_eq!(stored.name.as_str(), "Big Teapot");
    assert_eq!(stored.version.get(), 2);
    assert_eq!(
        stored.stock.available, 8,
        "the edit must not write stock back"
    );

    // The same edit based on the old version is refused and changes nothing.
    let stale = t.catalog.save_catalog(&edited, p.version, &event).await;
    assert!(
        matches!(stale, Err(StoreError::ConditionFailed)),
        "{stale:?}"
    );
    assert_eq!(t.events_of("ProductUpdated").await.len(), 1);
}

#[tokio::test]
async fn archived_products_leave_the_listings_and_cannot_be_edited() {
    let t = TestTable::new().await;
    let category = format!("arch-{}", &stack_model::fixtures::unique_name("c")[22..]);
    let keep = t.add("Kept", &category, 1).await;
    let gone = t.add("Gone", &category, 1).await;
    let archived = gone.archive(shared::time::now());
    let event = Envelope::new(
        SERVICE,
        gone.id.as_str(),
        ProductDeleted(archived.snapshot()),
    );
    t.catalog
        .archive(&archived, gone.version, &event)
        .await
        .unwrap();
    let listing = Listing {
        category: Some(Category::parse(&category, "category").unwrap()),
        name_contains: None,
    };
    let (items, next) = t.catalog.list(&listing, 10, None).await.unwrap();
    assert_eq!(
        items.iter().map(|p| p.id.clone()).collect::<Vec<_>>(),
        vec![keep.id]
    );
    assert!(next.is_none());
    let again = t.catalog.archive(&archived, gone.version, &event).await;
    assert!(matches!(again, Err(StoreError::ConditionFailed)));
    assert_eq!(
        t.events_of("ProductDeleted").await[0].data["status"],
        "ARCHIVED"
    );
}

#[tokio::test]
async fn listings_are_alphabetical_paged_and_searchable() {
    let t = TestTable::new().await;
    let category = "paging";
    for name in [
        "delta Lamp",
        "Alpha lamp",
        "Charlie Chair",
        "bravo LAMP",
        "Echo Desk",
    ] {
        t.add(name, category, 1).await;
    }
    t.add("Other Lamp", "elsewhere", 1).await;
    let listing = Listing {
        category: Some(Category::parse(category, "category").unwrap()),
        name_contains: None,
    };
    let mut names = Vec::new();
    let mut start = None;
    loop {
        let (items, next) = t.catalog.list(&listing, 2, start).await.unwrap();
        assert!(items.len() <= 2);
        names.extend(items.into_iter().map(|p| p.name.as_str().to_owned()));
        match next {
            Some(k) => start = Some(k),
            None => break,
        }
    }
    assert_eq!(
        names,
        [
            "Alpha lamp",
            "bravo LAMP",
            "Charlie Chair",
            "delta Lamp",
            "Echo Desk"
        ]
    );
    let search = Listing {
        category: Some(Category::parse(category, "category").unwrap()),
        name_contains: Some("lamp".to_owned()),
    };
    let (items, next) = t.catalog.list(&search, 10, None).await.unwrap();
    let found: Vec<_> = items.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(found, ["Alpha lamp", "bravo LAMP", "delta Lamp"]);
    assert!(next.is_none());
}

#[tokio::test]
async fn stock_adjustments_stay_in_range_and_skip_archived_products() {
    let t = TestTable::new().await;
    let p = t.add("Kettle", "kitchen", 2).await;
    let level = t
        .catalog
        .adjust_stock(&p.id, StockDelta::new(-2).unwrap())
        .await
        .unwrap();
    assert_eq!(
        level,
        StockLevel {
            available: 0,
            reserved: 0
        }
    );
    let refused = t
        .catalog
        .adjust_stock(&p.id, StockDelta::new(-1).unwrap())
        .await;
    assert!(
        matches!(
            refused,
            Err(AdjustError::Refused(StockError::Insufficient {
                available: 0
            }))
        ),
        "{refused:?}"
    );
    let unknown = t
        .catalog
        .adjust_stock(&ProductId::generate(), StockDelta::new(1).unwrap())
        .await;
    assert!(matches!(unknown, Err(AdjustError::NotFound)), "{unknown:?}");
    assert_eq!(t.stock(&p).await.available, 0);
}

#[tokio::test]
async fn an_order_is_reserved_once_however_often_it_is_delivered() {
    let t = TestTable::new().await;
    let (a, b) = (
        t.add("A", "kitchen", 100).await,
        t.add("B", "kitchen", 100).await,
    );
    let (metrics, recorded) = Metrics::recording(SERVICE);
    let worker = t.worker().with_metrics(metrics);
    // Order n is delivered n times (1 to 5): up to two copies in one batch, the rest in
    // batches of their own.
    for copies in 1..=5usize {
        let order = placed(
            &format!("order-once-{copies}"),
            &[(&a, 2), (&b, 3), (&a, 1)],
        );
        let in_one_batch = copies.min(2);
        assert!(deliver(&worker, &vec![&order; in_one_batch][..])
            .await
            .is_empty());
        for _ in in_one_batch..copies {
            assert!(deliver(&worker, &[&order]).await.is_empty());
        }
    }
    let each_reserved_once = StockLevel {
        available: 100 - 5 * 3,
        reserved: 5 * 3,
    };
    assert_eq!(t.stock(&a).await, each_reserved_once);
    assert_eq!(t.stock(&b).await, each_reserved_once);
    let reserved = t.events_of("StockReserved").await;
    let mut orders: Vec<&str> = reserved.iter().map(|e| e.correlation_id.as_str()).collect();
    orders.sort_unstable();
    assert_eq!(
        orders,
        [
            "order-once-1",
            "order-once-2",
            "order-once-3",
            "order-once-4",
            "order-once-5"
        ]
    );
    assert!(
        reserved
            .iter()
            .all(|e| e.data["lines"].as_array().map(Vec::len) == Some(2)),
        "lines merged per product"
    );
    assert_eq!(
        recorded.lines(),
        Vec::<String>::new(),
        "nothing was refused"
    );
}

#[tokio::test]
async fn a_short_line_reserves_nothing_names_every_shortage_and_counts_once() {
    let t = TestTable::new().await;
    let (a, b) = (
        t.add("A", "kitchen", 5).await,
        t.add("B", "kitchen", 1).await,
    );
    let ghost = ProductId::generate();
    let mut order = placed("order-short", &[(&a, 2), (&b, 3)]);
    order.data.lines.push(OrderLine {
        product_id: ghost.as_str().to_owned(),
        quantity: 1,
        unit_price: eur(1),
    });
    let (metrics, recorded) = Metrics::recording(SERVICE);
    let worker = t.worker().with_metrics(metrics);
    assert!(deliver(&worker, &[&order, &order]).await.is_empty());
    assert!(deliver(&worker, &[&order]).await.is_empty());
    assert_eq!(
        recorded.metrics(),
        [RecordedMetric {
            name: "ReservationFailures".into(),
            service: "products".into(),
            reason: None,
            count: 1,
        }],
        "one refusal, one count, whatever the redeliveries"
    );
    assert_eq!(
        t.stock(&a).await,
        StockLevel {
            available: 5,
            reserved: 0
        }
    );
    assert_eq!(
        t.stock(&b).await,
        StockLevel {
            available: 1,
            reserved: 0
        }
    );
    let failed = t.events_of("StockReservationFailed").await;
    assert_eq!(failed.len(), 1);
    let mut shortages = failed[0].data["shortages"].as_array().unwrap().clone();
    shortages.sort_by_key(|s| s["requested"].as_u64());
    assert_eq!(shortages.len(), 2);
    assert_eq!(shortages[0]["product_id"], ghost.as_str());
    assert_eq!(shortages[0]["available"], 0);
    assert_eq!(shortages[1]["product_id"], b.id.as_str());
    assert_eq!(shortages[1]["available"], 1);
    assert!(t.events_of("StockReserved").await.is_empty());
}

#[tokio::test]
async fn releases_happen_once_and_a_cancellation_that_overtakes_the_placement_wins() {
    let t = TestTable::new().await;
    let a = t.add("A", "kitchen", 4).await;
    let worker = t.worker();

    let order = placed("order-released", &[(&a, 3)]);
    let cancel = cancelled("order-released");
    assert!(deliver(&worker, &[&order]).await.is_empty());
    assert!(deliver(&worker, &[&cancel, &cancel]).await.is_empty());
    // A second, distinct release event for the same order (OrderRejected after
    // OrderCancelled, say) finds nothing held.
    assert!(deliver(&worker, &[&cancelled("order-released")])
        .await
        .is_empty());
    assert_eq!(
        t.stock(&a).await,
        StockLevel {
            available: 4,
            reserved: 0
        }
    );
    assert_eq!(t.events_of("StockReleased").await.len(), 1);

    // Cancelled before it was placed: the late placement reserves nothing.
    let early_cancel = cancelled("order-reordered");
    let late_order = placed("order-reordered", &[(&a, 1)]);
    assert!(deliver(&worker, &[&early_cancel]).await.is_empty());
    assert!(deliver(&worker, &[&late_order]).await.is_empty());
    assert_eq!(
        t.stock(&a).await,
        StockLevel {
            available: 4,
            reserved: 0
        }
    );
    assert_eq!(t.events_of("StockReserved").await.len(), 1);
    assert_eq!(t.events_of("StockReleased").await.len(), 1);
}

#[tokio::test]
async fn a_release_request_frees_a_late_reservation_once() {
    let t = TestTable::new().await;
    let a = t.add("A", "kitchen", 4).await;
    let worker = t.worker();
    let order = placed("order-late", &[(&a, 2)]);
    assert!(deliver(&worker, &[&order]).await.is_empty());
    let release = Envelope::new(
        "orders",
        "order-late",
        StockReleaseRequested {
            order_id: "order-late".to_owned(),
            user_id: "user-1".to_owned(),
        },
    );
    assert!(deliver(&worker, &[&release, &release]).await.is_empty());
    // The cancellation it compensates for, arriving after it, finds nothing held.
    assert!(deliver(&worker, &[&cancelled("order-late")])
        .await
        .is_empty());
    assert_eq!(
        t.stock(&a).await,
        StockLevel {
            available: 4,
            reserved: 0
        }
    );
    assert_eq!(t.events_of("StockReleased").await.len(), 1);
}

#[tokio::test]
async fn concurrent_orders_never_oversell() {
    let t = TestTable::new().await;
    let a = t.add("Scarce", "kitchen", 10).await;
    let worker = Arc::new(t.worker());
    let orders: Vec<_> = (0..40)
        .map(|i| placed(&format!("race-{i}"), &[(&a, 1)]))
        .collect();
    let mut tasks = Vec::new();
    for order in orders {
        let worker = Arc::clone(&worker);
        tasks.push(tokio::spawn(async move {
            deliver(worker.as_ref(), &[&order]).await
        }));
    }
    for task in tasks {
        assert!(task.await.unwrap().is_empty());
    }
    assert_eq!(
        t.stock(&a).await,
        StockLevel {
            available: 0,
            reserved: 10
        }
    );
    assert_eq!(t.events_of("StockReserved").await.len(), 10);
    assert_eq!(t.events_of("StockReservationFailed").await.len(), 30);
}
