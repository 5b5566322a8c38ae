//! schemathesis against the running stack: openapi.yaml, every check of
//! tests/contract/schemathesis.toml, as a signed-in user and as the seeded admin (tokens
//! from POST /v1/auth/login). A short pass runs in every `make test`; `make fuzz-api` runs
//! the full one. Either fails on any server error, schema violation or other check
//! failure, and when fewer requests than promised were sent.
//!
//! Reports (schemathesis' JSON report and HAR of every request, and its output) go to
//! `target/fuzz-api/`.

use e2e::{Stack, StackOptions, TestApp};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// How much to generate, and the fewest requests the pass must send in all.
struct Pass {
    name: &'static str,
    max_examples: u32,
    min_requests: usize,
}

const SHORT: Pass = Pass {
    name: "short",
    max_examples: 3,
    min_requests: 200,
};

const FULL: Pass = Pass {
    name: "full",
    max_examples: 25,
    min_requests: 1000,
};

/// Fixed so that a failure reproduces (`--seed` in the printed command).
const SEED: &str = "20261124";

#[tokio::test]
async fn a_short_fuzz_pass_finds_no_failure() {
    fuzz(&SHORT).await;
}

#[tokio::test]
#[ignore = "the full run of `make fuzz-api`"]
async fn the_full_fuzz_run_finds_no_failure() {
    fuzz(&FULL).await;
}

async fn fuzz(pass: &Pass) {
    // Its own stack: the admin pass archives products and deletes the seeded admin.
    static STACK: OnceLock<Stack> = OnceLock::new();
    let app = TestApp::on(Stack::once(&STACK, StackOptions::default));
    let user = app.new_user().await;
    let admin = app.admin().await;
    let mut requests: BTreeMap<String, usize> = BTreeMap::new();
    // The user first: the admin run archives products and deletes the seeded admin.
    for (caller, token) in [("user", &user.id_token), ("admin", &admin.id_token)] {
        let run = run_schemathesis(pass, caller, token, &app.stack.api_url);
        for (operation, count) in run {
            *requests.entry(operation).or_default() += count;
        }
    }
    let total: usize = requests.values().sum();
    println!("fuzz-api {} pass: {total} requests", pass.name);
    for (operation, count) in &requests {
        println!("  {operation}: {count}");
    }
    let documented = documented_operations();
    let missed: Vec<&String> = documented
        .iter()
        .filter(|op| !requests.contains_key(*op))
        .collect();
    assert!(missed.is_empty(), "operations never fuzzed: {missed:?}");
    assert!(
        total >= pass.min_requests,
        "only {total} requests, the {} pass promises {}",
        pass.name,
        pass.min_requests
    );
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Runs schemathesis as one caller; panics on any failure. Returns the requests it sent
/// per operation (`METHOD /path/{template}`), read from its HAR report.
fn run_schemathesis(
    pass: &Pass,
    caller: &str,
    token: &str,
    api_url: &str,
) -> BTreeMap<String, usize> {
    let root = root();
    let reports = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"))
        .join("fuzz-api");
    std::fs::create_dir_all(&reports).expect("creating the report directory");
    let stem = format!("{}-{caller}", pass.name);
    let har = reports.join(format!("{stem}.har"));
    let json = reports.join(format!("{stem}.json"));
    let schemathesis = root.join(".venv/bin/schemathesis");
    let out = Command::new(&schemathesis)
        .current_dir(&root)
        .env("CRABCART_FUZZ_ID_TOKEN", token)
        .args([
            "--config-file",
            "tests/contract/schemathesis.toml",
            "run",
            "openapi.yaml",
        ])
        .args(["--url", api_url, "--seed", SEED, "--no-color"])
        .args(["--max-examples", &pass.max_examples.to_string()])
        .args(["--generation-database", "none", "--report", "har,json"])
        .arg("--report-har-path")
        .arg(&har)
        .arg("--report-json-path")
        .arg(&json)
        .output()
        .unwrap_or_else(|e| panic!("running {} (make venv): {e}", schemathesis.display()));
    let output =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    let log = reports.join(format!("{stem}.log"));
    std::fs::write(&log, &output).expect("writing the schemathesis log");
    assert!(
        out.status.success(),
        "schemathesis as {caller} found failures (full output in {}):\n{output}",
        log.display()
    );
    let summary: Value = read_json(&json);
    assert_eq!(
        summary["failures"],
        serde_json::json!([]),
        "{caller}: {summary}"
    );
    assert_eq!(
        summary["errors"],
        serde_json::json!([]),
        "{caller}: {summary}"
    );
    requests_per_operation(&read_json(&har))
}

fn read_json(path: &Path) -> Value {
    let text =
        std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("parsing {}: {e}", path.display()))
}

/// `METHOD /path` of every operation of openapi.yaml (the spec's path templates).
fn documented_operations() -> Vec<String> {
    let text = std::fs::read_to_string(root().join("openapi.yaml")).expect("openapi.yaml");
    let spec: serde_yaml::Value = serde_yaml::from_str(&text).expect("openapi.yaml parses");
    let mut operations = Vec::new();
    for (path, item) in spec["paths"].as_mapping().expect("paths") {
        for method in ["get", "put", "post", "delete", "patch"] {
            if item.get(method).is_some() {
                let path = path.as_str().expect("path");
                operations.push(format!("{} {path}", method.to_uppercase()));
            }
        }
    }
    operations
}

/// Counts the HAR's requests per documented operation (a request to a method or path
/// the spec lacks, which the checks send on purpose, counts under its own name).
fn requests_per_operation(har: &Value) -> BTreeMap<String, usize> {
    let operations = documented_operations();
    let mut counts = BTreeMap::new();
    for entry in har["log"]["entries"].as_array().into_iter().flatten() {
        let method = entry["request"]["method"].as_str().unwrap_or_default();
        let url = entry["request"]["url"].as_str().unwrap_or_default();
        let path = url
            .split_once("://")
            .and_then(|(_, rest)| rest.find('/').map(|i| &rest[i..]))
            .unwrap_or("/");
        let path = path.split('?').next().unwrap_or(path);
        let operation = operations
            .iter()
            .filter(|op| {
                op.split_once(' ')
                    .is_some_and(|(m, template)| m == method && matches(template, path))
            })
            // A literal segment beats a {param}, as in API Gateway.
            .min_by_key(|op| op.matches('{').count())
            .cloned()
            .unwrap_or_else(|| format!("{method} (undocumented)"));
        *counts.entry(operation).or_default() += 1;
    }
    counts
}

fn matches(template: &str, path: &str) -> bool {
    let t: Vec<&str> = template.trim_matches('/').split('/').collect();
    let p: Vec<&str> = path
        .trim_end_matches('/')
        .trim_start_matches('/')
        .split('/')
        .collect();
    t.len() == p.len()
        && t.iter()
            .zip(&p)
            .all(|(t, p)| (t.starts_with('{') && !p.is_empty()) || t == p)
}
