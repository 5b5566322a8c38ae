//! Admin routes: GET /v1/users and GET /v1/users/{id}.

use super::views::ProfileView;
use crate::domain::UserId;
use crate::error::UsersError;
use crate::App;
use lambda_http::http::StatusCode;
use shared::http::{json, Answer, ApiRequest};
use shared::pagination::{CursorScope, Limit, Page};
use std::sync::Arc;

/// GET /v1/users/{id}
pub async fn get_user(app: Arc<App>, req: ApiRequest) -> Answer<UsersError> {
    req.caller()?.require_admin()?;
    let id = UserId::parse(req.path_param("id")?).ok_or(UsersError::UserNotFound)?;
    let profile = app
        .profiles
        .get(&id)
        .await?
        .ok_or(UsersError::UserNotFound)?;
    json(StatusCode::OK, &ProfileView::from(&profile))
}

/// GET /v1/users?limit=&cursor=
pub async fn list_users(app: Arc<App>, req: ApiRequest) -> Answer<UsersError> {
    let caller = req.caller()?;
    caller.require_admin()?;
    let limit = Limit::parse(req.query("limit").as_deref())?;
    let scope = CursorScope::new(Some(&caller.user_id), &req.query_fingerprint());
    let start = app.cursors.decode(req.query("cursor").as_deref(), &scope)?;
    let (profiles, last_key) = app.profiles.list(limit.get(), start).await?;
    let page = Page {
        items: profiles.iter().map(ProfileView::from).collect(),
        next_cursor: app.cursors.encode(last_key.as_ref(), &scope)?,
    };
    json(StatusCode::OK, &page)
}
