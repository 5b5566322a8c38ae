//! What the orders API answers with.

use crate::domain::{Order, PricedLine, ShippingAddress};
use crate::error::OrdersError;
use lambda_http::http::StatusCode;
use serde::Serialize;
use shared::http::{json, Answer};
use shared::Money;

/// One line of an order as clients see it.
#[derive(Debug, Serialize)]
pub struct ItemView {
    product_id: String,
    name: String,
    quantity: u32,
    unit_price: Money,
    line_total: Money,
}

impl From<&PricedLine> for ItemView {
    fn from(l: &PricedLine) -> Self {
        Self {
            product_id: l.product_id.as_str().to_owned(),
            name: l.name.clone(),
            quantity: l.quantity,
            unit_price: l.unit_price,
            line_total: l.line_total,
        }
    }
}

/// A shipping address as clients see it; `line2` is null when absent.
#[derive(Debug, Serialize)]
pub struct AddressView {
    name: String,
    line1: String,
    line2: Option<String>,
    city: String,
    postal_code: String,
    country: String,
}

impl From<&ShippingAddress> for AddressView {
    fn from(a: &ShippingAddress) -> Self {
        Self {
            name: a.name.clone(),
            line1: a.line1.clone(),
            line2: a.line2.clone(),
            city: a.city.clone(),
            postal_code: a.postal_code.clone(),
            country: a.country.clone(),
        }
    }
}

/// An order as clients see it.
#[derive(Debug, Serialize)]
pub struct OrderView {
    id: String,
    status: &'static str,
    status_reason: Option<&'static str>,
    items: Vec<ItemView>,
    total: Money,
    payment_method: String,
    /// `null` once the owner's personal data was erased.
    shipping_address: Option<AddressView>,
    created_at: String,
    updated_at: String,
    /// When the owner's personal data was erased (the account was deleted), else `null`.
    redacted_at: Option<String>,
}

impl From<&Order> for OrderView {
    fn from(o: &Order) -> Self {
        Self {
            id: o.id.as_str().to_owned(),
            status: o.status.as_str(),
            status_reason: o.status_reason.map(|r| r.as_str()),
            items: o.lines.iter().map(ItemView::from).collect(),
            total: o.total,
            payment_method: o.payment_method.as_str().to_owned(),
            shipping_address: o.shipping_address.as_ref().map(AddressView::from),
            created_at: shared::time::rfc3339(&o.created_at),
            updated_at: shared::time::rfc3339(&o.updated_at),
            redacted_at: o.redacted_at.as_ref().map(shared::time::rfc3339),
        }
    }
}

/// Where an order lives.
pub fn order_location(o: &Order) -> String {
    format!("/v1/orders/{}", o.id.as_str())
}

/// 200 with the order.
pub fn order_ok(o: &Order) -> Answer<OrdersError> {
    json(StatusCode::OK, &OrderView::from(o))
}
