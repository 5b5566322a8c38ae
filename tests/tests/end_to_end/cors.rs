//! The API as a browser on the storefront's origin meets it: preflights answered without
//! a token as the template's `Cors` declares, and that origin named on the functions'
//! answers and on API Gateway's own errors. Sent with a client of their own: a preflight
//! is no operation of openapi.yaml, so these answers stay out of the response log.

use e2e::TestApp;
use reqwest::Method;

/// The origin the devstack serves the storefront on, which it runs the template with.
fn storefront_origin() -> String {
    TestApp::shared().stack.storefront_url.clone()
}

async fn send(method: Method, path: &str, headers: &[(&str, &str)]) -> reqwest::Response {
    let app = TestApp::shared();
    let mut req = reqwest::Client::new().request(method, format!("{}{path}", app.stack.api_url));
    for (name, value) in headers {
        req = req.header(*name, *value);
    }
    req.send().await.expect("the local API answers")
}

fn header(response: &reqwest::Response, name: &str) -> String {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn a_preflight_is_answered_without_a_token_as_the_template_declares() {
    let origin = storefront_origin();
    // A public path and a protected one: a browser sends no token on a preflight.
    for (path, method) in [("/v1/products", "GET"), ("/v1/orders/o-1/cancel", "POST")] {
        let preflight = send(
            Method::OPTIONS,
            path,
            &[
                ("Origin", origin.as_str()),
                ("Access-Control-Request-Method", method),
                (
                    "Access-Control-Request-Headers",
                    "authorization,idempotency-key",
                ),
            ],
        )
        .await;
        assert_eq!(preflight.status(), 200, "OPTIONS {path}");
        assert_eq!(header(&preflight, "access-control-allow-origin"), origin);
        assert_eq!(
            header(&preflight, "access-control-allow-methods"),
            "DELETE,GET,OPTIONS,PATCH,POST,PUT"
        );
        assert_eq!(
            header(&preflight, "access-control-allow-headers"),
            "Authorization,Content-Type,Idempotency-Key,If-Match,If-None-Match"
        );
        assert_eq!(header(&preflight, "access-control-max-age"), "600");
        assert!(
            header(&preflight, "access-control-allow-credentials").is_empty(),
            "no credentials: the token travels in a header"
        );
    }
    // A path the API does not have is no preflight: API Gateway's 404.
    let unknown = send(
        Method::OPTIONS,
        "/v1/nowhere",
        &[("Origin", origin.as_str())],
    )
    .await;
    assert_eq!(unknown.status(), 404);
}

#[tokio::test]
async fn the_functions_and_the_gateways_own_errors_name_the_storefront_origin() {
    let origin = storefront_origin();
    let from_storefront = [("Origin", origin.as_str())];
    // A function's answer, with the headers a storefront must read.
    let listed = send(Method::GET, "/v1/products?limit=1", &from_storefront).await;
    assert_eq!(listed.status(), 200);
    assert_eq!(header(&listed, "access-control-allow-origin"), origin);
    assert_eq!(
        header(&listed, "access-control-expose-headers"),
        "ETag, Location, Retry-After"
    );
    // The authorizer's 401 and the gateway's 404: API Gateway's, not a function's.
    for (path, status) in [("/v1/users/me", 401), ("/v1/nowhere", 404)] {
        let refused = send(Method::GET, path, &from_storefront).await;
        assert_eq!(refused.status(), status, "{path}");
        assert_eq!(
            header(&refused, "access-control-allow-origin"),
            origin,
            "{path}"
        );
    }
    // The origin named is the storefront's whoever asks: a browser on another origin
    // sees it is not its own and hands the answer to nobody.
    let elsewhere = send(
        Method::GET,
        "/v1/products?limit=1",
        &[("Origin", "https://evil.example")],
    )
    .await;
    assert_eq!(header(&elsewhere, "access-control-allow-origin"), origin);
}
