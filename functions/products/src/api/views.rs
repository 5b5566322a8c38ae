//! What the products API answers with.

use crate::domain::{Product, StockLevel};
use crate::error::ProductsError;
use lambda_http::http::StatusCode;
use serde::Serialize;
use shared::http::{created, json, tagged, Answer, EntityTag};
use shared::{ApiError, Money};

/// Stock as clients see it.
#[derive(Debug, Serialize)]
pub struct StockView {
    available: u32,
    reserved: u32,
}

impl From<StockLevel> for StockView {
    fn from(s: StockLevel) -> Self {
        Self {
            available: s.available,
            reserved: s.reserved,
        }
    }
}

/// A product as clients see it.
#[derive(Debug, Serialize)]
pub struct ProductView {
    id: String,
    name: String,
    description: String,
    category: String,
    price: Money,
    stock: StockView,
    version: u64,
    created_at: String,
    updated_at: String,
}

impl From<&Product> for ProductView {
    fn from(p: &Product) -> Self {
        Self {
            id: p.id.as_str().to_owned(),
            name: p.name.as_str().to_owned(),
            description: p.description.as_str().to_owned(),
            category: p.category.as_str().to_owned(),
            price: p.price.money(),
            stock: p.stock.into(),
            version: p.version.get(),
            created_at: shared::time::rfc3339(&p.created_at),
            updated_at: shared::time::rfc3339(&p.updated_at),
        }
    }
}

/// 200 with the product, untagged: [`product_ok`] and the cacheable read tag it.
pub fn product_json(p: &Product) -> Answer<ProductsError> {
    json(StatusCode::OK, &ProductView::from(p))
}

/// 200 with the product and its ETag.
pub fn product_ok(p: &Product) -> Answer<ProductsError> {
    tagged(product_json(p)?)
}

/// 201 with Location, ETag and the product.
pub fn product_created(p: &Product) -> Answer<ProductsError> {
    let location = format!("/v1/products/{}", p.id.as_str());
    tagged(created::<_, ApiError>(&location, &ProductView::from(p))?)
}

/// The entity tag a GET of the product answers with now, which `If-Match` must name: it
/// changes with the catalog fields and with the stock, as the representation does.
pub fn product_etag(p: &Product) -> Result<EntityTag, ProductsError> {
    Ok(EntityTag::of_body(product_json(p)?.body()))
}
