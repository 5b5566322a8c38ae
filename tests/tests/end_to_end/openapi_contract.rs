//! openapi.yaml against template.yaml: exactly the same routes, each public or protected
//! alike, with the template's Api event names as operation ids; every error documented in
//! the one error shape. And the check `make test` runs over every response of the
//! end-to-end suite (tests/contract/validate_responses.py) fails on responses that break
//! the contract.

use serde_yaml::Value;
use stack_model::Template;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

const METHODS: [&str; 7] = ["get", "put", "post", "delete", "patch", "head", "options"];
const ERROR_SCHEMA: &str = "#/components/schemas/Error";

/// One route as declared: its name (event / operation id) and whether it is public.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Declared {
    name: String,
    public: bool,
}

type Routes = BTreeMap<(String, String), Declared>;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn load(file: &str) -> Value {
    let path = root().join(file);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("parsing {}: {e}", path.display()))
}

/// Every `Type: Api` event of the template's functions: (METHOD, path) -> name, public.
fn template_routes() -> Routes {
    let mut routes = Routes::new();
    for event in Template::workspace().api_routes() {
        let key = (event.method, event.path);
        let declared = Declared {
            name: event.name,
            public: event.public,
        };
        assert!(
            routes.insert(key.clone(), declared).is_none(),
            "template.yaml routes {key:?} twice"
        );
    }
    routes
}

/// Every operation of openapi.yaml: (METHOD, path) -> operationId, public.
fn spec_routes(spec: &Value) -> Routes {
    let mut routes = Routes::new();
    for (path, item) in spec["paths"].as_mapping().expect("paths") {
        for method in METHODS {
            let Some(operation) = item.get(method) else {
                continue;
            };
            let security = operation.get("security").unwrap_or(&spec["security"]);
            let public = security.as_sequence().is_some_and(Vec::is_empty);
            if !public {
                let bearer = security
                    .as_sequence()
                    .is_some_and(|s| s.iter().any(|r| r.get("cognitoIdToken").is_some()));
                assert!(
                    bearer,
                    "{method} {path:?}: neither public nor cognitoIdToken"
                );
            }
            let declared = Declared {
                name: operation["operationId"]
                    .as_str()
                    .unwrap_or_else(|| panic!("{method} {path:?} has no operationId"))
                    .to_owned(),
                public,
            };
            let path = path.as_str().expect("path").to_owned();
            routes.insert((method.to_uppercase(), path), declared);
        }
    }
    routes
}

#[test]
fn the_spec_has_exactly_the_templates_routes() {
    let template: BTreeSet<_> = template_routes().into_keys().collect();
    let spec: BTreeSet<_> = spec_routes(&load("openapi.yaml")).into_keys().collect();
    let missing: Vec<_> = template.difference(&spec).collect();
    let extra: Vec<_> = spec.difference(&template).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "openapi.yaml lacks template routes {missing:?} and names routes the template lacks {extra:?}"
    );
    assert!(
        template.len() >= 23,
        "the template lost routes: {template:?}"
    );
}

#[test]
fn operations_are_public_exactly_where_the_template_has_no_authorizer() {
    let spec = spec_routes(&load("openapi.yaml"));
    for (route, declared) in template_routes() {
        let Some(documented) = spec.get(&route) else {
            continue; // reported by the_spec_has_exactly_the_templates_routes
        };
        assert_eq!(
            documented.public, declared.public,
            "{route:?}: template public={}, openapi.yaml public={}",
            declared.public, documented.public
        );
    }
}

#[test]
fn operation_ids_are_the_template_event_names() {
    let spec = spec_routes(&load("openapi.yaml"));
    for (route, declared) in template_routes() {
        if let Some(documented) = spec.get(&route) {
            assert_eq!(documented.name, declared.name, "{route:?}");
        }
    }
}

#[test]
fn every_error_is_documented_in_the_one_error_shape() {
    let spec = load("openapi.yaml");
    let responses = &spec["components"]["responses"];
    for ((method, path), declared) in spec_routes(&spec) {
        let operation = &spec["paths"][path.as_str()][method.to_lowercase().as_str()];
        let statuses = operation["responses"].as_mapping().expect("responses");
        let documented: BTreeSet<String> = statuses
            .keys()
            .map(|k| k.as_str().expect("status as a string").to_owned())
            .collect();
        for required in ["429", "500", "502", "503"] {
            assert!(
                documented.contains(required),
                "{method} {path}: no {required}"
            );
        }
        if !declared.public {
            assert!(
                documented.contains("401"),
                "{method} {path}: protected, no 401"
            );
        }
        for (status, response) in statuses {
            let status = status.as_str().unwrap_or_default();
            if !status.starts_with('4') && !status.starts_with('5') {
                continue;
            }
            let reference = response["$ref"].as_str().unwrap_or_default();
            let name = reference
                .strip_prefix("#/components/responses/")
                .unwrap_or_else(|| panic!("{method} {path} {status}: not a shared response"));
            let schema = &responses[name]["content"]["application/json"]["schema"]["$ref"];
            assert_eq!(
                schema.as_str(),
                Some(ERROR_SCHEMA),
                "{method} {path} {status}"
            );
        }
    }
}

/// Runs the response check of `make test` over `lines`; (exit success, stdout + stderr).
fn validate(name: &str, lines: &[serde_json::Value]) -> (bool, String) {
    let dir = std::env::temp_dir().join(format!("crabcart-contract-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let log = dir.join(format!("{name}.jsonl"));
    let text: Vec<String> = lines.iter().map(ToString::to_string).collect();
    std::fs::write(&log, text.join("\n") + "\n").expect("writing the log");
    let python = root().join(".venv/bin/python");
    let out = Command::new(&python)
        .current_dir(root())
        .arg("tests/contract/validate_responses.py")
        .arg("openapi.yaml")
        .arg(&log)
        .output()
        .unwrap_or_else(|e| panic!("running {} (make venv): {e}", python.display()));
    let output = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), output)
}

fn response(
    method: &str,
    path: &str,
    status: u16,
    headers: serde_json::Value,
    body: &str,
) -> serde_json::Value {
    serde_json::json!({"method": method, "path": path, "status": status, "headers": headers, "body": body})
}

const ORDER_ID: &str = "0193f1a2-7c4e-7b10-9d2a-000000000001";

fn error_body(code: &str) -> String {
    serde_json::json!({"error": {"code": code, "message": "m", "details": [],
        "request_id": "r", "timestamp": "2026-11-22T10:00:00.000Z"}})
    .to_string()
}

#[test]
fn the_response_check_passes_responses_that_keep_the_contract() {
    let json = serde_json::json!({"content-type": "application/json"});
    let (ok, output) = validate(
        "good",
        &[
            response(
                "GET",
                "/v1/orders",
                200,
                json.clone(),
                r#"{"items":[],"next_cursor":null}"#,
            ),
            response(
                "GET",
                &format!("/v1/orders/{ORDER_ID}"),
                404,
                json.clone(),
                &error_body("NOT_FOUND"),
            ),
            response("DELETE", "/v1/users/me", 204, serde_json::json!({}), ""),
            // An unknown route: API Gateway's own 404, with its own timestamp format.
            response(
                "GET",
                "/v1/nope",
                404,
                json,
                r#"{"error":{"code":"NOT_FOUND","message":"no such route","details":[],"request_id":"r","timestamp":"22/Nov/2026:10:00:00 +0000"}}"#,
            ),
        ],
    );
    assert!(ok, "{output}");
    assert!(output.contains("checked 4 responses"), "{output}");
}

#[test]
fn the_response_check_fails_on_each_way_of_breaking_the_contract() {
    let json = serde_json::json!({"content-type": "application/json"});
    let (ok, output) = validate(
        "bad",
        &[
            // A field the schema does not have.
            response(
                "GET",
                "/v1/orders",
                200,
                json.clone(),
                r#"{"items":[],"next_cursor":null,"total":3}"#,
            ),
            // A status the operation does not document.
            response(
                "GET",
                "/v1/payments",
                418,
                json.clone(),
                &error_body("CONFLICT"),
            ),
            // A created order without its Location header.
            response("POST", "/v1/orders", 201, json.clone(), "{}"),
            // An error outside the error shape.
            response(
                "GET",
                &format!("/v1/orders/{ORDER_ID}"),
                404,
                json.clone(),
                r#"{"message":"gone"}"#,
            ),
            // A 503 without Retry-After.
            response(
                "GET",
                "/v1/notifications",
                503,
                json,
                &error_body("SERVICE_UNAVAILABLE"),
            ),
        ],
    );
    assert!(
        !ok,
        "the check passed responses that break the contract:\n{output}"
    );
    for expected in [
        "bad.jsonl:1: GET /v1/orders -> 200: (body): Additional properties are not allowed ('total'",
        "bad.jsonl:2: GET /v1/payments: status 418 is not documented",
        "bad.jsonl:3: POST /v1/orders -> 201: required header Location is missing",
        "bad.jsonl:4: GET /v1/orders/{id} -> 404: (body): 'error' is a required property",
        "bad.jsonl:5: GET /v1/notifications -> 503: required header Retry-After is missing",
    ] {
        assert!(output.contains(expected), "missing {expected:?} in:\n{output}");
    }
}
