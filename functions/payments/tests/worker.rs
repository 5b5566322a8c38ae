//! payments-worker against moto, on a table made from the template's PaymentsTable:
//! at most one charge per order under redelivery, declines, retried provider errors, an
//! outage that leaves the payment for a later delivery, refunds exactly once, and a
//! cancellation that overtakes its payment request; declines counted once each
//! (PaymentFailures by decline code).

use aws_sdk_dynamodb::types::AttributeValue;
use payments::domain::{OrderId, OrderPayment, Payment, PaymentStatus};
use payments::provider::{
    Charge, ChargeRequest, PaymentProvider, ProviderError, Refund, RefundRequest, ResiliencePolicy,
    ResilientProvider, SimulatedProvider,
};
use payments::store::PaymentStore;
use payments::worker::Worker;
use shared::events::orders::{OrderCancelled, PaymentRequested, RefundRequested};
use shared::metrics::{Metrics, RecordedMetric};
use shared::outbox::{ENVELOPE_ATTRIBUTE, OUTBOX_PK_PREFIX};
use shared::{Currency, Envelope, Money};
use stack_model::fixtures::deliver;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

const USER: &str = "4f8e2b1a-90c3-4d7e-8a55-2c1b7e6d9f00";

/// The production policy's shape with waits short enough for tests.
fn fast_policy() -> ResiliencePolicy {
    ResiliencePolicy {
        call_timeout: Duration::from_secs(1),
        max_attempts: 3,
        backoff_base: Duration::from_millis(2),
        backoff_factor: 2,
        breaker_failure_threshold: 5,
        breaker_open_for: Duration::from_millis(100),
    }
}

type Simulated = Arc<ResilientProvider<SimulatedProvider>>;

fn simulator() -> Simulated {
    Arc::new(ResilientProvider::new(
        SimulatedProvider::new(),
        fast_policy(),
    ))
}

/// A provider that is down: every call fails transiently.
#[derive(Default)]
struct UnavailableProvider {
    calls: AtomicU32,
}

impl PaymentProvider for UnavailableProvider {
    async fn charge(&self, _: &ChargeRequest) -> Result<Charge, ProviderError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        Err(ProviderError::Transient("connection refused".to_owned()))
    }

    async fn refund(&self, _: &RefundRequest) -> Result<Refund, ProviderError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        Err(ProviderError::Transient("connection refused".to_owned()))
    }
}

struct TestTable {
    client: aws_sdk_dynamodb::Client,
    name: String,
    store: PaymentStore,
}

impl TestTable {
    async fn new() -> Self {
        let aws = moto_runner::sdk_config(moto_runner::shared_endpoint()).await;
        let client = aws_sdk_dynamodb::Client::new(&aws);
        let name = stack_model::fixtures::create_table(&client, "PaymentsTable").await;
        let store = PaymentStore::new(client.clone(), name.clone());
        Self {
            client,
            name,
            store,
        }
    }

    fn worker<P: PaymentProvider>(&self, provider: P) -> Worker<P> {
        Worker::new(self.client.clone(), self.name.clone(), provider)
    }

    async fn payment(&self, order_id: &str) -> Option<OrderPayment> {
        self.store
            .get(&OrderId::parse(order_id).unwrap())
            .await
            .unwrap()
    }

    /// The order's payment, which must exist and not be a tombstone.
    async fn live_payment(&self, order_id: &str) -> Payment {
        match self.payment(order_id).await {
            Some(OrderPayment::Payment(p)) => p,
            other => panic!("order {order_id}: expected a payment, found {other:?}"),
        }
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

    /// The outbox events of one type about one order.
    async fn events_of(&self, event_type: &str, order_id: &str) -> Vec<Envelope> {
        self.outbox()
            .await
            .into_iter()
            .filter(|e| e.event_type == event_type && e.correlation_id == order_id)
            .collect()
    }
}

fn eur(amount: u64) -> Money {
    Money::new(amount, Currency::parse("EUR").unwrap())
}

fn requested(order_id: &str, payment_method: &str) -> Envelope<PaymentRequested> {
    Envelope::new(
        "orders",
        order_id,
        PaymentRequested {
            order_id: order_id.to_owned(),
            user_id: USER.to_owned(),
            amount: eur(4990),
            payment_method: payment_method.to_owned(),
        },
    )
}

fn cancelled(order_id: &str, refund: bool) -> Envelope<OrderCancelled> {
    Envelope::new(
        "orders",
        order_id,
        OrderCancelled {
            order_id: order_id.to_owned(),
            user_id: USER.to_owned(),
            total: eur(4990),
            refund,
        },
    )
}

#[tokio::test]
async fn an_order_is_charged_once_however_often_its_request_is_delivered() {
    let t = TestTable::new().await;
    let provider = simulator();
    let (metrics, recorded) = Metrics::recording(payments::SERVICE);
    let worker = t.worker(Arc::clone(&provider)).with_metrics(metrics);
    // Order n is delivered n times (1 to 5): up to two copies in one batch, the rest in
    // batches of their own.
    let mut orders = Vec::new();
    for copies in 1..=5usize {
        let order_id = shared::ids::new_id();
        let request = requested(&order_id, "pm_card_visa");
        let in_one_batch = copies.min(2);
        assert!(deliver(&worker, &vec![&request; in_one_batch][..])
            .await
            .is_empty());
        for _ in in_one_batch..copies {
            assert!(deliver(&worker, &[&request]).await.is_empty());
        }
        orders.push(order_id);
    }
    for order_id in &orders {
        let sim = provider.inner();
        assert_eq!(sim.charges_for(order_id), 1, "{order_id}");
        assert_eq!(
            sim.charge_attempts_for(order_id),
            1,
            "redeliveries must not reach the provider"
        );
        let payment = t.live_payment(order_id).await;
        assert_eq!(payment.status, PaymentStatus::Succeeded);
        assert_eq!(payment.amount, eur(4990));
        assert!(payment.charge_id.is_some());
        let succeeded = t.events_of("PaymentSucceeded", order_id).await;
        assert_eq!(succeeded.len(), 1, "{order_id}");
        assert_eq!(succeeded[0].source, "payments");
        assert_eq!(succeeded[0].data["payment_id"], payment.id.as_str());
        assert_eq!(succeeded[0].data["user_id"], USER);
        assert_eq!(succeeded[0].data["amount"]["amount"], 4990);
    }
    assert_eq!(t.outbox().await.len(), 5);
    assert_eq!(recorded.lines(), Vec::<String>::new(), "no payment failed");
}

#[tokio::test]
async fn two_different_requests_for_one_order_charge_it_once() {
    let t = TestTable::new().await;
    let provider = simulator();
    let worker = t.worker(Arc::clone(&provider));
    let order_id = shared::ids::new_id();
    let (first, second) = (
        requested(&order_id, "pm_card_visa"),
        requested(&order_id, "pm_card_visa"),
    );
    assert_ne!(first.id, second.id);
    assert!(deliver(&worker, &[&first, &second]).await.is_empty());
    assert!(deliver(&worker, &[&second]).await.is_empty());

    assert_eq!(provider.inner().charges_for(&order_id), 1);
    assert_eq!(provider.inner().charge_attempts_for(&order_id), 1);
    assert_eq!(
        t.live_payment(&order_id).await.status,
        PaymentStatus::Succeeded
    );
    assert_eq!(t.events_of("PaymentSucceeded", &order_id).await.len(), 1);
    assert_eq!(t.outbox().await.len(), 1);
}

#[tokio::test]
async fn a_declined_card_fails_the_payment_with_its_reason_charges_nothing_and_counts_once() {
    let t = TestTable::new().await;
    let provider = simulator();
    let (metrics, recorded) = Metrics::recording(payments::SERVICE);
    let worker = t.worker(Arc::clone(&provider)).with_metrics(metrics);
    for (token, reason) in [
        ("pm_card_declined", "card_declined"),
        ("pm_card_insufficient_funds", "insufficient_funds"),
        ("pm_card_unknown", "unsupported_payment_method"),
    ] {
        let order_id = shared::ids::new_id();
        let request = requested(&order_id, token);
        assert!(deliver(&worker, &[&request, &request]).await.is_empty());
        assert!(deliver(&worker, &[&request]).await.is_empty());

        assert_eq!(provider.inner().charges_for(&order_id), 0, "{token}");
        assert_eq!(
            provider.inner().charge_attempts_for(&order_id),
            1,
            "{token}: a decline is not retried"
        );
        let payment = t.live_payment(&order_id).await;
        assert_eq!(payment.status, PaymentStatus::Failed);
        assert_eq!(payment.failure_reason.as_deref(), Some(reason));
        let failed = t.events_of("PaymentFailed", &order_id).await;
        assert_eq!(failed.len(), 1, "{token}");
        assert_eq!(failed[0].data["reason"], reason);
        assert_eq!(failed[0].data["payment_id"], payment.id.as_str());
        assert!(t.events_of("PaymentSucceeded", &order_id).await.is_empty());
    }
    assert!(!provider.is_circuit_open(), "declines are not failures");
    let failure = |reason: &str| RecordedMetric {
        name: "PaymentFailures".into(),
        service: "payments".into(),
        reason: Some(reason.into()),
        count: 1,
    };
    assert_eq!(
        recorded.metrics(),
        [
            failure("card_declined"),
            failure("insufficient_funds"),
            failure("unsupported_payment_method"),
        ],
        "one count per declined payment, none per redelivery"
    );
}

#[tokio::test]
async fn a_processing_error_is_retried_within_one_delivery_until_it_succeeds() {
    let t = TestTable::new().await;
    let provider = simulator();
    let worker = t.worker(Arc::clone(&provider));
    let order_id = shared::ids::new_id();
    assert!(deliver(&worker, &[&requested(&order_id, "pm_card_error")])
        .await
        .is_empty());

    assert_eq!(provider.inner().charge_attempts_for(&order_id), 3);
    assert_eq!(provider.inner().charges_for(&order_id), 1);
    assert_eq!(
        t.live_payment(&order_id).await.status,
        PaymentStatus::Succeeded
    );
    assert_eq!(t.events_of("PaymentSucceeded", &order_id).await.len(), 1);
}

#[tokio::test]
async fn an_outage_leaves_the_payment_charging_for_a_later_delivery_to_finish() {
    let t = TestTable::new().await;
    let down = Arc::new(ResilientProvider::new(
        UnavailableProvider::default(),
        fast_policy(),
    ));
    let order_id = shared::ids::new_id();
    let request = requested(&order_id, "pm_card_visa");

    let failed = deliver(&t.worker(Arc::clone(&down)), &[&request]).await;
    assert_eq!(failed, ["m0"], "the message goes back to SQS");
    assert_eq!(
        down.inner().calls.load(Ordering::SeqCst),
        3,
        "retried to the bound"
    );
    let claimed = t.live_payment(&order_id).await;
    assert_eq!(claimed.status, PaymentStatus::Charging);
    assert!(
        t.outbox().await.is_empty(),
        "no event while nothing is settled"
    );

    // SQS redelivers once the provider is back.
    let healthy = simulator();
    assert!(deliver(&t.worker(Arc::clone(&healthy)), &[&request])
        .await
        .is_empty());
    assert_eq!(healthy.inner().charges_for(&order_id), 1);
    assert_eq!(healthy.inner().charge_attempts_for(&order_id), 1);
    let settled = t.live_payment(&order_id).await;
    assert_eq!(settled.status, PaymentStatus::Succeeded);
    assert_eq!(
        settled.id, claimed.id,
        "the claim was resumed, not replaced"
    );
    let succeeded = t.events_of("PaymentSucceeded", &order_id).await;
    assert_eq!(succeeded.len(), 1);
    assert_eq!(succeeded[0].data["payment_id"], claimed.id.as_str());
}

#[tokio::test]
async fn a_cancellation_refunds_a_succeeded_payment_exactly_once() {
    let t = TestTable::new().await;
    let provider = simulator();
    let worker = t.worker(Arc::clone(&provider));
    let order_id = shared::ids::new_id();
    assert!(deliver(&worker, &[&requested(&order_id, "pm_card_visa")])
        .await
        .is_empty());

    let cancel = cancelled(&order_id, true);
    assert!(deliver(&worker, &[&cancel, &cancel]).await.is_empty());
    assert!(deliver(&worker, &[&cancel]).await.is_empty());
    // A second, distinct cancellation of the same order finds it refunded.
    assert!(deliver(&worker, &[&cancelled(&order_id, true)])
        .await
        .is_empty());

    assert_eq!(provider.inner().refunds_for(&order_id), 1);
    assert_eq!(provider.inner().refund_attempts_for(&order_id), 1);
    let payment = t.live_payment(&order_id).await;
    assert_eq!(payment.status, PaymentStatus::Refunded);
    assert!(payment.refund_id.is_some());
    let refunded = t.events_of("PaymentRefunded", &order_id).await;
    assert_eq!(refunded.len(), 1);
    assert_eq!(refunded[0].data["payment_id"], payment.id.as_str());
    assert_eq!(refunded[0].data["amount"]["amount"], 4990);
    assert_eq!(refunded[0].data["amount"]["currency"], "EUR");
}

#[tokio::test]
async fn a_refund_is_made_by_any_execution_environment_not_only_the_one_that_charged() {
    // Lambda runs a queue's batches in several environments at once and recycles them
    // when idle: the cancellation of a paid order meets another process than its charge.
    let t = TestTable::new().await;
    let order_id = shared::ids::new_id();
    let charging = t.worker(simulator());
    assert!(deliver(&charging, &[&requested(&order_id, "pm_card_visa")])
        .await
        .is_empty());
    let charge_id = t.live_payment(&order_id).await.charge_id;

    let refunding = simulator();
    let another = t.worker(Arc::clone(&refunding));
    let failed = deliver(&another, &[&cancelled(&order_id, true)]).await;
    assert!(failed.is_empty(), "the refund failed: {failed:?}");
    let payment = t.live_payment(&order_id).await;
    assert_eq!(payment.status, PaymentStatus::Refunded);
    assert_eq!(payment.charge_id, charge_id);
    assert_eq!(refunding.inner().refunds_for(&order_id), 1);
    assert_eq!(t.events_of("PaymentRefunded", &order_id).await.len(), 1);
}

#[tokio::test]
async fn a_refund_request_refunds_once_beside_the_cancellation() {
    let t = TestTable::new().await;
    let provider = simulator();
    let worker = t.worker(Arc::clone(&provider));
    let order_id = shared::ids::new_id();
    // Cancelled before the charge (nothing to refund yet), then charged: orders asks for
    // the refund with RefundRequested.
    assert!(deliver(&worker, &[&requested(&order_id, "pm_card_visa")])
        .await
        .is_empty());
    let refund = Envelope::new(
        "orders",
        &order_id,
        RefundRequested {
            order_id: order_id.clone(),
            user_id: USER.to_owned(),
        },
    );
    assert!(deliver(&worker, &[&refund, &refund]).await.is_empty());
    assert!(deliver(&worker, &[&cancelled(&order_id, false)])
        .await
        .is_empty());
    assert_eq!(provider.inner().refunds_for(&order_id), 1);
    assert_eq!(
        t.live_payment(&order_id).await.status,
        PaymentStatus::Refunded
    );
    assert_eq!(t.events_of("PaymentRefunded", &order_id).await.len(), 1);
}

#[tokio::test]
async fn a_succeeded_payment_is_refunded_whatever_the_refund_flag_says() {
    let t = TestTable::new().await;
    let provider = simulator();
    let worker = t.worker(Arc::clone(&provider));
    let order_id = shared::ids::new_id();
    assert!(deliver(&worker, &[&requested(&order_id, "pm_card_visa")])
        .await
        .is_empty());
    assert!(deliver(&worker, &[&cancelled(&order_id, false)])
        .await
        .is_empty());
    assert_eq!(provider.inner().refunds_for(&order_id), 1);
    assert_eq!(
        t.live_payment(&order_id).await.status,
        PaymentStatus::Refunded
    );
    assert_eq!(t.events_of("PaymentRefunded", &order_id).await.len(), 1);
}

#[tokio::test]
async fn a_cancelled_declined_payment_refunds_nothing() {
    let t = TestTable::new().await;
    let provider = simulator();
    let worker = t.worker(Arc::clone(&provider));
    let order_id = shared::ids::new_id();
    assert!(
        deliver(&worker, &[&requested(&order_id, "pm_card_declined")])
            .await
            .is_empty()
    );
    assert!(deliver(&worker, &[&cancelled(&order_id, true)])
        .await
        .is_empty());
    assert_eq!(provider.inner().refund_attempts_for(&order_id), 0);
    assert_eq!(
        t.live_payment(&order_id).await.status,
        PaymentStatus::Failed
    );
    assert!(t.events_of("PaymentRefunded", &order_id).await.is_empty());
}

#[tokio::test]
async fn a_cancellation_that_overtakes_the_request_voids_the_payment() {
    let t = TestTable::new().await;
    let provider = simulator();
    let worker = t.worker(Arc::clone(&provider));
    let order_id = shared::ids::new_id();
    let cancel = cancelled(&order_id, false);
    assert!(deliver(&worker, &[&cancel]).await.is_empty());
    assert!(deliver(&worker, &[&cancel]).await.is_empty());
    assert_eq!(
        t.payment(&order_id).await.map(|p| p.status()),
        Some(PaymentStatus::Voided)
    );

    let late = requested(&order_id, "pm_card_visa");
    assert!(deliver(&worker, &[&late]).await.is_empty());
    assert!(deliver(&worker, &[&late]).await.is_empty());

    assert_eq!(provider.inner().charge_attempts_for(&order_id), 0);
    assert_eq!(provider.inner().refund_attempts_for(&order_id), 0);
    assert_eq!(
        t.payment(&order_id).await.map(|p| p.status()),
        Some(PaymentStatus::Voided)
    );
    assert!(t.outbox().await.is_empty(), "a voided order emits nothing");
}

#[tokio::test]
async fn a_cancellation_during_a_charge_finishes_it_and_refunds_without_waiting_for_the_request() {
    let t = TestTable::new().await;
    let down = Arc::new(ResilientProvider::new(
        UnavailableProvider::default(),
        fast_policy(),
    ));
    let order_id = shared::ids::new_id();
    let request = requested(&order_id, "pm_card_visa");
    let cancel = cancelled(&order_id, true);
    assert_eq!(
        deliver(&t.worker(Arc::clone(&down)), &[&request]).await,
        ["m0"]
    );
    assert_eq!(
        t.live_payment(&order_id).await.status,
        PaymentStatus::Charging
    );

    // The request's own message may never come back (dead-lettered, or still waiting out
    // its visibility timeout): the cancellation alone settles the charge and refunds it.
    let healthy = simulator();
    let worker = t.worker(Arc::clone(&healthy));
    assert!(deliver(&worker, &[&cancel]).await.is_empty());
    assert_eq!(healthy.inner().charges_for(&order_id), 1);
    assert_eq!(healthy.inner().refunds_for(&order_id), 1);
    assert_eq!(
        t.live_payment(&order_id).await.status,
        PaymentStatus::Refunded
    );

    // The request and the cancellation redelivered later change nothing.
    assert!(deliver(&worker, &[&request]).await.is_empty());
    assert!(deliver(&worker, &[&cancel]).await.is_empty());
    assert_eq!(healthy.inner().charge_attempts_for(&order_id), 1);
    assert_eq!(healthy.inner().refund_attempts_for(&order_id), 1);
    assert_eq!(t.events_of("PaymentSucceeded", &order_id).await.len(), 1);
    assert_eq!(t.events_of("PaymentRefunded", &order_id).await.len(), 1);
}

#[tokio::test]
async fn a_cancellation_during_a_charge_the_provider_declines_refunds_nothing() {
    let t = TestTable::new().await;
    let down = Arc::new(ResilientProvider::new(
        UnavailableProvider::default(),
        fast_policy(),
    ));
    let order_id = shared::ids::new_id();
    let request = requested(&order_id, "pm_card_declined");
    assert_eq!(
        deliver(&t.worker(Arc::clone(&down)), &[&request]).await,
        ["m0"]
    );

    let healthy = simulator();
    let worker = t.worker(Arc::clone(&healthy));
    assert!(deliver(&worker, &[&cancelled(&order_id, true)])
        .await
        .is_empty());
    assert_eq!(healthy.inner().charges_for(&order_id), 0);
    assert_eq!(healthy.inner().refund_attempts_for(&order_id), 0);
    assert_eq!(
        t.live_payment(&order_id).await.status,
        PaymentStatus::Failed
    );
    assert_eq!(t.events_of("PaymentFailed", &order_id).await.len(), 1);
    assert!(t.events_of("PaymentRefunded", &order_id).await.is_empty());
}

#[tokio::test]
async fn a_malformed_request_is_refused_and_changes_nothing() {
    let t = TestTable::new().await;
    let provider = simulator();
    let worker = t.worker(Arc::clone(&provider));
    let order_id = shared::ids::new_id();
    let bad_token = requested(&order_id, "pm card; drop");
    let not_an_order = requested("order-1", "pm_card_visa");
    assert_eq!(
        deliver(&worker, &[&bad_token, &not_an_order]).await,
        ["m0", "m1"]
    );
    assert!(t.payment(&order_id).await.is_none());
    assert_eq!(provider.inner().charge_attempts_for(&order_id), 0);
    assert!(t.outbox().await.is_empty());
}
