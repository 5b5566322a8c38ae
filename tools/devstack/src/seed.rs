//! Seed data: the admin user and the sample catalog.

use anyhow::{anyhow, Context as _, Result};
use aws_sdk_cognitoidentityprovider::types::{AttributeType, AuthFlowType, MessageActionType};
use serde_json::json;
use stack_model::provision::props::sdk_err;
use stack_model::provision::Clients;
use stack_model::template::Context;

pub const ADMIN_EMAIL: &str = "admin@example.com";
pub const DEFAULT_ADMIN_PASSWORD: &str = "Admin-Passw0rd!";
const ADMIN_GROUP: &str = "admin";

pub fn admin_password() -> String {
    std::env::var("CRABCART_ADMIN_PASSWORD")
        .ok()
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| DEFAULT_ADMIN_PASSWORD.to_owned())
}

/// The pool the admin lives in: the pool of the template's "admin" group, else the only pool.
pub fn admin_pool(ctx: &Context) -> Option<(String, Option<String>)> {
    let group = ctx
        .resources
        .values()
        .find(|o| o.type_ == "AWS::Cognito::UserPoolGroup" && o.ref_ == ADMIN_GROUP);
    if let Some(g) = group {
        if let Some(pool) = g.attrs.get("UserPoolId") {
            return Some((pool.clone(), Some(g.ref_.clone())));
        }
    }
    ctx.resources
        .values()
        .find(|o| o.type_ == "AWS::Cognito::UserPool")
        .map(|p| (p.ref_.clone(), None))
}

/// Creates admin@example.com and puts it in the admin group. With a registration route
/// the user registers through the real API, so the users service creates its profile and
/// emits UserRegistered like for any user; otherwise it is created in Cognito directly.
/// There is no fallback from the first to the second: an admin without a profile would
/// fail every test that reads it, far from the cause.
pub async fn seed_admin(
    ctx: &Context,
    clients: &Clients,
    api_url: &str,
    register_route: bool,
    password: &str,
) -> Result<()> {
    let Some((pool_id, group)) = admin_pool(ctx) else {
        tracing::info!("no user pool in the template: no admin user seeded");
        return Ok(());
    };
    if register_route {
        register_through_api(api_url, password).await?;
    } else {
        create_in_cognito(clients, &pool_id, password).await?;
    }
    match group {
        Some(g) => {
            clients
                .cognito
                .admin_add_user_to_group()
                .user_pool_id(&pool_id)
                .username(ADMIN_EMAIL)
                .group_name(&g)
                .send()
                .await
                .map_err(sdk_err)
                .context("AdminAddUserToGroup")?;
        }
        None => tracing::warn!(
            "the template has no UserPoolGroup named admin: the seeded admin is a plain user"
        ),
    }
    Ok(())
}

/// Attempts of the registration: the first request after start meets cold functions and,
/// on a loaded machine, a slow moto; a failed registration is compensated by the users
/// service, so retrying is safe.
const REGISTER_ATTEMPTS: u32 = 5;

async fn register_through_api(api_url: &str, password: &str) -> Result<()> {
    let http = reqwest::Client::new();
    let mut last = String::new();
    for attempt in 1..=REGISTER_ATTEMPTS {
        let resp = http
            .post(format!("{api_url}/v1/auth/register"))
            .json(&json!({"email": ADMIN_EMAIL, "password": password, "name": "Admin"}))
            .send()
            .await;
        match resp {
            Ok(r) if r.status().is_success() || r.status() == reqwest::StatusCode::CONFLICT => {
                return Ok(())
            }
            Ok(r) if r.status().is_client_error() => {
                let status = r.status();
                let body = r.text().await.unwrap_or_default();
                anyhow::bail!(
                    "POST /v1/auth/register for the admin was refused ({status}): {body}"
                );
            }
            Ok(r) => {
                let status = r.status();
                last = format!("{status}: {}", r.text().await.unwrap_or_default());
            }
            Err(e) => last = e.to_string(),
        }
        tracing::warn!(attempt, error = %last, "registering the admin through the API failed; retrying");
        tokio::time::sleep(std::time::Duration::from_millis(500 * u64::from(attempt))).await;
    }
    anyhow::bail!("registering the admin through POST /v1/auth/register failed {REGISTER_ATTEMPTS} times; last: {last} (the function output above says why)")
}

async fn create_in_cognito(clients: &Clients, pool_id: &str, password: &str) -> Result<()> {
    let attr = |n: &str, v: &str| AttributeType::builder().name(n).value(v).build();
    let created = clients
        .cognito
        .admin_create_user()
        .user_pool_id(pool_id)
        .username(ADMIN_EMAIL)
        .user_attributes(attr("email", ADMIN_EMAIL)?)
        .user_attributes(attr("email_verified", "true")?)
        .message_action(MessageActionType::Suppress)
        .send()
        .await;
    if let Err(e) = created {
        let exists = e
            .as_service_error()
            .is_some_and(|s| s.is_username_exists_exception());
        if !exists {
            return Err(sdk_err(e)).context("AdminCreateUser");
        }
    }
    clients
        .cognito
        .admin_set_user_password()
        .user_pool_id(pool_id)
        .username(ADMIN_EMAIL)
        .password(password)
        .permanent(true)
        .send()
        .await
        .map_err(sdk_err)
        .context("AdminSetUserPassword")?;
    Ok(())
}

/// Logs in as the admin: its ID token, for the API calls of the seed.
pub async fn admin_id_token(clients: &Clients, client_id: &str, password: &str) -> Result<String> {
    let out = clients
        .cognito
        .initiate_auth()
        .client_id(client_id)
        .auth_flow(AuthFlowType::UserPasswordAuth)
        .auth_parameters("USERNAME", ADMIN_EMAIL)
        .auth_parameters("PASSWORD", password)
        .send()
        .await
        .map_err(sdk_err)
        .context("InitiateAuth as the seeded admin")?;
    out.authentication_result()
        .and_then(|a| a.id_token())
        .map(str::to_owned)
        .ok_or_else(|| {
            anyhow!(
                "InitiateAuth as the seeded admin returned no ID token (challenge {:?})",
                out.challenge_name()
            )
        })
}

/// The products a fresh devstack sells, in the body shape of POST /v1/products.
const SAMPLE_CATALOG: &str = include_str!("../data/sample-catalog.json");

/// Creates the sample catalog through POST /v1/products as the admin, so the products
/// service validates it, stores it and emits ProductCreated like for any product.
/// Returns how many products it created.
pub async fn seed_catalog(api_url: &str, id_token: &str) -> Result<usize> {
    let products: Vec<serde_json::Value> =
        serde_json::from_str(SAMPLE_CATALOG).context("data/sample-catalog.json")?;
    let http = reqwest::Client::new();
    for product in &products {
        let resp = http
            .post(format!("{api_url}/v1/products"))
            .bearer_auth(id_token)
            .json(product)
            .send()
            .await
            .context("POST /v1/products")?;
        let status = resp.status();
        if !status.is_success() {
            let body = resp.text().await.unwrap_or_default();
            anyhow::bail!("POST /v1/products for the sample catalog answered {status}: {body}");
        }
    }
    Ok(products.len())
}
