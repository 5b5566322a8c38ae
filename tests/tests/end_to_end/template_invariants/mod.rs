//! What template.yaml must promise, checked on the template itself (no devstack): the
//! queue, stream and route rules the services rely on (docs/decisions.md), encrypted and
//! recoverable tables, a log group with retention per function, and least privilege:
//! each function is granted exactly the DynamoDB, SNS, SQS, SES and Cognito admin
//! actions its code calls, as found by scanning the code its binary reaches.
//!
//! Every test lists all its violations, not just the first.

mod code_scan;
mod event_flow;
mod operations;

use code_scan::{granted_for_platform, sdk_actions_of_binary, NOT_REACHED};
use e2e::template::{assert_none, sub_text, target, Function, Template};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};

/// Routes that must stay reachable without a token; every other route has the default
/// Cognito authorizer.
const PUBLIC_ROUTES: &[(&str, &str)] = &[
    ("POST", "/v1/auth/register"),
    ("POST", "/v1/auth/confirm"),
    ("POST", "/v1/auth/login"),
    ("POST", "/v1/auth/refresh"),
    ("GET", "/v1/health"),
    ("GET", "/v1/products"),
    ("GET", "/v1/products/{id}"),
];
/// A message is tried this often before it goes to the DLQ.
const MIN_MAX_RECEIVE_COUNT: i64 = 5;
/// A queue's visibility timeout is at least this many times its
/// consumer's timeout, so a slow batch is not redelivered while still running.
const VISIBILITY_PER_TIMEOUT: i64 = 6;
/// A stream batch is retried at most this often before it goes to its OnFailure queue
/// (Lambda's own ceiling; -1, forever, would block the shard behind a poison record).
const MAX_STREAM_RETRIES: i64 = 10_000;

/// Whether an event source reports partial batch failures.
fn reports_batch_item_failures(event: &Value) -> bool {
    event["FunctionResponseTypes"]
        .as_array()
        .is_some_and(|t| t.iter().any(|t| t == "ReportBatchItemFailures"))
}

#[test]
fn every_consumed_queue_has_a_dlq_and_outlasts_its_consumer() {
    let template = Template::workspace();
    let mut violations = Vec::new();
    let events = template.function_events("SQS");
    assert!(!events.is_empty(), "the template has SQS event sources");
    for source in events {
        let (function_id, event) = (&source.function, &source.properties);
        let at = format!("{function_id}.{}", source.name);
        if !reports_batch_item_failures(event) {
            violations.push(format!(
                "{at}: FunctionResponseTypes lacks ReportBatchItemFailures"
            ));
        }
        let Some(queue_id) = target(&event["Queue"]).filter(|q| template.is(q, "AWS::SQS::Queue"))
        else {
            violations.push(format!("{at}: Queue is not a queue of the template"));
            continue;
        };
        let queue = &template.resource(queue_id).expect("queue").properties;
        let redrive = &queue["RedrivePolicy"];
        let dlq = target(&redrive["deadLetterTargetArn"]);
        if !dlq.is_some_and(|d| template.is(d, "AWS::SQS::Queue")) {
            violations.push(format!(
                "{queue_id}: no RedrivePolicy to a DLQ of the template"
            ));
        }
        let receives = redrive["maxReceiveCount"].as_i64().unwrap_or(0);
        if receives < MIN_MAX_RECEIVE_COUNT {
            violations.push(format!(
                "{queue_id}: maxReceiveCount {receives} < {MIN_MAX_RECEIVE_COUNT}"
            ));
        }
        let function = template.function(function_id).expect("function");
        // Lambda's default timeout is 3 s.
        let timeout = function.properties["Timeout"].as_i64().unwrap_or(3);
        // SQS's default visibility timeout is 30 s.
        let visibility = queue["VisibilityTimeout"].as_i64().unwrap_or(30);
        if visibility < VISIBILITY_PER_TIMEOUT * timeout {
            violations.push(format!(
                "{queue_id}: VisibilityTimeout {visibility} < {VISIBILITY_PER_TIMEOUT} x {function_id}'s Timeout {timeout}"
            ));
        }
    }
    assert_none("SQS event sources", violations);
}

#[test]
fn every_stream_source_bisects_retries_boundedly_and_keeps_what_fails() {
    let template = Template::workspace();
    let mut violations = Vec::new();
    let events = template.function_events("DynamoDB");
    assert!(!events.is_empty(), "the template has stream event sources");
    for source in events {
        let event = &source.properties;
        let at = format!("{}.{}", source.function, source.name);
        if event["BisectBatchOnFunctionError"].as_bool() != Some(true) {
            violations.push(format!("{at}: BisectBatchOnFunctionError is not true"));
        }
        match event["MaximumRetryAttempts"].as_i64() {
            Some(n) if (0..=MAX_STREAM_RETRIES).contains(&n) => {}
            other => violations.push(format!(
                "{at}: MaximumRetryAttempts {other:?} is not bounded (0..={MAX_STREAM_RETRIES})"
            )),
        }
        let destination = target(&event["DestinationConfig"]["OnFailure"]["Destination"]);
        if !destination
            .is_some_and(|d| template.is(d, "AWS::SQS::Queue") || template.is(d, "AWS::SNS::Topic"))
        {
            violations.push(format!(
                "{at}: no OnFailure destination (a queue or topic of the template)"
            ));
        }
        if !reports_batch_item_failures(event) {
            violations.push(format!(
                "{at}: FunctionResponseTypes lacks ReportBatchItemFailures"
            ));
        }
    }
    assert_none("stream event sources", violations);
}

/// The one origin browsers may call the API from, as the template hands it to API
/// Gateway's preflights, to its own errors and to the functions.
#[test]
fn the_api_shares_answers_with_the_storefront_origin_alone() {
    let template = Template::workspace();
    let mut violations = Vec::new();
    let param = &template.parameters["StorefrontOrigin"];
    let pattern = param["AllowedPattern"].as_str().unwrap_or_default();
    if pattern.is_empty()
        || pattern.contains('*')
        || param["Default"].as_str().unwrap_or("*").contains('*')
    {
        violations.push(format!(
            "StorefrontOrigin admits a wildcard or anything: {param}"
        ));
    }
    // The parameter when it names an origin, else this stack's own distribution.
    let origin = json!({"Fn::If": [
        "HasStorefrontOrigin",
        {"Fn::Sub": "'${StorefrontOrigin}'"},
        {"Fn::Sub": "'https://${StorefrontDistribution.DomainName}'"}
    ]});
    let api = template
        .resources_of("AWS::Serverless::Api")
        .next()
        .expect("the template has a REST API");
    let props = template.effective_properties(api);
    let cors = &props["Cors"];
    if cors["AllowOrigin"] != origin {
        violations.push(format!(
            "Cors.AllowOrigin is {}, not the parameter",
            cors["AllowOrigin"]
        ));
    }
    if cors["AllowCredentials"] == json!(true) {
        violations.push("Cors allows credentials: the token travels in a header".into());
    }
    if props["Auth"]["AddDefaultAuthorizerToCorsPreflight"] != json!(false) {
        violations.push("preflights would need a token a browser never sends on them".into());
    }
    let responses = props["GatewayResponses"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    for (kind, response) in &responses {
        if response["ResponseParameters"]["Headers"]["Access-Control-Allow-Origin"] != origin {
            violations.push(format!("GatewayResponses.{kind} does not name the origin"));
        }
    }
    for kind in [
        "UNAUTHORIZED",
        "ACCESS_DENIED",
        "THROTTLED",
        "DEFAULT_4XX",
        "DEFAULT_5XX",
    ] {
        if !responses.contains_key(kind) {
            violations.push(format!(
                "no GatewayResponses.{kind}: its answers would not name the origin"
            ));
        }
    }
    let env = &template.globals_function["Environment"]["Variables"]["ALLOWED_ORIGIN"];
    let unquoted = json!({"Fn::If": [
        "HasStorefrontOrigin",
        {"Ref": "StorefrontOrigin"},
        {"Fn::Sub": "https://${StorefrontDistribution.DomainName}"}
    ]});
    if *env != unquoted {
        violations.push(format!(
            "Globals ALLOWED_ORIGIN is {env}, not the parameter"
        ));
    }
    assert_none("CORS", violations);
}

/// The storefront as AWS serves a static site: a bucket nobody reads but this stack's
/// distribution, which answers over HTTPS only, with security headers.
#[test]
fn the_storefront_is_a_private_bucket_behind_https_cloudfront() {
    let template = Template::workspace();
    let mut violations = Vec::new();
    let one = |type_: &'static str| {
        let found: Vec<_> = template.resources_of(type_).collect();
        assert_eq!(found.len(), 1, "one {type_}");
        found[0]
    };
    let bucket = one("AWS::S3::Bucket");
    let block = &bucket.properties["PublicAccessBlockConfiguration"];
    for k in [
        "BlockPublicAcls",
        "BlockPublicPolicy",
        "IgnorePublicAcls",
        "RestrictPublicBuckets",
    ] {
        if block[k] != json!(true) {
            violations.push(format!("the bucket's {k} is not true"));
        }
    }
    if bucket.properties["BucketEncryption"].is_null() {
        violations.push("the bucket is not encrypted".into());
    }
    let distribution = one("AWS::CloudFront::Distribution");
    let config = &distribution.properties["DistributionConfig"];
    let origins = config["Origins"].as_array().cloned().unwrap_or_default();
    if origins.len() != 1
        || origins[0]["DomainName"]
            != json!({"Fn::GetAtt": ["StorefrontBucket", "RegionalDomainName"]})
        || origins[0]["OriginAccessControlId"].is_null()
    {
        violations.push(format!(
            "the distribution does not read the bucket through origin access control: {origins:?}"
        ));
    }
    let mut behaviors = vec![config["DefaultCacheBehavior"].clone()];
    behaviors.extend(
        config["CacheBehaviors"]
            .as_array()
            .cloned()
            .unwrap_or_default(),
    );
    for b in &behaviors {
        if b["ViewerProtocolPolicy"] != json!("redirect-to-https") {
            violations.push(format!("a cache behavior serves plain HTTP: {b}"));
        }
        if b["ResponseHeadersPolicyId"] != json!({"Ref": "StorefrontSecurityHeaders"}) {
            violations.push(format!("a cache behavior lacks the security headers: {b}"));
        }
    }
    let headers = &one("AWS::CloudFront::ResponseHeadersPolicy").properties
        ["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"];
    for k in [
        "ContentSecurityPolicy",
        "StrictTransportSecurity",
        "FrameOptions",
        "ContentTypeOptions",
    ] {
        if headers[k].is_null() {
            violations.push(format!("no {k} header"));
        }
    }
    let policy = one("AWS::S3::BucketPolicy");
    for statement in policy.properties["PolicyDocument"]["Statement"]
        .as_array()
        .cloned()
        .unwrap_or_default()
    {
        if statement["Effect"] == json!("Allow")
            && (statement["Principal"] != json!({"Service": "cloudfront.amazonaws.com"})
                || statement["Condition"]["StringEquals"]["AWS:SourceArn"].is_null())
        {
            violations.push(format!(
                "the bucket lets more than the distribution read: {statement}"
            ));
        }
    }
    assert_none("storefront hosting", violations);
}

#[test]
fn only_the_public_routes_skip_the_cognito_authorizer() {
    let template = Template::workspace();
    let mut violations = Vec::new();
    let api = template
        .resources_of("AWS::Serverless::Api")
        .next()
        .expect("the template has a REST API");
    let api_id = &api.logical_id;
    let auth = &template.effective_properties(api)["Auth"];
    let default = auth["DefaultAuthorizer"].as_str();
    let authorizers = &auth["Authorizers"];
    match default {
        Some(name)
            if target(&authorizers[name]["UserPoolArn"])
                .is_some_and(|p| template.is(p, "AWS::Cognito::UserPool")) => {}
        other => violations.push(format!(
            "{api_id}: DefaultAuthorizer {other:?} is not a Cognito user-pool authorizer"
        )),
    }
    let mut seen_public = BTreeSet::new();
    for source in template.function_events("Api") {
        let event = &source.properties;
        let at = format!("{}.{}", source.function, source.name);
        let route = (
            event["Method"].as_str().unwrap_or_default().to_uppercase(),
            event["Path"].as_str().unwrap_or_default().to_owned(),
        );
        if target(&event["RestApiId"]) != Some(api_id.as_str()) {
            violations.push(format!("{at}: not on {api_id}"));
        }
        let authorizer = event["Auth"]["Authorizer"].as_str();
        let public = PUBLIC_ROUTES
            .iter()
            .any(|(m, p)| route.0 == *m && route.1 == *p);
        match (public, authorizer) {
            (true, Some("NONE")) => {
                seen_public.insert(route);
            }
            (true, other) => violations.push(format!(
                "{at}: {} {} is public but has authorizer {other:?}",
                route.0, route.1
            )),
            (false, None) => {}
            (false, Some(other)) => violations.push(format!(
                "{at}: {} {} overrides the default authorizer with {other}",
                route.0, route.1
            )),
        }
    }
    for (m, p) in PUBLIC_ROUTES {
        if !seen_public.contains(&(m.to_string(), p.to_string())) {
            violations.push(format!("public route {m} {p} is not in the template"));
        }
    }
    assert_none("route authorization", violations);
}

#[test]
fn every_table_has_point_in_time_recovery_and_encryption() {
    let template = Template::workspace();
    let mut violations = Vec::new();
    let tables: Vec<_> = template.resources_of("AWS::DynamoDB::Table").collect();
    assert!(!tables.is_empty(), "the template has tables");
    for table in tables {
        let (id, p) = (&table.logical_id, &table.properties);
        if p["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"].as_bool()
            != Some(true)
        {
            violations.push(format!("{id}: point-in-time recovery is not enabled"));
        }
        if p["SSESpecification"]["SSEEnabled"].as_bool() != Some(true) {
            violations.push(format!("{id}: SSESpecification.SSEEnabled is not true"));
        }
        if table.deletion_policy.as_deref() != Some("Retain") {
            violations.push(format!("{id}: DeletionPolicy is not Retain"));
        }
    }
    assert_none("tables", violations);
}

#[test]
fn every_function_has_its_own_log_group_with_retention() {
    let template = Template::workspace();
    let mut violations = Vec::new();
    let mut groups_of: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for group in template.resources_of("AWS::Logs::LogGroup") {
        let (id, p) = (&group.logical_id, &group.properties);
        if p["RetentionInDays"].is_null() {
            violations.push(format!("{id}: no RetentionInDays"));
        }
        let function = sub_text(&p["LogGroupName"])
            .and_then(|name| name.strip_prefix("/aws/lambda/${"))
            .and_then(|rest| rest.strip_suffix('}'));
        if let Some(function) = function {
            groups_of
                .entry(function.to_owned())
                .or_default()
                .push(id.clone());
        }
    }
    for function in template.functions() {
        let id = function.logical_id();
        match groups_of.remove(id).as_deref() {
            Some([_]) => {}
            Some(many) => violations.push(format!("{id}: several log groups {many:?}")),
            None => violations.push(format!(
                "{id}: no log group named !Sub /aws/lambda/${{{id}}}"
            )),
        }
    }
    for (function, groups) in groups_of {
        violations.push(format!(
            "{groups:?}: log group of {function}, which is not a function"
        ));
    }
    assert_none("log groups", violations);
}

/// The actions SAM's policy templates grant, for those the template uses.
fn policy_template_actions(name: &str) -> Option<&'static [&'static str]> {
    match name {
        "SNSPublishMessagePolicy" => Some(&["sns:Publish"]),
        // SAM grants `sqs:SendMessage*`: SendMessage and SendMessageBatch.
        "SQSSendMessagePolicy" => Some(&["sqs:SendMessage"]),
        _ => None,
    }
}

/// Services whose grants must match the code exactly; others (KMS, X-Ray, logs) are
/// not derived from SDK calls.
const CHECKED_SERVICES: &[&str] = &["dynamodb:", "sns:", "sqs:", "ses:", "cognito-idp:"];

/// The checked actions a function's `Policies` grant, or what could not be read.
fn granted_actions(function: &Function<'_>) -> Result<BTreeSet<String>, String> {
    let function_id = function.logical_id();
    let mut actions = BTreeSet::new();
    let policies = function.properties["Policies"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    for policy in &policies {
        if let Some(statements) = policy["Statement"].as_array() {
            for statement in statements {
                // `!If [condition, statement, !Ref AWS::NoValue]`: the statement it may add.
                let statement = match statement.get("Fn::If") {
                    Some(branches) => branches.get(1).unwrap_or(&Value::Null),
                    None => statement,
                };
                if statement["Effect"].as_str() != Some("Allow") {
                    continue;
                }
                match &statement["Action"] {
                    Value::String(a) => {
                        actions.insert(a.clone());
                    }
                    Value::Array(list) => {
                        actions.extend(list.iter().filter_map(Value::as_str).map(str::to_owned))
                    }
                    other => return Err(format!("{function_id}: unreadable Action {other:?}")),
                }
            }
            continue;
        }
        let name = match policy {
            Value::Object(m) if m.len() == 1 => m.keys().next().map(String::as_str),
            _ => None,
        };
        match name.and_then(policy_template_actions) {
            Some(granted) => actions.extend(granted.iter().map(|a| a.to_string())),
            None => {
                return Err(format!(
                    "{function_id}: policy {policy:?} is neither a statement list nor a known SAM policy template"
                ))
            }
        }
    }
    Ok(actions
        .into_iter()
        .filter(|a| CHECKED_SERVICES.iter().any(|s| a.starts_with(s)))
        .collect())
}

#[test]
fn every_function_is_granted_exactly_the_actions_its_code_calls() {
    let template = Template::workspace();
    let mut violations = Vec::new();
    for function in template.functions() {
        let id = function.logical_id();
        let binary = function.binary().unwrap_or_default();
        let granted = match granted_actions(&function) {
            Ok(g) => g,
            Err(e) => {
                violations.push(e);
                continue;
            }
        };
        let calls = sdk_actions_of_binary(binary);
        for (_, stale, _) in NOT_REACHED
            .iter()
            .filter(|(b, f, _)| *b == binary && !calls.suppressed.contains(*f))
        {
            violations.push(format!(
                "{id} ({binary}): NOT_REACHED lists {stale}, which the scan no longer reaches"
            ));
        }
        let called = calls.actions;
        let mut needed: BTreeSet<String> = called.keys().cloned().collect();
        needed.extend(granted_for_platform(&function));
        let missing: Vec<_> = needed
            .difference(&granted)
            .map(|a| match called.get(a) {
                Some(callers) => format!(
                    "{a} (in {})",
                    callers.iter().cloned().collect::<Vec<_>>().join(", ")
                ),
                None => a.clone(),
            })
            .collect();
        let unused: Vec<_> = granted.difference(&needed).collect();
        if !missing.is_empty() {
            violations.push(format!(
                "{id} ({binary}): calls but is not granted {missing:?}"
            ));
        }
        if !unused.is_empty() {
            violations.push(format!(
                "{id} ({binary}): is granted but never calls {unused:?}"
            ));
        }
    }
    assert_none("least privilege", violations);
}
