//! The caller's inbox: GET /v1/notifications.

use super::views::NotificationView;
use crate::error::NotificationsError;
use crate::App;
use lambda_http::http::StatusCode;
use shared::http::{json, Answer, ApiRequest};
use shared::pagination::Paging;
use std::sync::Arc;

/// GET /v1/notifications?limit=&cursor=: the caller's notifications, newest first (by
/// when what they tell of happened).
pub async fn list_notifications(app: Arc<App>, req: ApiRequest) -> Answer<NotificationsError> {
    let caller = req.caller()?;
    let Paging { limit, start, next } = app.cursors.paging(&req, Some(&caller.user_id))?;
    let (entries, last_key) = app.inbox.list(&caller.user_id, limit, start).await?;
    let views = entries.iter().map(NotificationView::from).collect();
    json(StatusCode::OK, &next.page(views, last_key.as_ref())?)
}
