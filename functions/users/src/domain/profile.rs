use super::{DisplayName, Email};
use chrono::{DateTime, Utc};

shared::uuid_id! {
    /// A user's id: the Cognito `sub`, the only identity crabcart trusts.
    pub struct UserId;
}

impl UserId {
    /// An id as Cognito issued it (from the authorizer's claims or SignUp's answer).
    pub fn new(sub: impl Into<String>) -> Self {
        Self(sub.into())
    }
}

/// What crabcart keeps about a user besides Cognito's credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    /// Cognito `sub`.
    pub id: UserId,
    /// Sign-in email.
    pub email: Email,
    /// Display name.
    pub name: DisplayName,
    /// Registration time.
    pub created_at: DateTime<Utc>,
    /// Last profile change.
    pub updated_at: DateTime<Utc>,
}

impl Profile {
    /// The profile of a user who just registered.
    pub fn register(id: UserId, email: Email, name: DisplayName, now: DateTime<Utc>) -> Self {
        Self {
            id,
            email,
            name,
            created_at: now,
            updated_at: now,
        }
    }

    /// The profile with a new name.
    pub fn rename(self, name: DisplayName, now: DateTime<Utc>) -> Self {
        Self {
            name,
            updated_at: now,
            ..self
        }
    }
}
