//! What must hold after every history, however its events were duplicated, reordered
//! and interrupted (docs/saga.md, docs/reliability.md). An order whose progress is stuck
//! behind a dead-lettered message is *blocked*: reported, and held only to the rules
//! that hold whatever is still undelivered.
//!
//! Per order:
//! - it ends CONFIRMED, REJECTED or CANCELLED, unless blocked;
//! - the provider charged its key at most once and refunded it at most once, for the
//!   order's total; no charge or refund under a key that is not an order;
//! - refunded only if charged and CANCELLED or expired (REJECTED/expired); never charged
//!   if rejected for any other reason;
//! - unless blocked: CONFIRMED is charged, not refunded, and holds its stock; REJECTED
//!   and CANCELLED hold none; a charged CANCELLED or expired order is refunded, its
//!   payment item REFUNDED and the order's `refunded_at` recorded; the payment item agrees
//!   with the provider;
//! - one OrderPlaced; at most one of each of PaymentRequested, OrderConfirmed,
//!   OrderRejected, StockReserved|StockReservationFailed, PaymentSucceeded|PaymentFailed,
//!   PaymentRefunded, StockReleased; OrderCancelled once after an accepted cancellation
//!   and never otherwise; a compensation (StockReleaseRequested, RefundRequested) only for
//!   a cancelled or expired order, at most once each;
//! - an accepted cancellation ends CANCELLED.
//!
//! Per product: `available + reserved` is the initial stock, and `reserved` is the sum
//! of the lines of the reservations still held.
//!
//! Per dead letter: every failed receive of it had an injected fault behind it (a crash,
//! or the provider failing transiently for its order).
//!
//! Per notification-worthy event (OrderConfirmed, OrderRejected, OrderCancelled,
//! PaymentRefunded): exactly one inbox entry, in its user's inbox (at most one if the
//! event was dead-lettered by the notifications queue); no entry for anything else; and
//! per order at most one notice of each fact (confirmed, rejected, cancelled, refunded),
//! whatever the saga re-published, retried or compensated.

use crate::history::History;
use orders::domain::{OrderStatus, RejectionReason};
use payments::domain::PaymentStatus;
use products::domain::Reservation;
use shared::Envelope;
use std::collections::{BTreeMap, HashMap};

/// Event types the notifications worker makes an inbox entry of, in this saga.
const NOTIFIED: [&str; 4] = [
    "OrderConfirmed",
    "OrderRejected",
    "OrderCancelled",
    "PaymentRefunded",
];

/// What the checks found in one history.
#[derive(Debug, Default)]
pub struct Verdict {
    /// Broken invariants, one line each.
    pub violations: Vec<String>,
    /// Orders left behind a dead letter, with the dead letters.
    pub blocked: Vec<String>,
    /// Final status of each order, by name.
    pub statuses: BTreeMap<&'static str, u64>,
    /// Orders charged and refunded (in the simulator's ledger).
    pub charged: u64,
    /// Orders refunded.
    pub refunded: u64,
    /// Inbox entries.
    pub inbox_entries: u64,
    /// Orders whose saga compensated a late StockReserved or PaymentSucceeded.
    pub compensated: u64,
}

/// Checks every invariant on what `history` left behind.
pub async fn check(history: &History) -> Verdict {
    let mut verdict = Verdict {
        violations: history.run_errors.clone(),
        ..Verdict::default()
    };
    check_dead_letters(history, &mut verdict);
    let reservations = check_orders(history, &mut verdict).await;
    check_stock(history, &reservations, &mut verdict).await;
    check_inbox(history, &mut verdict).await;
    verdict
}

/// A message is dead-lettered only when injected faults (crashes, a failing provider)
/// explain every one of its failed receives: the DLQ is for poison messages and outages,
/// never for an interleaving of the saga's own steps.
fn check_dead_letters(history: &History, verdict: &mut Verdict) {
    for (queue, message) in history.bus.dead_letters() {
        if !message.failed_only_by_injected_faults() {
            verdict.violations.push(format!(
                "{} of order {} dead-lettered in {queue} after {} failed receives, only {} of them injected faults",
                message.envelope.event_type,
                message.envelope.correlation_id,
                message.failed_receives,
                message.injected_failures
            ));
        }
    }
}

/// Checks each order; returns the reservations still held, by order id.
async fn check_orders(history: &History, verdict: &mut Verdict) -> HashMap<String, Reservation> {
    let stack = &history.stack;
    let order_store =
        orders::store::OrderStore::new(stack.client.clone(), stack.table("OrdersTable").to_owned());
    let reservation_store = products::store::ReservationStore::new(
        stack.client.clone(),
        stack.table("ProductsTable").to_owned(),
    );
    let payment_store = payments::store::PaymentStore::new(
        stack.client.clone(),
        stack.table("PaymentsTable").to_owned(),
    );
    let simulator = &stack.provider.simulator;
    let order_ids: Vec<&str> = history.orders.iter().map(|o| o.id.as_str()).collect();
    for call in stack.provider.calls() {
        if !order_ids.contains(&call.key.as_str()) {
            verdict.violations.push(format!(
                "the provider was called under key {}, which is no order",
                call.key
            ));
        }
    }
    let mut held = HashMap::new();
    for placed in &history.orders {
        let id = placed.id.as_str();
        let v = &mut verdict.violations;
        let order = order_store
            .get(&orders::domain::OrderId::parse(id).expect("an order id"))
            .await
            .expect("read an order")
            .unwrap_or_else(|| panic!("order {id} was placed but is not stored"));
        let status = order.status;
        let expired = order.status_reason == Some(RejectionReason::Expired);
        let shown = if expired {
            "REJECTED/expired"
        } else {
            status.as_str()
        };
        *verdict.statuses.entry(shown).or_default() += 1;
        let dead: Vec<String> = history
            .bus
            .unhandled_dead_letters()
            .filter(|(_, m)| m.envelope.correlation_id == id)
            .map(|(queue, m)| format!("{} in {queue}'s DLQ", m.envelope.event_type))
            .collect();
        let blocked = !dead.is_empty();
        let terminal = matches!(
            status,
            OrderStatus::Confirmed | OrderStatus::Rejected | OrderStatus::Cancelled
        );
        if !terminal && !blocked {
            v.push(format!("order {id} ended {status} with nothing in a DLQ"));
        }

        let charged = simulator.charges_for(id) == 1;
        let refunded = simulator.refunds_for(id) == 1;
        verdict.charged += u64::from(charged);
        verdict.refunded += u64::from(refunded);
        for call in stack.provider.calls().iter().filter(|c| c.key == id) {
            if call.amount != placed.total {
                v.push(format!(
                    "order {id}: the provider was asked to {} {} instead of the total {}",
                    if call.charge { "charge" } else { "refund" },
                    call.amount,
                    placed.total
                ));
            }
        }
        if refunded && !(charged && (status == OrderStatus::Cancelled || expired)) {
            v.push(format!("order {id} {status} refunded (charged: {charged})"));
        }
        if charged && status == OrderStatus::Rejected && !expired {
            v.push(format!(
                "order {id} REJECTED ({:?}) but charged",
                order.status_reason
            ));
        }

        let reservation = reservation_store.get(id).await.expect("read a reservation");
        let holds = reservation.as_ref().is_some_and(|r| !r.released);
        if let Some(r) = reservation.filter(|r| !r.released) {
            held.insert(id.to_owned(), r);
        }
        let payment = payment_store
            .get(&payments::domain::OrderId::parse(id).expect("an order id"))
            .await
            .expect("read a payment")
            .map(|p| p.status());

        if placed.cancel_answers.contains(&200) && status != OrderStatus::Cancelled {
            v.push(format!(
                "order {id}: its cancellation was accepted, yet it ended {status}"
            ));
        }
        let compensations = check_events(history, placed, expired, v);
        verdict.compensated += u64::from(compensations > 0);
        let settlement = Settlement {
            id,
            status,
            charged,
            refunded,
            holds,
            payment,
            refund_recorded: order.refunded_at.is_some(),
        };
        if blocked {
            verdict.blocked.push(format!(
                "order {id} {status} (charged {charged}, refunded {refunded}, payment {payment:?}, stock held {holds}) behind {}",
                dead.join(", ")
            ));
        } else {
            v.extend(settlement.violations());
        }
    }
    held
}

/// Where an order, its stock and its money ended up.
struct Settlement<'a> {
    id: &'a str,
    status: OrderStatus,
    charged: bool,
    refunded: bool,
    holds: bool,
    payment: Option<PaymentStatus>,
    refund_recorded: bool,
}

impl Settlement<'_> {
    /// The rules for an order that nothing undelivered holds back.
    fn violations(&self) -> Vec<String> {
        let Self {
            id,
            status,
            charged,
            refunded,
            holds,
            payment,
            refund_recorded,
        } = *self;
        let mut v = Vec::new();
        let settled = match status {
            OrderStatus::Confirmed => charged && !refunded && holds,
            OrderStatus::Rejected | OrderStatus::Cancelled => {
                !holds && charged == refunded && refunded == refund_recorded
            }
            OrderStatus::Pending | OrderStatus::AwaitingPayment => true,
        };
        if !settled {
            v.push(format!(
                "order {id} {status}: charged {charged}, refunded {refunded} (recorded on the order: {refund_recorded}), stock held {holds}"
            ));
        }
        let agrees = match (charged, refunded) {
            (true, true) => payment == Some(PaymentStatus::Refunded),
            (true, false) => payment == Some(PaymentStatus::Succeeded),
            _ => !matches!(
                payment,
                Some(PaymentStatus::Succeeded | PaymentStatus::Refunded | PaymentStatus::Charging)
            ),
        };
        if !agrees {
            v.push(format!(
                "order {id}: payment item {payment:?} while the provider charged {charged}, refunded {refunded}"
            ));
        }
        v
    }
}

/// The events of one order, as published; returns how many compensations it published.
fn check_events(
    history: &History,
    placed: &crate::history::PlacedOrder,
    expired: bool,
    v: &mut Vec<String>,
) -> usize {
    let id = placed.id.as_str();
    let mut count: BTreeMap<&str, usize> = BTreeMap::new();
    for e in history
        .bus
        .published
        .iter()
        .filter(|e| e.correlation_id == id)
    {
        *count.entry(e.event_type.as_str()).or_default() += 1;
    }
    let n = |t: &str| count.get(t).copied().unwrap_or(0);
    let at_most_once = [
        ("PaymentRequested", n("PaymentRequested")),
        ("OrderConfirmed", n("OrderConfirmed")),
        ("OrderRejected", n("OrderRejected")),
        (
            "StockReserved or StockReservationFailed",
            n("StockReserved") + n("StockReservationFailed"),
        ),
        (
            "PaymentSucceeded or PaymentFailed",
            n("PaymentSucceeded") + n("PaymentFailed"),
        ),
        ("PaymentRefunded", n("PaymentRefunded")),
        ("StockReleased", n("StockReleased")),
        ("StockReleaseRequested", n("StockReleaseRequested")),
        ("RefundRequested", n("RefundRequested")),
    ];
    for (what, times) in at_most_once {
        if times > 1 {
            v.push(format!("order {id}: {what} published {times} times"));
        }
    }
    if n("OrderPlaced") != 1 {
        v.push(format!(
            "order {id}: OrderPlaced published {} times",
            n("OrderPlaced")
        ));
    }
    let cancelled = n("OrderCancelled");
    let accepted = placed.cancel_answers.contains(&200);
    if (cancelled > 0) != accepted || cancelled > 1 {
        v.push(format!(
            "order {id}: OrderCancelled published {cancelled} times (cancellation accepted: {accepted})"
        ));
    }
    let compensations = n("StockReleaseRequested") + n("RefundRequested");
    if compensations > 0 && !accepted && !expired {
        v.push(format!(
            "order {id}: {compensations} compensations published, but it was neither cancelled nor expired"
        ));
    }
    compensations
}

/// Stock is conserved per product, and reserved exactly by the held reservations.
async fn check_stock(
    history: &History,
    held: &HashMap<String, Reservation>,
    verdict: &mut Verdict,
) {
    let stack = &history.stack;
    let catalog = products::store::CatalogStore::new(
        stack.client.clone(),
        stack.table("ProductsTable").to_owned(),
    );
    for product in &history.products {
        let stock = catalog
            .get(&product.id)
            .await
            .expect("read a product")
            .expect("the product exists")
            .stock;
        let held_units: u32 = held
            .values()
            .flat_map(|r| &r.lines)
            .filter(|l| l.product_id == product.id.as_str())
            .map(|l| l.quantity)
            .sum();
        if stock.available + stock.reserved != product.initial_stock || stock.reserved != held_units
        {
            verdict.violations.push(format!(
                "product {}: available {} + reserved {} from {} initially, {held_units} held by reservations",
                product.id.as_str(),
                stock.available,
                stock.reserved,
                product.initial_stock
            ));
        }
    }
}

/// One inbox entry per notification-worthy event, in the right inbox, and no other.
async fn check_inbox(history: &History, verdict: &mut Verdict) {
    let mut entries: HashMap<String, Vec<String>> = HashMap::new();
    for item in history.stack.scan("NotificationsTable", "USER#").await {
        let sk = item["SK"].as_s().expect("a sort key");
        if !sk.starts_with("NOTE#") {
            continue;
        }
        let event_id = item["id"].as_s().expect("an entry id").clone();
        let pk = item["PK"].as_s().expect("a partition key").clone();
        entries.entry(event_id).or_default().push(pk);
        verdict.inbox_entries += 1;
    }
    let dead_in_notifications: Vec<&str> = history
        .bus
        .unhandled_dead_letters()
        .filter(|(queue, _)| *queue == "NotificationsQueue")
        .map(|(_, m)| m.envelope.id.as_str())
        .collect();
    let notified: Vec<&Envelope> = history
        .bus
        .published
        .iter()
        .filter(|e| NOTIFIED.contains(&e.event_type.as_str()))
        .collect();
    for event in &notified {
        let inboxes = entries.get(&event.id).map(Vec::as_slice).unwrap_or(&[]);
        let dead = dead_in_notifications.contains(&event.id.as_str());
        let user = event.data["user_id"].as_str().unwrap_or_default();
        let expected = format!("USER#{user}");
        if inboxes.len() > 1 || (inboxes.is_empty() && !dead) {
            verdict.violations.push(format!(
                "{} {} of order {}: {} inbox entries",
                event.event_type,
                event.id,
                event.correlation_id,
                inboxes.len()
            ));
        }
        if inboxes.iter().any(|pk| *pk != expected) {
            verdict.violations.push(format!(
                "{} {}: an entry outside {expected}: {inboxes:?}",
                event.event_type, event.id
            ));
        }
    }
    // One notice per (order, fact): the events that made an entry, by order and type.
    let mut notices: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    for event in notified.iter().filter(|e| entries.contains_key(&e.id)) {
        *notices
            .entry((event.correlation_id.as_str(), event.event_type.as_str()))
            .or_default() += 1;
    }
    for ((order, fact), times) in notices {
        if times > 1 {
            verdict.violations.push(format!(
                "order {order}: its owner was told {times} times of {fact}"
            ));
        }
    }
    for id in entries.keys() {
        if !notified.iter().any(|e| e.id == *id) {
            verdict.violations.push(format!(
                "an inbox entry for {id}, which is no notified event"
            ));
        }
    }
}
