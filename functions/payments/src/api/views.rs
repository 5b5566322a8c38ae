//! What the payments API answers with.

use crate::domain::Payment;
use serde::Serialize;
use shared::Money;

/// A payment as its buyer sees it.
#[derive(Debug, Serialize)]
pub struct PaymentView {
    id: String,
    order_id: String,
    amount: Money,
    status: &'static str,
    failure_reason: Option<String>,
    created_at: String,
    updated_at: String,
}

impl From<&Payment> for PaymentView {
    fn from(p: &Payment) -> Self {
        Self {
            id: p.id.as_str().to_owned(),
            order_id: p.order_id.as_str().to_owned(),
            amount: p.amount,
            status: p.status.as_str(),
            failure_reason: p.failure_reason.clone(),
            created_at: shared::time::rfc3339(&p.created_at),
            updated_at: shared::time::rfc3339(&p.updated_at),
        }
    }
}

/// `{"items": [...]}`: the payments of one order, zero or one of them.
#[derive(Debug, Serialize)]
pub struct PaymentList {
    /// The payments.
    pub items: Vec<PaymentView>,
}
