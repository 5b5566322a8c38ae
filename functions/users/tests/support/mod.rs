//! Fixtures for the adapter tests: a users table on the shared moto, provisioned from
//! template.yaml (see stack_model::fixtures, which also makes the user pool).

// Each test binary includes this module and uses only its half of it.
#![allow(dead_code)]

/// Creates a table like the template's `UsersTable` and returns its name.
pub async fn create_users_table(client: &aws_sdk_dynamodb::Client) -> String {
    stack_model::fixtures::create_table(client, "UsersTable").await
}

/// The shared moto's SDK config; starts moto on the first call of the test binary.
pub async fn aws() -> aws_config::SdkConfig {
    moto_runner::sdk_config(moto_runner::shared_endpoint()).await
}
