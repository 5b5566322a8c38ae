//! The DynamoDB adapter of the users service: profiles, written together with their
//! events through the outbox.

mod keys;
mod record;

use crate::domain::{Profile, UserId};
use aws_sdk_dynamodb::types::{AttributeValue, Delete, Put, TransactWriteItem};
use aws_sdk_dynamodb::Client;
use record::ProfileRecord;
use shared::events::users::{UserDeleted, UserProfileUpdated, UserRegistered};
use shared::outbox::{CommitError, Transaction};
use shared::store::{get_record, query_page, to_item, StoreError};
use shared::Envelope;

pub use shared::store::Key;

/// Profiles in the users table.
#[derive(Clone)]
pub struct ProfileStore {
    client: Client,
    table: String,
}

impl ProfileStore {
    /// A store over `table`.
    pub fn new(client: Client, table: String) -> Self {
        Self { client, table }
    }

    /// Creates the profile of a new user and records UserRegistered; `ConditionFailed`
    /// when a profile with this id exists.
    pub async fn create(
        &self,
        profile: &Profile,
        event: &Envelope<UserRegistered>,
    ) -> Result<(), StoreError> {
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(to_item(&ProfileRecord::from(profile))?))
            .condition_expression("attribute_not_exists(PK)")
            .build()
            .map_err(|e| StoreError::Other(e.into()))?;
        self.commit_with(TransactWriteItem::builder().put(put).build(), event)
            .await
    }

    /// The profile of `id`, if there is one.
    pub async fn get(&self, id: &UserId) -> Result<Option<Profile>, StoreError> {
        let get = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("PK", AttributeValue::S(keys::user_pk(id.as_str())))
            .key("SK", AttributeValue::S(keys::PROFILE_SK.to_owned()))
            .consistent_read(true);
        get_record::<ProfileRecord>(get)
            .await?
            .map(Profile::try_from)
            .transpose()
    }

    /// Saves a changed profile and records UserProfileUpdated; `ConditionFailed` when the
    /// profile no longer exists (deleted meanwhile).
    pub async fn update(
        &self,
        profile: &Profile,
        event: &Envelope<UserProfileUpdated>,
    ) -> Result<(), StoreError> {
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(to_item(&ProfileRecord::from(profile))?))
            .condition_expression("attribute_exists(PK)")
            .build()
            .map_err(|e| StoreError::Other(e.into()))?;
        self.commit_with(TransactWriteItem::builder().put(put).build(), event)
            .await
    }

    /// Deletes the profile and records UserDeleted; `ConditionFailed` when there is none.
    pub async fn delete(
        &self,
        id: &UserId,
        event: &Envelope<UserDeleted>,
    ) -> Result<(), StoreError> {
        let delete = Delete::builder()
            .table_name(&self.table)
            .key("PK", AttributeValue::S(keys::user_pk(id.as_str())))
            .key("SK", AttributeValue::S(keys::PROFILE_SK.to_owned()))
            .condition_expression("attribute_exists(PK)")
            .build()
            .map_err(|e| StoreError::Other(e.into()))?;
        self.commit_with(TransactWriteItem::builder().delete(delete).build(), event)
            .await
    }

    /// One page of profiles, newest registration first.
    pub async fn list(
        &self,
        limit: i32,
        start: Option<Key>,
    ) -> Result<(Vec<Profile>, Option<Key>), StoreError> {
        let query = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(keys::LISTING_INDEX)
            .key_condition_expression("GSI1PK = :pk")
            .expression_attribute_values(":pk", AttributeValue::S(keys::LISTING_PK.to_owned()))
            .scan_index_forward(false)
            .limit(limit)
            .set_exclusive_start_key(start);
        let (records, last_key) = query_page::<ProfileRecord>(query).await?;
        let profiles = records
            .into_iter()
            .map(Profile::try_from)
            .collect::<Result<Vec<_>, _>>()?;
        Ok((profiles, last_key))
    }

    async fn commit_with<T: shared::Event>(
        &self,
        write: TransactWriteItem,
        event: &Envelope<T>,
    ) -> Result<(), StoreError> {
        let result: Result<(), CommitError> = async {
            Transaction::new(&self.table)
                .write(write)
                .emit(event)?
                .commit(&self.client)
                .await
        }
        .await;
        result.map_err(StoreError::from)
    }
}
