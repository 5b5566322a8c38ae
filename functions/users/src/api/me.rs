//! The caller's own account: GET, PATCH, DELETE /v1/users/me.

use super::views::ProfileView;
use crate::domain::{DisplayName, UserId};
use crate::error::UsersError;
use crate::{App, SERVICE};
use lambda_http::http::StatusCode;
use serde::Deserialize;
use shared::events::users::{UserDeleted, UserProfileUpdated};
use shared::http::{json, no_content, Answer, ApiRequest};
use shared::store::StoreError;
use shared::{Envelope, FieldError};
use std::sync::Arc;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProfilePatch {
    name: Option<String>,
}

/// GET /v1/users/me
pub async fn get_me(app: Arc<App>, req: ApiRequest) -> Answer<UsersError> {
    let me = UserId::new(req.caller()?.user_id);
    shared::telemetry::correlate(me.as_str());
    let profile = app
        .profiles
        .get(&me)
        .await?
        .ok_or(UsersError::UserNotFound)?;
    json(StatusCode::OK, &ProfileView::from(&profile))
}

/// PATCH /v1/users/me
pub async fn update_me(app: Arc<App>, req: ApiRequest) -> Answer<UsersError> {
    let me = UserId::new(req.caller()?.user_id);
    shared::telemetry::correlate(me.as_str());
    let patch: ProfilePatch = req.json()?;
    let Some(name) = patch.name else {
        return Err(UsersError::Invalid(vec![FieldError::new(
            "name",
            "nothing to update: name is the only editable field",
        )]));
    };
    let name = DisplayName::parse(&name).map_err(|e| UsersError::Invalid(vec![e]))?;
    let current = app
        .profiles
        .get(&me)
        .await?
        .ok_or(UsersError::UserNotFound)?;
    let updated = current.rename(name, shared::time::now());
    let event = Envelope::new(
        SERVICE,
        me.as_str(),
        UserProfileUpdated {
            user_id: me.as_str().to_owned(),
            name: updated.name.as_str().to_owned(),
            updated_at: updated.updated_at,
        },
    );
    app.profiles
        .update(&updated, &event)
        .await
        .map_err(not_found_if_gone)?;
    json(StatusCode::OK, &ProfileView::from(&updated))
}

/// DELETE /v1/users/me
pub async fn delete_me(app: Arc<App>, req: ApiRequest) -> Answer<UsersError> {
    let me = UserId::new(req.caller()?.user_id);
    shared::telemetry::correlate(me.as_str());
    // Cognito first: once the credentials are gone nobody can sign in, and if the profile
    // deletion then fails the caller's still-valid token lets a retry finish the job
    // (deleting an absent Cognito user succeeds).
    app.identity.delete_user(&me).await?;
    let event = Envelope::new(
        SERVICE,
        me.as_str(),
        UserDeleted {
            user_id: me.as_str().to_owned(),
            deleted_at: shared::time::now(),
        },
    );
    app.profiles
        .delete(&me, &event)
        .await
        .map_err(not_found_if_gone)?;
    tracing::info!(user_id = me.as_str(), "user deleted");
    no_content()
}

fn not_found_if_gone(err: StoreError) -> UsersError {
    match err {
        StoreError::ConditionFailed => UsersError::UserNotFound,
        other => other.into(),
    }
}
