//! Shared test fixtures: the real template, resolved against fake resources or a real moto.

use stack_model::provision::register_serverless;
use stack_model::template::intrinsics::resolve_parameters;
use stack_model::template::{Context, Outputs, Template};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

pub fn real_template() -> Template {
    Template::load(&workspace().join("template.yaml")).unwrap()
}

pub const POOL_ID: &str = "us-east-1_abc";
pub const CLIENT_ID: &str = "client123";

/// The real template with every resource it needs "provisioned" as fixed fakes.
pub fn fake_ctx(t: &Template) -> Context {
    let params = resolve_parameters(t, &BTreeMap::new()).unwrap();
    let mut ctx = Context::new(t, params);
    register_serverless(t, &mut ctx).unwrap();
    let r = &mut ctx.resources;
    // Every table, topic and queue as a fake named after its logical id.
    for res in &t.resources {
        let id = res.logical_id.as_str();
        let outputs = match res.type_.as_str() {
            "AWS::DynamoDB::Table" => {
                let arn = format!("arn:aws:dynamodb:us-east-1:123456789012:table/crabcart-{id}");
                Outputs::new("AWS::DynamoDB::Table", format!("crabcart-{id}"))
                    .with("Arn", arn.clone())
                    .with("StreamArn", format!("{arn}/stream/x"))
            }
            "AWS::SNS::Topic" => Outputs::new(
                "AWS::SNS::Topic",
                format!("arn:aws:sns:us-east-1:123456789012:{id}"),
            )
            .with("TopicName", id),
            "AWS::SQS::Queue" => Outputs::new("AWS::SQS::Queue", format!("http://q/{id}"))
                .with("Arn", format!("arn:aws:sqs:us-east-1:123456789012:{id}"))
                .with("QueueName", id),
            _ => continue,
        };
        r.insert(id.into(), outputs);
    }
    r.insert(
        "UserPool".into(),
        Outputs::new("AWS::Cognito::UserPool", POOL_ID).with(
            "Arn",
            format!("arn:aws:cognito-idp:us-east-1:123456789012:userpool/{POOL_ID}"),
        ),
    );
    r.insert(
        "UserPoolClient".into(),
        Outputs::new("AWS::Cognito::UserPoolClient", CLIENT_ID).with("UserPoolId", POOL_ID),
    );
    r.insert(
        "AdminGroup".into(),
        Outputs::new("AWS::Cognito::UserPoolGroup", "admin").with("UserPoolId", POOL_ID),
    );
    r.insert(
        "ApiAccessLogGroup".into(),
        Outputs::new("AWS::Logs::LogGroup", "g").with("Arn", "arn:g"),
    );
    ctx
}

/// The project venv's python, for tests that run a real moto.
pub fn venv_python() -> PathBuf {
    let p = workspace().join(".venv/bin/python");
    assert!(
        p.is_file(),
        "{} is missing: run `make venv` (or the devstack once) first",
        p.display()
    );
    p
}
