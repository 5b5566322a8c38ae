use super::{DisplayName, Email};
use chrono::{DateTime, Utc};

/// A user's id: the Cognito `sub`, the only identity crabcart trusts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserId(String);

impl UserId {
    /// An id as Cognito issued it (from the authorizer's claims or SignUp's answer).
    pub fn new(sub: impl Into<String>) -> Self {
        Self(sub.into())
    }

    /// Parses an id from a path; `None` when it cannot be a Cognito `sub` (a UUID), so
    /// that garbage never reaches the table and answers like an unknown id.
    pub fn parse(raw: &str) -> Option<Self> {
        shared::ids::is_uuid(raw).then(|| Self(raw.to_ascii_lowercase()))
    }

    /// The id.
    pub fn as_str(&self) -> &str {
        &self.0
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
