//! payments-worker: the payments side of the order saga. Charges an order when its
//! payment is requested, refunds it when the order is cancelled or rejected (an expired
//! order may have been charged). Every step is
//! idempotent on the event id, safe under reordering, and charges or refunds an order at
//! most once however often its events arrive.

mod charge;
mod refund;

use crate::provider::PaymentProvider;
use crate::store::PaymentStore;
use aws_sdk_dynamodb::Client;
use shared::consumer::{ConsumeError, Consumer};
use shared::events::orders::{OrderCancelled, OrderRejected, PaymentRequested, RefundRequested};
use shared::metrics::Metrics;
use shared::Envelope;

/// Reads and writes of one event before handing it back to SQS: another delivery of the
/// same order can move its payment between our read and our write.
const MAX_ATTEMPTS: usize = 3;

/// What the worker works with, built once per execution environment.
pub struct Worker<P> {
    payments: PaymentStore,
    provider: P,
    metrics: Metrics,
}

impl<P: PaymentProvider> Worker<P> {
    /// A worker over the payments table, charging through `provider` (in production the
    /// simulator behind [`crate::provider::ResilientProvider`]), writing its metrics to
    /// stdout.
    pub fn new(client: Client, table: String, provider: P) -> Self {
        Self {
            payments: PaymentStore::new(client, table),
            provider,
            metrics: Metrics::stdout(crate::SERVICE),
        }
    }

    /// The same worker counting its business metrics into `metrics` (tests record them).
    pub fn with_metrics(mut self, metrics: Metrics) -> Self {
        self.metrics = metrics;
        self
    }
}

shared::event_set! {
    /// What payments-worker consumes: the request to charge an order, and everything
    /// that means its money goes back (or is never taken).
    pub enum Consumed {
        PaymentRequested(PaymentRequested),
        OrderCancelled(OrderCancelled),
        OrderRejected(OrderRejected),
        RefundRequested(RefundRequested),
    }
}

impl<P: PaymentProvider> Consumer for Worker<P> {
    type Events = Consumed;

    fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    async fn handle(&self, envelope: &Envelope, event: Consumed) -> Result<(), ConsumeError> {
        let id = &envelope.id;
        match event {
            Consumed::PaymentRequested(requested) => {
                charge::charge_order(self, id, &requested).await
            }
            // A rejected order keeps no money: nothing to do after a decline, a void when
            // it was never charged, a refund when it expired while its charge went through.
            Consumed::OrderCancelled(OrderCancelled {
                order_id, user_id, ..
            })
            | Consumed::OrderRejected(OrderRejected {
                order_id, user_id, ..
            })
            | Consumed::RefundRequested(RefundRequested {
                order_id, user_id, ..
            }) => refund::refund_order(self, id, &order_id, &user_id).await,
        }
    }
}
