//! The profile item as stored, and its conversion to and from the domain type.

use super::keys;
use crate::domain::{DisplayName, Email, Profile, UserId};
use serde::{Deserialize, Serialize};
use shared::store::StoreError;

#[derive(Debug, Serialize, Deserialize)]
pub(super) struct ProfileRecord {
    #[serde(rename = "PK")]
    pk: String,
    #[serde(rename = "SK")]
    sk: String,
    #[serde(rename = "GSI1PK")]
    gsi1pk: String,
    #[serde(rename = "GSI1SK")]
    gsi1sk: String,
    id: String,
    email: String,
    name: String,
    created_at: String,
    updated_at: String,
}

impl From<&Profile> for ProfileRecord {
    fn from(p: &Profile) -> Self {
        let created_at = shared::time::rfc3339(&p.created_at);
        Self {
            pk: keys::user_pk(p.id.as_str()),
            sk: keys::PROFILE_SK.to_owned(),
            gsi1pk: keys::LISTING_PK.to_owned(),
            gsi1sk: keys::listing_sk(&created_at, p.id.as_str()),
            id: p.id.as_str().to_owned(),
            email: p.email.as_str().to_owned(),
            name: p.name.as_str().to_owned(),
            created_at,
            updated_at: shared::time::rfc3339(&p.updated_at),
        }
    }
}

impl TryFrom<ProfileRecord> for Profile {
    type Error = StoreError;

    fn try_from(r: ProfileRecord) -> Result<Self, StoreError> {
        let corrupt = |what: &str| {
            StoreError::Other(anyhow::anyhow!("profile {} has an invalid {what}", r.id))
        };
        Ok(Profile {
            email: Email::parse(&r.email).map_err(|_| corrupt("email"))?,
            name: DisplayName::parse(&r.name).map_err(|_| corrupt("name"))?,
            created_at: shared::time::parse_rfc3339(&r.created_at)
                .ok_or_else(|| corrupt("created_at"))?,
            updated_at: shared::time::parse_rfc3339(&r.updated_at)
                .ok_or_else(|| corrupt("updated_at"))?,
            id: UserId::new(r.id),
        })
    }
}
