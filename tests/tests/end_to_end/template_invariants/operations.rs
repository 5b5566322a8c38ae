//! The operating promises, on the template itself: gradual deploys rolled back by
//! alarms, the alarms an operator needs, all routed to one topic, and a dashboard per
//! service.

use e2e::template::{assert_none, sub_text, target, Template};
use serde_json::Value;

const ALIAS: &str = "live";
const DEPLOYMENT: &str = "Canary10Percent5Minutes";
const ALARM: &str = "AWS::CloudWatch::Alarm";

/// One alarm, reduced to what these checks compare.
struct Alarm<'a> {
    id: String,
    props: &'a Value,
}

impl Alarm<'_> {
    fn is(&self, namespace: &str, metric: &str) -> bool {
        self.props["Namespace"].as_str() == Some(namespace)
            && self.props["MetricName"].as_str() == Some(metric)
    }

    /// The logical id the dimension `name` points at (`!Ref X`, `!GetAtt X.Y`, `!Sub ${X}...`).
    fn dimension_target(&self, name: &str) -> Option<&str> {
        let value = &self.dimension(name)?["Value"];
        target(value).or_else(|| {
            sub_text(value)
                .and_then(|s| s.strip_prefix("${"))
                .and_then(|s| s.split(['}', '.']).next())
        })
    }

    fn dimension(&self, name: &str) -> Option<&Value> {
        self.props["Dimensions"]
            .as_array()?
            .iter()
            .find(|d| d["Name"].as_str() == Some(name))
    }

    /// Fires on any datapoint above zero.
    fn fires_above_zero(&self) -> bool {
        self.props["Threshold"].as_f64() == Some(0.0)
            && self.props["ComparisonOperator"].as_str() == Some("GreaterThanThreshold")
    }
}

fn alarms(template: &Template) -> Vec<Alarm<'_>> {
    template
        .resources_of(ALARM)
        .map(|r| Alarm {
            id: r.logical_id.clone(),
            props: &r.properties,
        })
        .collect()
}

fn functions(template: &Template) -> Vec<String> {
    template
        .resources_of("AWS::Serverless::Function")
        .map(|r| r.logical_id.clone())
        .collect()
}

/// The alarm on one of a function's Lambda metrics, if there is one.
fn function_alarm<'a>(
    alarms: &'a [Alarm<'a>],
    function: &str,
    metric: &str,
) -> Option<&'a Alarm<'a>> {
    alarms.iter().find(|a| {
        a.is("AWS/Lambda", metric) && a.dimension_target("FunctionName") == Some(function)
    })
}

/// Whether a function sets `own` to something other than the Globals' `global`.
fn overrides(own: &Value, global: &str) -> bool {
    !own.is_null() && own.as_str() != Some(global)
}

/// The ApiName every API metric of the stack carries: the Api's own Name.
fn api_name(template: &Template) -> String {
    let api = template
        .resources_of("AWS::Serverless::Api")
        .next()
        .expect("the template has an API");
    sub_text(&api.properties["Name"])
        .expect("the API has a Name (`!Sub ...`), so alarms and dashboards can name it")
        .to_owned()
}

fn api_alarm<'a>(
    template: &Template,
    alarms: &'a [Alarm<'a>],
    metric: &str,
) -> Option<&'a Alarm<'a>> {
    let name = api_name(template);
    alarms.iter().find(|a| {
        a.is("AWS/ApiGateway", metric)
            && a.dimension("ApiName").and_then(|d| sub_text(&d["Value"])) == Some(name.as_str())
    })
}

#[test]
fn every_function_deploys_by_canary_through_its_alias_rolled_back_by_its_errors_and_the_api_5xx() {
    let template = Template::workspace();
    let globals = &template.globals_function;
    assert_eq!(globals["AutoPublishAlias"].as_str(), Some(ALIAS));
    assert_eq!(
        globals["DeploymentPreference"]["Type"].as_str(),
        Some(DEPLOYMENT)
    );
    let alarms = alarms(&template);
    let api_5xx = api_alarm(&template, &alarms, "5XXError").map(|a| a.id.clone());
    let mut violations = Vec::new();
    if api_5xx.is_none() {
        violations.push("no alarm on the API's 5XXError".to_owned());
    }
    for id in functions(&template) {
        let props = &template.resource(&id).expect("function").properties;
        if overrides(&props["AutoPublishAlias"], ALIAS) {
            violations.push(format!(
                "{id}: AutoPublishAlias overrides the Globals' {ALIAS}"
            ));
        }
        if overrides(&props["DeploymentPreference"]["Type"], DEPLOYMENT) {
            violations.push(format!(
                "{id}: DeploymentPreference overrides the Globals' {DEPLOYMENT}"
            ));
        }
        let rollback: Vec<String> = props["DeploymentPreference"]["Alarms"]
            .as_array()
            .map(|s| s.iter().filter_map(target).map(str::to_owned).collect())
            .unwrap_or_default();
        match function_alarm(&alarms, &id, "Errors") {
            None => violations.push(format!("{id}: no alarm on its Errors")),
            Some(errors) => {
                if !rollback.contains(&errors.id) {
                    violations.push(format!(
                        "{id}: {} does not roll its deployment back",
                        errors.id
                    ));
                }
                // The canary's own version: the alias's metrics per executed version.
                if errors.dimension_target("ExecutedVersion") != Some(id.as_str())
                    || errors.dimension_target("Resource") != Some(id.as_str())
                {
                    violations.push(format!(
                        "{}: not on {id}'s alias and published version (Resource, ExecutedVersion)",
                        errors.id
                    ));
                }
            }
        }
        if let Some(api_5xx) = &api_5xx {
            if !rollback.contains(api_5xx) {
                violations.push(format!("{id}: {api_5xx} does not roll its deployment back"));
            }
        }
    }
    assert_none("gradual deployments", violations);
}

#[test]
fn every_alarm_notifies_the_alarm_topic() {
    let template = Template::workspace();
    assert!(
        template.is("AlarmTopic", "AWS::SNS::Topic"),
        "AlarmTopic is a topic"
    );
    assert_eq!(
        template
            .outputs
            .get("AlarmTopicArn")
            .and_then(|o| target(&o["Value"])),
        Some("AlarmTopic"),
        "the topic is an output, for subscribing on-call tools"
    );
    let alarms = alarms(&template);
    assert!(!alarms.is_empty());
    let mut violations = Vec::new();
    for alarm in &alarms {
        let notifies = alarm.props["AlarmActions"]
            .as_array()
            .is_some_and(|a| a.iter().any(|t| target(t) == Some("AlarmTopic")));
        if !notifies {
            violations.push(format!("{}: AlarmActions lacks AlarmTopic", alarm.id));
        }
    }
    assert_none("alarm actions", violations);
}

#[test]
fn the_api_alarms_on_its_5xx_rate_and_p99_latency() {
    let template = Template::workspace();
    let alarms = alarms(&template);
    let errors = api_alarm(&template, &alarms, "5XXError").expect("an alarm on the API's 5XXError");
    // 5XXError is 0 or 1 per request: its average is the rate.
    assert_eq!(
        errors.props["Statistic"].as_str(),
        Some("Average"),
        "{}",
        errors.id
    );
    assert!(
        errors.props["Threshold"]
            .as_f64()
            .is_some_and(|t| t > 0.0 && t < 1.0),
        "{}: a rate threshold between 0 and 1",
        errors.id
    );
    let latency = api_alarm(&template, &alarms, "Latency").expect("an alarm on the API's Latency");
    assert_eq!(
        latency.props["ExtendedStatistic"].as_str(),
        Some("p99"),
        "{}",
        latency.id
    );
}

#[test]
fn every_function_alarms_on_errors_and_throttles_and_every_stream_consumer_on_iterator_age() {
    let template = Template::workspace();
    let alarms = alarms(&template);
    let mut violations = Vec::new();
    let on = |function: &str, metric: &str| function_alarm(&alarms, function, metric).is_some();
    for id in functions(&template) {
        for metric in ["Errors", "Throttles"] {
            if !on(&id, metric) {
                violations.push(format!("{id}: no alarm on {metric}"));
            }
        }
    }
    let stream_consumers = template.function_events("DynamoDB");
    assert!(!stream_consumers.is_empty());
    for consumer in stream_consumers {
        let id = consumer.function;
        if !on(&id, "IteratorAge") {
            violations.push(format!("{id}: no alarm on IteratorAge"));
        }
    }
    assert_none("function alarms", violations);
}

/// Every queue that receives what could not be handled: SQS redrive targets and stream
/// OnFailure destinations.
fn dead_letter_queues(template: &Template) -> Vec<String> {
    let mut queues: Vec<String> = template
        .resources_of("AWS::SQS::Queue")
        .filter_map(|q| target(&q.properties["RedrivePolicy"]["deadLetterTargetArn"]))
        .map(str::to_owned)
        .collect();
    for event in template.function_events("DynamoDB") {
        if let Some(q) = target(&event.properties["DestinationConfig"]["OnFailure"]["Destination"])
        {
            queues.push(q.to_owned());
        }
    }
    queues.sort();
    queues.dedup();
    queues
}

#[test]
fn every_dead_letter_queue_alarms_on_its_first_message() {
    let template = Template::workspace();
    let alarms = alarms(&template);
    let queues = dead_letter_queues(&template);
    assert!(
        queues.len() >= 8,
        "four service DLQs and four outbox failure queues: {queues:?}"
    );
    let mut violations = Vec::new();
    for queue in queues {
        let alarmed = alarms.iter().any(|a| {
            a.is("AWS/SQS", "ApproximateNumberOfMessagesVisible")
                && a.dimension_target("QueueName") == Some(queue.as_str())
                && a.fires_above_zero()
        });
        if !alarmed {
            violations.push(format!("{queue}: no alarm on depth > 0"));
        }
    }
    assert_none("dead-letter queue alarms", violations);
}

#[test]
fn functions_and_the_api_are_traced_with_x_ray() {
    let template = Template::workspace();
    assert_eq!(
        template.globals_function["Tracing"].as_str(),
        Some("Active")
    );
    let mut violations = Vec::new();
    for id in functions(&template) {
        let own = &template.resource(&id).expect("function").properties["Tracing"];
        if overrides(own, "Active") {
            violations.push(format!("{id}: Tracing {own:?}"));
        }
    }
    for api in template.resources_of("AWS::Serverless::Api") {
        if template.effective_properties(api)["TracingEnabled"].as_bool() != Some(true) {
            violations.push(format!("{}: TracingEnabled is not true", api.logical_id));
        }
    }
    assert_none("X-Ray tracing", violations);
}

/// A dashboard body with every `${...}` of its `!Sub` replaced, parsed as JSON.
fn dashboard_json(text: &str) -> serde_json::Value {
    let mut plain = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        plain.push_str(&rest[..start]);
        let end = rest[start..].find('}').expect("a closed ${...}") + start;
        plain.push_str("sub");
        rest = &rest[end + 1..];
    }
    plain.push_str(rest);
    serde_json::from_str(&plain).expect("DashboardBody is JSON once substituted")
}

#[test]
fn every_service_has_a_dashboard_of_its_functions_queues_and_business_metrics() {
    let template = Template::workspace();
    // A service is what owns a table.
    let services: Vec<String> = template
        .resources_of("AWS::DynamoDB::Table")
        .map(|t| t.logical_id.trim_end_matches("Table").to_owned())
        .collect();
    assert_eq!(services.len(), 5, "{services:?}");
    let mut violations = Vec::new();
    for service in services {
        let id = format!("{service}Dashboard");
        let Some(dashboard) = template
            .resource(&id)
            .filter(|_| template.is(&id, "AWS::CloudWatch::Dashboard"))
        else {
            violations.push(format!("{service}: no dashboard {id}"));
            continue;
        };
        let body = sub_text(&dashboard.properties["DashboardBody"]).unwrap_or_default();
        let widgets = dashboard_json(body)["widgets"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        if widgets.is_empty() {
            violations.push(format!("{id}: no widgets"));
        }
        let own = |kind: &str| -> Vec<String> {
            template
                .resources_of(kind)
                .map(|r| r.logical_id.clone())
                .filter(|id| id.starts_with(&service))
                .collect()
        };
        for function in own("AWS::Serverless::Function") {
            if !body.contains(&format!("\"${{{function}}}\"")) {
                violations.push(format!("{id}: does not graph {function}"));
            }
        }
        for queue in own("AWS::SQS::Queue") {
            if !body.contains(&format!("\"${{{queue}.QueueName}}\"")) {
                violations.push(format!("{id}: does not graph {queue}"));
            }
        }
    }
    assert_none("dashboards", violations);
}
