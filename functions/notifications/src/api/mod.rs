//! The notifications API: the route table and the inbox handler.

mod inbox;
mod views;

use crate::App;
use lambda_http::http::Method;
use shared::http::Router;

/// Every route of the notifications-api function, as declared in template.yaml.
pub fn router() -> Router<App> {
    Router::new().route(Method::GET, "/v1/notifications", inbox::list_notifications)
}
