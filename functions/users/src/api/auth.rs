//! Public routes: register, confirm, login, refresh.

use super::views::{RegisteredView, TokensView};
use crate::domain::{Email, Profile, Registration};
use crate::error::UsersError;
use crate::{App, SERVICE};
use lambda_http::http::StatusCode;
use serde::Deserialize;
use shared::events::users::UserRegistered;
use shared::http::{created, json, no_content, Answer, ApiRequest};
use shared::{Envelope, FieldError, FieldErrors};
use std::sync::Arc;

/// Longest refresh token accepted; Cognito's are ~1.8 KB, so this only stops abuse.
const MAX_TOKEN_LEN: usize = 8192;
/// Longest password accepted at sign-in (Cognito's limit).
const MAX_PASSWORD_LEN: usize = 256;
/// Longest confirmation code accepted (Cognito's are 6 digits).
const MAX_CODE_LEN: usize = 64;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RegisterBody {
    email: String,
    password: String,
    name: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfirmBody {
    email: String,
    code: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LoginBody {
    email: String,
    password: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RefreshBody {
    refresh_token: String,
}

/// POST /v1/auth/register
pub async fn register(app: Arc<App>, req: ApiRequest) -> Answer<UsersError> {
    let body: RegisterBody = req.json()?;
    let registration = Registration::parse(&body.email, &body.password, &body.name)?;
    let user_id = app
        .identity
        .sign_up(
            &registration.email,
            &registration.password,
            &registration.name,
        )
        .await?;
    let profile = Profile::register(
        user_id,
        registration.email,
        registration.name,
        shared::time::now(),
    );
    shared::telemetry::correlate(profile.id.as_str());
    let event = Envelope::new(
        SERVICE,
        profile.id.as_str(),
        UserRegistered {
            user_id: profile.id.as_str().to_owned(),
            email: profile.email.as_str().to_owned(),
            name: profile.name.as_str().to_owned(),
            registered_at: profile.created_at,
        },
    );
    let completed = async {
        if app.auto_confirm_users {
            app.identity.confirm_without_code(&profile.id).await?;
        }
        app.profiles.create(&profile, &event).await?;
        Ok::<_, UsersError>(())
    }
    .await;
    if let Err(err) = completed {
        // Without the profile (and its UserRegistered) the account is half made: remove it
        // so that the client's retry can register the same email again.
        if let Err(cleanup) = app.identity.delete_user(&profile.id).await {
            tracing::error!(user_id = profile.id.as_str(), error = %cleanup, "could not remove half-registered account");
        }
        return Err(err);
    }
    tracing::info!(user_id = profile.id.as_str(), email = %profile.email, "user registered");
    created(
        &format!("/v1/users/{}", profile.id.as_str()),
        &RegisteredView::new(&profile, app.auto_confirm_users),
    )
}

/// POST /v1/auth/confirm
pub async fn confirm(app: Arc<App>, req: ApiRequest) -> Answer<UsersError> {
    let body: ConfirmBody = req.json()?;
    let email = Email::parse(&body.email);
    let code = bounded("code", &body.code, MAX_CODE_LEN);
    let (email, code) = both(email, code)?;
    match app
        .identity
        .confirm(&email, code)
        .await
        .map_err(UsersError::from)
    {
        Ok(()) => no_content(),
        // Cognito answers NotAuthorized when the account is confirmed already.
        Err(UsersError::InvalidCredentials) => Err(UsersError::AlreadyConfirmed),
        Err(err) => Err(err),
    }
}

/// POST /v1/auth/login
pub async fn login(app: Arc<App>, req: ApiRequest) -> Answer<UsersError> {
    let body: LoginBody = req.json()?;
    let email = Email::parse(&body.email);
    let password = bounded("password", &body.password, MAX_PASSWORD_LEN);
    let (email, password) = both(email, password)?;
    let tokens = app.identity.sign_in(&email, password).await?;
    json(StatusCode::OK, &TokensView::from(tokens))
}

/// POST /v1/auth/refresh
pub async fn refresh(app: Arc<App>, req: ApiRequest) -> Answer<UsersError> {
    let body: RefreshBody = req.json()?;
    let token = bounded("refresh_token", &body.refresh_token, MAX_TOKEN_LEN)
        .map_err(|e| UsersError::Invalid(vec![e]))?;
    let tokens = app.identity.refresh(token).await?;
    json(StatusCode::OK, &TokensView::from(tokens))
}

fn bounded<'a>(field: &str, value: &'a str, max: usize) -> Result<&'a str, FieldError> {
    if value.is_empty() {
        Err(FieldError::new(field, "must not be empty"))
    } else if value.len() > max {
        Err(FieldError::new(
            field,
            format!("must be at most {max} characters"),
        ))
    } else {
        Ok(value)
    }
}

fn both<A, B>(a: Result<A, FieldError>, b: Result<B, FieldError>) -> Result<(A, B), UsersError> {
    let mut errors = FieldErrors::default();
    let (a, b) = (errors.check(a), errors.check(b));
    errors.finish(a.zip(b)).map_err(UsersError::Invalid)
}
