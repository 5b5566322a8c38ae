//! The products API: the route table, one module per audience.

mod browse;
mod catalog_admin;
mod health;
mod stock;
mod views;

use crate::App;
use lambda_http::http::Method;
use shared::http::Router;

/// Every route of the products-api function, as declared in template.yaml.
pub fn router() -> Router<App> {
    Router::new()
        .route(Method::GET, "/v1/health", health::health)
        .route(Method::GET, "/v1/products", browse::list_products)
        .route(Method::GET, "/v1/products/{id}", browse::get_product)
        .route(Method::POST, "/v1/products", catalog_admin::create_product)
        .route(
            Method::PUT,
            "/v1/products/{id}",
            catalog_admin::replace_product,
        )
        .route(
            Method::PATCH,
            "/v1/products/{id}",
            catalog_admin::patch_product,
        )
        .route(
            Method::DELETE,
            "/v1/products/{id}",
            catalog_admin::delete_product,
        )
        .route(Method::POST, "/v1/products/{id}/stock", stock::adjust_stock)
}
