//! The storefront (`web/`) on an origin of its own, as CloudFront serves it from S3 once
//! deployed: the static files, and the `config.json` that tells the page where the API is
//! (written into the bucket at deploy time there, answered from the running stack here).
//!
//! The origin is `http://localhost:<port>`, and the devstack runs the template with it as
//! `StorefrontOrigin` (unless that is overridden), so the API's CORS answers name it.
//! `http://127.0.0.1:<port>` serves the same page from another origin, which the API
//! refuses: what a shop copied onto a stranger's site meets.

use anyhow::{Context as _, Result};
use axum::http::{header, HeaderName, HeaderValue};
use axum::routing::get;
use axum::{Json, Router};
use std::path::{Path, PathBuf};
use tokio::sync::watch;
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;

/// The template parameter that names the one origin the API answers browsers on.
pub const ORIGIN_PARAMETER: &str = "StorefrontOrigin";

/// `overrides` with `StorefrontOrigin` set to `origin` when the template has that
/// parameter and the overrides do not name it already.
pub fn with_origin(
    template: &stack_model::template::Template,
    overrides: &std::collections::BTreeMap<String, String>,
    origin: &str,
) -> std::collections::BTreeMap<String, String> {
    let mut overrides = overrides.clone();
    if template.parameters.contains_key(ORIGIN_PARAMETER) {
        overrides
            .entry(ORIGIN_PARAMETER.to_owned())
            .or_insert_with(|| origin.to_owned());
    }
    overrides
}

pub async fn bind(port: u16) -> Result<tokio::net::TcpListener> {
    tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .with_context(|| {
            format!("binding 127.0.0.1:{port} (--storefront-port; 0 picks any free port)")
        })
}

/// The storefront's origin for a listener: by name, as a person types it.
pub fn origin(listener: &tokio::net::TcpListener) -> Result<String> {
    Ok(format!(
        "http://localhost:{}",
        listener.local_addr()?.port()
    ))
}

/// `web/` of the workspace, unless `--storefront-dir` says otherwise.
pub fn default_dir(root: &Path) -> PathBuf {
    root.join("web")
}

/// Serves `dir`, and `config.json` naming `api_url`, until `shutdown` turns true.
pub fn serve(
    listener: tokio::net::TcpListener,
    dir: PathBuf,
    api_url: String,
    mut shutdown: watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    let app = router(&dir, &api_url);
    tokio::spawn(async move {
        let result = axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                let _ = shutdown.wait_for(|stop| *stop).await;
            })
            .await;
        if let Err(e) = result {
            tracing::error!(error = %e, "storefront stopped");
        }
    })
}

fn router(dir: &Path, api_url: &str) -> Router {
    let config = serde_json::json!({ "apiUrl": api_url });
    let mut app = Router::new()
        .route(
            "/config.json",
            get(move || {
                let config = config.clone();
                async move { Json(config) }
            }),
        )
        .fallback_service(ServeDir::new(dir));
    // The security headers template.yaml's CloudFront response headers policy sends, so
    // that the page is tested under the same rules; no caching, so a saved edit shows on
    // the next reload.
    for (name, value) in security_headers(api_url) {
        app = app.layer(SetResponseHeaderLayer::overriding(name, value));
    }
    app.layer(SetResponseHeaderLayer::overriding(
        header::CACHE_CONTROL,
        HeaderValue::from_static("no-cache"),
    ))
}

/// Content-Security-Policy (this origin's own scripts and styles, calls to the API only),
/// no framing, no MIME sniffing, no referrer across origins.
pub fn security_headers(api_url: &str) -> Vec<(HeaderName, HeaderValue)> {
    let csp = format!(
        "default-src 'self'; connect-src 'self' {api_url}; img-src 'self' data:; \
         frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'"
    );
    let mut headers = vec![
        (
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ),
        (header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")),
        (
            header::REFERRER_POLICY,
            HeaderValue::from_static("strict-origin-when-cross-origin"),
        ),
    ];
    if let Ok(value) = HeaderValue::from_str(&csp) {
        headers.push((header::CONTENT_SECURITY_POLICY, value));
    }
    headers
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn started(dir: &Path) -> (String, watch::Sender<bool>) {
        let listener = bind(0).await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let (stop, rx) = watch::channel(false);
        serve(listener, dir.to_owned(), "http://127.0.0.1:3000".into(), rx);
        (url, stop)
    }

    #[tokio::test]
    async fn serves_the_pages_and_names_the_api_in_config_json() {
        let dir = std::env::temp_dir().join(format!("storefront-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("index.html"), "<h1>shop</h1>").unwrap();
        let (url, _stop) = started(&dir).await;

        let page = reqwest::get(format!("{url}/")).await.unwrap();
        assert_eq!(page.status(), 200);
        assert_eq!(page.headers()["x-frame-options"], "DENY");
        assert!(page.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("connect-src 'self' http://127.0.0.1:3000"));
        assert_eq!(page.text().await.unwrap(), "<h1>shop</h1>");

        let config: serde_json::Value = reqwest::get(format!("{url}/config.json"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(
            config,
            serde_json::json!({"apiUrl": "http://127.0.0.1:3000"})
        );

        let missing = reqwest::get(format!("{url}/nope.js")).await.unwrap();
        assert_eq!(missing.status(), 404);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
