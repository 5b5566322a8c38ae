//! Items as stored, and their conversion to and from the domain types.

use super::keys;
use crate::domain::{
    Category, Description, Price, Product, ProductId, ProductName, ProductStatus, Reservation,
    StockLevel, Version,
};
use serde::{Deserialize, Serialize};
use shared::events::products::StockLine;
use shared::store::StoreError;

#[derive(Debug, Serialize, Deserialize)]
pub(super) struct PriceRecord {
    pub amount: i64,
    pub currency: String,
}

/// A product item. `available` and `reserved` are top-level numbers because reservations
/// update them in place with conditions.
#[derive(Debug, Serialize, Deserialize)]
pub(super) struct ProductRecord {
    #[serde(rename = "PK")]
    pk: String,
    #[serde(rename = "SK")]
    sk: String,
    #[serde(rename = "GSI1PK", default, skip_serializing_if = "Option::is_none")]
    gsi1pk: Option<String>,
    #[serde(rename = "GSI1SK", default, skip_serializing_if = "Option::is_none")]
    gsi1sk: Option<String>,
    #[serde(rename = "GSI2PK", default, skip_serializing_if = "Option::is_none")]
    gsi2pk: Option<String>,
    #[serde(rename = "GSI2SK", default, skip_serializing_if = "Option::is_none")]
    gsi2sk: Option<String>,
    pub id: String,
    pub name: String,
    pub name_lc: String,
    pub description: String,
    pub category: String,
    pub price: PriceRecord,
    pub available: u32,
    pub reserved: u32,
    pub status: String,
    pub version: u64,
    pub created_at: String,
    pub updated_at: String,
}

/// The listing keys of a product: present only while it is active.
pub(super) struct ListingKeys {
    pub category_pk: Option<String>,
    pub catalog_pk: Option<String>,
    pub sk: Option<String>,
}

impl ListingKeys {
    pub fn of(p: &Product) -> Self {
        if !p.is_active() {
            return Self {
                category_pk: None,
                catalog_pk: None,
                sk: None,
            };
        }
        Self {
            category_pk: Some(keys::category_pk(p.category.as_str())),
            catalog_pk: Some(keys::CATALOG_PK.to_owned()),
            sk: Some(keys::listing_sk(&p.name.search_key(), p.id.as_str())),
        }
    }
}

impl From<&Product> for ProductRecord {
    fn from(p: &Product) -> Self {
        let listing = ListingKeys::of(p);
        let price = p.price.money();
        Self {
            pk: keys::product_pk(p.id.as_str()),
            sk: keys::PRODUCT_SK.to_owned(),
            gsi1pk: listing.category_pk,
            gsi1sk: listing.sk.clone(),
            gsi2pk: listing.catalog_pk,
            gsi2sk: listing.sk,
            id: p.id.as_str().to_owned(),
            name: p.name.as_str().to_owned(),
            name_lc: p.name.search_key(),
            description: p.description.as_str().to_owned(),
            category: p.category.as_str().to_owned(),
            price: PriceRecord {
                amount: i64::try_from(price.amount).unwrap_or(i64::MAX),
                currency: price.currency.as_str().to_owned(),
            },
            available: p.stock.available,
            reserved: p.stock.reserved,
            status: p.status.as_str().to_owned(),
            version: p.version.get(),
            created_at: shared::time::rfc3339(&p.created_at),
            updated_at: shared::time::rfc3339(&p.updated_at),
        }
    }
}

impl TryFrom<ProductRecord> for Product {
    type Error = StoreError;

    fn try_from(r: ProductRecord) -> Result<Self, StoreError> {
        let corrupt = |what: &str| {
            StoreError::Other(anyhow::anyhow!("product {} has an invalid {what}", r.id))
        };
        Ok(Product {
            id: ProductId::parse(&r.id).ok_or_else(|| corrupt("id"))?,
            name: ProductName::parse(&r.name).map_err(|_| corrupt("name"))?,
            description: Description::parse(&r.description).map_err(|_| corrupt("description"))?,
            category: Category::parse(&r.category, "category").map_err(|_| corrupt("category"))?,
            price: Price::parse(r.price.amount, &r.price.currency).map_err(|_| corrupt("price"))?,
            stock: StockLevel {
                available: r.available,
                reserved: r.reserved,
            },
            status: ProductStatus::parse(&r.status).ok_or_else(|| corrupt("status"))?,
            version: Version::new(r.version),
            created_at: shared::time::parse_rfc3339(&r.created_at)
                .ok_or_else(|| corrupt("created_at"))?,
            updated_at: shared::time::parse_rfc3339(&r.updated_at)
                .ok_or_else(|| corrupt("updated_at"))?,
        })
    }
}

/// The stock attributes alone, as BatchGetItem projects them.
#[derive(Debug, Deserialize)]
pub(super) struct StockRecord {
    pub id: String,
    pub available: u32,
    pub reserved: u32,
    pub status: String,
}

#[derive(Debug, Serialize, Deserialize)]
pub(super) struct LineRecord {
    pub product_id: String,
    pub quantity: u32,
}

/// An order's reservation item.
#[derive(Debug, Serialize, Deserialize)]
pub(super) struct ReservationRecord {
    #[serde(rename = "PK")]
    pk: String,
    #[serde(rename = "SK")]
    sk: String,
    pub order_id: String,
    pub lines: Vec<LineRecord>,
    pub released: bool,
    pub updated_at: String,
}

impl From<&Reservation> for ReservationRecord {
    fn from(r: &Reservation) -> Self {
        Self {
            pk: keys::reservation_pk(&r.order_id),
            sk: keys::RESERVATION_SK.to_owned(),
            order_id: r.order_id.clone(),
            lines: r
                .lines
                .iter()
                .map(|l| LineRecord {
                    product_id: l.product_id.clone(),
                    quantity: l.quantity,
                })
                .collect(),
            released: r.released,
            updated_at: shared::time::rfc3339(&shared::time::now()),
        }
    }
}

impl From<ReservationRecord> for Reservation {
    fn from(r: ReservationRecord) -> Self {
        Self {
            order_id: r.order_id,
            lines: r
                .lines
                .into_iter()
                .map(|l| StockLine {
                    product_id: l.product_id,
                    quantity: l.quantity,
                })
                .collect(),
            released: r.released,
        }
    }
}
