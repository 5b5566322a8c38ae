//! The REST front end to end over HTTP, with the real template's routes and gateway
//! responses, a test signing key, and an echoing function in place of the binaries.

use super::*;
use crate::functions::{plan_all, Runtime};
use crate::testutil::{fake_ctx, real_template, CLIENT_ID, POOL_ID};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header};
use serde_json::json;
use std::path::Path;

const TEST_PRIVATE_DER: &str = include_str!("testdata/test_rsa_private.b64");
const TEST_PUBLIC_DER: &str = include_str!("testdata/test_rsa_public.b64");

fn der(b64: &str) -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD
        .decode(b64.trim())
        .unwrap()
}

fn token(groups: &[&str]) -> String {
    let now = Utc::now().timestamp();
    let claims = json!({"iss": auth::issuer(POOL_ID), "sub": "user-1", "aud": CLIENT_ID, "token_use": "id",
                        "iat": now, "exp": now + 600, "email": "a@example.com", "cognito:groups": groups});
    let mut h = Header::new(Algorithm::RS256);
    h.kid = Some("dummy".into());
    jsonwebtoken::encode(
        &h,
        &claims,
        &EncodingKey::from_rsa_der(&der(TEST_PRIVATE_DER)),
    )
    .unwrap()
}

/// Echoes the event back as the body; the path segment "boom" times out, "bad" is malformed.
fn echo() -> Invoker {
    Arc::new(|function: &str, ev: Value| {
        let function = function.to_owned();
        Box::pin(async move {
            let path = ev["path"].as_str().unwrap_or_default().to_owned();
            if path.ends_with("/boom") {
                return Err(InvokeError::Timeout);
            }
            if path.ends_with("/bad") {
                return Ok(json!({"body": "no status"}));
            }
            Ok(
                json!({"statusCode": 200, "headers": {"x-function": function},
                      "body": ev.to_string(), "isBase64Encoded": false}),
            )
        })
    })
}

async fn start() -> (String, watch::Sender<bool>) {
    let t = real_template();
    let ctx = fake_ctx(&t);
    let rt = Runtime {
        bin_dir: Path::new("/bins"),
        moto_url: "http://127.0.0.1:9",
        rust_log: None,
    };
    let plans = plan_all(&t, &ctx, &rt).unwrap();
    let verifier = Verifier::new("http://127.0.0.1:9");
    verifier.insert_key(
        POOL_ID,
        "dummy",
        DecodingKey::from_rsa_der(&der(TEST_PUBLIC_DER)),
    );
    let front = build_front(&t, &ctx, &plans, verifier, echo()).unwrap();
    assert_eq!(
        front.routes.len(),
        api_events(&t),
        "one route per Api event"
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = watch::channel(false);
    serve(listener, Arc::new(front), rx);
    (url, tx)
}

/// The template's `Type: Api` function events, counted independently of the front.
fn api_events(t: &stack_model::template::Template) -> usize {
    t.resources
        .iter()
        .filter(|r| r.type_ == "AWS::Serverless::Function")
        .filter_map(|r| r.properties["Events"].as_object())
        .flat_map(|events| events.values())
        .filter(|e| e["Type"] == "Api")
        .count()
}

async fn json_of(r: reqwest::Response) -> (u16, Value, Option<String>) {
    let status = r.status().as_u16();
    let rid = r
        .headers()
        .get("x-amzn-requestid")
        .map(|v| v.to_str().unwrap().to_owned());
    let body: Value = r.json().await.unwrap();
    (status, body, rid)
}

#[tokio::test]
async fn routes_auth_and_gateway_responses() {
    let (url, stop) = start().await;
    let http = reqwest::Client::new();

    // Unknown path and unknown method: the template's MISSING_AUTHENTICATION_TOKEN (404).
    for (m, p) in [
        ("GET", "/v1/nope"),
        ("PUT", "/v1/users/me"),
        ("GET", "/api/v1/users/me"),
    ] {
        let r = http
            .request(m.parse().unwrap(), format!("{url}{p}"))
            .send()
            .await
            .unwrap();
        let (s, b, rid) = json_of(r).await;
        assert_eq!(s, 404, "{m} {p}");
        assert_eq!(b["error"]["code"], "NOT_FOUND");
        assert_eq!(b["error"]["request_id"].as_str(), rid.as_deref());
    }

    // Protected route without / with a bad token: 401 in the template's shape.
    let r = http.get(format!("{url}/v1/users/me")).send().await.unwrap();
    let (s, b, _) = json_of(r).await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (401, Some("UNAUTHORIZED"))
    );
    let r = http
        .get(format!("{url}/v1/users/me"))
        .header("Authorization", "Bearer not.a.jwt")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 401);

    // Valid token (raw and Bearer): the function gets the claims as API Gateway renders them.
    for value in [
        token(&["admin", "ops"]),
        format!("Bearer {}", token(&["admin", "ops"])),
    ] {
        let r = http
            .get(format!("{url}/v1/users/u-42?limit=5"))
            .header("authorization", value)
            .send()
            .await
            .unwrap();
        assert_eq!(r.headers()["x-function"], "UsersApiFunction");
        let (s, ev, rid) = json_of(r).await;
        assert_eq!(s, 200);
        assert_eq!(ev["resource"], "/v1/users/{id}");
        assert_eq!(ev["pathParameters"]["id"], "u-42");
        assert_eq!(ev["queryStringParameters"]["limit"], "5");
        let rc = &ev["requestContext"];
        assert_eq!(rc["requestId"].as_str(), rid.as_deref());
        assert_eq!(rc["path"], "/api/v1/users/u-42");
        assert_eq!(rc["authorizer"]["claims"]["sub"], "user-1");
        assert_eq!(rc["authorizer"]["claims"]["cognito:groups"], "admin,ops");
        assert!(rc["authorizer"]["claims"]["exp"]
            .as_str()
            .unwrap()
            .contains(" UTC "));
    }

    // Public route: no token needed, no authorizer in the event, body passed as a string.
    let r = http
        .post(format!("{url}/v1/auth/register"))
        .header("content-type", "application/json")
        .body(r#"{"email":"x@example.com"}"#)
        .send()
        .await
        .unwrap();
    let (s, ev, _) = json_of(r).await;
    assert_eq!(s, 200);
    assert_eq!(ev["body"], r#"{"email":"x@example.com"}"#);
    assert!(ev["requestContext"].get("authorizer").is_none());
    assert_eq!(ev["httpMethod"], "POST");

    // Function failures: 502 in the template's DEFAULT_5XX shape.
    for p in ["/v1/users/boom", "/v1/users/bad"] {
        let r = http
            .get(format!("{url}{p}"))
            .header("authorization", token(&[]))
            .send()
            .await
            .unwrap();
        let (s, b, _) = json_of(r).await;
        assert_eq!(
            (s, b["error"]["code"].as_str()),
            (502, Some("INTERNAL")),
            "{p}"
        );
    }

    // Over API Gateway's 10 MB payload limit: REQUEST_TOO_LARGE (413).
    let r = http
        .post(format!("{url}/v1/auth/register"))
        .body(vec![b'a'; BODY_LIMIT + 1])
        .send()
        .await
        .unwrap();
    let (s, b, _) = json_of(r).await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (413, Some("PAYLOAD_TOO_LARGE"))
    );

    let _ = stop.send(true);
}
