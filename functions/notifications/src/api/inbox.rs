//! The caller's inbox: GET /v1/notifications.

use super::views::NotificationView;
use crate::error::NotificationsError;
use crate::App;
use lambda_http::http::StatusCode;
use shared::http::{json, Answer, ApiRequest};
use shared::pagination::{CursorScope, Limit, Page};
use std::sync::Arc;

/// GET /v1/notifications?limit=&cursor=: the caller's notifications, newest first (by
/// when what they tell of happened).
pub async fn list_notifications(app: Arc<App>, req: ApiRequest) -> Answer<NotificationsError> {
    let caller = req.caller()?;
    let limit = Limit::parse(req.query("limit").as_deref())?;
    let scope = CursorScope::new(Some(&caller.user_id), &req.query_fingerprint());
    let start = app.cursors.decode(req.query("cursor").as_deref(), &scope)?;
    let (entries, last_key) = app.inbox.list(&caller.user_id, limit.get(), start).await?;
    let page = Page {
        items: entries.iter().map(NotificationView::from).collect(),
        next_cursor: app.cursors.encode(last_key.as_ref(), &scope)?,
    };
    json(StatusCode::OK, &page)
}
