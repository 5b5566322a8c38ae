//! orders-expiry: the reservation deadline. A scheduled rule invokes it (every minute in
//! production); each run rejects, as `expired`, every order that has been PENDING or
//! AWAITING_PAYMENT for longer than the deadline, through the same saga step as any
//! event (`domain::decide` with `DeadlinePassed`). OrderRejected then makes products
//! release the stock and payments void or refund the payment, and the customer is told
//! once.
//!
//! A run is idempotent: each rejection is a conditional write on the status the order
//! was read in, so two overlapping runs, or a run racing the order's last saga event,
//! reject an order at most once and never one that has just settled.

use crate::domain::{OrderStatus, SagaInput};
use crate::store::OrderStore;
use aws_lambda_events::event::eventbridge::EventBridgeEvent;
use aws_sdk_dynamodb::Client;
use chrono::{DateTime, Utc};
use lambda_runtime::LambdaEvent;
use shared::metrics::Metrics;

/// The statuses in which an order holds, or is about to hold, stock without being settled.
const OPEN: [OrderStatus; 2] = [OrderStatus::Pending, OrderStatus::AwaitingPayment];

/// What one run did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct SweepReport {
    /// Open orders past the deadline that the run looked at.
    pub overdue: usize,
    /// Of those, the ones that could not be handled this run (retried by the next one).
    pub failed: usize,
}

/// The expiry sweep over the orders table.
pub struct Expiry {
    orders: OrderStore,
    deadline: chrono::Duration,
    metrics: Metrics,
}

impl Expiry {
    /// A sweep over `table` rejecting orders open for longer than `deadline`.
    pub fn new(client: Client, table: String, deadline: chrono::Duration) -> Self {
        Self {
            orders: OrderStore::new(client, table),
            deadline,
            metrics: Metrics::stdout(crate::SERVICE),
        }
    }

    /// The same sweep counting its business metrics into `metrics` (tests record them).
    pub fn with_metrics(mut self, metrics: Metrics) -> Self {
        self.metrics = metrics;
        self
    }

    /// Handles one scheduled event: sweeps as of the event's time.
    pub async fn handle(
        &self,
        event: LambdaEvent<EventBridgeEvent>,
    ) -> Result<SweepReport, lambda_runtime::Error> {
        let now = event.payload.time.unwrap_or_else(shared::time::now);
        Ok(self.sweep(now).await?)
    }

    /// Rejects every order open at `now` for longer than the deadline. An order that
    /// fails is left for the next run; the run fails only if the orders cannot be listed.
    pub async fn sweep(
        &self,
        now: DateTime<Utc>,
    ) -> Result<SweepReport, shared::store::StoreError> {
        let cutoff = now - self.deadline;
        let mut report = SweepReport::default();
        for status in OPEN {
            for id in self.orders.placed_before(status, cutoff).await? {
                report.overdue += 1;
                let applied = crate::worker::saga::apply(
                    &self.orders,
                    &self.metrics,
                    None,
                    id.as_str(),
                    SagaInput::DeadlinePassed,
                )
                .await;
                if let Err(e) = applied {
                    report.failed += 1;
                    tracing::warn!(order_id = id.as_str(), error = %e, "could not expire an order; the next run retries");
                }
            }
        }
        if report.overdue > 0 {
            tracing::info!(
                overdue = report.overdue,
                failed = report.failed,
                "expiry sweep done"
            );
        }
        Ok(report)
    }
}
