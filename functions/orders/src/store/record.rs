//! Items as stored, and their conversion to and from the domain types.

use super::keys;
use crate::domain::{
    Order, OrderId, OrderStatus, PaymentMethod, PricedLine, ProductId, ProjectedProduct,
    RejectionReason, ShippingAddress,
};
use serde::{Deserialize, Serialize};
use shared::events::products::ProductSnapshot;
use shared::store::StoreError;
use shared::Money;

/// The status name of a product that can be ordered.
const ACTIVE: &str = "ACTIVE";

#[derive(Debug, Serialize, Deserialize)]
pub(super) struct LineRecord {
    product_id: String,
    name: String,
    quantity: u32,
    unit_price: Money,
    line_total: Money,
}

#[derive(Debug, Serialize, Deserialize)]
pub(super) struct AddressRecord {
    name: String,
    line1: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    line2: Option<String>,
    city: String,
    postal_code: String,
    country: String,
}

/// An order item with the keys of its three listings.
#[derive(Debug, Serialize, Deserialize)]
pub(super) struct OrderRecord {
    #[serde(rename = "PK")]
    pk: String,
    #[serde(rename = "SK")]
    sk: String,
    #[serde(rename = "GSI1PK")]
    gsi1pk: String,
    #[serde(rename = "GSI1SK")]
    gsi1sk: String,
    #[serde(rename = "GSI2PK")]
    gsi2pk: String,
    #[serde(rename = "GSI2SK")]
    gsi2sk: String,
    #[serde(rename = "GSI3PK")]
    gsi3pk: String,
    #[serde(rename = "GSI3SK")]
    gsi3sk: String,
    id: String,
    user_id: String,
    status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    status_reason: Option<String>,
    items: Vec<LineRecord>,
    total: Money,
    payment_method: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    shipping_address: Option<AddressRecord>,
    created_at: String,
    updated_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    refunded_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    redacted_at: Option<String>,
}

impl From<&Order> for OrderRecord {
    fn from(o: &Order) -> Self {
        let id = o.id.as_str().to_owned();
        Self {
            pk: keys::order_pk(&id),
            sk: keys::ORDER_SK.to_owned(),
            gsi1pk: keys::user_pk(&o.user_id),
            gsi1sk: id.clone(),
            gsi2pk: keys::ALL_ORDERS_PK.to_owned(),
            gsi2sk: id.clone(),
            gsi3pk: keys::status_pk(o.status.as_str()),
            gsi3sk: id.clone(),
            id,
            user_id: o.user_id.clone(),
            status: o.status.as_str().to_owned(),
            status_reason: o.status_reason.map(|r| r.as_str().to_owned()),
            items: o
                .lines
                .iter()
                .map(|l| LineRecord {
                    product_id: l.product_id.as_str().to_owned(),
                    name: l.name.clone(),
                    quantity: l.quantity,
                    unit_price: l.unit_price,
                    line_total: l.line_total,
                })
                .collect(),
            total: o.total,
            payment_method: o.payment_method.as_str().to_owned(),
            shipping_address: o.shipping_address.as_ref().map(|a| AddressRecord {
                name: a.name.clone(),
                line1: a.line1.clone(),
                line2: a.line2.clone(),
                city: a.city.clone(),
                postal_code: a.postal_code.clone(),
                country: a.country.clone(),
            }),
            created_at: shared::time::rfc3339(&o.created_at),
            updated_at: shared::time::rfc3339(&o.updated_at),
            refunded_at: o.refunded_at.as_ref().map(shared::time::rfc3339),
            redacted_at: o.redacted_at.as_ref().map(shared::time::rfc3339),
        }
    }
}

impl TryFrom<OrderRecord> for Order {
    type Error = StoreError;

    fn try_from(r: OrderRecord) -> Result<Self, StoreError> {
        let corrupt =
            |what: &str| StoreError::Other(anyhow::anyhow!("order {} has an invalid {what}", r.id));
        let time =
            |raw: &str, what: &str| shared::time::parse_rfc3339(raw).ok_or_else(|| corrupt(what));
        let lines = r
            .items
            .iter()
            .map(|l| {
                Ok(PricedLine {
                    product_id: ProductId::parse(&l.product_id)
                        .ok_or_else(|| corrupt("product id"))?,
                    name: l.name.clone(),
                    quantity: l.quantity,
                    unit_price: l.unit_price,
                    line_total: l.line_total,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        let status_reason = match &r.status_reason {
            Some(raw) => Some(RejectionReason::parse(raw).ok_or_else(|| corrupt("status_reason"))?),
            None => None,
        };
        let refunded_at = match &r.refunded_at {
            Some(raw) => Some(time(raw, "refunded_at")?),
            None => None,
        };
        let redacted_at = match &r.redacted_at {
            Some(raw) => Some(time(raw, "redacted_at")?),
            None => None,
        };
        Ok(Order {
            id: OrderId::parse(&r.id).ok_or_else(|| corrupt("id"))?,
            user_id: r.user_id.clone(),
            status: OrderStatus::parse(&r.status).ok_or_else(|| corrupt("status"))?,
            status_reason,
            lines,
            total: r.total,
            payment_method: PaymentMethod::parse(&r.payment_method)
                .map_err(|_| corrupt("payment_method"))?,
            shipping_address: r.shipping_address.as_ref().map(|a| ShippingAddress {
                name: a.name.clone(),
                line1: a.line1.clone(),
                line2: a.line2.clone(),
                city: a.city.clone(),
                postal_code: a.postal_code.clone(),
                country: a.country.clone(),
            }),
            created_at: time(&r.created_at, "created_at")?,
            updated_at: time(&r.updated_at, "updated_at")?,
            refunded_at,
            redacted_at,
        })
    }
}

/// A product's price in the projection: the latest catalog snapshot seen.
#[derive(Debug, Serialize, Deserialize)]
pub(super) struct PriceRecord {
    #[serde(rename = "PK")]
    pk: String,
    #[serde(rename = "SK")]
    sk: String,
    pub product_id: String,
    name: String,
    price: Money,
    status: String,
    version: u64,
}

impl From<&ProductSnapshot> for PriceRecord {
    fn from(p: &ProductSnapshot) -> Self {
        Self {
            pk: keys::price_pk(&p.product_id),
            sk: keys::PRICE_SK.to_owned(),
            product_id: p.product_id.clone(),
            name: p.name.clone(),
            price: p.price,
            status: p.status.clone(),
            version: p.version,
        }
    }
}

impl From<PriceRecord> for ProjectedProduct {
    fn from(r: PriceRecord) -> Self {
        Self {
            orderable: r.status == ACTIVE,
            name: r.name,
            price: r.price,
            version: r.version,
        }
    }
}
