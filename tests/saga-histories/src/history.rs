//! One seeded history: a few products with little stock, a handful of orders placed
//! through the orders API with a mix of payment methods, some cancelled at random
//! moments, and the saga's events delivered by the [`Bus`] with duplicates, in random
//! order and batch sizes, through workers that crash at random steps. It runs until
//! every queue is empty (each message acknowledged or dead-lettered), then reads what
//! became of it for the invariants.

use crate::bus::{Batch, Bus, BusCounts};
use crate::crash::run_until_crash;
use crate::stack::Stack;
use crate::wiring::Wiring;
use fastrand::Rng;
use products::domain::{
    CatalogFields, Category, Description, Price, Product, ProductId, ProductName, StockLevel,
};
use serde_json::json;
use shared::events::products::ProductCreated;
use shared::Envelope;
use std::collections::HashSet;

/// The payment methods orders are placed with, and how often (out of 20).
const PAYMENT_METHODS: [(&str, u8); 3] = [
    // Succeeds.
    ("pm_card_visa", 11),
    // Declined for good: the order is rejected and its stock released.
    ("pm_card_declined", 4),
    // Fails transiently twice per order, then succeeds: redeliveries resume the charge.
    ("pm_card_error", 5),
];
/// Chance (percent) that an invocation crashes, and the most DynamoDB calls it makes first.
const CRASH_PERCENT: u8 = 25;
const MAX_CALLS_BEFORE_CRASH: u32 = 6;
/// Chance (percent) that an order is cancelled by its owner at some point, and that the
/// owner sends the cancellation twice.
const CANCEL_PERCENT: u8 = 35;
const CANCEL_AGAIN_PERCENT: u8 = 25;
/// Chance (percent) that a history's reservation deadline passes at some moment: every
/// order still open then is rejected as expired, whatever is still on its way.
const EXPIRE_PERCENT: u8 = 30;
/// A history that has not settled after this many steps is a failure in itself.
const MAX_STEPS: usize = 5_000;

/// A product of the history and the stock it started with.
#[derive(Debug, Clone)]
pub struct StockedProduct {
    /// The product.
    pub id: ProductId,
    /// Units available when the history began.
    pub initial_stock: u32,
}

/// An order of the history and what its owner did with it.
#[derive(Debug, Clone)]
pub struct PlacedOrder {
    /// The order id the API answered with.
    pub id: String,
    /// Its owner.
    pub user: String,
    /// (product index, quantity) per line.
    pub lines: Vec<(usize, u32)>,
    /// The total the API answered with, in minor units.
    pub total: u64,
    /// The payment method token.
    pub payment_method: &'static str,
    /// Statuses of the owner's cancellation requests, in order.
    pub cancel_answers: Vec<u16>,
}

/// An order the history will place.
#[derive(Debug, Clone)]
struct PlannedOrder {
    user: usize,
    lines: Vec<(usize, u32)>,
    payment_method: &'static str,
}

/// Something a user does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    Place(usize),
    Cancel(usize),
    /// The reservation deadline passes for every order open at that moment.
    Expire,
}

/// What happened in a history, beyond what the bus counts.
#[derive(Debug, Default, Clone, Copy)]
pub struct HistoryCounts {
    /// Batches handed to workers.
    pub invocations: u64,
    /// Invocations that crashed part-way.
    pub crashes: u64,
    /// Invocations that returned an error as a whole (Lambda retries the batch).
    pub invocation_errors: u64,
    /// Cancellation requests sent.
    pub cancel_requests: u64,
    /// Cancellation requests the API accepted (200).
    pub cancels_accepted: u64,
    /// Runs of the expiry sweep.
    pub expiry_sweeps: u64,
    /// Orders the sweeps found past the deadline (expired unless they settled first).
    pub overdue: u64,
}

/// A finished history: everything the invariants look at.
pub struct History {
    /// Its seed.
    pub seed: u64,
    /// The services, with the state the history left.
    pub stack: Stack,
    /// The bus, with every published event and every dead letter.
    pub bus: Bus,
    /// The catalog.
    pub products: Vec<StockedProduct>,
    /// The orders the API accepted.
    pub orders: Vec<PlacedOrder>,
    /// Problems seen while running (unexpected API answers, a history that never settles).
    pub run_errors: Vec<String>,
    /// What happened.
    pub counts: HistoryCounts,
    /// Every step taken, by order and product labels, to explain a failure.
    pub trace: Vec<String>,
    rng: Rng,
    /// Outbox events already published.
    seen: HashSet<String>,
}

/// Runs the history of `seed` on fresh tables.
pub async fn run(seed: u64, wiring: &Wiring) -> History {
    let mut history = History {
        seed,
        stack: Stack::new().await,
        bus: Bus::new(wiring.clone()),
        products: Vec::new(),
        orders: Vec::new(),
        run_errors: Vec::new(),
        counts: HistoryCounts::default(),
        trace: Vec::new(),
        rng: Rng::with_seed(seed),
        seen: HashSet::new(),
    };
    history.stock_catalog().await;
    let users: Vec<String> = (0..2).map(|_| shared::ids::new_id()).collect();
    let plan = history.plan(users.len());
    history.play(&plan, &users).await;
    history
}

impl History {
    /// What the bus did.
    pub fn bus_counts(&self) -> BusCounts {
        self.bus.counts
    }

    /// What an operator does once the cause of the dead letters is fixed: moves every
    /// dead letter back to its queue, then lets the workers (no longer crashing) drain
    /// the queues; returns how many messages were redriven.
    pub async fn redrive(&mut self) -> usize {
        let mut redriven = 0;
        for queue in &mut self.bus.queues {
            for mut message in queue.dead.drain(..) {
                message.receive_count = 0;
                queue.pending.push(message);
                redriven += 1;
            }
        }
        self.trace.push(format!("redrive {redriven} dead letters"));
        while let Some(batch) = self.bus.receive(&mut self.rng) {
            self.deliver(batch, None).await;
        }
        redriven
    }

    /// Two or three products with one to four units each, created in the products table;
    /// their ProductCreated events reach the orders projection before anyone orders.
    async fn stock_catalog(&mut self) {
        let catalog = products::store::CatalogStore::new(
            self.stack.client.clone(),
            self.stack.table("ProductsTable").to_owned(),
        );
        for n in 0..self.rng.usize(2..=3) {
            let initial_stock = self.rng.u32(1..=4);
            let product = Product::create(
                ProductId::generate(),
                CatalogFields {
                    name: ProductName::parse(&format!("Product {n}")).expect("a name"),
                    description: Description::parse("").expect("a description"),
                    category: Category::parse("kitchen", "category").expect("a category"),
                    price: Price::parse(self.rng.i64(100..=5000), "EUR").expect("a price"),
                },
                StockLevel::initial(i64::from(initial_stock)).expect("a stock level"),
                shared::time::now(),
            );
            let created = Envelope::new(
                products::SERVICE,
                product.id.as_str(),
                ProductCreated(product.snapshot()),
            );
            catalog
                .create(&product, &created)
                .await
                .expect("create a product");
            self.products.push(StockedProduct {
                id: product.id,
                initial_stock,
            });
        }
        self.publish_outbox("ProductsTable").await;
        // Setup, not the subject: delivered without crashes.
        while let Some(batch) = self.bus.receive(&mut self.rng) {
            self.deliver(batch, None).await;
        }
    }

    fn plan(&mut self, users: usize) -> Vec<PlannedOrder> {
        let products = self.products.len();
        (0..self.rng.usize(3..=7))
            .map(|_| {
                let mut lines: Vec<(usize, u32)> = Vec::new();
                for _ in 0..self.rng.usize(1..=2) {
                    let product = self.rng.usize(..products);
                    if lines.iter().all(|(p, _)| *p != product) {
                        lines.push((product, self.rng.u32(1..=2)));
                    }
                }
                PlannedOrder {
                    user: self.rng.usize(..users),
                    lines,
                    payment_method: self.payment_method(),
                }
            })
            .collect()
    }

    fn payment_method(&mut self) -> &'static str {
        let mut pick = self.rng.u8(0..20);
        for (method, weight) in PAYMENT_METHODS {
            if pick < weight {
                return method;
            }
            pick -= weight;
        }
        PAYMENT_METHODS[0].0
    }

    /// Interleaves the users' actions with deliveries until nothing is left to do.
    async fn play(&mut self, plan: &[PlannedOrder], users: &[String]) {
        let mut actions: Vec<Action> = (0..plan.len()).map(Action::Place).collect();
        for i in 0..plan.len() {
            if self.rng.u8(0..100) < CANCEL_PERCENT {
                actions.push(Action::Cancel(i));
                if self.rng.u8(0..100) < CANCEL_AGAIN_PERCENT {
                    actions.push(Action::Cancel(i));
                }
            }
        }
        if self.rng.u8(0..100) < EXPIRE_PERCENT {
            actions.push(Action::Expire);
        }
        // Index in self.orders of each planned order, once placed.
        let mut placed: Vec<Option<usize>> = vec![None; plan.len()];
        for step in 0.. {
            if step == MAX_STEPS {
                self.run_errors
                    .push(format!("the history did not settle in {MAX_STEPS} steps"));
                return;
            }
            let pending = self.bus.has_pending();
            if actions.is_empty() && !pending {
                return;
            }
            // Places in plan order; a cancellation once its order exists.
            let first_place = actions.iter().position(|a| matches!(a, Action::Place(_)));
            let eligible: Vec<usize> = (0..actions.len())
                .filter(|&i| match actions[i] {
                    Action::Place(_) => Some(i) == first_place,
                    Action::Cancel(p) => placed[p].is_some(),
                    Action::Expire => placed.iter().any(Option::is_some),
                })
                .collect();
            let act = !eligible.is_empty() && (!pending || self.rng.u8(0..4) == 0);
            if act {
                let action = actions.remove(eligible[self.rng.usize(..eligible.len())]);
                match action {
                    Action::Place(p) => {
                        placed[p] = self.place(&plan[p], users).await;
                        if placed[p].is_none() {
                            actions.retain(|a| *a != Action::Cancel(p));
                        }
                    }
                    Action::Cancel(p) => {
                        if let Some(order) = placed[p] {
                            self.cancel(order).await;
                        }
                    }
                    Action::Expire => self.expire().await,
                }
                self.publish_outbox("OrdersTable").await;
            } else if let Some(batch) = self.bus.receive(&mut self.rng) {
                let crash_after = (self.rng.u8(0..100) < CRASH_PERCENT)
                    .then(|| self.rng.u32(0..=MAX_CALLS_BEFORE_CRASH));
                self.deliver(batch, crash_after).await;
            }
        }
    }

    async fn place(&mut self, order: &PlannedOrder, users: &[String]) -> Option<usize> {
        let user = &users[order.user];
        let body = json!({
            "items": order.lines.iter().map(|(p, q)| json!({
                "product_id": self.products[*p].id.as_str(), "quantity": q
            })).collect::<Vec<_>>(),
            "payment_method": order.payment_method,
            "shipping_address": {
                "name": "Ada Lovelace", "line1": "12 St James's Square",
                "city": "London", "postal_code": "SW1Y 4JH", "country": "GB"
            }
        });
        let answer = self.stack.place_order(user, &body).await;
        let (Some(id), Some(total)) = (
            answer.body["id"].as_str(),
            answer.body["total"]["amount"].as_u64(),
        ) else {
            self.run_errors.push(format!(
                "POST /v1/orders answered {} {}",
                answer.status, answer.body
            ));
            return None;
        };
        if answer.status != 201 {
            self.run_errors.push(format!(
                "POST /v1/orders answered {} {}",
                answer.status, answer.body
            ));
        }
        self.trace.push(format!(
            "place order{} ({}, {:?}): {}",
            self.orders.len(),
            order.payment_method,
            order.lines,
            answer.status
        ));
        self.orders.push(PlacedOrder {
            id: id.to_owned(),
            user: user.clone(),
            lines: order.lines.clone(),
            total,
            payment_method: order.payment_method,
            cancel_answers: Vec::new(),
        });
        Some(self.orders.len() - 1)
    }

    async fn cancel(&mut self, order: usize) {
        let (id, user) = (
            self.orders[order].id.clone(),
            self.orders[order].user.clone(),
        );
        let answer = self.stack.cancel_order(&user, &id).await;
        self.counts.cancel_requests += 1;
        match answer.status {
            200 => self.counts.cancels_accepted += 1,
            // REJECTED, or CANCELLED by an earlier request.
            409 => {}
            other => self.run_errors.push(format!(
                "POST /v1/orders/{id}/cancel answered {other} {}",
                answer.body
            )),
        }
        let label = self.label(&id);
        self.trace
            .push(format!("cancel {label}: {}", answer.status));
        self.orders[order].cancel_answers.push(answer.status);
    }

    /// The deadline passes now for every open order: one run of the expiry sweep.
    async fn expire(&mut self) {
        let report = self.stack.sweep_expired().await;
        self.counts.expiry_sweeps += 1;
        self.counts.overdue += report.overdue as u64;
        if report.failed > 0 {
            self.run_errors.push(format!(
                "the expiry sweep failed on {} orders",
                report.failed
            ));
        }
        self.trace
            .push(format!("expiry sweep: {} orders overdue", report.overdue));
    }

    /// Invokes the batch's worker, crashing it after `crash_after` DynamoDB calls if set,
    /// settles the batch on the bus and publishes what the worker wrote to its outbox.
    async fn deliver(&mut self, batch: Batch, crash_after: Option<u32>) {
        let wiring = self.bus.queues[batch.queue].wiring.clone();
        let envelopes: Vec<&Envelope> = batch.messages.iter().map(|m| &m.envelope).collect();
        let event = stack_model::fixtures::sqs_batch(&envelopes);
        let switch = std::sync::Arc::clone(&self.stack.switches[wiring.consumer.as_str()]);
        let provider_failures = |stack: &Stack| -> Vec<u32> {
            envelopes
                .iter()
                .map(|e| stack.provider.transient_failures_for(&e.correlation_id))
                .collect()
        };
        let failures_before = provider_failures(&self.stack);
        if let Some(calls) = crash_after {
            switch.arm(calls);
        }
        let outcome = run_until_crash(&switch, self.stack.invoke(&wiring.consumer, event)).await;
        switch.disarm();
        self.counts.invocations += 1;
        // A failure is injected when the worker crashed, or when the provider failed
        // transiently for the message's order during this invocation.
        let provider_failed: Vec<bool> = provider_failures(&self.stack)
            .iter()
            .zip(&failures_before)
            .map(|(after, before)| after > before)
            .collect();
        let (unacknowledged, note): (Vec<(usize, bool)>, String) = match outcome {
            None => {
                self.counts.crashes += 1;
                let calls = crash_after.unwrap_or_default();
                let all = (0..batch.messages.len()).map(|i| (i, true)).collect();
                (all, format!(" (crashed after {calls} calls)"))
            }
            Some(Err(e)) => {
                self.counts.invocation_errors += 1;
                let all = (0..batch.messages.len()).map(|i| (i, false)).collect();
                (all, format!(" (invocation failed: {e})"))
            }
            Some(Ok(response)) => {
                let failed: Vec<(usize, bool)> =
                    stack_model::fixtures::failed_message_ids(response)
                        .iter()
                        .map(|id| {
                            let i: usize = id
                                .strip_prefix('m')
                                .and_then(|i| i.parse().ok())
                                .unwrap_or_else(|| {
                                    panic!("a failed message id of the batch: {id}")
                                });
                            (i, provider_failed[i])
                        })
                        .collect();
                let note = if failed.is_empty() {
                    String::new()
                } else {
                    format!(" (failed: {failed:?})")
                };
                (failed, note)
            }
        };
        let messages: Vec<String> = batch
            .messages
            .iter()
            .map(|m| {
                format!(
                    "{} {}",
                    m.envelope.event_type,
                    self.label(&m.envelope.correlation_id)
                )
            })
            .collect();
        self.trace.push(format!(
            "{} <- [{}]{note}",
            wiring.consumer,
            messages.join(", ")
        ));
        self.bus.settle(batch, &unacknowledged);
        self.publish_outbox(&wiring.table).await;
    }

    /// How the trace names an order or product: by its place in the history, so that
    /// two runs of a seed read the same.
    fn label(&self, id: &str) -> String {
        if let Some(n) = self.orders.iter().position(|o| o.id == id) {
            format!("order{n}")
        } else if let Some(n) = self.products.iter().position(|p| p.id.as_str() == id) {
            format!("product{n}")
        } else {
            id.to_owned()
        }
    }

    async fn publish_outbox(&mut self, table: &str) {
        let Some(topic) = self.bus.topic_of_table(table).map(str::to_owned) else {
            return;
        };
        for envelope in self.stack.new_outbox_events(table, &mut self.seen).await {
            self.bus.publish(&topic, envelope, &mut self.rng);
        }
    }
}
