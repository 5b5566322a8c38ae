//! Where an order is in its lifecycle, and why a rejected order was rejected, with the
//! names clients, events and keys use for them.

use serde::{Deserialize, Serialize};

/// The status of an order in the saga (docs/saga.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OrderStatus {
    /// Placed; waiting for products to reserve its stock.
    Pending,
    /// Stock reserved; waiting for payments to charge it.
    AwaitingPayment,
    /// Paid: the order stands.
    Confirmed,
    /// Ended without being paid: out of stock, payment declined, or past its deadline.
    Rejected,
    /// Ended by its owner.
    Cancelled,
}

impl OrderStatus {
    /// Every status, in lifecycle order (the rows of the saga table).
    pub const ALL: [OrderStatus; 5] = [
        Self::Pending,
        Self::AwaitingPayment,
        Self::Confirmed,
        Self::Rejected,
        Self::Cancelled,
    ];

    /// The wire, stored and key name, e.g. `AWAITING_PAYMENT`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "PENDING",
            Self::AwaitingPayment => "AWAITING_PAYMENT",
            Self::Confirmed => "CONFIRMED",
            Self::Rejected => "REJECTED",
            Self::Cancelled => "CANCELLED",
        }
    }

    /// Reads a wire name; `None` for anything else (lower case included).
    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw)
    }
}

impl std::fmt::Display for OrderStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why an order is REJECTED: its `status_reason`, and the `reason` of OrderRejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RejectionReason {
    /// Products could not reserve every line.
    OutOfStock,
    /// Payments could not charge the order.
    PaymentDeclined,
    /// Neither confirmed nor rejected within the reservation deadline: the stock goes back
    /// to the shelf, and a payment that succeeds later is refunded.
    Expired,
}

impl RejectionReason {
    /// The wire name, e.g. `out_of_stock`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::OutOfStock => "out_of_stock",
            Self::PaymentDeclined => "payment_declined",
            Self::Expired => "expired",
        }
    }

    /// Reads a wire name.
    pub fn parse(raw: &str) -> Option<Self> {
        [Self::OutOfStock, Self::PaymentDeclined, Self::Expired]
            .into_iter()
            .find(|r| r.as_str() == raw)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_have_their_wire_names_in_serde_and_as_str() {
        let expected = [
            (OrderStatus::Pending, "PENDING"),
            (OrderStatus::AwaitingPayment, "AWAITING_PAYMENT"),
            (OrderStatus::Confirmed, "CONFIRMED"),
            (OrderStatus::Rejected, "REJECTED"),
            (OrderStatus::Cancelled, "CANCELLED"),
        ];
        for (status, name) in expected {
            assert_eq!(status.as_str(), name);
            assert_eq!(serde_json::to_value(status).unwrap(), name);
            assert_eq!(OrderStatus::parse(name), Some(status));
        }
        assert_eq!(OrderStatus::ALL.len(), expected.len());
        assert_eq!(OrderStatus::parse("pending"), None);
        assert_eq!(OrderStatus::parse(""), None);
    }

    #[test]
    fn rejection_reasons_have_their_wire_names() {
        for (reason, name) in [
            (RejectionReason::OutOfStock, "out_of_stock"),
            (RejectionReason::PaymentDeclined, "payment_declined"),
            (RejectionReason::Expired, "expired"),
        ] {
            assert_eq!(reason.as_str(), name);
            assert_eq!(serde_json::to_value(reason).unwrap(), name);
            assert_eq!(RejectionReason::parse(name), Some(reason));
        }
        assert_eq!(RejectionReason::parse("OUT_OF_STOCK"), None);
    }
}
