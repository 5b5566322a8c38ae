//! Response bodies.

use crate::domain::Profile;
use crate::identity::Tokens;
use serde::Serialize;

/// A profile as clients see it.
#[derive(Debug, Serialize)]
pub struct ProfileView {
    id: String,
    email: String,
    name: String,
    created_at: String,
    updated_at: String,
}

impl From<&Profile> for ProfileView {
    fn from(p: &Profile) -> Self {
        Self {
            id: p.id.as_str().to_owned(),
            email: p.email.as_str().to_owned(),
            name: p.name.as_str().to_owned(),
            created_at: shared::time::rfc3339(&p.created_at),
            updated_at: shared::time::rfc3339(&p.updated_at),
        }
    }
}

/// The answer to a registration.
#[derive(Debug, Serialize)]
pub struct RegisteredView {
    id: String,
    email: String,
    name: String,
    created_at: String,
    confirmation_required: bool,
}

impl RegisteredView {
    /// The new account; `confirmed` when it was confirmed at registration.
    pub fn new(p: &Profile, confirmed: bool) -> Self {
        Self {
            id: p.id.as_str().to_owned(),
            email: p.email.as_str().to_owned(),
            name: p.name.as_str().to_owned(),
            created_at: shared::time::rfc3339(&p.created_at),
            confirmation_required: !confirmed,
        }
    }
}

/// Tokens of a sign-in or refresh, in OAuth 2.0 token-response naming.
#[derive(Debug, Serialize)]
pub struct TokensView {
    id_token: String,
    access_token: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    refresh_token: Option<String>,
    expires_in: i32,
    token_type: &'static str,
}

impl From<Tokens> for TokensView {
    fn from(t: Tokens) -> Self {
        Self {
            id_token: t.id_token,
            access_token: t.access_token,
            refresh_token: t.refresh_token,
            expires_in: t.expires_in,
            token_type: "Bearer",
        }
    }
}
