//! The users API: the route table, one module per audience.

mod admin;
mod auth;
mod me;
mod views;

use crate::App;
use lambda_http::http::Method;
use shared::http::Router;

/// Every route of the users function, as declared in template.yaml.
pub fn router() -> Router<App> {
    Router::new()
        .route(Method::POST, "/v1/auth/register", auth::register)
        .route(Method::POST, "/v1/auth/confirm", auth::confirm)
        .route(Method::POST, "/v1/auth/login", auth::login)
        .route(Method::POST, "/v1/auth/refresh", auth::refresh)
        .route(Method::GET, "/v1/users/me", me::get_me)
        .route(Method::PATCH, "/v1/users/me", me::update_me)
        .route(Method::DELETE, "/v1/users/me", me::delete_me)
        .route(Method::GET, "/v1/users", admin::list_users)
        .route(Method::GET, "/v1/users/{id}", admin::get_user)
}
