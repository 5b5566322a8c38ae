//! The users journeys through the local API Gateway with real Cognito tokens.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use e2e::{forge_id_token, unique_email, EventTap, TestApp};
use reqwest::header::CONTENT_TYPE;
use reqwest::Method;
use serde_json::{json, Value};
use std::time::Duration;

const PASSWORD: &str = "Corr3ct-Horse-Battery!";

fn claims_of(token: &str) -> Value {
    let payload = token.split('.').nth(1).expect("a JWT");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).expect("base64url"))
        .expect("JSON claims")
}

#[tokio::test]
async fn register_login_read_update_and_delete_a_profile() {
    let app = TestApp::shared();
    let email = unique_email();

    let registered = app
        .register(&email.to_uppercase(), PASSWORD, "Ada Lovelace")
        .await;
    registered.expect(201);
    let id = registered.body["id"].as_str().expect("id").to_owned();
    assert_eq!(
        registered.body["email"],
        json!(email),
        "emails are stored lowercased"
    );
    assert_eq!(registered.body["name"], "Ada Lovelace");
    assert_eq!(
        registered.body["confirmation_required"], false,
        "the devstack auto-confirms"
    );
    assert!(registered.body["created_at"].is_string());

    let login = app.login(&email, PASSWORD).await;
    login.expect(200);
    assert_eq!(login.body["token_type"], "Bearer");
    assert!(login.body["expires_in"].as_i64().unwrap_or(0) > 0);
    for t in ["id_token", "access_token", "refresh_token"] {
        assert!(
            login.body[t].as_str().is_some_and(|s| !s.is_empty()),
            "{t} missing"
        );
    }
    let token = login.body["id_token"]
        .as_str()
        .expect("id_token")
        .to_owned();
    assert_eq!(
        claims_of(&token)["sub"],
        json!(id),
        "the profile id is the Cognito sub"
    );

    let me = app
        .call(Method::GET, "/v1/users/me", Some(&token), None)
        .await;
    me.expect(200);
    assert_eq!(me.body["id"], json!(id));
    assert_eq!(me.body["email"], json!(email));
    assert_eq!(me.body["name"], "Ada Lovelace");
    let created_at = me.body["updated_at"].clone();

    let patched = app
        .call(
            Method::PATCH,
            "/v1/users/me",
            Some(&token),
            Some(json!({"name": "Countess Ada"})),
        )
        .await;
    patched.expect(200);
    assert_eq!(patched.body["name"], "Countess Ada");
    assert_ne!(patched.body["updated_at"], created_at);
    let me = app
        .call(Method::GET, "/v1/users/me", Some(&token), None)
        .await;
    assert_eq!(
        me.expect(200).body["name"],
        "Countess Ada",
        "the update is stored"
    );

    app.call(Method::DELETE, "/v1/users/me", Some(&token), None)
        .await
        .expect(204);
    app.login(&email, PASSWORD).await.expect(401);
    let admin = app.admin().await;
    app.call(
        Method::GET,
        &format!("/v1/users/{id}"),
        Some(&admin.id_token),
        None,
    )
    .await
    .expect(404);
    // The address is free again.
    app.register(&email, PASSWORD, "Ada again")
        .await
        .expect(201);
}

#[tokio::test]
async fn wrong_password_and_unknown_email_are_the_same_401() {
    let app = TestApp::shared();
    let user = app.new_user().await;
    let wrong = app.login(&user.email, "Wr0ng-Password!").await;
    wrong.expect(401);
    let unknown = app.login(&unique_email(), PASSWORD).await;
    unknown.expect(401);
    assert_eq!(
        wrong.body["error"]["message"],
        unknown.body["error"]["message"]
    );
}

#[tokio::test]
async fn a_refresh_token_gets_new_working_tokens() {
    let app = TestApp::shared();
    let user = app.new_user().await;
    let refreshed = app
        .call(
            Method::POST,
            "/v1/auth/refresh",
            None,
            Some(json!({"refresh_token": user.refresh_token})),
        )
        .await;
    refreshed.expect(200);
    assert_eq!(refreshed.body["token_type"], "Bearer");
    let token = refreshed.body["id_token"].as_str().expect("id_token");
    let me = app
        .call(Method::GET, "/v1/users/me", Some(token), None)
        .await;
    assert_eq!(me.expect(200).body["id"], json!(user.id));

    let bogus = app
        .call(
            Method::POST,
            "/v1/auth/refresh",
            None,
            Some(json!({"refresh_token": "not-a-token"})),
        )
        .await;
    bogus.expect(401);
}

#[tokio::test]
async fn protected_routes_refuse_missing_tampered_and_expired_tokens() {
    let app = TestApp::shared();
    let user = app.new_user().await;

    let none = app.call(Method::GET, "/v1/users/me", None, None).await;
    none.expect(401);

    // Swap the payload for one claiming another identity: the signature no longer matches.
    let mut claims = claims_of(&user.id_token);
    claims["cognito:groups"] = json!(["admin"]);
    let parts: Vec<&str> = user.id_token.split('.').collect();
    let tampered = format!(
        "{}.{}.{}",
        parts[0],
        URL_SAFE_NO_PAD.encode(claims.to_string()),
        parts[2]
    );
    app.call(Method::GET, "/v1/users", Some(&tampered), None)
        .await
        .expect(401);

    // Correctly signed with the pool's key, but expired.
    let mut claims = claims_of(&user.id_token);
    claims["exp"] = json!(claims["iat"].as_i64().expect("iat") - 60);
    let expired = forge_id_token(&claims);
    app.call(Method::GET, "/v1/users/me", Some(&expired), None)
        .await
        .expect(401);

    // Correctly signed and current, but an access token is not an ID token.
    let mut claims = claims_of(&user.id_token);
    claims["token_use"] = json!("access");
    let access = forge_id_token(&claims);
    app.call(Method::GET, "/v1/users/me", Some(&access), None)
        .await
        .expect(401);

    // The control: the same claims, untouched and re-signed, pass.
    let valid = forge_id_token(&claims_of(&user.id_token));
    app.call(Method::GET, "/v1/users/me", Some(&valid), None)
        .await
        .expect(200);
}

#[tokio::test]
async fn only_admins_read_other_profiles() {
    let app = TestApp::shared();
    let user = app.new_user().await;
    let other = app.new_user().await;

    let forbidden = app
        .call(Method::GET, "/v1/users", Some(&user.id_token), None)
        .await;
    forbidden.expect(403);
    app.call(
        Method::GET,
        &format!("/v1/users/{}", other.id),
        Some(&user.id_token),
        None,
    )
    .await
    .expect(403);
    app.call(Method::GET, "/v1/users", None, None)
        .await
        .expect(401);

    let admin = app.admin().await;
    let found = app
        .call(
            Method::GET,
            &format!("/v1/users/{}", other.id),
            Some(&admin.id_token),
            None,
        )
        .await;
    assert_eq!(found.expect(200).body["email"], json!(other.email));
    let unknown = format!("/v1/users/{}", uuid::Uuid::new_v4());
    app.call(Method::GET, &unknown, Some(&admin.id_token), None)
        .await
        .expect(404);
}

#[tokio::test]
async fn admins_page_through_every_user_newest_first() {
    let app = TestApp::shared();
    let mut mine = Vec::new();
    for _ in 0..3 {
        mine.push(app.new_user().await.id);
    }
    let admin = app.admin().await;
    let mut seen: Vec<String> = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/v1/users?limit=2&cursor={c}"),
            None => "/v1/users?limit=2".to_owned(),
        };
        let page = app
            .call(Method::GET, &path, Some(&admin.id_token), None)
            .await;
        page.expect(200);
        let items = page.body["items"].as_array().expect("items");
        assert!(items.len() <= 2);
        seen.extend(
            items
                .iter()
                .map(|u| u["id"].as_str().expect("id").to_owned()),
        );
        match page.body["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    let unique: std::collections::HashSet<_> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len(), "no user twice across pages");
    let positions: Vec<usize> = mine
        .iter()
        .map(|id| {
            seen.iter()
                .position(|s| s == id)
                .expect("every new user is listed")
        })
        .collect();
    assert!(
        positions[2] < positions[1] && positions[1] < positions[0],
        "newest first: {positions:?}"
    );

    // A cursor is bound to its caller and query.
    let first = app
        .call(
            Method::GET,
            "/v1/users?limit=1",
            Some(&admin.id_token),
            None,
        )
        .await;
    let cursor = first.body["next_cursor"]
        .as_str()
        .expect("more than one user");
    let next = format!("/v1/users?limit=1&cursor={cursor}");
    app.call(Method::GET, &next, Some(&admin.id_token), None)
        .await
        .expect(200);
    let other_query = format!("/v1/users?limit=1&email=x&cursor={cursor}");
    app.call(Method::GET, &other_query, Some(&admin.id_token), None)
        .await
        .expect(400);
    let other_admin = app.promote_to_admin(&app.new_user().await).await;
    app.call(Method::GET, &next, Some(&other_admin.id_token), None)
        .await
        .expect(400);
    app.call(
        Method::GET,
        "/v1/users?cursor=garbage",
        Some(&admin.id_token),
        None,
    )
    .await
    .expect(400);
}

#[tokio::test]
async fn a_taken_email_is_a_409_and_bad_fields_are_explained() {
    let app = TestApp::shared();
    let user = app.new_user().await;
    let dup = app.register(&user.email, PASSWORD, "Someone").await;
    assert_eq!(dup.expect(409).error_code(), "CONFLICT");

    let bad_email = app.register("not-an-email", PASSWORD, "X").await;
    bad_email.expect(400);
    assert_eq!(bad_email.error_fields(), vec!["email"]);

    let weak = app.register(&unique_email(), "short", "X").await;
    assert!(weak.status == 400 || weak.status == 422, "{:?}", weak);
    assert!(
        weak.error_fields().contains(&"password".to_owned()),
        "{}",
        weak.body
    );

    let user = app.new_user().await;
    let empty = app
        .call(
            Method::PATCH,
            "/v1/users/me",
            Some(&user.id_token),
            Some(json!({"name": ""})),
        )
        .await;
    assert_eq!(empty.expect(400).error_fields(), vec!["name"]);
}

#[tokio::test]
async fn bodies_are_checked_before_anything_changes() {
    let app = TestApp::shared();
    let email = unique_email();
    let register = |body: String, content_type: &'static str| {
        app.request(Method::POST, "/v1/auth/register")
            .header(CONTENT_TYPE, content_type)
            .body(body)
    };

    let malformed = app
        .send(register("{\"email\": ".into(), "application/json"))
        .await;
    assert_eq!(malformed.expect(400).error_code(), "BAD_REQUEST");

    let body =
        json!({"email": email, "password": PASSWORD, "name": "X", "admin": true}).to_string();
    let unknown = app.send(register(body, "application/json")).await;
    unknown.expect(400);
    assert_eq!(unknown.error_fields(), vec!["admin"]);

    let body = json!({"email": email, "password": PASSWORD, "name": "X"}).to_string();
    app.send(register(body.clone(), "text/plain"))
        .await
        .expect(415);

    let huge =
        json!({"email": email, "password": PASSWORD, "name": "x".repeat(70 * 1024)}).to_string();
    app.send(register(huge, "application/json"))
        .await
        .expect(413);

    // None of the refused requests registered the address.
    app.login(&email, PASSWORD).await.expect(401);
    app.send(register(body, "application/json; charset=utf-8"))
        .await
        .expect(201);
}

#[tokio::test]
async fn every_registration_publishes_user_registered_exactly_once() {
    let app = TestApp::shared();
    let tap = EventTap::subscribe(app.stack, "UsersTopic", &["UserRegistered"]).await;
    let mut ids = Vec::new();
    for _ in 0..3 {
        ids.push(app.new_user().await.id);
    }
    let ours = |events: &[Value]| -> Vec<String> {
        events
            .iter()
            .filter(|e| ids.iter().any(|id| e["data"]["user_id"] == json!(id)))
            .map(|e| e["data"]["user_id"].as_str().unwrap_or_default().to_owned())
            .collect()
    };
    let mut events = tap
        .receive_until(Duration::from_secs(60), |got| ours(got).len() >= ids.len())
        .await;
    // Anything published twice would arrive within a few more polls.
    events.extend(tap.receive_for(Duration::from_secs(5)).await);
    let mut got = ours(&events);
    got.sort();
    let mut want = ids.clone();
    want.sort();
    assert_eq!(got, want, "each registration exactly once");
    for e in events
        .iter()
        .filter(|e| ids.iter().any(|id| e["data"]["user_id"] == json!(id)))
    {
        assert_eq!(e["type"], "UserRegistered");
        assert_eq!(e["source"], "users");
        assert_eq!(e["version"], 1);
        assert_eq!(e["correlation_id"], e["data"]["user_id"]);
        assert!(e["id"].is_string() && e["time"].is_string());
    }
}
