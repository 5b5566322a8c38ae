//! The order: placed PENDING from a priced checkout, moved only by the saga's
//! transitions, and the source of every event payload the orders service publishes.

use super::address::ShippingAddress;
use super::checkout::{Checkout, PaymentMethod};
use super::pricing::{PricedLine, PricedOrder};
use super::saga::Emit;
use super::status::{OrderStatus, RejectionReason};
use chrono::{DateTime, Utc};
use shared::events::orders::{
    OrderCancelled, OrderConfirmed, OrderLine, OrderPlaced, OrderRejected, PaymentRequested,
    RefundRequested, StockReleaseRequested,
};
use shared::Money;

shared::uuid_id! {
    /// An order id (time-ordered UUIDv7, so ids sort by placement).
    pub struct OrderId;
}

impl OrderId {
    /// A fresh id for a new order.
    pub fn generate() -> Self {
        Self(shared::ids::new_id())
    }
}

/// An order and where it stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Order {
    /// Id.
    pub id: OrderId,
    /// Who placed it (Cognito `sub`).
    pub user_id: String,
    /// Where it is in the saga.
    pub status: OrderStatus,
    /// Why it was rejected; `None` unless REJECTED.
    pub status_reason: Option<RejectionReason>,
    /// The priced lines.
    pub lines: Vec<PricedLine>,
    /// Sum of the lines.
    pub total: Money,
    /// How it is paid.
    pub payment_method: PaymentMethod,
    /// Where it ships; `None` once its owner's personal data was erased.
    pub shipping_address: Option<ShippingAddress>,
    /// When it was placed.
    pub created_at: DateTime<Utc>,
    /// When its status last changed.
    pub updated_at: DateTime<Utc>,
    /// When payments reported the refund of a cancelled order.
    pub refunded_at: Option<DateTime<Utc>>,
    /// When its owner deleted their account and the order's personal data was erased.
    pub redacted_at: Option<DateTime<Utc>>,
}

/// An event the orders service publishes about an order.
#[derive(Debug, Clone, PartialEq)]
pub enum OrderEvent {
    /// OrderPlaced.
    Placed(OrderPlaced),
    /// PaymentRequested.
    PaymentRequested(PaymentRequested),
    /// OrderConfirmed.
    Confirmed(OrderConfirmed),
    /// OrderRejected.
    Rejected(OrderRejected),
    /// OrderCancelled.
    Cancelled(OrderCancelled),
    /// StockReleaseRequested (a compensation).
    StockReleaseRequested(StockReleaseRequested),
    /// RefundRequested (a compensation).
    RefundRequested(RefundRequested),
}

impl Order {
    /// A new PENDING order of `user_id` for a checked, priced checkout.
    pub fn place(
        id: OrderId,
        user_id: &str,
        checkout: Checkout,
        priced: PricedOrder,
        now: DateTime<Utc>,
    ) -> Self {
        Self {
            id,
            user_id: user_id.to_owned(),
            status: OrderStatus::Pending,
            status_reason: None,
            lines: priced.lines,
            total: priced.total,
            payment_method: checkout.payment_method,
            shipping_address: Some(checkout.shipping_address),
            created_at: now,
            updated_at: now,
            refunded_at: None,
            redacted_at: None,
        }
    }

    /// True when `user_id` placed it.
    pub fn is_owned_by(&self, user_id: &str) -> bool {
        self.user_id == user_id
    }

    /// The order after the saga's transition to `to`, with `reason` if it is REJECTED.
    pub fn transitioned(
        &self,
        to: OrderStatus,
        reason: Option<RejectionReason>,
        now: DateTime<Utc>,
    ) -> Self {
        Self {
            status: to,
            status_reason: reason,
            updated_at: now,
            ..self.clone()
        }
    }

    /// The order with its refund recorded: `refunded_at` is the first report's time.
    pub fn refund_recorded(&self, now: DateTime<Utc>) -> Self {
        Self {
            refunded_at: self.refunded_at.or(Some(now)),
            updated_at: now,
            ..self.clone()
        }
    }

    /// OrderPlaced for this order.
    pub fn placed(&self) -> OrderEvent {
        OrderEvent::Placed(OrderPlaced {
            order_id: self.id.as_str().to_owned(),
            user_id: self.user_id.clone(),
            lines: self
                .lines
                .iter()
                .map(|l| OrderLine {
                    product_id: l.product_id.as_str().to_owned(),
                    quantity: l.quantity,
                    unit_price: l.unit_price,
                })
                .collect(),
            total: self.total,
        })
    }

    /// The payload of an event the saga emits for this order.
    pub fn event(&self, emit: Emit) -> OrderEvent {
        let order_id = self.id.as_str().to_owned();
        let user_id = self.user_id.clone();
        match emit {
            Emit::PaymentRequested => OrderEvent::PaymentRequested(PaymentRequested {
                order_id,
                user_id,
                amount: self.total,
                payment_method: self.payment_method.as_str().to_owned(),
            }),
            Emit::OrderConfirmed => OrderEvent::Confirmed(OrderConfirmed {
                order_id,
                user_id,
                total: self.total,
            }),
            Emit::OrderRejected(reason) => OrderEvent::Rejected(OrderRejected {
                order_id,
                user_id,
                total: self.total,
                reason: reason.as_str().to_owned(),
            }),
            Emit::OrderCancelled { refund } => OrderEvent::Cancelled(OrderCancelled {
                order_id,
                user_id,
                total: self.total,
                refund,
            }),
            Emit::StockReleaseRequested => {
                OrderEvent::StockReleaseRequested(StockReleaseRequested { order_id, user_id })
            }
            Emit::RefundRequested => {
                OrderEvent::RefundRequested(RefundRequested { order_id, user_id })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::checkout::{CheckoutLine, ProductId};
    use shared::Currency;

    fn order() -> Order {
        let eur = |amount| Money::new(amount, Currency::parse("EUR").unwrap());
        let product_id = ProductId::parse("0193f19f-0000-7000-8000-000000000001").unwrap();
        let checkout = Checkout {
            lines: vec![CheckoutLine {
                product_id: product_id.clone(),
                quantity: 2,
            }],
            payment_method: PaymentMethod::parse("pm_card_visa").unwrap(),
            shipping_address: ShippingAddress::new(
                "Ada",
                "1 Main St",
                None,
                "Berlin",
                "10115",
                "DE",
            )
            .unwrap(),
        };
        let priced = PricedOrder {
            lines: vec![PricedLine {
                product_id,
                name: "Mug".into(),
                quantity: 2,
                unit_price: eur(1250),
                line_total: eur(2500),
            }],
            total: eur(2500),
        };
        Order::place(
            OrderId::generate(),
            "user-1",
            checkout,
            priced,
            shared::time::now(),
        )
    }

    #[test]
    fn a_placed_order_is_pending_and_its_event_carries_the_priced_lines() {
        let o = order();
        assert_eq!(o.status, OrderStatus::Pending);
        assert_eq!(o.status_reason, None);
        let OrderEvent::Placed(placed) = o.placed() else {
            panic!("not OrderPlaced");
        };
        assert_eq!(placed.order_id, o.id.as_str());
        assert_eq!(placed.lines[0].quantity, 2);
        assert_eq!(placed.lines[0].unit_price.amount, 1250);
        assert_eq!(placed.total.amount, 2500);
    }

    #[test]
    fn transitions_change_status_and_reason_and_refunds_are_recorded_once() {
        let o = order();
        let later = o.created_at + chrono::Duration::seconds(5);
        let rejected = o.transitioned(
            OrderStatus::Rejected,
            Some(RejectionReason::OutOfStock),
            later,
        );
        assert_eq!(rejected.status_reason, Some(RejectionReason::OutOfStock));
        assert_eq!(rejected.updated_at, later);
        assert_eq!(rejected.created_at, o.created_at);
        assert_eq!(rejected.refunded_at, None);
        let expired = o.transitioned(OrderStatus::Rejected, Some(RejectionReason::Expired), later);
        let refunded = expired.refund_recorded(later);
        assert_eq!(refunded.refunded_at, Some(later));
        assert_eq!(
            (refunded.status, refunded.status_reason),
            (OrderStatus::Rejected, Some(RejectionReason::Expired)),
            "recording a refund keeps the status and its reason"
        );
        let again = refunded.refund_recorded(later + chrono::Duration::seconds(1));
        assert_eq!(again.refunded_at, Some(later));
    }

    #[test]
    fn saga_events_carry_what_their_consumers_need() {
        let o = order();
        assert_eq!(
            o.event(Emit::PaymentRequested),
            OrderEvent::PaymentRequested(PaymentRequested {
                order_id: o.id.as_str().to_owned(),
                user_id: "user-1".into(),
                amount: o.total,
                payment_method: "pm_card_visa".into(),
            })
        );
        let OrderEvent::Rejected(rejected) =
            o.event(Emit::OrderRejected(RejectionReason::PaymentDeclined))
        else {
            panic!("not OrderRejected");
        };
        assert_eq!(rejected.reason, "payment_declined");
        let OrderEvent::Cancelled(cancelled) = o.event(Emit::OrderCancelled { refund: true })
        else {
            panic!("not OrderCancelled");
        };
        assert!(cancelled.refund);
    }
}
