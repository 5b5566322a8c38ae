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
use e2e::template::{self, assert_none, target};
use serde_yaml::Value;
use std::collections::{BTreeMap, BTreeSet};

/// Routes that must stay reachable without a token; every other route has the default
/// Cognito authorizer.
const PUBLIC_ROUTES: &[(&str, &str)] = &[
    ("POST", "/v1/auth/register"),
    ("POST", "/v1/auth/confirm"),
    ("POST", "/v1/auth/login"),
    ("POST", "/v1/auth/refresh"),
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

/// The parsed template, with the lookups the invariants need.
struct Template(Value);

impl Template {
    fn load() -> Self {
        Self(template::load())
    }

    /// `(logical id, resource)` of every resource of `kind`.
    fn resources(&self, kind: &str) -> Vec<(String, &Value)> {
        template::resources(&self.0, kind)
    }

    fn resource(&self, id: &str) -> Option<&Value> {
        self.0["Resources"].get(id)
    }

    fn is(&self, id: &str, kind: &str) -> bool {
        self.resource(id)
            .is_some_and(|r| r["Type"].as_str() == Some(kind))
    }

    /// A function's `Timeout`, or the Globals' when it sets none.
    fn timeout_of(&self, function: &Value) -> Option<i64> {
        function["Properties"]["Timeout"]
            .as_i64()
            .or_else(|| self.0["Globals"]["Function"]["Timeout"].as_i64())
    }

    /// `(function id, event name, event)` of every event of `kind` of every function.
    fn function_events(&self, kind: &str) -> Vec<(String, String, &Value)> {
        let mut found = Vec::new();
        for (id, function) in self.resources("AWS::Serverless::Function") {
            if let Some(events) = function["Properties"]["Events"].as_mapping() {
                for (name, event) in events {
                    if event["Type"].as_str() == Some(kind) {
                        let name = name.as_str().unwrap_or_default().to_owned();
                        found.push((id.clone(), name, &event["Properties"]));
                    }
                }
            }
        }
        found
    }
}

/// The text of a `!Sub "..."`.
fn sub_text(v: &Value) -> Option<&str> {
    match v {
        Value::Tagged(t) if t.tag == "!Sub" => t.value.as_str(),
        _ => None,
    }
}

#[test]
fn every_consumed_queue_has_a_dlq_and_outlasts_its_consumer() {
    let template = Template::load();
    let mut violations = Vec::new();
    let events = template.function_events("SQS");
    assert!(!events.is_empty(), "the template has SQS event sources");
    for (function_id, event_name, event) in events {
        let at = format!("{function_id}.{event_name}");
        let reports = event["FunctionResponseTypes"]
            .as_sequence()
            .is_some_and(|t| t.iter().any(|t| t == "ReportBatchItemFailures"));
        if !reports {
            violations.push(format!(
                "{at}: FunctionResponseTypes lacks ReportBatchItemFailures"
            ));
        }
        let Some(queue_id) = target(&event["Queue"]).filter(|q| template.is(q, "AWS::SQS::Queue"))
        else {
            violations.push(format!("{at}: Queue is not a queue of the template"));
            continue;
        };
        let queue = &template.resource(&queue_id).expect("queue")["Properties"];
        let redrive = &queue["RedrivePolicy"];
        let dlq = target(&redrive["deadLetterTargetArn"]);
        if !dlq.is_some_and(|d| template.is(&d, "AWS::SQS::Queue")) {
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
        let function = template.resource(&function_id).expect("function");
        let timeout = template.timeout_of(function).unwrap_or(3);
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
    let template = Template::load();
    let mut violations = Vec::new();
    let events = template.function_events("DynamoDB");
    assert!(!events.is_empty(), "the template has stream event sources");
    for (function_id, event_name, event) in events {
        let at = format!("{function_id}.{event_name}");
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
        if !destination.is_some_and(|d| {
            template.is(&d, "AWS::SQS::Queue") || template.is(&d, "AWS::SNS::Topic")
        }) {
            violations.push(format!(
                "{at}: no OnFailure destination (a queue or topic of the template)"
            ));
        }
        let reports = event["FunctionResponseTypes"]
            .as_sequence()
            .is_some_and(|t| t.iter().any(|t| t == "ReportBatchItemFailures"));
        if !reports {
            violations.push(format!(
                "{at}: FunctionResponseTypes lacks ReportBatchItemFailures"
            ));
        }
    }
    assert_none("stream event sources", violations);
}

#[test]
fn only_the_public_routes_skip_the_cognito_authorizer() {
    let template = Template::load();
    let mut violations = Vec::new();
    let (api_id, api) = template
        .resources("AWS::Serverless::Api")
        .into_iter()
        .next()
        .expect("the template has a REST API");
    let default = api["Properties"]["Auth"]["DefaultAuthorizer"].as_str();
    let authorizers = &api["Properties"]["Auth"]["Authorizers"];
    match default {
        Some(name)
            if target(&authorizers[name]["UserPoolArn"])
                .is_some_and(|p| template.is(&p, "AWS::Cognito::UserPool")) => {}
        other => violations.push(format!(
            "{api_id}: DefaultAuthorizer {other:?} is not a Cognito user-pool authorizer"
        )),
    }
    let mut seen_public = BTreeSet::new();
    for (function_id, event_name, event) in template.function_events("Api") {
        let at = format!("{function_id}.{event_name}");
        let route = (
            event["Method"].as_str().unwrap_or_default().to_uppercase(),
            event["Path"].as_str().unwrap_or_default().to_owned(),
        );
        if target(&event["RestApiId"]).as_deref() != Some(api_id.as_str()) {
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
    let template = Template::load();
    let mut violations = Vec::new();
    let tables = template.resources("AWS::DynamoDB::Table");
    assert!(!tables.is_empty(), "the template has tables");
    for (id, table) in tables {
        let p = &table["Properties"];
        if p["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"].as_bool()
            != Some(true)
        {
            violations.push(format!("{id}: point-in-time recovery is not enabled"));
        }
        if p["SSESpecification"]["SSEEnabled"].as_bool() != Some(true) {
            violations.push(format!("{id}: SSESpecification.SSEEnabled is not true"));
        }
        if table["DeletionPolicy"].as_str() != Some("Retain") {
            violations.push(format!("{id}: DeletionPolicy is not Retain"));
        }
    }
    assert_none("tables", violations);
}

#[test]
fn every_function_has_its_own_log_group_with_retention() {
    let template = Template::load();
    let mut violations = Vec::new();
    let mut groups_of: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (id, group) in template.resources("AWS::Logs::LogGroup") {
        let p = &group["Properties"];
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
    for (id, _) in template.resources("AWS::Serverless::Function") {
        match groups_of.remove(&id).as_deref() {
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
fn granted_actions(function_id: &str, function: &Value) -> Result<BTreeSet<String>, String> {
    let mut actions = BTreeSet::new();
    let policies = function["Properties"]["Policies"]
        .as_sequence()
        .cloned()
        .unwrap_or_default();
    for policy in &policies {
        if let Some(statements) = policy["Statement"].as_sequence() {
            for statement in statements {
                // `!If [condition, statement, !Ref AWS::NoValue]`: the statement it may add.
                let statement = match statement {
                    Value::Tagged(t) if t.tag == "!If" => t.value.get(1).unwrap_or(&Value::Null),
                    s => s,
                };
                if statement["Effect"].as_str() != Some("Allow") {
                    continue;
                }
                match &statement["Action"] {
                    Value::String(a) => {
                        actions.insert(a.clone());
                    }
                    Value::Sequence(list) => {
                        actions.extend(list.iter().filter_map(Value::as_str).map(str::to_owned))
                    }
                    other => return Err(format!("{function_id}: unreadable Action {other:?}")),
                }
            }
            continue;
        }
        let name = match policy {
            Value::Mapping(m) if m.len() == 1 => m.keys().next().and_then(Value::as_str),
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
    let template = Template::load();
    let mut violations = Vec::new();
    let functions = template.resources("AWS::Serverless::Function");
    for (id, function) in &functions {
        let binary = function["Metadata"]["BuildProperties"]["Binary"]
            .as_str()
            .unwrap_or_default();
        let granted = match granted_actions(id, function) {
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
        needed.extend(granted_for_platform(function));
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
