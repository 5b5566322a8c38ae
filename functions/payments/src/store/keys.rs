//! Key layout of the payments table (one table, shared with the outbox):
//!
//! | item    | PK                   | SK                          |
//! |---------|----------------------|-----------------------------|
//! | payment | `PAYMENT#<order id>` | `PAYMENT`                   |
//! | marker  | `EVENT#<id>`         | `PROCESSED#payments-worker` |
//! | outbox  | `OUTBOX#<id>`        | `OUTBOX`                    |
//!
//! The payment is keyed by its order, not by its own id: one item per order is what makes
//! "charge at most once" a conditional write (`attribute_not_exists(PK)`), and it is how
//! both the worker and GET /v1/payments?order_id= find it. The payment's own id is an
//! attribute. A VOIDED tombstone takes the same key, so a late request finds it. No index:
//! nothing lists payments across orders.

/// Partition key of an order's payment.
pub fn payment_pk(order_id: &str) -> String {
    format!("PAYMENT#{order_id}")
}

/// Sort key of a payment item.
pub const PAYMENT_SK: &str = "PAYMENT";
