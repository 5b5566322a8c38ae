//! Events of the users service.

use super::Event;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A user registered (Cognito sign-up done, profile created).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserRegistered {
    /// Cognito `sub`.
    pub user_id: String,
    /// Where notifications go; consumers must not log it whole.
    pub email: String,
    /// Display name.
    pub name: String,
    /// Registration time.
    pub registered_at: DateTime<Utc>,
}

impl Event for UserRegistered {
    const TYPE: &'static str = "UserRegistered";
}

/// A user changed their profile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserProfileUpdated {
    /// Cognito `sub`.
    pub user_id: String,
    /// The new display name.
    pub name: String,
    /// When it changed.
    pub updated_at: DateTime<Utc>,
}

impl Event for UserProfileUpdated {
    const TYPE: &'static str = "UserProfileUpdated";
}

/// A user deleted their account (Cognito user and profile removed).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserDeleted {
    /// Cognito `sub`.
    pub user_id: String,
    /// When it was deleted.
    pub deleted_at: DateTime<Utc>,
}

impl Event for UserDeleted {
    const TYPE: &'static str = "UserDeleted";
}
