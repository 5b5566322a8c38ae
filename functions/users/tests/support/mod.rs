//! Fixtures for the adapter tests: a users table and a user pool on the shared moto,
//! built from template.yaml (see moto_runner::fixtures).

// Each test binary includes this module and uses only its half of it.
#![allow(dead_code)]

use aws_sdk_cognitoidentityprovider as cognito;
use serde::Deserialize;

pub use moto_runner::fixtures::{unique_name, Template};

/// Creates a table like the template's `UsersTable` and returns its name.
pub async fn create_users_table(client: &aws_sdk_dynamodb::Client) -> String {
    moto_runner::fixtures::create_table(client, "UsersTable").await
}

/// The shared moto's SDK config; starts moto on the first call of the test binary.
pub async fn aws() -> aws_config::SdkConfig {
    moto_runner::sdk_config(moto_runner::shared_endpoint()).await
}

// ------------------------------------------------------------------- user pool

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct UserPoolProperties {
    #[serde(default)]
    username_attributes: Vec<String>,
    #[serde(default)]
    auto_verified_attributes: Vec<String>,
    username_configuration: Option<UsernameConfiguration>,
    policies: Option<Policies>,
    #[serde(default)]
    schema: Vec<SchemaAttribute>,
    account_recovery_setting: Option<AccountRecoverySetting>,
    mfa_configuration: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct UsernameConfiguration {
    case_sensitive: bool,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Policies {
    password_policy: PasswordPolicy,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct PasswordPolicy {
    minimum_length: i32,
    #[serde(default)]
    require_lowercase: bool,
    #[serde(default)]
    require_uppercase: bool,
    #[serde(default)]
    require_numbers: bool,
    #[serde(default)]
    require_symbols: bool,
    temporary_password_validity_days: Option<i32>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct SchemaAttribute {
    name: String,
    attribute_data_type: String,
    required: Option<bool>,
    mutable: Option<bool>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct AccountRecoverySetting {
    recovery_mechanisms: Vec<RecoveryMechanism>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RecoveryMechanism {
    name: String,
    priority: i32,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct UserPoolClientProperties {
    #[serde(default)]
    generate_secret: bool,
    #[serde(default)]
    explicit_auth_flows: Vec<String>,
    prevent_user_existence_errors: Option<String>,
    enable_token_revocation: Option<bool>,
    access_token_validity: Option<i32>,
    id_token_validity: Option<i32>,
    refresh_token_validity: Option<i32>,
    token_validity_units: Option<TokenValidityUnits>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct TokenValidityUnits {
    access_token: Option<String>,
    id_token: Option<String>,
    refresh_token: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct UserPoolGroupProperties {
    group_name: String,
    description: Option<String>,
}

/// A user pool and app client made from the template.
pub struct UserPool {
    /// The pool id.
    pub id: String,
    /// The app client id.
    pub client_id: String,
}

/// Creates a pool, its app client and its groups from the template's `UserPool`,
/// `UserPoolClient` and `AWS::Cognito::UserPoolGroup` resources.
pub async fn create_user_pool(client: &cognito::Client) -> UserPool {
    use cognito::types::{
        AccountRecoverySettingType, PasswordPolicyType, RecoveryOptionType, SchemaAttributeType,
        TokenValidityUnitsType, UserPoolPolicyType, UsernameConfigurationType,
    };
    let template = Template::load();
    let pool: UserPoolProperties = template.properties("UserPool", "AWS::Cognito::UserPool");
    let mut request = client
        .create_user_pool()
        .pool_name(unique_name("users"))
        .set_username_attributes(Some(
            pool.username_attributes
                .iter()
                .map(|a| a.as_str().into())
                .collect(),
        ))
        .set_auto_verified_attributes(Some(
            pool.auto_verified_attributes
                .iter()
                .map(|a| a.as_str().into())
                .collect(),
        ))
        .set_mfa_configuration(pool.mfa_configuration.as_deref().map(Into::into));
    if let Some(c) = &pool.username_configuration {
        request = request.username_configuration(
            UsernameConfigurationType::builder()
                .case_sensitive(c.case_sensitive)
                .build()
                .expect("username configuration"),
        );
    }
    if let Some(p) = &pool.policies {
        let p = &p.password_policy;
        request = request.policies(
            UserPoolPolicyType::builder()
                .password_policy(
                    PasswordPolicyType::builder()
                        .minimum_length(p.minimum_length)
                        .require_lowercase(p.require_lowercase)
                        .require_uppercase(p.require_uppercase)
                        .require_numbers(p.require_numbers)
                        .require_symbols(p.require_symbols)
                        .set_temporary_password_validity_days(p.temporary_password_validity_days)
                        .build(),
                )
                .build(),
        );
    }
    for a in &pool.schema {
        request = request.schema(
            SchemaAttributeType::builder()
                .name(&a.name)
                .attribute_data_type(a.attribute_data_type.as_str().into())
                .set_required(a.required)
                .set_mutable(a.mutable)
                .build(),
        );
    }
    if let Some(r) = &pool.account_recovery_setting {
        let mut setting = AccountRecoverySettingType::builder();
        for m in &r.recovery_mechanisms {
            setting = setting.recovery_mechanisms(
                RecoveryOptionType::builder()
                    .name(m.name.as_str().into())
                    .priority(m.priority)
                    .build()
                    .expect("recovery option"),
            );
        }
        request = request.account_recovery_setting(setting.build());
    }
    let id = request
        .send()
        .await
        .expect("create the user pool")
        .user_pool
        .and_then(|p| p.id)
        .expect("the new pool's id");

    let app: UserPoolClientProperties =
        template.properties("UserPoolClient", "AWS::Cognito::UserPoolClient");
    let units = app.token_validity_units.map(|u| {
        TokenValidityUnitsType::builder()
            .set_access_token(u.access_token.as_deref().map(Into::into))
            .set_id_token(u.id_token.as_deref().map(Into::into))
            .set_refresh_token(u.refresh_token.as_deref().map(Into::into))
            .build()
    });
    let client_id = client
        .create_user_pool_client()
        .user_pool_id(&id)
        .client_name(unique_name("users-app"))
        .generate_secret(app.generate_secret)
        .set_explicit_auth_flows(Some(
            app.explicit_auth_flows
                .iter()
                .map(|f| f.as_str().into())
                .collect(),
        ))
        .set_prevent_user_existence_errors(
            app.prevent_user_existence_errors.as_deref().map(Into::into),
        )
        .set_enable_token_revocation(app.enable_token_revocation)
        .set_access_token_validity(app.access_token_validity)
        .set_id_token_validity(app.id_token_validity)
        .set_refresh_token_validity(app.refresh_token_validity)
        .set_token_validity_units(units)
        .send()
        .await
        .expect("create the user pool client")
        .user_pool_client
        .and_then(|c| c.client_id)
        .expect("the new client's id");

    for group in template.all_properties::<UserPoolGroupProperties>("AWS::Cognito::UserPoolGroup") {
        client
            .create_group()
            .user_pool_id(&id)
            .group_name(group.group_name)
            .set_description(group.description)
            .send()
            .await
            .expect("create a user pool group");
    }
    UserPool { id, client_id }
}
