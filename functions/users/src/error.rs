//! The users service's errors and their one mapping to HTTP.

use crate::domain::RegistrationError;
use crate::identity::IdentityError;
use shared::store::StoreError;
use shared::{ApiError, FieldError};

/// Everything a users route can fail with.
#[derive(Debug, thiserror::Error)]
pub enum UsersError {
    /// Fields that break their format or length rules.
    #[error("invalid request")]
    Invalid(Vec<FieldError>),
    /// A well-formed password the policy refuses.
    #[error("password too weak")]
    WeakPassword(FieldError),
    /// The email is registered already.
    #[error("email already registered")]
    EmailTaken,
    /// Wrong email/password, or an unusable refresh token.
    #[error("invalid credentials")]
    InvalidCredentials,
    /// Sign-in before the email was confirmed.
    #[error("email not confirmed")]
    NotConfirmed,
    /// Wrong or expired confirmation code (also for unknown emails, to not reveal them).
    #[error("invalid or expired confirmation code")]
    InvalidCode,
    /// The account was confirmed before.
    #[error("account already confirmed")]
    AlreadyConfirmed,
    /// No such user, or not visible to the caller.
    #[error("user not found")]
    UserNotFound,
    /// Cognito failed.
    #[error(transparent)]
    Identity(IdentityError),
    /// DynamoDB failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A check of the shared HTTP edge failed (the caller, the body, paging), with its
    /// own answer.
    #[error(transparent)]
    Request(#[from] ApiError),
}

impl From<RegistrationError> for UsersError {
    fn from(err: RegistrationError) -> Self {
        match err {
            RegistrationError::Invalid(fields) => Self::Invalid(fields),
            RegistrationError::WeakPassword(field) => Self::WeakPassword(field),
        }
    }
}

impl From<IdentityError> for UsersError {
    fn from(err: IdentityError) -> Self {
        match err {
            IdentityError::UsernameExists => Self::EmailTaken,
            IdentityError::NotAuthorized => Self::InvalidCredentials,
            IdentityError::NotConfirmed => Self::NotConfirmed,
            IdentityError::InvalidCode => Self::InvalidCode,
            IdentityError::EmailRefused(reason) => {
                tracing::info!(%reason, "cognito refused an email as a username");
                Self::Invalid(vec![FieldError::new(
                    "email",
                    "must be a valid email address",
                )])
            }
            IdentityError::InvalidPassword(reason) => {
                Self::WeakPassword(FieldError::new("password", reason))
            }
            other => Self::Identity(other),
        }
    }
}

impl From<UsersError> for ApiError {
    fn from(err: UsersError) -> Self {
        match err {
            UsersError::Invalid(details) => ApiError::Validation(details),
            UsersError::WeakPassword(detail) => ApiError::Unprocessable {
                message: "password does not meet the password policy".to_owned(),
                details: vec![detail],
            },
            UsersError::EmailTaken => {
                ApiError::Conflict("an account with this email already exists".to_owned())
            }
            UsersError::InvalidCredentials => {
                ApiError::Unauthorized("invalid credentials".to_owned())
            }
            UsersError::NotConfirmed => {
                ApiError::Forbidden("email address not confirmed yet".to_owned())
            }
            UsersError::InvalidCode => {
                ApiError::unprocessable_field("code", "invalid or expired confirmation code")
            }
            UsersError::AlreadyConfirmed => {
                ApiError::Conflict("account already confirmed".to_owned())
            }
            UsersError::UserNotFound => ApiError::NotFound("user not found".to_owned()),
            UsersError::Identity(IdentityError::Unavailable(cause)) => {
                tracing::warn!(error = %cause, "cognito unavailable");
                ApiError::Unavailable {
                    retry_after_secs: 1,
                }
            }
            UsersError::Identity(other) => ApiError::Internal(other.into()),
            UsersError::Store(err) => err.into(),
            UsersError::Request(err) => err,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_email_cognito_refuses_is_the_clients_400_not_a_500() {
        let err = ApiError::from(UsersError::from(IdentityError::EmailRefused(
            "Username should be either an email or a phone number.".to_owned(),
        )));
        assert_eq!(err.status().as_u16(), 400);
        assert_eq!(err.details()[0].field, "email");
        assert!(!err.public_message().contains("Username"));
    }
}
