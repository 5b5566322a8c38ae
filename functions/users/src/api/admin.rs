//! Admin routes: GET /v1/users and GET /v1/users/{id}.

use super::views::ProfileView;
use crate::domain::UserId;
use crate::error::UsersError;
use crate::App;
use lambda_http::http::StatusCode;
use shared::http::{json, Answer, ApiRequest};
use shared::pagination::Paging;
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
    let Paging { limit, start, next } = app.cursors.paging(&req, Some(&caller.user_id))?;
    let (profiles, last_key) = app.profiles.list(limit, start).await?;
    let views = profiles.iter().map(ProfileView::from).collect();
    json(StatusCode::OK, &next.page(views, last_key.as_ref())?)
}
