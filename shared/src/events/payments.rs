//! Events of the payments service: the outcome of a charge and of a refund.

use super::Event;
use crate::money::Money;
use serde::{Deserialize, Serialize};

/// An order's total was charged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PaymentSucceeded {
    /// The order.
    pub order_id: String,
    /// Who placed it.
    pub user_id: String,
    /// The payment record.
    pub payment_id: String,
    /// What was charged.
    pub amount: Money,
}

impl Event for PaymentSucceeded {
    const TYPE: &'static str = "PaymentSucceeded";
}

/// The provider declined the charge; nothing was charged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PaymentFailed {
    /// The order.
    pub order_id: String,
    /// Who placed it.
    pub user_id: String,
    /// The payment record.
    pub payment_id: String,
    /// Why, e.g. `card_declined` or `insufficient_funds`.
    pub reason: String,
}

impl Event for PaymentFailed {
    const TYPE: &'static str = "PaymentFailed";
}

/// A succeeded payment was refunded in full (once per order).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PaymentRefunded {
    /// The order.
    pub order_id: String,
    /// Who placed it.
    pub user_id: String,
    /// The payment record.
    pub payment_id: String,
    /// What was refunded.
    pub amount: Money,
}

impl Event for PaymentRefunded {
    const TYPE: &'static str = "PaymentRefunded";
}
