//! Public routes: GET /v1/products and GET /v1/products/{id}, each answering a current
//! `If-None-Match` with 304.

use super::views::{product_json, ProductView};
use crate::domain::{Category, ProductId};
use crate::error::ProductsError;
use crate::store::Listing;
use crate::App;
use lambda_http::http::StatusCode;
use shared::http::{cacheable, json, Answer, ApiRequest, Cacheable};
use shared::pagination::Paging;
use shared::{FieldError, FieldErrors};
use std::sync::Arc;

const MAX_QUERY_CHARS: usize = 100;

/// GET /v1/products?category=&q=&limit=&cursor=
pub async fn list_products(app: Arc<App>, req: ApiRequest) -> Answer<ProductsError> {
    // A public route has no authorizer; the cursor is bound to whoever the bearer token
    // (if any) says the client is, so one client's cursor is refused from another.
    let subject = req.unverified_bearer_subject();
    let Paging { limit, start, next } = app.cursors.paging(&req, subject.as_deref())?;
    let listing = listing(&req).map_err(ProductsError::Invalid)?;
    let (products, last_key) = app.catalog.list(&listing, limit, start).await?;
    let views = products.iter().map(ProductView::from).collect();
    let page = json::<_, ProductsError>(StatusCode::OK, &next.page(views, last_key.as_ref())?)?;
    // Each page's cursor is bound to who asked, so only their browser may keep it.
    cacheable(&req, page, Cacheable::Private)
}

fn listing(req: &ApiRequest) -> Result<Listing, Vec<FieldError>> {
    let mut errors = FieldErrors::default();
    let category = req
        .query("category")
        .map(|raw| errors.check(Category::parse(&raw, "category")));
    let name_contains = match req.query("q").map(|q| q.trim().to_lowercase()) {
        Some(q) if q.is_empty() => Some(None),
        Some(q) if q.chars().count() > MAX_QUERY_CHARS => {
            errors.push(FieldError::new(
                "q",
                format!("must be at most {MAX_QUERY_CHARS} characters"),
            ));
            None
        }
        other => Some(other),
    };
    let listing = match (category, name_contains) {
        (Some(None), _) | (_, None) => None,
        (category, Some(name_contains)) => Some(Listing {
            category: category.flatten(),
            name_contains,
        }),
    };
    errors.finish(listing)
}

/// GET /v1/products/{id}
pub async fn get_product(app: Arc<App>, req: ApiRequest) -> Answer<ProductsError> {
    let id = ProductId::parse(req.path_param("id")?).ok_or(ProductsError::NotFound)?;
    let product = app
        .catalog
        .get(&id)
        .await?
        .filter(|p| p.is_active())
        .ok_or(ProductsError::NotFound)?;
    cacheable(&req, product_json(&product)?, Cacheable::Public)
}
