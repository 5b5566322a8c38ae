//! The orders API: the route table, one module per use.

mod admin;
mod cancel;
mod checkout_body;
mod place;
mod read;
mod views;

pub use checkout_body::{AddressBody, CheckoutBody, ItemBody};

use crate::App;
use lambda_http::http::Method;
use shared::http::Router;

/// Every route of the orders-api function, as declared in template.yaml.
pub fn router() -> Router<App> {
    Router::new()
        .route(Method::POST, "/v1/orders", place::place_order)
        .route(Method::GET, "/v1/orders", read::list_own_orders)
        .route(Method::GET, "/v1/orders/{id}", read::get_own_order)
        .route(Method::POST, "/v1/orders/{id}/cancel", cancel::cancel_order)
        .route(Method::GET, "/v1/admin/orders", admin::list_orders)
}
