//! Admin catalog routes: POST /v1/products, PUT / PATCH / DELETE /v1/products/{id}.

use super::views::{product_created, product_etag, product_ok};
use crate::domain::{
    CatalogChanges, CatalogFields, Category, Description, Price, Product, ProductId, ProductName,
    StockLevel,
};
use crate::error::ProductsError;
use crate::{App, SERVICE};
use serde::Deserialize;
use shared::events::products::{ProductCreated, ProductDeleted, ProductUpdated};
use shared::http::{no_content, Answer, ApiRequest, EntityTags};
use shared::store::StoreError;
use shared::{Envelope, FieldError, FieldErrors};
use std::sync::Arc;

/// Read-modify-write attempts of an edit without If-Match before giving up on a product
/// that keeps changing.
const MAX_EDIT_ATTEMPTS: usize = 3;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PriceBody {
    amount: i64,
    currency: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewProduct {
    name: String,
    #[serde(default)]
    description: String,
    category: String,
    price: PriceBody,
    stock: i64,
}

/// PUT body: every catalog field. `stock` is accepted by the parser only to explain
/// where stock is changed.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProductReplacement {
    name: String,
    #[serde(default)]
    description: String,
    category: String,
    price: PriceBody,
    stock: Option<serde_json::Value>,
}

/// PATCH body: some catalog fields.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProductPatch {
    name: Option<String>,
    description: Option<String>,
    category: Option<String>,
    price: Option<PriceBody>,
    stock: Option<serde_json::Value>,
}

/// Notes a `stock` in a catalog edit: stock moves only through its own route.
fn refuse_stock(errors: &mut FieldErrors, stock: &Option<serde_json::Value>) {
    if stock.is_some() {
        errors.push(FieldError::new(
            "stock",
            "stock is not writable here; use POST /v1/products/{id}/stock",
        ));
    }
}

fn check_price(errors: &mut FieldErrors, price: &PriceBody) -> Option<Price> {
    errors.check_all(Price::parse(price.amount, &price.currency))
}

fn catalog_fields(
    fields: &mut FieldErrors,
    name: &str,
    description: &str,
    category: &str,
    price: &PriceBody,
) -> Option<CatalogFields> {
    let name = fields.check(ProductName::parse(name));
    let description = fields.check(Description::parse(description));
    let category = fields.check(Category::parse(category, "category"));
    let price = check_price(fields, price);
    Some(CatalogFields {
        name: name?,
        description: description?,
        category: category?,
        price: price?,
    })
}

/// POST /v1/products
pub async fn create_product(app: Arc<App>, req: ApiRequest) -> Answer<ProductsError> {
    req.caller()?.require_admin()?;
    let body: NewProduct = req.json()?;
    let mut fields = FieldErrors::default();
    let catalog = catalog_fields(
        &mut fields,
        &body.name,
        &body.description,
        &body.category,
        &body.price,
    );
    let stock = fields.check(StockLevel::initial(body.stock).map_err(|_| {
        FieldError::new(
            "stock",
            format!("must be an integer from 0 to {}", crate::domain::MAX_STOCK),
        )
    }));
    let (catalog, stock) = fields
        .finish(catalog.zip(stock))
        .map_err(ProductsError::Invalid)?;
    let product = Product::create(ProductId::generate(), catalog, stock, shared::time::now());
    shared::telemetry::correlate(product.id.as_str());
    let event = Envelope::new(
        SERVICE,
        product.id.as_str(),
        ProductCreated(product.snapshot()),
    );
    app.catalog.create(&product, &event).await?;
    tracing::info!(product_id = product.id.as_str(), "product created");
    product_created(&product)
}

/// PUT /v1/products/{id}
pub async fn replace_product(app: Arc<App>, req: ApiRequest) -> Answer<ProductsError> {
    req.caller()?.require_admin()?;
    let body: ProductReplacement = req.json()?;
    let mut fields = FieldErrors::default();
    refuse_stock(&mut fields, &body.stock);
    let catalog = catalog_fields(
        &mut fields,
        &body.name,
        &body.description,
        &body.category,
        &body.price,
    );
    let changes = CatalogChanges::from(fields.finish(catalog).map_err(ProductsError::Invalid)?);
    edit(&app, &req, changes).await
}

/// PATCH /v1/products/{id}
pub async fn patch_product(app: Arc<App>, req: ApiRequest) -> Answer<ProductsError> {
    req.caller()?.require_admin()?;
    let body: ProductPatch = req.json()?;
    let mut fields = FieldErrors::default();
    refuse_stock(&mut fields, &body.stock);
    let changes = CatalogChanges {
        name: body
            .name
            .as_deref()
            .and_then(|n| fields.check(ProductName::parse(n))),
        description: body
            .description
            .as_deref()
            .and_then(|d| fields.check(Description::parse(d))),
        category: body
            .category
            .as_deref()
            .and_then(|c| fields.check(Category::parse(c, "category"))),
        price: body
            .price
            .as_ref()
            .and_then(|p| check_price(&mut fields, p)),
    };
    if fields.is_empty() && changes.is_empty() {
        return Err(ProductsError::invalid(FieldError::new(
            "",
            "nothing to update: give at least one of name, description, category, price",
        )));
    }
    let changes = fields
        .finish(Some(changes))
        .map_err(ProductsError::Invalid)?;
    edit(&app, &req, changes).await
}

/// Applies catalog changes under optimistic concurrency: with If-Match, a stale version is
/// a 412; without it, a concurrent edit is re-read and the changes applied on top.
async fn edit(app: &App, req: &ApiRequest, changes: CatalogChanges) -> Answer<ProductsError> {
    let id = ProductId::parse(req.path_param("id")?).ok_or(ProductsError::NotFound)?;
    shared::telemetry::correlate(id.as_str());
    let if_match = if_match(req)?;
    for _ in 0..MAX_EDIT_ATTEMPTS {
        let current = active_product(app, &id).await?;
        if !precondition_holds(if_match.as_ref(), &current)? {
            return Err(ProductsError::VersionMismatch);
        }
        let edited = current.edit(changes.clone(), shared::time::now());
        let event = Envelope::new(
            SERVICE,
            edited.id.as_str(),
            ProductUpdated(edited.snapshot()),
        );
        match app
            .catalog
            .save_catalog(&edited, current.version, &event)
            .await
        {
            Ok(()) => return product_ok(&edited),
            // Changed or archived since the read: the next read tells which.
            Err(StoreError::ConditionFailed) => continue,
            Err(other) => return Err(other.into()),
        }
    }
    Err(ProductsError::Busy)
}

/// DELETE /v1/products/{id}: archives the product.
pub async fn delete_product(app: Arc<App>, req: ApiRequest) -> Answer<ProductsError> {
    req.caller()?.require_admin()?;
    let id = ProductId::parse(req.path_param("id")?).ok_or(ProductsError::NotFound)?;
    shared::telemetry::correlate(id.as_str());
    let if_match = if_match(&req)?;
    for _ in 0..MAX_EDIT_ATTEMPTS {
        let current = active_product(&app, &id).await?;
        if !precondition_holds(if_match.as_ref(), &current)? {
            return Err(ProductsError::VersionMismatch);
        }
        let archived = current.archive(shared::time::now());
        let event = Envelope::new(
            SERVICE,
            archived.id.as_str(),
            ProductDeleted(archived.snapshot()),
        );
        match app
            .catalog
            .archive(&archived, current.version, &event)
            .await
        {
            Ok(()) => {
                tracing::info!(product_id = id.as_str(), "product archived");
                return no_content();
            }
            Err(StoreError::ConditionFailed) => continue,
            Err(other) => return Err(other.into()),
        }
    }
    Err(ProductsError::Busy)
}

fn if_match(req: &ApiRequest) -> Result<Option<EntityTags>, ProductsError> {
    shared::http::if_match(req).map_err(ProductsError::invalid)
}

/// False when `If-Match` was sent and names another representation than `current`'s.
fn precondition_holds(
    if_match: Option<&EntityTags>,
    current: &Product,
) -> Result<bool, ProductsError> {
    match if_match {
        Some(tags) => Ok(tags.match_strongly(&product_etag(current)?)),
        None => Ok(true),
    }
}

async fn active_product(app: &App, id: &ProductId) -> Result<Product, ProductsError> {
    app.catalog
        .get(id)
        .await?
        .filter(Product::is_active)
        .ok_or(ProductsError::NotFound)
}
