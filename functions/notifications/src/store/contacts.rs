//! Contacts: a user's address and name, kept from UserRegistered (written with the welcome
//! entry, in its transaction); and what the worker
//! learns about a recipient before it renders and delivers anything.

use super::keys;
use crate::domain::{display_name, Contact, Email, UserId};
use aws_sdk_dynamodb::types::{AttributeValue, Put};
use aws_sdk_dynamodb::Client;
use serde::{Deserialize, Serialize};
use shared::store::string_attr as s;
use shared::store::{from_item, to_item, StoreError};

/// Who a notification is for, as far as this service knows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recipient {
    /// The user's contact is on file.
    Known(Contact),
    /// No contact on file: their UserRegistered has not arrived (or predates this
    /// service). The entry is still stored; nothing can be emailed.
    Unknown,
    /// The user deleted their account: nothing is to be created for them.
    Deleted,
}

/// A contact item.
#[derive(Debug, Serialize, Deserialize)]
struct ContactRecord {
    #[serde(rename = "PK")]
    pk: String,
    #[serde(rename = "SK")]
    sk: String,
    user_id: String,
    email: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    name: Option<String>,
}

impl ContactRecord {
    fn new(contact: &Contact) -> Self {
        Self {
            pk: keys::user_pk(contact.user_id.as_str()),
            sk: keys::CONTACT_SK.to_owned(),
            user_id: contact.user_id.as_str().to_owned(),
            email: contact.email.as_str().to_owned(),
            name: contact.name.clone(),
        }
    }
}

impl TryFrom<ContactRecord> for Contact {
    type Error = StoreError;

    fn try_from(r: ContactRecord) -> Result<Self, StoreError> {
        let corrupt = |what: &str| {
            StoreError::Other(anyhow::anyhow!(
                "contact of user {} has an invalid {what}",
                r.user_id
            ))
        };
        Ok(Contact {
            user_id: UserId::parse(&r.user_id).ok_or_else(|| corrupt("user_id"))?,
            email: Email::parse(&r.email).map_err(|_| corrupt("email"))?,
            name: r.name.as_deref().and_then(display_name),
        })
    }
}

/// The Put of a new contact, for the transaction that stores the welcome entry. Unconditional: that transaction's own
/// conditions (the entry is new, the user is not deleted) decide whether it happens.
pub(super) fn contact_put(table: &str, contact: &Contact) -> Result<Put, StoreError> {
    Put::builder()
        .table_name(table)
        .set_item(Some(to_item(&ContactRecord::new(contact))?))
        .build()
        .map_err(|e| StoreError::Other(e.into()))
}

/// Contacts and tombstones in the notifications table.
#[derive(Clone)]
pub struct ContactStore {
    client: Client,
    table: String,
}

impl ContactStore {
    /// A store over `table`.
    pub fn new(client: Client, table: String) -> Self {
        Self { client, table }
    }

    /// What is known about `user` (strongly consistent: the worker decides on it).
    pub async fn recipient(&self, user: &UserId) -> Result<Recipient, StoreError> {
        let (tombstone, contact) = tokio::try_join!(
            self.get(user, keys::DELETED_SK),
            self.get(user, keys::CONTACT_SK)
        )?;
        if tombstone.is_some() {
            return Ok(Recipient::Deleted);
        }
        match contact {
            Some(item) => Ok(Recipient::Known(Contact::try_from(from_item::<
                ContactRecord,
            >(item)?)?)),
            None => Ok(Recipient::Unknown),
        }
    }

    async fn get(
        &self,
        user: &UserId,
        sk: &str,
    ) -> Result<Option<std::collections::HashMap<String, AttributeValue>>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("PK", s(keys::user_pk(user.as_str())))
            .key("SK", s(sk))
            .consistent_read(true)
            .send()
            .await
            .map_err(StoreError::from_sdk)?;
        Ok(out.item)
    }
}
