//! The users API through its route table, with the REST proxy events API Gateway sends,
//! against a users table and a user pool on moto: registration with every bad field
//! named, sign-in that does not tell which half was wrong, a profile only its owner
//! changes, and the admin listing.

mod support;

use serde_json::{json, Value};
use shared::http::Router;
use stack_model::fixtures::api::{send, Call, Caller, Reply};
use std::sync::Arc;
use users::config::Config;
use users::App;

const PASSWORD: &str = "Correct-Horse-9";

/// The API over a table and a user pool of its own, confirming accounts at registration
/// (the template's `AutoConfirmUsers`).
struct Api {
    app: Arc<App>,
    router: Router<App>,
}

impl Api {
    async fn new() -> Self {
        let aws = support::aws().await;
        let table = support::create_users_table(&aws_sdk_dynamodb::Client::new(&aws)).await;
        let cognito = aws_sdk_cognitoidentityprovider::Client::new(&aws);
        let pool = stack_model::fixtures::create_user_pool(&cognito).await;
        let config = Config {
            table_name: table,
            user_pool_id: pool.id,
            user_pool_client_id: pool.client_id,
            auto_confirm_users: true,
            cursor_signing_key: b"a-users-api-test-cursor-signing-key".to_vec(),
        };
        Self {
            app: Arc::new(App::new(&aws, config)),
            router: users::api::router(),
        }
    }

    async fn send(&self, caller: Option<&Caller>, call: Call) -> Reply {
        send(&self.router, &self.app, caller, &call).await
    }

    async fn post(&self, path: &str, body: &Value) -> Reply {
        self.send(None, Call::new("POST", path, path).json(body))
            .await
    }

    /// A registered, confirmed account, as the authorizer would describe its caller.
    async fn registered(&self, name: &str) -> Caller {
        let email = format!("{}@example.com", &shared::ids::new_id()[24..]);
        let reply = self
            .post(
                "/v1/auth/register",
                &json!({"email": email, "password": PASSWORD, "name": name}),
            )
            .await;
        assert_eq!(reply.status, 201, "{}", reply.body);
        Caller {
            sub: reply.json()["id"].as_str().unwrap().to_owned(),
            email,
            admin: false,
        }
    }

    async fn me(&self, caller: &Caller) -> Reply {
        self.send(
            Some(caller),
            Call::new("GET", "/v1/users/me", "/v1/users/me"),
        )
        .await
    }
}

#[tokio::test]
async fn a_registered_user_signs_in_and_reads_and_renames_their_profile() {
    let api = Api::new().await;
    let ada = api.registered("Ada").await;
    let login = api
        .post(
            "/v1/auth/login",
            &json!({"email": ada.email, "password": PASSWORD}),
        )
        .await;
    assert_eq!(login.status, 200, "{}", login.body);
    assert!(login.json()["id_token"].is_string());

    let me = api.me(&ada).await;
    assert_eq!(me.status, 200, "{}", me.body);
    assert_eq!(
        (me.json()["id"].as_str(), me.json()["name"].as_str()),
        (Some(ada.sub.as_str()), Some("Ada"))
    );
    let rename =
        Call::new("PATCH", "/v1/users/me", "/v1/users/me").json(&json!({"name": "Ada L."}));
    let renamed = api.send(Some(&ada), rename).await;
    assert_eq!(renamed.status, 200, "{}", renamed.body);
    assert_eq!(api.me(&ada).await.json()["name"], "Ada L.");
}

#[tokio::test]
async fn a_bad_registration_names_every_field_and_a_weak_password_alone_is_unprocessable() {
    let api = Api::new().await;
    let bad = api
        .post(
            "/v1/auth/register",
            &json!({"email": "not-an-email", "password": "short", "name": ""}),
        )
        .await;
    assert_eq!(bad.status, 400, "{}", bad.body);
    assert_eq!(bad.error_fields(), ["email", "name", "password"]);
    let weak = api
        .post(
            "/v1/auth/register",
            &json!({"email": "weak@example.com", "password": "alllowercase", "name": "Weak"}),
        )
        .await;
    assert_eq!(
        (weak.status, weak.error_fields()),
        (422, vec!["password".to_owned()])
    );
    let never_registered = api
        .post(
            "/v1/auth/login",
            &json!({"email": "weak@example.com", "password": "alllowercase"}),
        )
        .await;
    assert_eq!(never_registered.status, 401, "{}", never_registered.body);
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_email_get_the_same_answer() {
    let api = Api::new().await;
    let ada = api.registered("Ada").await;
    let wrong = api
        .post(
            "/v1/auth/login",
            &json!({"email": ada.email, "password": "Wrong-Horse-9"}),
        )
        .await;
    let unknown = api
        .post(
            "/v1/auth/login",
            &json!({"email": "nobody@example.com", "password": PASSWORD}),
        )
        .await;
    assert_eq!((wrong.status, unknown.status), (401, 401));
    assert_eq!(
        wrong.json()["error"]["message"],
        unknown.json()["error"]["message"]
    );
}

#[tokio::test]
async fn only_an_admin_lists_users_and_reads_someone_elses_profile() {
    let api = Api::new().await;
    let ada = api.registered("Ada").await;
    let listing = Call::new("GET", "/v1/users", "/v1/users").query("limit", "100");
    let refused = api.send(Some(&ada), listing.clone()).await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    let listed = api.send(Some(&Caller::admin()), listing).await;
    assert_eq!(listed.status, 200, "{}", listed.body);
    let items = listed.json()["items"].clone();
    assert!(
        items
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["id"] == ada.sub.as_str()),
        "{}",
        listed.body
    );
    let path = format!("/v1/users/{}", ada.sub);
    let someone = Call::new("GET", "/v1/users/{id}", path.clone());
    assert_eq!(
        api.send(Some(&Caller::user()), someone.clone())
            .await
            .status,
        403
    );
    let read = api.send(Some(&Caller::admin()), someone).await;
    assert_eq!(
        (read.status, read.json()["name"].as_str()),
        (200, Some("Ada"))
    );
}
