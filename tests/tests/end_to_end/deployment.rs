//! What deploying relies on, checked on the files that do it (no AWS, no devstack):
//! template.yaml deploys exactly the function binaries the workspace builds, each built
//! by `sam build` the way Lambda runs it; samconfig.toml's environments set only the
//! template's parameters and keep its secrets out; the GitHub workflows test every push
//! and deploy with an assumed role, dev from main and prod from a tag behind its
//! environment.
//!
//! Every test lists all its violations, not just the first.

use e2e::template::{self, assert_none, target, Template};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use toml_edit::{DocumentMut, Item};

/// The deploy environments of samconfig.toml, each its own stack.
const ENVIRONMENTS: &[&str] = &["dev", "prod"];
/// What each function is built with and runs on (arm64, provided.al2023, cargo-lambda).
const BUILD_METHOD: &str = "rust-cargolambda";
const HANDLER: &str = "bootstrap";
const RUNTIME: &str = "provided.al2023";
const ARCHITECTURE: &str = "arm64";
/// The binary that publishes a table's outbox, deployed once per table.
const OUTBOX_PUBLISHER: &str = "outbox-publisher";
/// The repository variable holding the ARN of the role deploys assume.
const ROLE_VARIABLE: &str = "vars.AWS_DEPLOY_ROLE_ARN";

fn root() -> PathBuf {
    moto_runner::workspace_root()
}

fn read(path: &str) -> String {
    std::fs::read_to_string(root().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn yaml(path: &str) -> Value {
    serde_yaml::from_str(&read(path)).unwrap_or_else(|e| panic!("{path} is not YAML: {e}"))
}

fn samconfig() -> DocumentMut {
    read("samconfig.toml")
        .parse()
        .unwrap_or_else(|e| panic!("samconfig.toml is not TOML: {e}"))
}

/// Every binary of the crates under functions/, from `cargo metadata`, so a binary added
/// to a crate and not to the template is caught.
fn workspace_function_binaries() -> BTreeSet<String> {
    let root = root().canonicalize().expect("the workspace root exists");
    let output = Command::new(env!("CARGO"))
        .args(["metadata", "--no-deps", "--format-version", "1"])
        .current_dir(&root)
        .output()
        .expect("cargo metadata runs");
    assert!(
        output.status.success(),
        "cargo metadata failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let metadata: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("cargo metadata prints JSON");
    let functions_dir = root.join("functions");
    let mut binaries = BTreeSet::new();
    for package in metadata["packages"].as_array().expect("packages") {
        let manifest = Path::new(package["manifest_path"].as_str().expect("manifest_path"));
        if !manifest.starts_with(&functions_dir) {
            continue;
        }
        for target in package["targets"].as_array().expect("targets") {
            let is_bin = target["kind"]
                .as_array()
                .is_some_and(|kinds| kinds.iter().any(|k| k == "bin"));
            if is_bin {
                binaries.insert(target["name"].as_str().expect("name").to_owned());
            }
        }
    }
    binaries
}

/// `function id -> BuildProperties.Binary` of every function of the template.
fn deployed_binaries(template: &Template) -> BTreeMap<String, String> {
    template
        .functions()
        .iter()
        .map(|f| {
            let binary = f.binary().unwrap_or_default().to_owned();
            (f.logical_id().to_owned(), binary)
        })
        .collect()
}

#[test]
fn every_function_is_a_workspace_binary_built_by_cargo_lambda_for_arm64() {
    let template = template::load();
    let binaries = workspace_function_binaries();
    assert!(
        !binaries.is_empty(),
        "cargo metadata found no function binary"
    );
    let functions = template.functions();
    assert!(!functions.is_empty(), "the template has functions");
    let mut violations = Vec::new();
    for function in functions {
        let id = function.logical_id();
        let metadata = &function.resource.metadata;
        if metadata["BuildMethod"].as_str() != Some(BUILD_METHOD) {
            violations.push(format!("{id}: Metadata.BuildMethod is not {BUILD_METHOD}"));
        }
        match metadata["BuildProperties"]["Binary"].as_str() {
            Some(binary) if binaries.contains(binary) => {}
            other => violations.push(format!(
                "{id}: BuildProperties.Binary {other:?} is none of the functions/ binaries {binaries:?}"
            )),
        }
        // sam build runs `cargo lambda build --bin <Binary>` in CodeUri: the workspace
        // root, where the one Cargo.lock and [profile.release] are.
        if function.properties["CodeUri"].as_str() != Some(".") {
            violations.push(format!("{id}: CodeUri is not the workspace root \".\""));
        }
        let expected = [
            ("Handler", Value::from(HANDLER)),
            ("Runtime", Value::from(RUNTIME)),
            ("Architectures", Value::from(vec![ARCHITECTURE])),
        ];
        // Globals merged underneath, as SAM does.
        for (key, want) in expected {
            let got = &function.properties[key];
            if *got != want {
                violations.push(format!("{id}: {key} is {got:?}, not {want:?}"));
            }
        }
    }
    assert_none("function builds", violations);
}

#[test]
fn every_function_binary_of_the_workspace_is_deployed() {
    let template = template::load();
    let deployed: BTreeSet<String> = deployed_binaries(&template).into_values().collect();
    let missing: Vec<_> = workspace_function_binaries()
        .into_iter()
        .filter(|binary| !deployed.contains(binary))
        .map(|binary| format!("{binary}: built by functions/ but deployed by no function"))
        .collect();
    assert_none("undeployed binaries", missing);
}

#[test]
fn the_outbox_publisher_is_deployed_once_per_table_with_a_stream() {
    let template = template::load();
    // A table with a stream has an outbox to publish (notifications keeps none).
    let mut publishers_of: BTreeMap<String, Vec<String>> = template
        .resources_of("AWS::DynamoDB::Table")
        .filter(|table| !table.properties["StreamSpecification"].is_null())
        .map(|table| (table.logical_id.clone(), Vec::new()))
        .collect();
    assert!(
        !publishers_of.is_empty(),
        "the template has tables with streams"
    );
    let mut violations = Vec::new();
    for function in template.functions() {
        if function.binary() != Some(OUTBOX_PUBLISHER) {
            continue;
        }
        let id = function.logical_id().to_owned();
        let tables: Vec<String> = function
            .events()
            .iter()
            .filter(|event| event.type_ == "DynamoDB")
            .filter_map(|event| target(&event.properties["Stream"]).map(str::to_owned))
            .collect();
        match tables.as_slice() {
            [table] => match publishers_of.get_mut(table.as_str()) {
                Some(publishers) => publishers.push(id.clone()),
                None => violations.push(format!("{id}: reads {table}, no table with a stream")),
            },
            _ => violations.push(format!(
                "{id}: reads {} table streams, not one: {tables:?}",
                tables.len()
            )),
        }
    }
    for (table, publishers) in publishers_of {
        if publishers.len() != 1 {
            violations.push(format!(
                "{table}: published by {} outbox publishers {publishers:?}, not one",
                publishers.len()
            ));
        }
    }
    assert_none("outbox publishers", violations);
}

/// The samconfig.toml entry at `path` (`["dev", "deploy", "parameters"]`), if present.
fn setting<'d>(config: &'d DocumentMut, path: &[&str]) -> Option<&'d Item> {
    let (first, rest) = path.split_first()?;
    rest.iter()
        .try_fold(config.get(first)?, |item, key| item.get(key))
}

/// `key` of `[env.deploy.parameters]`.
fn deploy_setting<'d>(config: &'d DocumentMut, env: &str, key: &str) -> Option<&'d Item> {
    setting(config, &[env, "deploy", "parameters", key])
}

/// The region of `[env.global.parameters]`.
fn region<'d>(config: &'d DocumentMut, env: &str) -> Option<&'d str> {
    setting(config, &[env, "global", "parameters", "region"])?.as_str()
}

/// The `Key=Value` pairs of an environment's `parameter_overrides` (a list, or one
/// space-separated string), without the quotes the SAM CLI strips from an empty value
/// (`Key=""`).
fn parameter_overrides(config: &DocumentMut, env: &str) -> Result<Vec<(String, String)>, String> {
    let pairs: Vec<String> = match deploy_setting(config, env, "parameter_overrides") {
        None => Vec::new(),
        Some(item) => {
            if let Some(text) = item.as_str() {
                text.split_whitespace().map(str::to_owned).collect()
            } else if let Some(list) = item.as_array() {
                list.iter()
                    .map(|v| v.as_str().map(str::to_owned).ok_or("a non-string override"))
                    .collect::<Result<_, _>>()?
            } else {
                return Err("parameter_overrides is neither a string nor a list".into());
            }
        }
    };
    pairs
        .iter()
        .map(|pair| {
            let (key, value) = pair
                .split_once('=')
                .ok_or_else(|| format!("{pair:?} is not Key=Value"))?;
            let value = value.trim_matches(|c| c == '"' || c == '\'');
            Ok((key.to_owned(), value.to_owned()))
        })
        .collect()
}

/// A template parameter's `AllowedValues` as strings (numbers included), if it has any.
fn allowed_values(parameter: &Value) -> Option<Vec<String>> {
    let values = parameter["AllowedValues"].as_array()?;
    Some(
        values
            .iter()
            .map(|v| match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .collect(),
    )
}

#[test]
fn every_environment_deploys_its_own_stack_overriding_only_declared_parameters() {
    let template = template::load();
    let declared = &template.parameters;
    assert!(!declared.is_empty(), "template.yaml has Parameters");
    let config = samconfig();
    let version = setting(&config, &["version"]).and_then(Item::as_float);
    assert_eq!(version, Some(0.1), "samconfig.toml version");
    let mut violations = Vec::new();
    if setting(&config, &["default", "deploy"]).is_some() {
        violations
            .push("[default] has a deploy section: a bare `sam deploy` would reach a stack".into());
    }
    for env in ENVIRONMENTS {
        let stack = format!("crabcart-{env}");
        if deploy_setting(&config, env, "stack_name").and_then(Item::as_str) != Some(stack.as_str())
        {
            violations.push(format!("{env}: stack_name is not {stack}"));
        }
        if region(&config, env).is_none() {
            violations.push(format!("{env}: no region"));
        }
        if deploy_setting(&config, env, "resolve_s3").and_then(Item::as_bool) != Some(true) {
            violations.push(format!("{env}: resolve_s3 is not true"));
        }
        let overrides = match parameter_overrides(&config, env) {
            Ok(overrides) => overrides,
            Err(e) => {
                violations.push(format!("{env}: {e}"));
                continue;
            }
        };
        for (key, value) in &overrides {
            let Some(parameter) = declared.get(key.as_str()) else {
                violations.push(format!(
                    "{env}: overrides {key}, which template.yaml does not declare"
                ));
                continue;
            };
            // A NoEcho value is a secret: it is given when the stack is created, never
            // committed (the SAM CLI keeps it on later deploys with UsePreviousValue).
            if parameter["NoEcho"].as_bool() == Some(true) {
                violations.push(format!(
                    "{env}: commits a value for the NoEcho parameter {key}"
                ));
            }
            if let Some(allowed) = allowed_values(parameter) {
                if !allowed.contains(value) {
                    violations.push(format!("{env}: {key}={value} is not one of {allowed:?}"));
                }
            }
        }
        let auto_confirm = overrides
            .iter()
            .find(|(key, _)| key == "AutoConfirmUsers")
            .map(|(_, value)| value.as_str());
        let want = if *env == "dev" { "true" } else { "false" };
        if auto_confirm != Some(want) {
            violations.push(format!(
                "{env}: AutoConfirmUsers is {auto_confirm:?}, not {want}"
            ));
        }
    }
    // Run by hand, only prod stops to show its change set.
    let confirms = |env| deploy_setting(&config, env, "confirm_changeset").and_then(Item::as_bool);
    if confirms("prod") != Some(true) || confirms("dev") != Some(false) {
        violations.push("confirm_changeset is not true for prod and false for dev".into());
    }
    assert_none("samconfig.toml environments", violations);
}

/// The capabilities a deploy of `template` has to acknowledge, from what it declares:
/// IAM for the role SAM creates per function (or any IAM resource), NAMED_IAM for IAM
/// resources with names, AUTO_EXPAND for nested applications (another macro than SAM's
/// Transform is refused by the stack model when it reads the template).
fn required_capabilities(template: &Template) -> BTreeSet<&'static str> {
    let mut required = BTreeSet::new();
    for resource in &template.resources {
        let kind = resource.type_.as_str();
        let properties = &resource.properties;
        if kind.starts_with("AWS::IAM::")
            || (kind == "AWS::Serverless::Function" && properties["Role"].is_null())
        {
            required.insert("CAPABILITY_IAM");
        }
        let named = ["RoleName", "UserName", "GroupName", "ManagedPolicyName"];
        if kind.starts_with("AWS::IAM::") && named.iter().any(|n| !properties[n].is_null()) {
            required.insert("CAPABILITY_NAMED_IAM");
        }
        if kind == "AWS::Serverless::Application" || kind == "AWS::CloudFormation::Stack" {
            required.insert("CAPABILITY_AUTO_EXPAND");
        }
    }
    required
}

#[test]
fn every_environment_acknowledges_exactly_the_capabilities_the_template_needs() {
    let template = template::load();
    let required = required_capabilities(&template);
    assert!(
        required.contains("CAPABILITY_IAM"),
        "SAM creates the functions' roles"
    );
    let config = samconfig();
    let mut violations = Vec::new();
    for env in ENVIRONMENTS {
        let acknowledged: BTreeSet<&str> = deploy_setting(&config, env, "capabilities")
            .and_then(Item::as_str)
            .unwrap_or_default()
            .split_whitespace()
            .collect();
        if acknowledged != required {
            violations.push(format!(
                "{env}: capabilities {acknowledged:?}, needed {required:?}"
            ));
        }
    }
    assert_none("samconfig.toml capabilities", violations);
}

/// The `on:` triggers of a workflow.
fn triggers(workflow: &Value) -> &serde_json::Map<String, Value> {
    workflow["on"]
        .as_object()
        .expect("the workflow's on: is a mapping")
}

/// Every `run:` script of a job, joined.
fn scripts(job: &Value) -> String {
    job["steps"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|step| step["run"].as_str())
        .collect::<Vec<_>>()
        .join("\n")
}

/// The `uses:` step of a job whose action is `action`.
fn step_using<'j>(job: &'j Value, action: &str) -> Option<&'j Value> {
    job["steps"].as_array()?.iter().find(|step| {
        step["uses"]
            .as_str()
            .is_some_and(|uses| uses.starts_with(&format!("{action}@")))
    })
}

fn strings(v: &Value) -> Vec<&str> {
    v.as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect()
}

#[test]
fn ci_runs_make_test_on_every_push_and_pull_request() {
    let ci = yaml(".github/workflows/ci.yml");
    let deploy = yaml(".github/workflows/deploy.yml");
    let mut violations = Vec::new();
    let on = triggers(&ci);
    for event in ["push", "pull_request", "workflow_call"] {
        if !on.contains_key(event) {
            violations.push(format!("ci.yml does not run on {event}"));
        }
    }
    let runs_make_test = ci["jobs"]
        .as_object()
        .into_iter()
        .flat_map(|jobs| jobs.values())
        .any(|job| scripts(job).lines().any(|line| line.trim() == "make test"));
    if !runs_make_test {
        violations.push("no job of ci.yml runs `make test`".into());
    }
    // The pushes ci.yml leaves out are exactly those deploy.yml takes, where every
    // deploy job needs its call of ci.yml: no push goes untested, none is tested twice.
    let ignored = strings(&on["push"]["branches-ignore"]);
    let deployed = strings(&triggers(&deploy)["push"]["branches"]);
    if ignored != deployed {
        violations.push(format!(
            "ci.yml ignores pushes to {ignored:?}, deploy.yml tests pushes to {deployed:?}"
        ));
    }
    if !on["push"]["tags"].is_null() || !on["push"]["branches"].is_null() {
        violations
            .push("ci.yml's push has a tags or branches filter (tags are deploy.yml's)".into());
    }
    let ci_job = deploy["jobs"]
        .as_object()
        .into_iter()
        .flat_map(|jobs| jobs.iter())
        .find(|(_, job)| job["uses"].as_str() == Some("./.github/workflows/ci.yml"))
        .map(|(name, _)| name.as_str());
    let Some(ci_job) = ci_job else {
        violations.push("deploy.yml does not call ci.yml".into());
        return assert_none("ci triggers", violations);
    };
    for env in ENVIRONMENTS {
        let needs = &deploy["jobs"][*env]["needs"];
        let waits = needs.as_str() == Some(ci_job) || strings(needs).contains(&ci_job);
        if !waits {
            violations.push(format!("deploy.yml's {env} job does not need {ci_job}"));
        }
    }
    assert_none("ci triggers", violations);
}

#[test]
fn deploys_assume_a_role_through_oidc_and_never_use_access_keys() {
    let config = samconfig();
    let text = read(".github/workflows/deploy.yml");
    let deploy: Value = serde_yaml::from_str(&text).expect("deploy.yml is YAML");
    let mut violations = Vec::new();
    for key in [
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "aws-access-key-id",
        "aws-secret-access-key",
    ] {
        if text.contains(key) {
            violations.push(format!("deploy.yml mentions {key}"));
        }
    }
    if deploy["permissions"]["id-token"].as_str() == Some("write") {
        violations.push("deploy.yml grants id-token: write to every job, ci included".into());
    }
    for env in ENVIRONMENTS {
        let job = &deploy["jobs"][*env];
        if job["permissions"]["id-token"].as_str() != Some("write") {
            violations.push(format!("{env}: no id-token: write"));
        }
        if job["permissions"]["contents"].as_str() != Some("read") {
            violations.push(format!("{env}: contents is not read-only"));
        }
        let Some(step) = step_using(job, "aws-actions/configure-aws-credentials") else {
            violations.push(format!("{env}: no configure-aws-credentials step"));
            continue;
        };
        let role = step["with"]["role-to-assume"].as_str().unwrap_or_default();
        if role != format!("${{{{ {ROLE_VARIABLE} }}}}") {
            violations.push(format!(
                "{env}: role-to-assume is {role:?}, not {ROLE_VARIABLE}"
            ));
        }
        let want = region(&config, env);
        if step["with"]["aws-region"].as_str() != want {
            violations.push(format!(
                "{env}: aws-region is not samconfig.toml's {want:?}"
            ));
        }
    }
    let ci = read(".github/workflows/ci.yml");
    if ci.contains("id-token") {
        violations.push("ci.yml asks for an id-token: it deploys nothing".into());
    }
    assert_none("deploy credentials", violations);
}

/// A job's `environment:`, short (`prod`) or long (`name: prod`) form.
fn environment_of(job: &Value) -> Option<&str> {
    job["environment"]
        .as_str()
        .or_else(|| job["environment"]["name"].as_str())
}

#[test]
fn dev_deploys_from_main_and_prod_only_from_a_tag_behind_its_environment() {
    let deploy = yaml(".github/workflows/deploy.yml");
    let mut violations = Vec::new();
    let push = &triggers(&deploy)["push"];
    if strings(&push["branches"]) != ["main"] {
        violations.push("deploy.yml's push branches are not [main]".into());
    }
    if strings(&push["tags"]) != ["v*"] {
        violations.push("deploy.yml's push tags are not [v*]".into());
    }
    if triggers(&deploy).len() != 1 {
        violations.push("deploy.yml runs on more than pushes".into());
    }
    let expected = [
        ("dev", "github.ref == 'refs/heads/main'"),
        ("prod", "startsWith(github.ref, 'refs/tags/v')"),
    ];
    for (env, condition) in expected {
        let job = &deploy["jobs"][env];
        if job["if"].as_str() != Some(condition) {
            violations.push(format!("{env}: if is {:?}, not {condition:?}", job["if"]));
        }
        if environment_of(job) != Some(env) {
            violations.push(format!("{env}: does not run in the {env} environment"));
        }
        let script = scripts(job);
        let package = script.find("make package");
        let sam_deploy = script.find(&format!("sam deploy --config-env {env} "));
        match (package, sam_deploy) {
            (Some(p), Some(d)) if p < d => {}
            _ => violations.push(format!(
                "{env}: does not run `make package` then `sam deploy --config-env {env}`"
            )),
        }
        if !script.contains("--no-fail-on-empty-changeset") {
            violations.push(format!("{env}: an unchanged commit would fail its deploy"));
        }
    }
    assert_none("deploy jobs", violations);
}
