//! `cargo lambda watch` as crabcart's users work with it: inside the whole local system
//! (`make dev WATCH=orders-api,orders-worker`), where API routes and queue deliveries
//! reach the watched build and a saved change is served without a restart; and on its own,
//! the documented recipe, with the env file the devstack writes.
//!
//! Everything runs on a scratch copy of the workspace (`target/watch-e2e/workspace`),
//! built in a target directory of its own: the tests edit its sources, never the
//! repository's. The copy's invocation span carries a `build` field the repository's
//! code does not have, so a log line with it can only come from the watched build.

use e2e::catalog::{create_product_id, product_body, unique_category};
use e2e::orders::{order_body, place_when_priced, wait_for_status};
use e2e::{Stack, StackOptions, TestApp};
use reqwest::Method;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The first build of the watched functions: the scratch crates, and the dependencies whose
/// features differ from the test build's (see [`seed_target`]).
const FIRST_BUILD: Duration = Duration::from_secs(25 * 60);
/// A rebuild after a save: the changed crates and the binary.
const REBUILD: Duration = Duration::from_secs(10 * 60);
const POLL: Duration = Duration::from_secs(2);
/// The watched builds compile as a developer's do: `make test` lints its own build through
/// clippy-driver (RUSTC_WORKSPACE_WRAPPER), which the test process would otherwise pass on
/// to cargo-lambda; an empty value turns cargo's wrapper off.
const NO_WORKSPACE_WRAPPER: (&str, &str) = ("RUSTC_WORKSPACE_WRAPPER", "");
/// cargo's last line about a build that failed.
const CARGO_FAILED: &str = "error: could not compile";

/// The tests edit one scratch workspace and share one stack: one at a time.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Where the invocation span of the scratch copy gets its `build` field.
const SPAN_FILE: &str = "shared/src/telemetry/mod.rs";
const SPAN_ANCHOR: &str = "        cold_start,\n";

fn watch_dir() -> PathBuf {
    e2e::target_dir().join("watch-e2e")
}

/// The scratch workspace: the repository's sources (no build output, no virtualenvs),
/// with `build = "watch-1"` in the invocation span.
fn scratch() -> &'static Path {
    static SCRATCH: OnceLock<PathBuf> = OnceLock::new();
    SCRATCH.get_or_init(|| {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let scratch = watch_dir().join("workspace");
        let _ = std::fs::remove_dir_all(&scratch);
        copy_sources(&root, &scratch);
        let span = scratch.join(SPAN_FILE);
        let text = std::fs::read_to_string(&span).expect("the span file");
        assert!(
            text.contains(SPAN_ANCHOR),
            "{SPAN_FILE} no longer has {SPAN_ANCHOR:?}: update this test"
        );
        let marked = text.replacen(
            SPAN_ANCHOR,
            &format!("{SPAN_ANCHOR}        build = \"watch-1\",\n"),
            1,
        );
        std::fs::write(&span, marked).expect("marking the scratch build");
        scratch
    })
}

fn copy_sources(from: &Path, to: &Path) {
    const SKIP: &[&str] = &[
        "target",
        ".git",
        ".devstack",
        ".aws-sam",
        "node_modules",
        ".venv",
        ".venv-sam",
        ".venv-checkov",
        ".venv-workflows",
        ".venv-uv",
    ];
    std::fs::create_dir_all(to).expect("creating the scratch workspace");
    for entry in std::fs::read_dir(from).expect("reading the workspace") {
        let entry = entry.expect("a directory entry");
        let name = entry.file_name();
        if SKIP.iter().any(|s| name == *s) {
            continue;
        }
        let kind = entry.file_type().expect("a file type");
        if kind.is_dir() {
            copy_sources(&entry.path(), &to.join(&name));
        } else if kind.is_file() {
            std::fs::copy(entry.path(), to.join(&name)).expect("copying a source file");
        }
    }
}

/// Replaces `from` with `to` in a scratch file (as a developer's editor saves it).
fn edit(file: &str, from: &str, to: &str) {
    let path = scratch().join(file);
    let text = std::fs::read_to_string(&path).expect("a scratch file");
    assert!(text.contains(from), "{file} has no {from:?}");
    std::fs::write(&path, text.replacen(from, to, 1)).expect("saving a scratch file");
}

/// The scratch workspace's target directory, started from the repository's own build
/// output as a developer's `make dev WATCH=...` starts from `make dev`'s: cargo then
/// compiles the scratch crates and only those dependencies whose features differ here
/// (the test build unifies in the dev-dependencies' features), not all of them again.
fn seed_target() -> PathBuf {
    let target = watch_dir().join("target");
    let from = e2e::target_dir().join("debug");
    let to = target.join("debug");
    if !to.join("deps").exists() && from.join("deps").exists() {
        for dir in ["deps", "build", ".fingerprint"] {
            seed(&from.join(dir), &to.join(dir), dir != ".fingerprint");
        }
    }
    target
}

/// Copies a build directory keeping the timestamps cargo's freshness checks compare.
/// Artifacts are hard links (gigabytes, never rewritten in place: rustc writes a new file
/// and renames it over the old); cargo's fingerprints are copies, since cargo rewrites
/// those in place and must not write through to the repository's build.
fn seed(from: &Path, to: &Path, link: bool) {
    std::fs::create_dir_all(to).expect("creating the scratch target directory");
    for entry in std::fs::read_dir(from).expect("reading the build directory") {
        let entry = entry.expect("a directory entry");
        let (source, dest) = (entry.path(), to.join(entry.file_name()));
        let kind = entry.file_type().expect("a file type");
        if kind.is_dir() {
            seed(&source, &dest, link);
        } else if kind.is_file() && !(link && std::fs::hard_link(&source, &dest).is_ok()) {
            std::fs::copy(&source, &dest).expect("copying a build file");
            let modified = entry.metadata().and_then(|m| m.modified());
            let file = std::fs::File::options().write(true).open(&dest);
            if let (Ok(modified), Ok(file)) = (modified, file) {
                let _ = file.set_modified(modified);
            }
        }
    }
}

/// This module's devstack, on the scratch workspace, with orders-api and orders-worker
/// under `cargo lambda watch`.
fn stack() -> &'static Stack {
    static STACK: OnceLock<Stack> = OnceLock::new();
    Stack::once(&STACK, || {
        let scratch = scratch();
        let target = seed_target();
        StackOptions {
            args: vec![
                "--template".into(),
                scratch.join("template.yaml").display().to_string(),
                "--watch".into(),
                "orders-api,OrdersWorkerFunction".into(),
                "--no-seed-catalog".into(),
            ],
            env: vec![
                ("CARGO_TARGET_DIR".into(), target.display().to_string()),
                (NO_WORKSPACE_WRAPPER.0.into(), NO_WORKSPACE_WRAPPER.1.into()),
            ],
            work_dir: Some(scratch.join(".devstack")),
            startup_timeout: Some(FIRST_BUILD),
        }
    })
}

/// A function's log file: its JSON lines, the devstack's notes and cargo's output.
fn function_log(function: &str) -> String {
    let path = stack().work_dir.join(format!("logs/{function}.log"));
    std::fs::read_to_string(&path).unwrap_or_default()
}

/// Every JSON line of a function's log file.
fn log_lines(function: &str) -> Vec<Value> {
    function_log(function)
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

/// How many rebuilds the devstack has reported for `function`.
fn rebuild_notes(function: &str) -> usize {
    log_lines(function)
        .iter()
        .filter(|l| l["source"] == "devstack" && l["message"] == "source changed: rebuilding")
        .count()
}

/// The log lines `function` wrote about `order_id` from the build marked `build`.
fn lines_about(function: &str, order_id: &str, build: &str) -> Vec<Value> {
    log_lines(function)
        .into_iter()
        .filter(|l| l["correlation_id"] == order_id && l["build"] == build)
        .collect()
}

/// A function's log lines about an order from any watched build of the scratch copy: the
/// tests take turns in no fixed order, and the change test moves the marker on.
fn watched_lines_about(function: &str, order_id: &str) -> Vec<Value> {
    log_lines(function)
        .into_iter()
        .filter(|l| {
            l["correlation_id"] == order_id
                && l["build"].as_str().is_some_and(|b| b.starts_with("watch-"))
        })
        .collect()
}

async fn priced_product(app: &TestApp) -> String {
    let admin = app.admin().await;
    let mut body = product_body("Watched Teapot", &unique_category("watch"), 1000);
    body["price"] = json!({"amount": 1999, "currency": "EUR"});
    create_product_id(app, &admin, body).await
}

#[tokio::test]
async fn a_protected_route_and_a_saga_step_are_served_by_cargo_lambda_watch() {
    let _serial = SERIAL.lock().await;
    let app = TestApp::on(stack());
    let product = priced_product(&app).await;
    let user = app.new_user().await;

    // A protected route through the local API Gateway, with the authorizer's claims.
    let placed =
        place_when_priced(&app, &user, &order_body(&[(&product, 1)], "pm_card_visa")).await;
    placed.expect(201);
    let order_id = placed.body["id"].as_str().expect("an order id").to_owned();
    // StockReserved and PaymentSucceeded, delivered from the orders queue.
    wait_for_status(&app, &user, &order_id, "CONFIRMED").await;

    let api = watched_lines_about("orders-api", &order_id);
    assert!(
        api.iter().any(|l| l["message"] == "order placed"),
        "orders-api's lines about {order_id} come from the watched build: {:?}",
        log_lines("orders-api")
    );
    let worker = watched_lines_about("orders-worker", &order_id);
    let steps: Vec<&str> = worker
        .iter()
        .filter(|l| l["message"] == "saga step applied")
        .filter_map(|l| l["event_type"].as_str())
        .collect();
    assert!(
        steps.contains(&"StockReserved") && steps.contains(&"PaymentSucceeded"),
        "orders-worker's saga steps for {order_id} come from the watched build: {worker:?}"
    );
    // And never from a copy of its own: no line about the order lacks the marker.
    for function in ["orders-api", "orders-worker"] {
        let unmarked: Vec<Value> = log_lines(function)
            .into_iter()
            .filter(|l| l["correlation_id"] == order_id.as_str() && l["build"].is_null())
            .collect();
        assert!(unmarked.is_empty(), "{function}: {unmarked:?}");
    }
    // Neither form of the logs holds the shopper's email, password or token whole.
    let mut kept = std::fs::read_to_string(&stack().output).expect("the devstack's output");
    for entry in std::fs::read_dir(stack().work_dir.join("logs")).expect("the log directory") {
        kept.push_str(&std::fs::read_to_string(entry.expect("a log file").path()).expect("a log"));
    }
    for secret in [&user.email, &user.password, &user.id_token] {
        assert!(!kept.contains(secret.as_str()), "a log holds {secret}");
    }
    let summary = std::fs::read_to_string(&stack().output).expect("the devstack's output");
    assert!(
        summary.contains("watched: orders-api, orders-worker"),
        "the summary names the watched functions:\n{summary}"
    );
}

#[tokio::test]
async fn a_saved_change_is_served_without_a_restart_and_a_broken_build_answers_502() {
    let _serial = SERIAL.lock().await;
    let app = TestApp::on(stack());
    let product = priced_product(&app).await;
    let user = app.new_user().await;
    let body = order_body(&[(&product, 1)], "pm_card_visa");

    // Save a change: once the devstack says orders-api is rebuilding, the next orders are
    // served by the new code, API and worker alike. (A request the old process had
    // already taken when cargo-lambda stopped it for the rebuild is never answered: it
    // times out into a 502, as on Lambda when an environment dies mid-invocation.)
    let rebuilds = rebuild_notes("orders-api");
    edit(SPAN_FILE, "build = \"watch-1\"", "build = \"watch-2\"");
    let started = Instant::now();
    while rebuild_notes("orders-api") == rebuilds {
        assert!(
            started.elapsed() < REBUILD,
            "the devstack did not report orders-api rebuilding {REBUILD:?} after the save"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let started = Instant::now();
    let order_id = loop {
        let placed = place_when_priced(&app, &user, &body).await;
        placed.expect(201);
        let id = placed.body["id"].as_str().expect("an order id").to_owned();
        if !lines_about("orders-api", &id, "watch-2").is_empty() {
            break id;
        }
        assert!(
            started.elapsed() < REBUILD,
            "orders-api still serves the old build {REBUILD:?} after the save"
        );
        tokio::time::sleep(POLL).await;
    };
    let started = Instant::now();
    while !lines_about("orders-worker", &order_id, "watch-2")
        .iter()
        .any(|l| l["message"] == "saga step applied")
    {
        assert!(
            started.elapsed() < REBUILD,
            "orders-worker did not apply {order_id}'s saga with the new build"
        );
        tokio::time::sleep(POLL).await;
    }
    wait_for_status(&app, &user, &order_id, "CONFIRMED").await;

    // Break orders-api: its routes answer 502 in the error shape, the devstack shows the
    // compiler's first error, and everything else keeps serving.
    let bin = "functions/orders/src/bin/orders-api.rs";
    let original = std::fs::read_to_string(scratch().join(bin)).expect("orders-api.rs");
    let failed_builds = || function_log("orders-api").matches(CARGO_FAILED).count();
    let failed_before = failed_builds();
    std::fs::write(scratch().join(bin), format!("{original}\nfn broken( {{\n")).expect("saving");
    let started = Instant::now();
    let refused = loop {
        let reply = app
            .call(Method::GET, "/v1/orders", Some(&user.id_token), None)
            .await;
        if reply.status == 502 {
            break reply;
        }
        assert!(
            started.elapsed() < REBUILD,
            "orders-api still answers {} {REBUILD:?} after a broken save",
            reply.status
        );
        tokio::time::sleep(POLL).await;
    };
    refused.expect(502);
    let output = std::fs::read_to_string(&stack().output).expect("the devstack's output");
    let note = output
        .lines()
        .find(|l| l.contains("orders-api") && l.contains("does not build"))
        .unwrap_or_else(|| panic!("no build failure in the devstack's output:\n{output}"));
    assert!(
        note.contains("error: this file contains an unclosed delimiter"),
        "the compiler's first error is shown: {note}"
    );
    app.call(Method::GET, "/v1/products?limit=1", None, None)
        .await
        .expect(200);
    app.call(Method::GET, "/v1/users/me", Some(&user.id_token), None)
        .await
        .expect(200);

    // Fix it: served again, with no restart. The fix is saved once the broken build's
    // cargo has ended (its last stderr line is logged; the devstack answers 502 from the
    // build's end on stdout, which can come first): a save while that cargo is still
    // exiting can leave `cargo lambda watch` stopped until the next save.
    let started = Instant::now();
    while failed_builds() == failed_before {
        assert!(
            started.elapsed() < REBUILD,
            "cargo never ended the broken build"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    std::fs::write(scratch().join(bin), original).expect("saving the fix");
    let started = Instant::now();
    loop {
        let reply = app
            .call(Method::GET, "/v1/orders", Some(&user.id_token), None)
            .await;
        if reply.status == 200 {
            break;
        }
        assert!(
            started.elapsed() < REBUILD,
            "orders-api did not recover {REBUILD:?} after the fix: {}",
            reply.status
        );
        tokio::time::sleep(POLL).await;
    }
}

/// docs/develop.md's "One function on its own" blocks: the first (`cargo lambda watch`
/// with the env file) in the background, the second (an invoke and two routes over :9000)
/// once it listens, both at the root of the scratch workspace as the doc says, with the
/// devstack's env file there.
#[tokio::test]
async fn the_documented_recipe_runs_as_written() {
    let _serial = SERIAL.lock().await;
    let stack = stack();
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/develop.md"))
        .expect("docs/develop.md");
    let section = doc
        .split("### One function on its own")
        .nth(1)
        .expect("a docs/develop.md section \"One function on its own\"");
    let blocks: Vec<&str> = section
        .split("```sh\n")
        .skip(1)
        .take(2)
        .filter_map(|b| b.split("```").next())
        .collect();
    let [watch, calls] = blocks[..] else {
        panic!("two sh blocks in that section, found {}", blocks.len())
    };
    assert!(
        std::net::TcpListener::bind("127.0.0.1:9000").is_ok(),
        "port 9000 is taken (a `cargo lambda watch` of your own?): the documented recipe uses it"
    );
    let env_file = stack.work_dir.join("env/users-api.env");
    let env = std::fs::read_to_string(&env_file).expect("the devstack writes users-api.env");
    assert!(
        env.contains(&format!("AWS_ENDPOINT_URL={}\n", stack.moto_url))
            && env.contains(&format!("USER_POOL_ID={}\n", stack.user_pool_id)),
        "{}: {env}",
        env_file.display()
    );

    let venv_bin = Path::new(env!("CARGO_MANIFEST_DIR")).join("../.venv/bin");
    let path = format!(
        "{}:{}",
        venv_bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let target = watch_dir().join("target");
    let mut watching = std::process::Command::new("bash");
    watching
        .args(["-euo", "pipefail", "-c"])
        .arg(format!("{watch}\n"))
        .current_dir(scratch())
        .env("PATH", &path)
        .env("CARGO_TARGET_DIR", &target)
        .env(NO_WORKSPACE_WRAPPER.0, NO_WORKSPACE_WRAPPER.1)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    std::os::unix::process::CommandExt::process_group(&mut watching, 0);
    let watching = Group(watching.spawn().expect("bash runs the watch block"));
    let started = Instant::now();
    while std::net::TcpStream::connect("127.0.0.1:9000").is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "nothing listens on :9000"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // The first invocation builds users-api in the scratch workspace.
    let curl = std::process::Command::new("curl")
        .arg("--version")
        .output()
        .is_ok();
    let script = if curl {
        calls.to_owned()
    } else {
        eprintln!("curl is not installed: the documented curl lines are sent by the test");
        calls
            .lines()
            .take_while(|l| !l.starts_with("curl"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    let output = tokio::time::timeout(
        FIRST_BUILD,
        tokio::process::Command::new("bash")
            .args(["-euo", "pipefail", "-c"])
            .arg(&script)
            .current_dir(scratch())
            .env("PATH", &path)
            .output(),
    )
    .await
    .expect("the documented calls finish")
    .expect("bash runs");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "the documented recipe failed\n--- stdout\n{stdout}\n--- stderr\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    // The invoke prints the function's API Gateway proxy response.
    let invoked: Value = stdout
        .lines()
        .find_map(|l| serde_json::from_str(l).ok())
        .unwrap_or_else(|| panic!("no JSON from cargo lambda invoke:\n{stdout}"));
    assert_eq!(invoked["statusCode"], 401, "{invoked}");
    let body: Value = serde_json::from_str(invoked["body"].as_str().unwrap_or_default())
        .unwrap_or_else(|_| panic!("an error body: {invoked}"));
    assert_eq!(body["error"]["code"], "UNAUTHORIZED", "{invoked}");

    let http = reqwest::Client::new();
    let login = json!({"email": stack.admin_email, "password": stack.admin_password});
    let emulated = "http://127.0.0.1:9000/lambda-url/users-api".to_owned();
    if curl {
        assert!(
            stdout.contains("\"id_token\""),
            "the public login answers:\n{stdout}"
        );
        assert!(
            stdout.contains("HTTP/1.1 401") && stdout.contains("\"UNAUTHORIZED\""),
            "the protected route answers 401 in the error shape:\n{stdout}"
        );
    } else {
        let logged_in = http
            .post(format!("{emulated}/v1/auth/login"))
            .json(&login)
            .send()
            .await
            .expect(":9000 answers");
        assert_eq!(logged_in.status(), 200);
        let me = http
            .get(format!("{emulated}/v1/users/me"))
            .send()
            .await
            .expect(":9000 answers");
        assert_eq!(me.status(), 401);
        let me: Value = me.json().await.expect("a JSON body");
        assert_eq!(me["error"]["code"], "UNAUTHORIZED");
    }

    // A public route answers through the emulation exactly as through API Gateway.
    let wrong = json!({"email": stack.admin_email, "password": "Not-The-Passw0rd!"});
    for (body, status) in [(&login, 200), (&wrong, 401), (&json!({"email": 1}), 400)] {
        let mut answers = Vec::new();
        for base in [emulated.as_str(), stack.api_url.as_str()] {
            let reply = http
                .post(format!("{base}/v1/auth/login"))
                .json(body)
                .send()
                .await
                .expect("an answer");
            let status = reply.status().as_u16();
            let content_type = reply.headers()["content-type"].clone();
            let body: Value = reply.json().await.expect("a JSON body");
            answers.push((status, content_type, body));
        }
        let (emulation, gateway) = (&answers[0], &answers[1]);
        assert_eq!((emulation.0, gateway.0), (status, status), "{body}");
        assert_eq!(emulation.1, gateway.1, "content-type for {body}");
        if status == 200 {
            let keys = |v: &Value| v.as_object().map(|o| o.keys().cloned().collect::<Vec<_>>());
            assert_eq!(keys(&emulation.2), keys(&gateway.2), "{body}");
        } else {
            for field in ["code", "message", "details"] {
                assert_eq!(
                    emulation.2["error"][field], gateway.2["error"][field],
                    "{body}"
                );
            }
            assert!(emulation.2["error"]["request_id"].is_string());
            assert!(emulation.2["error"]["timestamp"].is_string());
        }
    }
    drop(watching);
}

/// A process group the test started, stopped (SIGTERM, then SIGKILL) when dropped.
struct Group(std::process::Child);

impl Drop for Group {
    fn drop(&mut self) {
        let Ok(group) = i32::try_from(self.0.id()) else {
            return;
        };
        // SAFETY: kill(2) on the process group of a child not yet reaped, so its id
        // cannot name anyone else's.
        unsafe {
            libc::kill(-group, libc::SIGTERM);
        }
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(5) {
            if matches!(self.0.try_wait(), Ok(Some(_))) {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        // SAFETY: as above; whatever of the group is left (cargo, the function).
        unsafe {
            libc::kill(-group, libc::SIGKILL);
        }
        let _ = self.0.wait();
    }
}
