//! The end-to-end harness: one devstack per test binary (the real function binaries
//! behind the local REST front, on free ports), and a [`TestApp`] that drives it over
//! HTTP the way a client does, plus [`EventTap`] to observe what reaches a topic.

pub mod browser;
pub mod catalog;
mod devstack;
mod events;
pub mod faults;
pub mod orders;
pub mod response_log;
pub mod template;
mod tokens;

pub use devstack::{target_dir, Stack, StackOptions};
pub use events::{envelope, publish, EventTap};
pub use tokens::forge_id_token;

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

/// A response as the test sees it: status, headers and the body parsed as JSON
/// (`Value::Null` when the body is empty or not JSON).
#[derive(Debug)]
pub struct Reply {
    /// The HTTP status.
    pub status: StatusCode,
    /// Response headers.
    pub headers: reqwest::header::HeaderMap,
    /// The body as JSON.
    pub body: Value,
}

impl Reply {
    /// The `error.code` of an error body.
    pub fn error_code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or("")
    }

    /// The `field` of every entry of `error.details`.
    pub fn error_fields(&self) -> Vec<String> {
        self.body["error"]["details"]
            .as_array()
            .map(|d| {
                d.iter()
                    .filter_map(|e| e["field"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Asserts the status and, for errors, the error shape every route answers with.
    #[track_caller]
    pub fn expect(&self, status: u16) -> &Self {
        assert_eq!(
            self.status.as_u16(),
            status,
            "unexpected status; body: {}",
            self.body
        );
        if status >= 400 {
            let e = &self.body["error"];
            assert!(e["code"].is_string(), "no error.code in {}", self.body);
            assert!(
                e["message"].is_string(),
                "no error.message in {}",
                self.body
            );
            assert!(
                e["timestamp"].is_string(),
                "no error.timestamp in {}",
                self.body
            );
            assert!(
                e.get("request_id").is_some(),
                "no error.request_id in {}",
                self.body
            );
        }
        self
    }
}

/// A registered, signed-in user.
#[derive(Debug, Clone)]
pub struct User {
    /// The Cognito `sub`, which is the user id.
    pub id: String,
    /// The email the user registered with.
    pub email: String,
    /// The user's password.
    pub password: String,
    /// A valid ID token (the bearer token of the API).
    pub id_token: String,
    /// The refresh token from sign-in.
    pub refresh_token: String,
}

/// The longest a test waits for one answer of the local API: well over a watched
/// function's rebuild on a busy box, which a request waits out. A request still open after
/// that fails its test with the method and path instead of hanging the run.
const ANSWER_LIMIT: std::time::Duration = std::time::Duration::from_secs(300);

/// The client side of the tests: HTTP calls against the stack's API.
pub struct TestApp {
    /// The running stack.
    pub stack: &'static Stack,
    http: reqwest::Client,
}

impl TestApp {
    /// The app of this test binary; the stack starts on first use.
    pub fn shared() -> TestApp {
        TestApp::on(Stack::shared())
    }

    /// An app on a stack the test started itself.
    pub fn on(stack: &'static Stack) -> TestApp {
        TestApp {
            stack,
            http: reqwest::Client::builder()
                .timeout(ANSWER_LIMIT)
                .build()
                .expect("an HTTP client"),
        }
    }

    /// Sends `body` (JSON) with an optional bearer token.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Reply {
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.stack.api_url));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        self.send(req).await
    }

    /// Sends a request built by the test (raw bodies, odd headers).
    /// Every response is also written to the [`response_log`], which `make test` checks
    /// against openapi.yaml.
    pub async fn send(&self, req: reqwest::RequestBuilder) -> Reply {
        let (client, request) = req.build_split();
        let request = request.expect("a well-formed request");
        let (method, path) = (request.method().clone(), request.url().path().to_owned());
        let resp = client
            .execute(request)
            .await
            .unwrap_or_else(|e| panic!("{method} {path}: the local API did not answer: {e}"));
        let status = resp.status();
        let headers = resp.headers().clone();
        let bytes = resp.bytes().await.expect("a response body");
        response_log::record(&method, &path, status, &headers, &bytes);
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Reply {
            status,
            headers,
            body,
        }
    }

    /// A request builder for `path` on the API, for tests that need full control.
    pub fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method, format!("{}{path}", self.stack.api_url))
    }

    /// POST /v1/auth/register.
    pub async fn register(&self, email: &str, password: &str, name: &str) -> Reply {
        let body = json!({"email": email, "password": password, "name": name});
        self.call(Method::POST, "/v1/auth/register", None, Some(body))
            .await
    }

    /// POST /v1/auth/login.
    pub async fn login(&self, email: &str, password: &str) -> Reply {
        let body = json!({"email": email, "password": password});
        self.call(Method::POST, "/v1/auth/login", None, Some(body))
            .await
    }

    /// Registers and signs in a fresh user with a unique email.
    pub async fn new_user(&self) -> User {
        let email = unique_email();
        let password = "Corr3ct-Horse-Battery!".to_owned();
        let registered = self.register(&email, &password, "Test User").await;
        registered.expect(201);
        let login = self.login(&email, &password).await;
        login.expect(200);
        User {
            id: registered.body["id"].as_str().expect("id").to_owned(),
            email,
            password,
            id_token: login.body["id_token"]
                .as_str()
                .expect("id_token")
                .to_owned(),
            refresh_token: login.body["refresh_token"]
                .as_str()
                .expect("refresh_token")
                .to_owned(),
        }
    }

    /// Adds `user` to the `admin` group (as an operator would, through Cognito) and signs
    /// in again, so the new ID token carries the group.
    pub async fn promote_to_admin(&self, user: &User) -> User {
        let aws = moto_runner::sdk_config(&self.stack.moto_url).await;
        aws_sdk_cognitoidentityprovider::Client::new(&aws)
            .admin_add_user_to_group()
            .user_pool_id(&self.stack.user_pool_id)
            .username(&user.id)
            .group_name("admin")
            .send()
            .await
            .expect("add the user to the admin group");
        let login = self.login(&user.email, &user.password).await;
        login.expect(200);
        User {
            id_token: login.body["id_token"]
                .as_str()
                .expect("id_token")
                .to_owned(),
            ..user.clone()
        }
    }

    /// `user`'s inbox (GET /v1/notifications, up to 100 entries), newest first.
    pub async fn inbox(&self, user: &User) -> Vec<Value> {
        let reply = self
            .call(
                Method::GET,
                "/v1/notifications?limit=100",
                Some(&user.id_token),
                None,
            )
            .await;
        reply.expect(200);
        reply.body["items"].as_array().expect("items").clone()
    }

    /// Signs in the admin the stack seeded.
    pub async fn admin(&self) -> User {
        let login = self
            .login(&self.stack.admin_email, &self.stack.admin_password)
            .await;
        login.expect(200);
        let token = login.body["id_token"]
            .as_str()
            .expect("id_token")
            .to_owned();
        let me = self
            .call(Method::GET, "/v1/users/me", Some(&token), None)
            .await;
        me.expect(200);
        User {
            id: me.body["id"].as_str().expect("id").to_owned(),
            email: self.stack.admin_email.clone(),
            password: self.stack.admin_password.clone(),
            id_token: token,
            refresh_token: login.body["refresh_token"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
        }
    }
}

/// An email no other test (or earlier run) uses.
pub fn unique_email() -> String {
    format!("user-{}@example.com", uuid::Uuid::new_v4().simple())
}
