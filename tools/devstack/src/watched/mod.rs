//! Functions run under `cargo lambda watch` (`--watch`): cargo-lambda builds the binary,
//! runs it under its own Runtime API emulator and rebuilds and restarts it on every saved
//! change; the devstack hands it every invocation the template routes to that function
//! (API routes with the authorizer's claims, SQS and stream batches) through the Lambda
//! Invoke API it serves.
//!
//! One `cargo lambda watch` process per watched function, started with `--bin <binary>`
//! and the function's env file; with a single binary it serves it as its default function
//! (`_`). cargo-lambda builds a function on its first invocation, so the devstack sends
//! one at once that does nothing (a warm-up: an empty batch, or a request no route
//! matches), and a broken build shows before the first real request. cargo's JSON messages (`--message-format json`) tell when a build starts, fails (with
//! the compiler's first error) and succeeds; the rest of its stdout is the function's.

mod build;
mod process;

pub use build::Build;

use crate::lambda::{FunctionSpec, InvokeError};
use crate::logs::FunctionLog;
use anyhow::{bail, Context as _, Result};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// The function name cargo-lambda gives the one binary it was started with.
const DEFAULT_FUNCTION: &str = "_";
/// How long the first build may take before the devstack gives up waiting for it (it keeps
/// running: a first build of the dependencies with this function's features takes minutes).
pub const FIRST_BUILD_LIMIT: Duration = Duration::from_secs(20 * 60);

/// Where cargo-lambda is and what it works on.
#[derive(Debug, Clone)]
pub struct Setup {
    /// The pinned `cargo-lambda` binary.
    pub cargo_lambda: PathBuf,
    /// The workspace it builds (the template's directory).
    pub workspace: PathBuf,
}

/// One function under `cargo lambda watch`; cheap to clone.
#[derive(Clone)]
pub struct WatchedFunction {
    inner: Arc<Inner>,
}

struct Inner {
    /// Logical id in the template.
    name: String,
    arn: String,
    binary: String,
    invoke_url: String,
    /// The template's Timeout, counted while the build is not in progress.
    timeout: Duration,
    build: watch::Receiver<Build>,
    http: reqwest::Client,
    process: process::WatchProcess,
    warm_up: tokio::task::JoinHandle<()>,
    log: FunctionLog,
}

impl WatchedFunction {
    /// Starts `cargo lambda watch` for the function of `spec`, which runs `binary`, with
    /// the environment written to `env_file`, and sends it `warm_up` (see
    /// [`warm_up_event`]) so the first build starts at once.
    pub async fn start(
        spec: &FunctionSpec,
        binary: &str,
        env_file: &Path,
        warm_up: Value,
        setup: &Setup,
    ) -> Result<WatchedFunction> {
        let log = spec.log.clone();
        let port = free_port()?;
        let (process, build) =
            process::WatchProcess::spawn(setup, binary, env_file, port, log.clone())
                .await
                .with_context(|| format!("starting `cargo lambda watch` for {binary}"))?;
        let http = reqwest::Client::builder()
            .build()
            .context("building the HTTP client")?;
        let invoke_url =
            format!("http://127.0.0.1:{port}/2015-03-31/functions/{DEFAULT_FUNCTION}/invocations");
        // Never answered while the code does not compile, then served by the fixed build,
        // where it does nothing: the request is dropped with the devstack, not awaited.
        let warm_up = http.post(&invoke_url).json(&warm_up).send();
        let warm_up = tokio::spawn(async move {
            let _ = warm_up.await;
        });
        Ok(WatchedFunction {
            inner: Arc::new(Inner {
                name: spec.name.clone(),
                arn: spec.arn(),
                binary: binary.to_owned(),
                invoke_url,
                warm_up,
                timeout: spec.timeout,
                build,
                http,
                process,
                log,
            }),
        })
    }

    /// The template logical id.
    pub fn name(&self) -> &str {
        &self.inner.name
    }

    /// The function ARN, as the local functions have theirs.
    pub fn arn(&self) -> &str {
        &self.inner.arn
    }

    /// The binary cargo-lambda builds.
    pub fn binary(&self) -> &str {
        &self.inner.binary
    }

    /// The build as last reported by cargo.
    pub fn build(&self) -> Build {
        self.inner.build.borrow().clone()
    }

    /// Waits until the first build has finished, well or not (or `limit` passed).
    pub async fn first_build(&self, limit: Duration) -> Build {
        let mut rx = self.inner.build.clone();
        let done = async {
            let _ = rx.wait_for(|b| !matches!(b, Build::Building)).await;
        };
        let _ = tokio::time::timeout(limit, done).await;
        self.build()
    }

    /// Resolves once the function can take an invocation (its build did not fail), so
    /// that pollers leave messages in their queue while the code does not compile.
    pub async fn until_built(&self) {
        let mut rx = self.inner.build.clone();
        let _ = rx.wait_for(|b| !matches!(b, Build::Failed { .. })).await;
    }

    /// Hands one invocation to cargo-lambda. The function's Timeout runs only while no
    /// build is in progress: an invocation that arrives as a save triggers a rebuild is
    /// served by the new code once it is built. A failed build answers at once, with the
    /// compiler's first error.
    pub async fn invoke(&self, payload: Value) -> Result<Value, InvokeError> {
        let inner = &self.inner;
        let mut build = inner.build.clone();
        if let Build::Failed { first_error } = &*build.borrow_and_update() {
            return Err(self.does_not_build(first_error));
        }
        let send = inner.http.post(&inner.invoke_url).json(&payload).send();
        tokio::pin!(send);
        let mut deadline = tokio::time::Instant::now() + inner.timeout;
        let mut building = matches!(*build.borrow(), Build::Building);
        loop {
            tokio::select! {
                answer = &mut send => return answer_of(answer).await,
                _ = tokio::time::sleep_until(deadline), if !building => {
                    return Err(InvokeError::Timeout);
                }
                changed = build.changed() => {
                    if changed.is_err() {
                        return Err(InvokeError::Crashed("cargo lambda watch has stopped".into()));
                    }
                    match &*build.borrow_and_update() {
                        Build::Failed { first_error } => {
                            return Err(self.does_not_build(first_error));
                        }
                        Build::Building => building = true,
                        Build::Ready => {
                            building = false;
                            deadline = tokio::time::Instant::now() + inner.timeout;
                        }
                    }
                }
            }
        }
    }

    fn does_not_build(&self, first_error: &str) -> InvokeError {
        InvokeError::Init(format!(
            "{} does not build (cargo lambda watch rebuilds it on the next save): {}",
            self.inner.binary,
            first_error.lines().next().unwrap_or(first_error)
        ))
    }

    /// Stops cargo-lambda, the build and the function it runs.
    pub async fn shutdown(&self) {
        self.inner.warm_up.abort();
        self.inner.process.stop().await;
        self.inner.log.note("INFO", "cargo lambda watch stopped");
    }
}

/// An invocation that starts the function and does nothing harmful: for an API function
/// a REST request that no route matches (404, nothing read or written), for a function
/// run only by schedules one scheduled run (a scheduled job runs again at every tick
/// anyway), for a worker an empty batch.
pub fn warm_up_event(plan: &crate::functions::FunctionPlan) -> Value {
    let function = &plan.spec.name;
    if plan.api_events.is_empty() {
        return match plan.schedules.first() {
            Some(schedule) if plan.sqs.is_empty() && plan.streams.is_empty() => {
                schedule.payload(chrono::Utc::now())
            }
            _ => serde_json::json!({"Records": []}),
        };
    }
    serde_json::json!({
        "resource": "/", "path": "/", "httpMethod": "GET",
        "headers": {"user-agent": "devstack warm-up"}, "multiValueHeaders": {},
        "requestContext": {
            "accountId": "123456789012", "apiId": "devstack", "resourceId": "devstack",
            "stage": "local", "requestId": format!("warm-up-{function}"),
            "resourcePath": "/", "httpMethod": "GET", "path": "/",
            "identity": {"sourceIp": "127.0.0.1", "userAgent": "devstack warm-up"}
        },
        "body": null, "isBase64Encoded": false
    })
}

/// What cargo-lambda's Invoke API answered: the function's response (200), its error
/// (500, `{errorType, errorMessage}`), or cargo-lambda's own refusal.
async fn answer_of(answer: reqwest::Result<reqwest::Response>) -> Result<Value, InvokeError> {
    let response = answer
        .map_err(|e| InvokeError::Crashed(format!("cargo lambda watch did not answer: {e}")))?;
    let status = response.status();
    let body = response
        .bytes()
        .await
        .map_err(|e| InvokeError::Crashed(format!("reading cargo lambda watch's answer: {e}")))?;
    let parsed = serde_json::from_slice::<Value>(&body).ok();
    let text = || String::from_utf8_lossy(&body).into_owned();
    match status.as_u16() {
        200 => Ok(parsed.unwrap_or_else(|| Value::String(text()))),
        500 => {
            let field = |k: &str| {
                parsed
                    .as_ref()
                    .and_then(|v| v.get(k))
                    .and_then(Value::as_str)
                    .map(str::to_owned)
            };
            Err(InvokeError::Function {
                error_type: field("errorType").unwrap_or_else(|| "Unhandled".into()),
                error_message: field("errorMessage").unwrap_or_else(text),
            })
        }
        other => Err(InvokeError::Init(format!(
            "cargo lambda watch answered {other}: {}",
            text()
        ))),
    }
}

fn free_port() -> Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").context("finding a free port")?;
    Ok(listener.local_addr()?.port())
}

/// The pinned cargo-lambda of the project virtualenv, installed there on first use from
/// `requirements-cargo-lambda.txt`, as `make venv` does.
pub async fn ensure_cargo_lambda(root: &Path, python: &Path) -> Result<PathBuf> {
    let requirements = root.join("requirements-cargo-lambda.txt");
    let pin = pinned_version(&requirements)?;
    let binary = python
        .parent()
        .map(|bin| bin.join("cargo-lambda"))
        .context("the virtualenv's python has no directory")?;
    if installed_version(&binary).await.as_deref() == Some(pin.as_str()) {
        return Ok(binary);
    }
    let install = format!(
        "{} -m pip install -r {}",
        python.display(),
        requirements.display()
    );
    eprintln!("devstack: installing cargo-lambda {pin} into the project virtualenv ({install})");
    let status = tokio::process::Command::new(python)
        .args(["-m", "pip", "install", "--disable-pip-version-check", "-r"])
        .arg(&requirements)
        .status()
        .await
        .with_context(|| format!("running `{install}`"))?;
    if !status.success() {
        bail!("installing cargo-lambda failed ({status}); run `{install}` and see its output");
    }
    match installed_version(&binary).await {
        Some(v) if v == pin => Ok(binary),
        other => bail!(
            "cargo-lambda {pin} is not runnable at {} after installing it (found {other:?}); run `{install}`",
            binary.display()
        ),
    }
}

fn pinned_version(requirements: &Path) -> Result<String> {
    let text = std::fs::read_to_string(requirements)
        .with_context(|| format!("reading {}", requirements.display()))?;
    text.lines()
        .find_map(|l| l.trim().strip_prefix("cargo-lambda=="))
        .map(|v| v.trim().to_owned())
        .with_context(|| format!("{} pins no cargo-lambda==<version>", requirements.display()))
}

/// `cargo-lambda 1.9.2 (67129fc ...)` -> `1.9.2`.
async fn installed_version(binary: &Path) -> Option<String> {
    let out = tokio::process::Command::new(binary)
        .args(["lambda", "--version"])
        .output()
        .await
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    text.split_whitespace().nth(1).map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root_with(requirements: &str) -> PathBuf {
        let root = std::env::temp_dir().join(format!("devstack-cl-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&root).unwrap();
        std::fs::write(root.join("requirements-cargo-lambda.txt"), requirements).unwrap();
        root
    }

    #[tokio::test]
    async fn a_cargo_lambda_that_cannot_be_installed_says_what_to_run() {
        let root = root_with("cargo-lambda==0.0.0-none\n");
        // A "python" whose pip always fails, in a virtualenv without cargo-lambda.
        let python = Path::new("/bin/false");
        let e = ensure_cargo_lambda(&root, python).await.unwrap_err();
        let e = format!("{e:#}");
        assert!(e.contains("installing cargo-lambda failed"), "{e}");
        assert!(
            e.contains("/bin/false -m pip install -r")
                && e.contains("requirements-cargo-lambda.txt"),
            "{e}"
        );
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[tokio::test]
    async fn a_requirements_file_without_the_pin_is_named() {
        let root = root_with("ziglang==0.17.1\n");
        let e = ensure_cargo_lambda(&root, Path::new("/bin/false"))
            .await
            .unwrap_err()
            .to_string();
        assert!(e.contains("pins no cargo-lambda==<version>"), "{e}");
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[tokio::test]
    async fn cargo_lambdas_answers_become_responses_or_errors() {
        let app = axum::Router::new()
            .route(
                "/ok",
                axum::routing::post(|| async { r#"{"statusCode":200}"# }),
            )
            .route(
                "/error",
                axum::routing::post(|| async {
                    (
                        axum::http::StatusCode::INTERNAL_SERVER_ERROR,
                        r#"{"errorType":"Panic","errorMessage":"boom"}"#,
                    )
                }),
            )
            .route(
                "/missing",
                axum::routing::post(|| async {
                    (axum::http::StatusCode::NOT_FOUND, "no such function")
                }),
            );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        let http = reqwest::Client::new();
        let call = |path: &str| http.post(format!("{base}{path}")).body("{}").send();

        assert_eq!(
            answer_of(call("/ok").await).await.unwrap(),
            serde_json::json!({"statusCode": 200})
        );
        match answer_of(call("/error").await).await {
            Err(InvokeError::Function {
                error_type,
                error_message,
            }) => assert_eq!(
                (error_type.as_str(), error_message.as_str()),
                ("Panic", "boom")
            ),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            answer_of(call("/missing").await).await,
            Err(InvokeError::Init(m)) if m.contains("404") && m.contains("no such function")
        ));
    }
}
