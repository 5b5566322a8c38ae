//! The users service: registration and sign-in through Cognito, profiles in DynamoDB,
//! UserRegistered / UserProfileUpdated / UserDeleted through the outbox.

pub mod api;
pub mod config;
pub mod domain;
pub mod error;
pub mod identity;
pub mod store;

use aws_config::SdkConfig;
use config::Config;
use identity::Identity;
use shared::pagination::CursorCodec;
use store::ProfileStore;

/// The `source` of this service's events.
pub const SERVICE: &str = "users";

/// What every users route works with, built once per execution environment.
pub struct App {
    identity: Identity,
    profiles: ProfileStore,
    cursors: CursorCodec,
    auto_confirm_users: bool,
}

impl App {
    /// Builds the clients from the SDK config and the function's configuration.
    pub fn new(aws: &SdkConfig, config: Config) -> Self {
        Self {
            identity: Identity::new(
                aws_sdk_cognitoidentityprovider::Client::new(aws),
                config.user_pool_id,
                config.user_pool_client_id,
            ),
            profiles: ProfileStore::new(aws_sdk_dynamodb::Client::new(aws), config.table_name),
            cursors: CursorCodec::new(config.cursor_signing_key),
            auto_confirm_users: config.auto_confirm_users,
        }
    }
}
