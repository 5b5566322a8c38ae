//! AWS::Serverless::Function resources: what to run, with which environment, fed by
//! which event sources.

use crate::lambda::FunctionSpec;
use crate::logs::FunctionLog;
use crate::sources::{ScheduleSource, SqsSource, StreamSource};
use anyhow::{anyhow, bail, Context as _, Result};
use serde_json::Value;
use stack_model::provision::props::{opt_bool, opt_i32, opt_i64, opt_str, req_str};
use stack_model::provision::{function_name, is_enabled, SERVERLESS_FUNCTION};
use stack_model::template::intrinsics::{scalar_string, REGION};
use stack_model::template::{Context, Resource, Template};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Function properties that affect the local run, and those with no local meaning.
const SUPPORTED: &[&str] = &[
    "Handler",
    "Runtime",
    "MemorySize",
    "Timeout",
    "Environment",
    "Events",
    "FunctionName",
    "CodeUri",
];
const IGNORED: &[&str] = &[
    "Architectures",
    "Tracing",
    "Description",
    "Policies",
    "Role",
    "Tags",
    "ReservedConcurrentExecutions",
    "AutoPublishAlias",
    "LoggingConfig",
    "DeploymentPreference",
    "ProvisionedConcurrencyConfig",
    "EphemeralStorage",
    "VpcConfig",
    "KmsKeyArn",
    "DeadLetterQueue",
    "EventInvokeConfig",
    "RuntimeManagementConfig",
    "SnapStart",
    "PermissionsBoundary",
    "AssumeRolePolicyDocument",
    "PropagateTags",
    "RolePath",
    "RecursiveLoop",
];

/// An `Type: Api` event: one route of the REST front.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiEvent {
    pub function: String,
    pub event: String,
    /// Logical id of the AWS::Serverless::Api (RestApiId), or None for SAM's implicit API.
    pub api: Option<String>,
    pub path: String,
    pub method: String,
    /// Auth.Authorizer: None = the API's default authorizer, Some("NONE") = public.
    pub authorizer: Option<String>,
}

/// Everything needed to run one function.
#[derive(Debug, Clone)]
pub struct FunctionPlan {
    pub logical_id: String,
    /// The cargo binary it runs (Metadata.BuildProperties.Binary).
    pub binary: String,
    /// Its short name in logs and file names: the binary's, unless several functions run
    /// that binary (see [`label`]).
    pub label: String,
    pub spec: FunctionSpec,
    pub api_events: Vec<ApiEvent>,
    pub sqs: Vec<SqsSource>,
    pub streams: Vec<StreamSource>,
    pub schedules: Vec<ScheduleSource>,
}

/// Local settings that shape every function's environment.
pub struct Runtime<'a> {
    pub bin_dir: &'a Path,
    pub moto_url: &'a str,
    /// The devstack's own RUST_LOG, which wins over the template's when set.
    pub rust_log: Option<String>,
}

/// The binary each function runs (Metadata.BuildProperties.Binary of cargo-lambda builds).
pub fn binary_name(r: &Resource) -> Result<String> {
    r.metadata
        .get("BuildProperties")
        .and_then(|b| b.get("Binary"))
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| {
            anyhow!(
                "function {} has no Metadata.BuildProperties.Binary (the cargo binary it runs)",
                r.logical_id
            )
        })
}

/// Checks, before anything starts, that every function can run here and its binary exists.
pub fn check_functions(template: &Template, bin_dir: &Path) -> Result<()> {
    let mut missing = Vec::new();
    for r in template
        .resources
        .iter()
        .filter(|r| r.type_ == SERVERLESS_FUNCTION)
    {
        let props = template.effective_properties(r);
        let Some(map) = props.as_object() else {
            bail!("function {}: Properties is not a mapping", r.logical_id);
        };
        for k in map.keys() {
            if !SUPPORTED.contains(&k.as_str()) && !IGNORED.contains(&k.as_str()) {
                bail!(
                    "function {} (AWS::Serverless::Function): property {k} is not supported by the local cloud",
                    r.logical_id
                );
            }
        }
        if let Some(rt) = map.get("Runtime").and_then(Value::as_str) {
            if !rt.starts_with("provided") {
                bail!(
                    "function {}: Runtime {rt} cannot run locally (the local cloud runs native binaries: provided.al2023/provided.al2)",
                    r.logical_id
                );
            }
        }
        if let Some(Value::Object(events)) = map.get("Events") {
            for (name, ev) in events {
                let t = ev.get("Type").and_then(Value::as_str).unwrap_or("");
                if !matches!(t, "Api" | "SQS" | "DynamoDB" | "Schedule") {
                    bail!(
                        "function {} event {name}: event type {t:?} is not supported by the local cloud (Api, SQS, DynamoDB, Schedule)",
                        r.logical_id
                    );
                }
            }
        }
        let bin = bin_dir.join(binary_name(r)?);
        if !bin.is_file() {
            missing.push(format!("{} ({})", bin.display(), r.logical_id));
        }
    }
    if !missing.is_empty() {
        bail!(
            "function binaries are missing: {}; run `cargo build --workspace --bins` first (or pass --bin-dir)",
            missing.join(", ")
        );
    }
    Ok(())
}

/// A function's short name: its logical id in kebab case without `Function`
/// (`OrdersApiFunction` -> `orders-api`, `UsersOutboxPublisherFunction` ->
/// `users-outbox-publisher`). The template names each function after its binary, so this
/// is the binary's name but where several functions share one binary.
pub fn label(logical_id: &str) -> String {
    let stem = logical_id.strip_suffix("Function").unwrap_or(logical_id);
    let mut out = String::with_capacity(stem.len() + 4);
    for (i, c) in stem.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push('-');
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

/// The logical ids of the functions `--watch` names, each by logical id, short name or
/// binary (a binary several functions run names them all).
pub fn watched(template: &Template, names: &[String]) -> Result<BTreeSet<String>> {
    let functions: Vec<(String, String)> = template
        .resources
        .iter()
        .filter(|r| r.type_ == SERVERLESS_FUNCTION)
        .map(|r| Ok((r.logical_id.clone(), binary_name(r)?)))
        .collect::<Result<_>>()?;
    let mut out = BTreeSet::new();
    for name in names {
        let named: Vec<&String> = functions
            .iter()
            .filter(|(id, bin)| id == name || bin == name || label(id) == *name)
            .map(|(id, _)| id)
            .collect();
        if named.is_empty() {
            let known: Vec<String> = functions
                .iter()
                .map(|(id, bin)| format!("{} ({id}, binary {bin})", label(id)))
                .collect();
            bail!(
                "--watch {name}: the template has no such function; its functions are {}",
                known.join(", ")
            );
        }
        out.extend(named.into_iter().cloned());
    }
    Ok(out)
}

/// Builds the plan of every enabled function. `ctx` must hold every provisioned resource.
pub fn plan_all(template: &Template, ctx: &Context, rt: &Runtime<'_>) -> Result<Vec<FunctionPlan>> {
    let mut out = Vec::new();
    for r in template
        .resources
        .iter()
        .filter(|r| r.type_ == SERVERLESS_FUNCTION)
    {
        if !is_enabled(ctx, r)? {
            continue;
        }
        out.push(
            plan_one(template, r, ctx, rt).with_context(|| format!("function {}", r.logical_id))?,
        );
    }
    Ok(out)
}

fn plan_one(
    template: &Template,
    r: &Resource,
    ctx: &Context,
    rt: &Runtime<'_>,
) -> Result<FunctionPlan> {
    let mut raw = template.effective_properties(r);
    // Properties with no local effect are not resolved: they may refer to resources the
    // local cloud never creates (a DeploymentPreference's alarms, for one).
    if let Value::Object(map) = &mut raw {
        map.retain(|k, _| !IGNORED.contains(&k.as_str()));
    }
    let props = ctx.resolve(&raw)?;
    let name = function_name(r);
    let memory_mb = opt_i64(&props, "MemorySize")?.unwrap_or(128);
    let timeout = opt_i64(&props, "Timeout")?.unwrap_or(3);
    let binary_name = binary_name(r)?;
    let binary = rt.bin_dir.join(&binary_name);
    let binary = std::fs::canonicalize(&binary).unwrap_or(binary);

    let mut env = BTreeMap::new();
    if let Some(Value::Object(vars)) = props.get("Environment").and_then(|e| e.get("Variables")) {
        for (k, v) in vars {
            let s = scalar_string(v)
                .ok_or_else(|| anyhow!("Environment variable {k}: {v} is not a string"))?;
            env.insert(k.clone(), s);
        }
    }
    if let Some(level) = &rt.rust_log {
        env.insert("RUST_LOG".into(), level.clone());
    }
    let log_stream = format!(
        "{}/[$LATEST]{}",
        chrono::Utc::now().format("%Y/%m/%d"),
        uuid::Uuid::now_v7().simple()
    );
    for (k, v) in [
        ("AWS_ENDPOINT_URL", rt.moto_url.to_owned()),
        ("AWS_REGION", REGION.to_owned()),
        ("AWS_DEFAULT_REGION", REGION.to_owned()),
        ("AWS_ACCESS_KEY_ID", "testing".to_owned()),
        ("AWS_SECRET_ACCESS_KEY", "testing".to_owned()),
        ("AWS_LAMBDA_FUNCTION_NAME", name.clone()),
        ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", memory_mb.to_string()),
        ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST".to_owned()),
        ("AWS_LAMBDA_LOG_STREAM_NAME", log_stream),
        ("AWS_LAMBDA_LOG_GROUP_NAME", format!("/aws/lambda/{name}")),
        ("AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand".to_owned()),
        // moto serialises DynamoDB calls and answers slowly under load; the SDK's
        // production timeouts would then retry transactions that moto already committed
        // (it ignores ClientRequestToken). Locally an SDK call may take the whole
        // function timeout, once.
        (shared::aws::LOCAL_TIMEOUT_VAR, timeout.to_string()),
        (
            "_HANDLER",
            opt_str(&props, "Handler")?.unwrap_or_else(|| "bootstrap".to_owned()),
        ),
    ] {
        env.insert(k.to_owned(), v);
    }

    let spec = FunctionSpec {
        name: name.clone(),
        binary,
        env,
        timeout: Duration::from_secs(
            u64::try_from(timeout).map_err(|_| anyhow!("Timeout {timeout} is negative"))?,
        ),
        memory_mb: u32::try_from(memory_mb)
            .map_err(|_| anyhow!("MemorySize {memory_mb} is out of range"))?,
        log: FunctionLog::passthrough(&label(&r.logical_id)),
    };
    let mut plan = FunctionPlan {
        logical_id: r.logical_id.clone(),
        binary: binary_name.clone(),
        label: label(&r.logical_id),
        spec,
        api_events: vec![],
        sqs: vec![],
        streams: vec![],
        schedules: vec![],
    };
    let raw_events = raw.get("Events").cloned().unwrap_or(Value::Null);
    if let Some(events) = props.get("Events").and_then(Value::as_object) {
        for (ev_name, ev) in events {
            let p = ev.get("Properties").cloned().unwrap_or(Value::Null);
            let raw_p = raw_events.get(ev_name).and_then(|e| e.get("Properties"));
            match ev.get("Type").and_then(Value::as_str).unwrap_or("") {
                "Api" => plan
                    .api_events
                    .push(api_event(&r.logical_id, ev_name, &p, raw_p)?),
                "SQS" => {
                    if opt_bool(&p, "Enabled")? != Some(false) {
                        plan.sqs
                            .push(sqs_source(&p, ctx).with_context(|| format!("event {ev_name}"))?);
                    }
                }
                "DynamoDB" => {
                    if opt_bool(&p, "Enabled")? != Some(false) {
                        plan.streams.push(
                            stream_source(&p, ctx).with_context(|| format!("event {ev_name}"))?,
                        );
                    }
                }
                "Schedule" => {
                    if opt_bool(&p, "Enabled")? != Some(false) {
                        plan.schedules.push(
                            ScheduleSource::parse(&r.logical_id, ev_name, &p)
                                .with_context(|| format!("event {ev_name}"))?,
                        );
                    }
                }
                other => {
                    bail!("event {ev_name}: type {other:?} is not supported by the local cloud")
                }
            }
        }
    }
    Ok(plan)
}

fn api_event(function: &str, event: &str, p: &Value, raw: Option<&Value>) -> Result<ApiEvent> {
    // RestApiId is `!Ref Api`; the REST front needs the logical id, not the generated id.
    let api = match raw.and_then(|r| r.get("RestApiId")) {
        None => None,
        Some(v) => Some(
            v.get("Ref")
                .and_then(Value::as_str)
                .map(str::to_owned)
                .ok_or_else(|| {
                    anyhow!("event {event}: RestApiId must be !Ref of an AWS::Serverless::Api")
                })?,
        ),
    };
    let path = req_str(p, "Path").with_context(|| format!("event {event}"))?;
    if !path.starts_with('/') {
        bail!("event {event}: Path {path:?} must start with /");
    }
    let authorizer = match p.get("Auth").and_then(|a| a.get("Authorizer")) {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(other) => bail!("event {event}: Auth.Authorizer {other} is not a name"),
    };
    Ok(ApiEvent {
        function: function.to_owned(),
        event: event.to_owned(),
        api,
        path,
        method: req_str(p, "Method")
            .with_context(|| format!("event {event}"))?
            .to_ascii_uppercase(),
        authorizer,
    })
}

fn filters(p: &Value) -> Result<Vec<String>> {
    let Some(list) = p.get("FilterCriteria").and_then(|f| f.get("Filters")) else {
        return Ok(vec![]);
    };
    let Value::Array(list) = list else {
        bail!("FilterCriteria.Filters is not a list");
    };
    list.iter()
        .map(|f| match f.get("Pattern") {
            Some(Value::String(s)) => {
                serde_json::from_str::<Value>(s)
                    .map_err(|e| anyhow!("filter pattern {s:?} is not JSON: {e}"))?;
                Ok(s.clone())
            }
            Some(obj @ Value::Object(_)) => Ok(obj.to_string()),
            _ => bail!("FilterCriteria filter {f} has no Pattern"),
        })
        .collect()
}

fn reports_batch_item_failures(p: &Value) -> bool {
    p.get("FunctionResponseTypes")
        .and_then(Value::as_array)
        .is_some_and(|a| a.iter().any(|t| t == "ReportBatchItemFailures"))
}

/// The URL of the template queue with this ARN.
fn queue_url_for_arn(ctx: &Context, arn: &str) -> Result<String> {
    ctx.resources
        .values()
        .find(|o| o.type_ == "AWS::SQS::Queue" && o.attrs.get("Arn").is_some_and(|a| a == arn))
        .map(|o| o.ref_.clone())
        .ok_or_else(|| anyhow!("queue {arn} is not a queue of this template"))
}

fn sqs_source(p: &Value, ctx: &Context) -> Result<SqsSource> {
    let queue_arn = req_str(p, "Queue")?;
    Ok(SqsSource {
        queue_url: queue_url_for_arn(ctx, &queue_arn)?,
        queue_arn,
        batch_size: opt_i32(p, "BatchSize")?.unwrap_or(10),
        report_batch_item_failures: reports_batch_item_failures(p),
        filters: filters(p)?,
    })
}

fn stream_source(p: &Value, ctx: &Context) -> Result<StreamSource> {
    let stream_arn = req_str(p, "Stream")?;
    let table_name = ctx
        .resources
        .values()
        .find(|o| {
            o.type_ == "AWS::DynamoDB::Table"
                && o.attrs.get("StreamArn").is_some_and(|a| *a == stream_arn)
        })
        .map(|o| o.ref_.clone())
        .ok_or_else(|| {
            anyhow!("stream {stream_arn} is not the stream of a table of this template")
        })?;
    let on_failure_queue_url = match p
        .get("DestinationConfig")
        .and_then(|d| d.get("OnFailure"))
        .and_then(|o| o.get("Destination"))
        .and_then(Value::as_str)
    {
        None => None,
        Some(arn) if arn.starts_with("arn:aws:sqs:") => Some(queue_url_for_arn(ctx, arn)?),
        Some(arn) => bail!("DestinationConfig.OnFailure {arn}: only SQS destinations run locally"),
    };
    if p.get("TumblingWindowInSeconds").is_some() {
        bail!("TumblingWindowInSeconds is not supported by the local cloud");
    }
    Ok(StreamSource {
        stream_arn,
        table_name,
        batch_size: opt_i32(p, "BatchSize")?.unwrap_or(100),
        starting_position: req_str(p, "StartingPosition")?,
        // -1 is Lambda's "retry until the record expires".
        maximum_retry_attempts: opt_i64(p, "MaximumRetryAttempts")?.filter(|n| *n >= 0),
        bisect_on_error: opt_bool(p, "BisectBatchOnFunctionError")?.unwrap_or(false),
        report_batch_item_failures: reports_batch_item_failures(p),
        on_failure_queue_url,
        filters: filters(p)?,
    })
}

/// The default bin dir: <workspace>/target/debug, honouring CARGO_TARGET_DIR.
pub fn default_bin_dir(root: &Path) -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(t) => PathBuf::from(t).join("debug"),
        None => root.join("target/debug"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{fake_ctx, real_template};

    #[test]
    fn users_api_function_environment_and_routes() {
        let t = real_template();
        let ctx = fake_ctx(&t);
        let rt = Runtime {
            bin_dir: Path::new("/bins"),
            moto_url: "http://127.0.0.1:5555",
            rust_log: None,
        };
        let plans = plan_all(&t, &ctx, &rt).unwrap();
        let api = plans
            .iter()
            .find(|p| p.logical_id == "UsersApiFunction")
            .unwrap();
        let env = &api.spec.env;
        assert_eq!(env["TABLE_NAME"], "crabcart-UsersTable");
        assert_eq!(env["USER_POOL_ID"], "us-east-1_abc");
        assert_eq!(env["USER_POOL_CLIENT_ID"], "client123");
        assert_eq!(
            env["AUTO_CONFIRM_USERS"], "true",
            "the local cloud overrides AutoConfirmUsers"
        );
        assert_eq!(env["CURSOR_SIGNING_KEY"].len(), 48);
        assert_eq!(env["SERVICE_NAME"], "users");
        assert_eq!(env["RUST_LOG"], "info", "from Globals");
        assert_eq!(env["AWS_ENDPOINT_URL"], "http://127.0.0.1:5555");
        assert_eq!(env["AWS_LAMBDA_FUNCTION_NAME"], "UsersApiFunction");
        assert_eq!(env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"], "256");
        assert_eq!(
            env["AWS_LAMBDA_LOG_GROUP_NAME"],
            "/aws/lambda/UsersApiFunction"
        );
        assert_eq!(env["_HANDLER"], "bootstrap");
        assert_eq!(api.spec.timeout, Duration::from_secs(10));
        assert_eq!(api.spec.memory_mb, 256);
        assert_eq!(api.spec.binary, PathBuf::from("/bins/users-api"));
        assert_eq!(
            (api.binary.as_str(), api.label.as_str()),
            ("users-api", "users-api")
        );

        let mut routes: Vec<(String, String, bool)> = api
            .api_events
            .iter()
            .map(|e| {
                (
                    e.method.clone(),
                    e.path.clone(),
                    e.authorizer.as_deref() == Some("NONE"),
                )
            })
            .collect();
        routes.sort();
        let expected = [
            ("DELETE", "/v1/users/me", false),
            ("GET", "/v1/users", false),
            ("GET", "/v1/users/me", false),
            ("GET", "/v1/users/{id}", false),
            ("PATCH", "/v1/users/me", false),
            ("POST", "/v1/auth/confirm", true),
            ("POST", "/v1/auth/login", true),
            ("POST", "/v1/auth/refresh", true),
            ("POST", "/v1/auth/register", true),
        ];
        let expected: Vec<(String, String, bool)> = expected
            .iter()
            .map(|(m, p, public)| (m.to_string(), p.to_string(), *public))
            .collect();
        assert_eq!(routes, expected);
        assert!(api
            .api_events
            .iter()
            .all(|e| e.api.as_deref() == Some("Api")));

        let publisher = plans
            .iter()
            .find(|p| p.logical_id == "UsersOutboxPublisherFunction")
            .unwrap();
        assert_eq!(
            publisher.spec.env["TOPIC_ARN"],
            "arn:aws:sns:us-east-1:123456789012:UsersTopic"
        );
        assert_eq!(publisher.streams.len(), 1);
        assert_eq!(
            (publisher.binary.as_str(), publisher.label.as_str()),
            ("outbox-publisher", "users-outbox-publisher")
        );
        let s = &publisher.streams[0];
        assert_eq!(s.table_name, "crabcart-UsersTable");
        assert_eq!(s.batch_size, 100);
        assert_eq!(s.starting_position, "TRIM_HORIZON");
        assert_eq!(s.maximum_retry_attempts, Some(10));
        assert!(s.bisect_on_error && s.report_batch_item_failures);
        assert_eq!(
            s.on_failure_queue_url.as_deref(),
            Some("http://q/UsersOutboxFailuresQueue")
        );
        assert_eq!(s.filters.len(), 1);
        assert!(s.filters[0].contains("OUTBOX#"));
    }

    #[test]
    fn parent_rust_log_wins_and_missing_binaries_are_named() {
        let t = real_template();
        let ctx = fake_ctx(&t);
        let rt = Runtime {
            bin_dir: Path::new("/bins"),
            moto_url: "http://m",
            rust_log: Some("debug".into()),
        };
        let plans = plan_all(&t, &ctx, &rt).unwrap();
        assert!(plans.iter().all(|p| p.spec.env["RUST_LOG"] == "debug"));
        let e = check_functions(&t, Path::new("/nonexistent"))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("cargo build --workspace --bins") && e.contains("users-api"),
            "{e}"
        );
    }

    #[test]
    fn watched_functions_are_named_by_logical_id_or_binary() {
        let t = real_template();
        let names = ["orders-api".to_owned(), "OrdersWorkerFunction".to_owned()];
        let w = watched(&t, &names).unwrap();
        assert_eq!(
            w.into_iter().collect::<Vec<_>>(),
            ["OrdersApiFunction", "OrdersWorkerFunction"]
        );
        let publishers = watched(&t, &["outbox-publisher".to_owned()]).unwrap();
        assert_eq!(
            publishers.len(),
            4,
            "a shared binary names every function running it"
        );
        let one = watched(&t, &["users-outbox-publisher".to_owned()]).unwrap();
        assert_eq!(
            one.into_iter().collect::<Vec<_>>(),
            ["UsersOutboxPublisherFunction"]
        );
        let e = watched(&t, &["orders".to_owned()]).unwrap_err().to_string();
        assert!(
            e.contains("--watch orders: the template has no such function"),
            "{e}"
        );
        assert!(
            e.contains("orders-api (OrdersApiFunction, binary orders-api)")
                && e.contains("users-outbox-publisher (UsersOutboxPublisherFunction, binary outbox-publisher)"),
            "the known functions are listed: {e}"
        );
    }

    #[test]
    fn a_scheduled_rule_is_planned_from_its_parameter_and_warms_up_with_a_scheduled_event() {
        let t = real_template();
        let ctx = fake_ctx(&t);
        let rt = Runtime {
            bin_dir: Path::new("/bins"),
            moto_url: "http://127.0.0.1:5555",
            rust_log: None,
        };
        let plans = plan_all(&t, &ctx, &rt).unwrap();
        let expiry = plans
            .iter()
            .find(|p| p.logical_id == "OrdersExpiryFunction")
            .unwrap();
        assert_eq!(expiry.schedules.len(), 1);
        let schedule = &expiry.schedules[0];
        assert_eq!(
            schedule.expression, "rate(1 minute)",
            "the parameter's default"
        );
        assert_eq!(schedule.every, Duration::from_secs(60));
        assert_eq!(schedule.rule_name, "OrdersExpiryFunctionSweep");
        assert_eq!(expiry.spec.env["RESERVATION_DEADLINE_SECONDS"], "1800");
        let warm_up = crate::watched::warm_up_event(expiry);
        assert_eq!(warm_up["detail-type"], "Scheduled Event");
        let worker = plans
            .iter()
            .find(|p| p.logical_id == "OrdersWorkerFunction")
            .unwrap();
        assert!(worker.schedules.is_empty());
        assert_eq!(
            crate::watched::warm_up_event(worker),
            serde_json::json!({"Records": []})
        );
    }

    #[test]
    fn unsupported_event_type_is_named() {
        let t = Template::parse(
            "Resources:\n  F:\n    Type: AWS::Serverless::Function\n    Metadata: {BuildProperties: {Binary: f}}\n    Properties:\n      Runtime: provided.al2023\n      Events:\n        Upload: {Type: S3, Properties: {Bucket: b, Events: s3:ObjectCreated:*}}\n",
        )
        .unwrap();
        let e = check_functions(&t, Path::new("/x"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("function F") && e.contains("S3"), "{e}");
    }
}
