//! The Cognito adapter: sign-up, confirmation, sign-in and account removal. Cognito owns
//! credentials; this module turns its answers into [`IdentityError`]s the API can map.

use crate::domain::{DisplayName, Email, Password, UserId};
use aws_sdk_cognitoidentityprovider::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_cognitoidentityprovider::types::{
    AttributeType, AuthFlowType, AuthenticationResultType,
};
use aws_sdk_cognitoidentityprovider::Client;
use std::fmt::Debug;

/// What went wrong talking to Cognito, in the terms the API answers with.
#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    /// An account with this email exists.
    #[error("an account with this email already exists")]
    UsernameExists,
    /// Cognito's password policy refused the password.
    #[error("password does not meet the policy: {0}")]
    InvalidPassword(String),
    /// Wrong email or password, unknown user, revoked or forged refresh token.
    #[error("invalid credentials")]
    NotAuthorized,
    /// The email has not been confirmed yet.
    #[error("email not confirmed")]
    NotConfirmed,
    /// The confirmation code is wrong or expired.
    #[error("invalid or expired confirmation code")]
    InvalidCode,
    /// Cognito refused the email as a username (its own format check).
    #[error("the identity provider refused the email address: {0}")]
    EmailRefused(String),
    /// Cognito throttled us or is unreachable; nothing changed.
    #[error("identity provider unavailable: {0}")]
    Unavailable(#[source] anyhow::Error),
    /// Anything else: a misconfiguration or a bug.
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

/// The tokens of a successful sign-in or refresh.
#[derive(Debug, Clone)]
pub struct Tokens {
    /// The ID token API Gateway's authorizer accepts.
    pub id_token: String,
    /// The access token.
    pub access_token: String,
    /// Present on sign-in; Cognito does not rotate it on refresh.
    pub refresh_token: Option<String>,
    /// Lifetime of the ID and access tokens in seconds.
    pub expires_in: i32,
}

/// One user pool and its app client.
#[derive(Clone)]
pub struct Identity {
    client: Client,
    user_pool_id: String,
    client_id: String,
}

impl Identity {
    /// Wraps a Cognito client for the pool and app client of the template.
    pub fn new(client: Client, user_pool_id: String, client_id: String) -> Self {
        Self {
            client,
            user_pool_id,
            client_id,
        }
    }

    /// Creates an unconfirmed account and returns its `sub`.
    pub async fn sign_up(
        &self,
        email: &Email,
        password: &Password,
        name: &DisplayName,
    ) -> Result<UserId, IdentityError> {
        let out = self
            .client
            .sign_up()
            .client_id(&self.client_id)
            .username(email.as_str())
            .password(password.expose())
            .user_attributes(attribute("email", email.as_str())?)
            .user_attributes(attribute("name", name.as_str())?)
            .send()
            .await
            .map_err(|err| match err.code() {
                // The username is the only sign-up parameter Cognito checks the format of
                // beyond what Registration checked; its refusal is the client's input.
                Some("InvalidParameterException") => {
                    IdentityError::EmailRefused(err.message().unwrap_or_default().to_owned())
                }
                _ => classify(err),
            })?;
        Ok(UserId::new(out.user_sub()))
    }

    /// Confirms an account without the emailed code (the `AutoConfirmUsers` setting).
    pub async fn confirm_without_code(&self, user: &UserId) -> Result<(), IdentityError> {
        self.client
            .admin_confirm_sign_up()
            .user_pool_id(&self.user_pool_id)
            .username(user.as_str())
            .send()
            .await
            .map_err(classify)?;
        Ok(())
    }

    /// Confirms an account with the code Cognito emailed.
    pub async fn confirm(&self, email: &Email, code: &str) -> Result<(), IdentityError> {
        self.client
            .confirm_sign_up()
            .client_id(&self.client_id)
            .username(email.as_str())
            .confirmation_code(code)
            .send()
            .await
            .map_err(classify)?;
        Ok(())
    }

    /// Signs in with email and password.
    pub async fn sign_in(&self, email: &Email, password: &str) -> Result<Tokens, IdentityError> {
        let out = self
            .client
            .initiate_auth()
            .client_id(&self.client_id)
            .auth_flow(AuthFlowType::UserPasswordAuth)
            .auth_parameters("USERNAME", email.as_str())
            .auth_parameters("PASSWORD", password)
            .send()
            .await
            .map_err(classify)?;
        tokens(out.authentication_result())
    }

    /// New ID and access tokens for a refresh token.
    pub async fn refresh(&self, refresh_token: &str) -> Result<Tokens, IdentityError> {
        let out = self
            .client
            .initiate_auth()
            .client_id(&self.client_id)
            .auth_flow(AuthFlowType::RefreshTokenAuth)
            .auth_parameters("REFRESH_TOKEN", refresh_token)
            .send()
            .await
            .map_err(classify)?;
        tokens(out.authentication_result())
    }

    /// Removes the account; an account already gone counts as removed, so a retried
    /// deletion completes.
    pub async fn delete_user(&self, user: &UserId) -> Result<(), IdentityError> {
        let result = self
            .client
            .admin_delete_user()
            .user_pool_id(&self.user_pool_id)
            .username(user.as_str())
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(err) if err.code() == Some("UserNotFoundException") => Ok(()),
            Err(err) => Err(classify(err)),
        }
    }
}

fn attribute(name: &str, value: &str) -> Result<AttributeType, IdentityError> {
    AttributeType::builder()
        .name(name)
        .value(value)
        .build()
        .map_err(|e| IdentityError::Other(e.into()))
}

fn tokens(result: Option<&AuthenticationResultType>) -> Result<Tokens, IdentityError> {
    // No AuthenticationResult means Cognito wants a challenge (MFA, new password): the
    // pool is configured without them, so it is a misconfiguration, not a client error.
    let result = result.ok_or_else(|| {
        IdentityError::Other(anyhow::anyhow!(
            "sign-in answered with a challenge instead of tokens"
        ))
    })?;
    let missing =
        |what: &str| IdentityError::Other(anyhow::anyhow!("sign-in result without {what}"));
    Ok(Tokens {
        id_token: result
            .id_token()
            .ok_or_else(|| missing("id token"))?
            .to_owned(),
        access_token: result
            .access_token()
            .ok_or_else(|| missing("access token"))?
            .to_owned(),
        refresh_token: result.refresh_token().map(str::to_owned),
        expires_in: result.expires_in(),
    })
}

fn classify<E, R>(err: SdkError<E, R>) -> IdentityError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: Debug + Send + Sync + 'static,
{
    if matches!(
        err,
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_)
    ) {
        return IdentityError::Unavailable(err.into());
    }
    match err.code() {
        Some("UsernameExistsException" | "AliasExistsException") => IdentityError::UsernameExists,
        Some("InvalidPasswordException") => {
            IdentityError::InvalidPassword(err.message().unwrap_or("too weak").to_owned())
        }
        Some("NotAuthorizedException" | "UserNotFoundException") => IdentityError::NotAuthorized,
        Some("UserNotConfirmedException") => IdentityError::NotConfirmed,
        Some("CodeMismatchException" | "ExpiredCodeException") => IdentityError::InvalidCode,
        Some(
            "TooManyRequestsException"
            | "LimitExceededException"
            | "InternalErrorException"
            | "TooManyFailedAttemptsException",
        ) => IdentityError::Unavailable(err.into()),
        _ => IdentityError::Other(err.into()),
    }
}
