//! AWS::Cognito::UserPool, UserPoolClient, UserPoolGroup.

use super::props::{opt_bool, opt_i32, opt_list, opt_str, opt_str_list, req_str, sdk_err};
use crate::template::intrinsics::{REGION, STACK_NAME};
use crate::template::Outputs;
use anyhow::{Context as _, Result};
use aws_sdk_cognitoidentityprovider::types::{
    AccountRecoverySettingType, AdminCreateUserConfigType, AliasAttributeType, AttributeDataType,
    ExplicitAuthFlowsType, NumberAttributeConstraintsType, PasswordPolicyType,
    PreventUserExistenceErrorTypes, RecoveryOptionNameType, RecoveryOptionType,
    SchemaAttributeType, StringAttributeConstraintsType, TimeUnitsType, TokenValidityUnitsType,
    UserPoolMfaType, UserPoolPolicyType, UsernameAttributeType, UsernameConfigurationType,
    VerifiedAttributeType,
};
use aws_sdk_cognitoidentityprovider::Client;
use serde_json::Value;

fn enums<T>(list: Option<Vec<String>>) -> Option<Vec<T>>
where
    T: for<'a> From<&'a str>,
{
    list.map(|l| l.iter().map(|s| T::from(s.as_str())).collect())
}

pub async fn create_user_pool(id: &str, p: &Value, cognito: &Client) -> Result<Outputs> {
    let name = opt_str(p, "UserPoolName")?.unwrap_or_else(|| format!("{STACK_NAME}-{id}"));
    let mut req = cognito
        .create_user_pool()
        .pool_name(&name)
        .set_username_attributes(enums::<UsernameAttributeType>(opt_str_list(
            p,
            "UsernameAttributes",
        )?))
        .set_alias_attributes(enums::<AliasAttributeType>(opt_str_list(
            p,
            "AliasAttributes",
        )?))
        .set_auto_verified_attributes(enums::<VerifiedAttributeType>(opt_str_list(
            p,
            "AutoVerifiedAttributes",
        )?));
    if let Some(u) = p.get("UsernameConfiguration") {
        req = req.username_configuration(
            UsernameConfigurationType::builder()
                .case_sensitive(opt_bool(u, "CaseSensitive")?.unwrap_or(false))
                .build()?,
        );
    }
    if let Some(pp) = p.get("Policies").and_then(|x| x.get("PasswordPolicy")) {
        req = req.policies(
            UserPoolPolicyType::builder()
                .password_policy(
                    PasswordPolicyType::builder()
                        .set_minimum_length(opt_i32(pp, "MinimumLength")?)
                        .set_require_lowercase(opt_bool(pp, "RequireLowercase")?)
                        .set_require_uppercase(opt_bool(pp, "RequireUppercase")?)
                        .set_require_numbers(opt_bool(pp, "RequireNumbers")?)
                        .set_require_symbols(opt_bool(pp, "RequireSymbols")?)
                        .set_temporary_password_validity_days(opt_i32(
                            pp,
                            "TemporaryPasswordValidityDays",
                        )?)
                        .build(),
                )
                .build(),
        );
    }
    for s in opt_list(p, "Schema")? {
        let mut b = SchemaAttributeType::builder()
            .name(req_str(s, "Name")?)
            .set_attribute_data_type(
                opt_str(s, "AttributeDataType")?.map(|t| AttributeDataType::from(t.as_str())),
            )
            .set_required(opt_bool(s, "Required")?)
            .set_mutable(opt_bool(s, "Mutable")?)
            .set_developer_only_attribute(opt_bool(s, "DeveloperOnlyAttribute")?);
        if let Some(sc) = s.get("StringAttributeConstraints") {
            b = b.string_attribute_constraints(
                StringAttributeConstraintsType::builder()
                    .set_min_length(opt_str(sc, "MinLength")?)
                    .set_max_length(opt_str(sc, "MaxLength")?)
                    .build(),
            );
        }
        if let Some(nc) = s.get("NumberAttributeConstraints") {
            b = b.number_attribute_constraints(
                NumberAttributeConstraintsType::builder()
                    .set_min_value(opt_str(nc, "MinValue")?)
                    .set_max_value(opt_str(nc, "MaxValue")?)
                    .build(),
            );
        }
        req = req.schema(b.build());
    }
    if let Some(a) = p.get("AccountRecoverySetting") {
        let mut b = AccountRecoverySettingType::builder();
        for m in opt_list(a, "RecoveryMechanisms")? {
            b = b.recovery_mechanisms(
                RecoveryOptionType::builder()
                    .name(RecoveryOptionNameType::from(req_str(m, "Name")?.as_str()))
                    .priority(opt_i32(m, "Priority")?.unwrap_or(1))
                    .build()?,
            );
        }
        req = req.account_recovery_setting(b.build());
    }
    if let Some(m) = opt_str(p, "MfaConfiguration")? {
        req = req.mfa_configuration(UserPoolMfaType::from(m.as_str()));
    }
    if let Some(a) = p.get("AdminCreateUserConfig") {
        req = req.admin_create_user_config(
            AdminCreateUserConfigType::builder()
                .set_allow_admin_create_user_only(opt_bool(a, "AllowAdminCreateUserOnly")?)
                .build(),
        );
    }
    let resp = req
        .send()
        .await
        .map_err(sdk_err)
        .context("CreateUserPool")?;
    let pool = resp
        .user_pool()
        .context("CreateUserPool returned no pool")?;
    let pool_id = pool
        .id()
        .context("CreateUserPool returned no id")?
        .to_owned();
    let provider = format!("cognito-idp.{REGION}.amazonaws.com/{pool_id}");
    Ok(Outputs::new("AWS::Cognito::UserPool", pool_id.clone())
        .with("Arn", pool.arn().unwrap_or_default())
        .with("UserPoolId", pool_id)
        .with("ProviderName", provider.clone())
        .with("ProviderURL", format!("https://{provider}")))
}

pub async fn create_client(id: &str, p: &Value, cognito: &Client) -> Result<Outputs> {
    let mut req = cognito
        .create_user_pool_client()
        .user_pool_id(req_str(p, "UserPoolId")?)
        .client_name(opt_str(p, "ClientName")?.unwrap_or_else(|| id.to_owned()))
        .set_generate_secret(opt_bool(p, "GenerateSecret")?)
        .set_explicit_auth_flows(enums::<ExplicitAuthFlowsType>(opt_str_list(
            p,
            "ExplicitAuthFlows",
        )?))
        .set_prevent_user_existence_errors(
            opt_str(p, "PreventUserExistenceErrors")?
                .map(|s| PreventUserExistenceErrorTypes::from(s.as_str())),
        )
        .set_enable_token_revocation(opt_bool(p, "EnableTokenRevocation")?)
        .set_access_token_validity(opt_i32(p, "AccessTokenValidity")?)
        .set_id_token_validity(opt_i32(p, "IdTokenValidity")?)
        .set_refresh_token_validity(opt_i32(p, "RefreshTokenValidity")?)
        .set_read_attributes(opt_str_list(p, "ReadAttributes")?)
        .set_write_attributes(opt_str_list(p, "WriteAttributes")?)
        .set_auth_session_validity(opt_i32(p, "AuthSessionValidity")?);
    if let Some(u) = p.get("TokenValidityUnits") {
        let unit = |k: &str| -> Result<Option<TimeUnitsType>> {
            Ok(opt_str(u, k)?.map(|s| TimeUnitsType::from(s.as_str())))
        };
        req = req.token_validity_units(
            TokenValidityUnitsType::builder()
                .set_access_token(unit("AccessToken")?)
                .set_id_token(unit("IdToken")?)
                .set_refresh_token(unit("RefreshToken")?)
                .build(),
        );
    }
    let resp = req
        .send()
        .await
        .map_err(sdk_err)
        .context("CreateUserPoolClient")?;
    let client = resp
        .user_pool_client()
        .context("CreateUserPoolClient returned no client")?;
    let client_id = client
        .client_id()
        .context("CreateUserPoolClient returned no id")?
        .to_owned();
    let mut out = Outputs::new("AWS::Cognito::UserPoolClient", client_id.clone())
        .with("ClientId", client_id)
        .with("Name", client.client_name().unwrap_or_default())
        .with("UserPoolId", client.user_pool_id().unwrap_or_default());
    if let Some(s) = client.client_secret() {
        out = out.with("ClientSecret", s);
    }
    Ok(out)
}

pub async fn create_group(id: &str, p: &Value, cognito: &Client) -> Result<Outputs> {
    let pool_id = req_str(p, "UserPoolId")?;
    let name = opt_str(p, "GroupName")?.unwrap_or_else(|| id.to_owned());
    cognito
        .create_group()
        .user_pool_id(&pool_id)
        .group_name(&name)
        .set_description(opt_str(p, "Description")?)
        .set_precedence(opt_i32(p, "Precedence")?)
        .send()
        .await
        .map_err(sdk_err)
        .context("CreateGroup")?;
    Ok(Outputs::new("AWS::Cognito::UserPoolGroup", name.clone())
        .with("GroupName", name)
        .with("UserPoolId", pool_id))
}
