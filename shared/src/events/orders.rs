//! Events of the orders service, which owns the order lifecycle (docs/saga.md).

use super::Event;
use crate::money::Money;
use serde::{Deserialize, Serialize};

/// One line of a placed order, priced from the orders service's catalog projection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderLine {
    /// Product id.
    pub product_id: String,
    /// Units, 1..=100.
    pub quantity: u32,
    /// Price of one unit when the order was placed.
    pub unit_price: Money,
}

/// An order was accepted and waits for its stock reservation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderPlaced {
    /// The order.
    pub order_id: String,
    /// Who placed it (Cognito `sub`).
    pub user_id: String,
    /// 1 to 50 lines, one per product.
    pub lines: Vec<OrderLine>,
    /// Sum of the lines.
    pub total: Money,
}

impl Event for OrderPlaced {
    const TYPE: &'static str = "OrderPlaced";
}

/// Stock is reserved: the order's total is to be charged, once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PaymentRequested {
    /// The order; payments charges at most once per order id.
    pub order_id: String,
    /// Who placed it.
    pub user_id: String,
    /// The order's total.
    pub amount: Money,
    /// The payment method token the order was placed with (e.g. `pm_card_visa`).
    pub payment_method: String,
}

impl Event for PaymentRequested {
    const TYPE: &'static str = "PaymentRequested";
}

/// An order was paid and is CONFIRMED.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderConfirmed {
    /// The order.
    pub order_id: String,
    /// Who placed it.
    pub user_id: String,
    /// What was charged.
    pub total: Money,
}

impl Event for OrderConfirmed {
    const TYPE: &'static str = "OrderConfirmed";
}

/// An order ended as REJECTED; any stock it holds must be released.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderRejected {
    /// The order.
    pub order_id: String,
    /// Who placed it.
    pub user_id: String,
    /// The order's total, so a notice can name what was not charged.
    pub total: Money,
    /// `out_of_stock`, `payment_declined` or `expired`, as in the order's `status_reason`.
    pub reason: String,
}

impl Event for OrderRejected {
    const TYPE: &'static str = "OrderRejected";
}

/// An order ended as CANCELLED; its stock is released and, with `refund`, its payment
/// refunded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderCancelled {
    /// The order.
    pub order_id: String,
    /// Who placed it.
    pub user_id: String,
    /// The order's total, so a notice can name it.
    pub total: Money,
    /// True when a succeeded payment must be refunded.
    #[serde(default)]
    pub refund: bool,
}

impl Event for OrderCancelled {
    const TYPE: &'static str = "OrderCancelled";
}

/// A compensation, not a business fact: stock was reserved for an order that had already
/// been cancelled, and products is to release it (once per order, as for OrderCancelled).
/// Nobody is told: the customer heard of the cancellation once, from OrderCancelled.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StockReleaseRequested {
    /// The order.
    pub order_id: String,
    /// Who placed it.
    pub user_id: String,
}

impl Event for StockReleaseRequested {
    const TYPE: &'static str = "StockReleaseRequested";
}

/// A compensation, not a business fact: an order that had already been cancelled was
/// charged, and payments is to refund it (once per order, as for OrderCancelled). The
/// customer hears of the refund from PaymentRefunded, not of a second cancellation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RefundRequested {
    /// The order.
    pub order_id: String,
    /// Who placed it.
    pub user_id: String,
}

impl Event for RefundRequested {
    const TYPE: &'static str = "RefundRequested";
}
