//! The payments API: the route table, one module per audience.

mod own_payments;
mod views;

use crate::App;
use lambda_http::http::Method;
use shared::http::Router;

/// Every route of the payments-api function, as declared in template.yaml.
pub fn router() -> Router<App> {
    Router::new().route(Method::GET, "/v1/payments", own_payments::list_payments)
}
