//! Creates the template's resources in moto, in dependency order, and records what each
//! exposes to `Ref` / `Fn::GetAtt` so later resources and the functions resolve to them.

pub mod cognito;
pub mod dynamodb;
mod messaging;
pub mod props;

use crate::template::intrinsics::{self, random_id, ACCOUNT_ID, PARTITION, REGION, STACK_NAME};
use crate::template::{Context, Outputs, Resource, Template};
use anyhow::{anyhow, bail, Context as _, Result};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// SDK clients pointed at the endpoint the stack is provisioned into.
#[derive(Clone, Debug)]
pub struct Clients {
    pub dynamodb: aws_sdk_dynamodb::Client,
    pub streams: aws_sdk_dynamodbstreams::Client,
    pub sns: aws_sdk_sns::Client,
    pub sqs: aws_sdk_sqs::Client,
    pub cognito: aws_sdk_cognitoidentityprovider::Client,
}

impl Clients {
    pub fn new(config: &aws_config::SdkConfig) -> Clients {
        Clients {
            dynamodb: aws_sdk_dynamodb::Client::new(config),
            streams: aws_sdk_dynamodbstreams::Client::new(config),
            sns: aws_sdk_sns::Client::new(config),
            sqs: aws_sdk_sqs::Client::new(config),
            cognito: aws_sdk_cognitoidentityprovider::Client::new(config),
        }
    }
}

/// How the local cloud handles one resource type.
struct TypeSupport {
    type_: &'static str,
    /// Properties that are created in moto.
    supported: &'static [&'static str],
    /// Properties accepted with no local effect (encryption, backups, tags, ...).
    ignored: &'static [&'static str],
}

/// Types whose resources exist only for monitoring, permissions or deployment in AWS,
/// or host the storefront (the devstack serves `web/` itself); locally they are recorded
/// (so references to them resolve) and otherwise skipped.
const NO_OP_TYPES: &[&str] = &[
    "AWS::S3::Bucket",
    "AWS::S3::BucketPolicy",
    "AWS::CloudFront::Distribution",
    "AWS::CloudFront::OriginAccessControl",
    "AWS::CloudFront::ResponseHeadersPolicy",
    "AWS::Logs::LogGroup",
    "AWS::Logs::MetricFilter",
    "AWS::SQS::QueuePolicy",
    "AWS::SNS::TopicPolicy",
    "AWS::IAM::Role",
    "AWS::IAM::Policy",
    "AWS::IAM::ManagedPolicy",
    "AWS::CloudWatch::Alarm",
    "AWS::CloudWatch::CompositeAlarm",
    "AWS::CloudWatch::Dashboard",
    "AWS::XRay::Group",
    "AWS::XRay::SamplingRule",
    "AWS::Lambda::Permission",
];

// Handled outside this module: functions are started, APIs served by the REST front.
pub use crate::views::{SERVERLESS_API, SERVERLESS_FUNCTION};

const TYPES: &[TypeSupport] = &[
    TypeSupport {
        type_: "AWS::DynamoDB::Table",
        supported: &[
            "TableName",
            "AttributeDefinitions",
            "KeySchema",
            "GlobalSecondaryIndexes",
            "LocalSecondaryIndexes",
            "BillingMode",
            "ProvisionedThroughput",
            "StreamSpecification",
            "TimeToLiveSpecification",
        ],
        ignored: &[
            "PointInTimeRecoverySpecification",
            "SSESpecification",
            "Tags",
            "DeletionProtectionEnabled",
            "ContributorInsightsSpecification",
            "TableClass",
            "OnDemandThroughput",
            "WarmThroughput",
        ],
    },
    TypeSupport {
        type_: "AWS::SNS::Topic",
        supported: &[
            "TopicName",
            "FifoTopic",
            "ContentBasedDeduplication",
            "DisplayName",
            "Subscription",
        ],
        ignored: &[
            "KmsMasterKeyId",
            "Tags",
            "TracingConfig",
            "SignatureVersion",
            "ArchivePolicy",
            "DataProtectionPolicy",
            "DeliveryStatusLogging",
        ],
    },
    TypeSupport {
        type_: "AWS::SQS::Queue",
        supported: &[
            "QueueName",
            "VisibilityTimeout",
            "MessageRetentionPeriod",
            "DelaySeconds",
            "MaximumMessageSize",
            "ReceiveMessageWaitTimeSeconds",
            "RedrivePolicy",
            "RedriveAllowPolicy",
            "FifoQueue",
            "ContentBasedDeduplication",
            "DeduplicationScope",
            "FifoThroughputLimit",
        ],
        ignored: &[
            "SqsManagedSseEnabled",
            "KmsMasterKeyId",
            "KmsDataKeyReusePeriodSeconds",
            "Tags",
        ],
    },
    TypeSupport {
        type_: "AWS::SNS::Subscription",
        supported: &[
            "TopicArn",
            "Protocol",
            "Endpoint",
            "RawMessageDelivery",
            "FilterPolicy",
            "FilterPolicyScope",
            "RedrivePolicy",
        ],
        ignored: &[
            "Region",
            "DeliveryPolicy",
            "SubscriptionRoleArn",
            "ReplayPolicy",
        ],
    },
    TypeSupport {
        type_: "AWS::Cognito::UserPool",
        supported: &[
            "UserPoolName",
            "UsernameAttributes",
            "AliasAttributes",
            "AutoVerifiedAttributes",
            "UsernameConfiguration",
            "Policies",
            "Schema",
            "AccountRecoverySetting",
            "MfaConfiguration",
            "AdminCreateUserConfig",
        ],
        ignored: &[
            "UserPoolTags",
            "EmailConfiguration",
            "VerificationMessageTemplate",
            "EmailVerificationMessage",
            "EmailVerificationSubject",
            "SmsAuthenticationMessage",
            "SmsVerificationMessage",
            "SmsConfiguration",
            "DeviceConfiguration",
            "DeletionProtection",
            "UserPoolAddOns",
            "UserAttributeUpdateSettings",
            "UserPoolTier",
            "EnabledMfas",
        ],
    },
    TypeSupport {
        type_: "AWS::Cognito::UserPoolClient",
        supported: &[
            "UserPoolId",
            "ClientName",
            "GenerateSecret",
            "ExplicitAuthFlows",
            "PreventUserExistenceErrors",
            "EnableTokenRevocation",
            "AccessTokenValidity",
            "IdTokenValidity",
            "RefreshTokenValidity",
            "TokenValidityUnits",
            "ReadAttributes",
            "WriteAttributes",
            "AuthSessionValidity",
        ],
        // The hosted UI / OAuth flows do not exist locally.
        ignored: &[
            "AllowedOAuthFlows",
            "AllowedOAuthScopes",
            "AllowedOAuthFlowsUserPoolClient",
            "CallbackURLs",
            "LogoutURLs",
            "DefaultRedirectURI",
            "SupportedIdentityProviders",
            "AnalyticsConfiguration",
            "EnablePropagateAdditionalUserContextData",
        ],
    },
    TypeSupport {
        type_: "AWS::Cognito::UserPoolGroup",
        supported: &["UserPoolId", "GroupName", "Description", "Precedence"],
        ignored: &["RoleArn"],
    },
];

/// Fails fast (before moto starts) on anything in the template the local cloud cannot
/// run, naming the logical id.
pub fn check_supported(template: &Template) -> Result<()> {
    for r in &template.resources {
        let t = r.type_.as_str();
        if t == SERVERLESS_FUNCTION || t == SERVERLESS_API || NO_OP_TYPES.contains(&t) {
            continue;
        }
        let Some(support) = TYPES.iter().find(|s| s.type_ == t) else {
            bail!(
                "resource {} has type {t}, which the local cloud cannot run (supported: {}, {}, {}, {})",
                r.logical_id,
                TYPES.iter().map(|s| s.type_).collect::<Vec<_>>().join(", "),
                SERVERLESS_FUNCTION,
                SERVERLESS_API,
                NO_OP_TYPES.join(", ")
            );
        };
        let Some(props) = r.properties.as_object() else {
            bail!("resource {}: Properties is not a mapping", r.logical_id);
        };
        for k in props.keys() {
            if !support.supported.contains(&k.as_str()) && !support.ignored.contains(&k.as_str()) {
                bail!(
                    "resource {} ({t}): property {k} is not supported by the local cloud",
                    r.logical_id
                );
            }
        }
    }
    Ok(())
}

/// Whether the resource exists in this run (its Condition, if any, is true).
pub fn is_enabled(ctx: &Context, r: &Resource) -> Result<bool> {
    match &r.condition {
        None => Ok(true),
        Some(c) => ctx
            .condition(c)
            .with_context(|| format!("resource {}: Condition {c}", r.logical_id)),
    }
}

fn lambda_arn(name: &str) -> String {
    format!("arn:{PARTITION}:lambda:{REGION}:{ACCOUNT_ID}:function:{name}")
}

/// Records functions and APIs first: they are created last (they need everything else)
/// but other resources refer to them (log groups named after functions, for example).
pub fn register_serverless(template: &Template, ctx: &mut Context) -> Result<()> {
    for r in &template.resources {
        if !is_enabled(ctx, r)? {
            continue;
        }
        match r.type_.as_str() {
            SERVERLESS_FUNCTION => {
                let name = function_name(r);
                // `Version.Version` is what SAM gives `!GetAtt Fn.Version.Version` (the version
                // AutoPublishAlias published, named in deployment alarms); locally every
                // function runs as $LATEST.
                ctx.resources.insert(
                    r.logical_id.clone(),
                    Outputs::new(SERVERLESS_FUNCTION, name.clone())
                        .with("Arn", lambda_arn(&name))
                        .with("Version.Version", "$LATEST".to_owned()),
                );
                // SAM's implicit execution role, which templates may reference.
                let role = format!("{}Role", r.logical_id);
                if !ctx.declared.contains(&role) {
                    let role_name = format!("{STACK_NAME}-{role}");
                    ctx.declared.insert(role.clone());
                    ctx.resources.insert(
                        role,
                        Outputs::new("AWS::IAM::Role", role_name.clone())
                            .with(
                                "Arn",
                                format!("arn:{PARTITION}:iam::{ACCOUNT_ID}:role/{role_name}"),
                            )
                            .with("RoleId", random_id(21)?.to_uppercase()),
                    );
                }
            }
            SERVERLESS_API => {
                let id = random_id(10)?;
                ctx.resources.insert(
                    r.logical_id.clone(),
                    Outputs::new(SERVERLESS_API, id).with("RootResourceId", random_id(10)?),
                );
            }
            _ => {}
        }
    }
    Ok(())
}

/// The function's name: a literal FunctionName, else its logical id (what the
/// Lambda environment reports as AWS_LAMBDA_FUNCTION_NAME locally).
pub fn function_name(r: &Resource) -> String {
    r.properties
        .get("FunctionName")
        .and_then(Value::as_str)
        .map_or_else(|| r.logical_id.clone(), str::to_owned)
}

/// Non-serverless resources in an order where every resource comes after the
/// resources it references (Ref, Fn::GetAtt, Fn::Sub, DependsOn); template order
/// breaks ties.
pub fn creation_order<'t>(template: &'t Template, ctx: &Context) -> Result<Vec<&'t Resource>> {
    let mut todo: Vec<&Resource> = Vec::new();
    for r in &template.resources {
        if r.type_ != SERVERLESS_FUNCTION && r.type_ != SERVERLESS_API && is_enabled(ctx, r)? {
            todo.push(r);
        }
    }
    let ids: BTreeSet<&str> = todo.iter().map(|r| r.logical_id.as_str()).collect();
    let mut deps: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    for r in &todo {
        let mut refs = BTreeSet::new();
        intrinsics::references(&r.properties, &mut refs);
        refs.extend(r.depends_on.iter().cloned());
        refs.retain(|x| ids.contains(x.as_str()));
        refs.remove(&r.logical_id);
        deps.insert(r.logical_id.as_str(), refs);
    }
    let mut done: BTreeSet<String> = BTreeSet::new();
    let mut out = Vec::new();
    while !todo.is_empty() {
        let pos = todo
            .iter()
            .position(|r| deps[r.logical_id.as_str()].iter().all(|d| done.contains(d)));
        let Some(pos) = pos else {
            let stuck: Vec<&str> = todo.iter().map(|r| r.logical_id.as_str()).collect();
            bail!(
                "circular references between resources: {}",
                stuck.join(", ")
            );
        };
        let r = todo.remove(pos);
        done.insert(r.logical_id.clone());
        out.push(r);
    }
    Ok(out)
}

/// Creates every non-serverless resource in moto and records its outputs in `ctx`.
pub async fn provision_all(
    template: &Template,
    ctx: &mut Context,
    clients: &Clients,
) -> Result<()> {
    for r in creation_order(template, ctx)? {
        let outputs = provision_one(r, ctx, clients)
            .await
            .with_context(|| format!("creating resource {} ({})", r.logical_id, r.type_))?;
        tracing::debug!(resource = %r.logical_id, r#ref = %outputs.ref_, "created");
        ctx.resources.insert(r.logical_id.clone(), outputs);
    }
    Ok(())
}

async fn provision_one(r: &Resource, ctx: &Context, clients: &Clients) -> Result<Outputs> {
    let props = ctx.resolve(&r.properties)?;
    let id = r.logical_id.as_str();
    match r.type_.as_str() {
        "AWS::DynamoDB::Table" => dynamodb::create_table(id, &props, &clients.dynamodb).await,
        "AWS::SNS::Topic" => messaging::create_topic(id, &props, clients).await,
        "AWS::SQS::Queue" => messaging::create_queue(id, &props, clients).await,
        "AWS::SNS::Subscription" => messaging::create_subscription(&props, clients).await,
        "AWS::Cognito::UserPool" => cognito::create_user_pool(id, &props, &clients.cognito).await,
        "AWS::Cognito::UserPoolClient" => {
            cognito::create_client(id, &props, &clients.cognito).await
        }
        "AWS::Cognito::UserPoolGroup" => cognito::create_group(id, &props, &clients.cognito).await,
        t if NO_OP_TYPES.contains(&t) => Ok(no_op_outputs(id, t, &props)),
        t => Err(anyhow!(
            "resource {id} has type {t}, which the local cloud cannot run"
        )),
    }
}

/// What no-op resources expose: a name-like Ref and an ARN, as close to AWS as is cheap.
fn no_op_outputs(id: &str, type_: &str, props: &Value) -> Outputs {
    let generated = format!("{STACK_NAME}-{id}");
    let s = |k: &str| props.get(k).and_then(Value::as_str).map(str::to_owned);
    match type_ {
        "AWS::Logs::LogGroup" => {
            let name = s("LogGroupName").unwrap_or(generated);
            let arn = format!("arn:{PARTITION}:logs:{REGION}:{ACCOUNT_ID}:log-group:{name}:*");
            Outputs::new(type_, name).with("Arn", arn)
        }
        "AWS::IAM::Role" => {
            let name = s("RoleName").unwrap_or(generated);
            let arn = format!("arn:{PARTITION}:iam::{ACCOUNT_ID}:role/{name}");
            Outputs::new(type_, name).with("Arn", arn)
        }
        "AWS::IAM::ManagedPolicy" => {
            let name = s("ManagedPolicyName").unwrap_or(generated);
            Outputs::new(
                type_,
                format!("arn:{PARTITION}:iam::{ACCOUNT_ID}:policy/{name}"),
            )
        }
        "AWS::CloudWatch::Alarm" | "AWS::CloudWatch::CompositeAlarm" => {
            let name = s("AlarmName").unwrap_or(generated);
            let arn = format!("arn:{PARTITION}:cloudwatch:{REGION}:{ACCOUNT_ID}:alarm:{name}");
            Outputs::new(type_, name).with("Arn", arn)
        }
        "AWS::S3::Bucket" => {
            let name = s("BucketName").unwrap_or_else(|| generated.to_lowercase());
            Outputs::new(type_, name.clone())
                .with("Arn", format!("arn:{PARTITION}:s3:::{name}"))
                .with(
                    "RegionalDomainName",
                    format!("{name}.s3.{REGION}.amazonaws.com"),
                )
        }
        "AWS::CloudFront::Distribution" => {
            let id = format!("E{}", id.to_uppercase());
            Outputs::new(type_, id.clone()).with("DomainName", format!("{id}.cloudfront.net"))
        }
        "AWS::CloudFront::OriginAccessControl" | "AWS::CloudFront::ResponseHeadersPolicy" => {
            Outputs::new(type_, generated.clone()).with("Id", generated)
        }
        _ => Outputs::new(type_, generated),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::template::intrinsics::resolve_parameters;

    #[test]
    fn real_template_is_supported_and_ordered() {
        let t = Template::workspace();
        check_supported(&t).unwrap();
        let params = resolve_parameters(&t, &BTreeMap::new()).unwrap();
        let mut ctx = Context::new(&t, params);
        register_serverless(&t, &mut ctx).unwrap();
        let order: Vec<&str> = creation_order(&t, &ctx)
            .unwrap()
            .iter()
            .map(|r| r.logical_id.as_str())
            .collect();
        let pos = |id: &str| order.iter().position(|x| *x == id).unwrap();
        assert!(pos("UserPool") < pos("UserPoolClient"));
        assert!(pos("UserPool") < pos("AdminGroup"));
        assert!(!order.contains(&"UsersApiFunction") && !order.contains(&"Api"));
        assert!(order.contains(&"UsersOutboxFailuresQueue"));
    }

    #[test]
    fn unsupported_type_and_property_name_the_resource() {
        let t = Template::parse("Resources:\n  Thing:\n    Type: AWS::EC2::Instance\n").unwrap();
        let e = check_supported(&t).unwrap_err().to_string();
        assert!(
            e.contains("Thing") && e.contains("AWS::EC2::Instance"),
            "{e}"
        );
        let t = Template::parse(
            "Resources:\n  Q:\n    Type: AWS::SQS::Queue\n    Properties: {Bogus: 1}\n",
        )
        .unwrap();
        let e = check_supported(&t).unwrap_err().to_string();
        assert!(e.contains("resource Q") && e.contains("Bogus"), "{e}");
    }

    #[test]
    fn cycles_are_reported() {
        let t = Template::parse(
            "Resources:\n  A:\n    Type: AWS::SQS::Queue\n    DependsOn: B\n  B:\n    Type: AWS::SQS::Queue\n    Properties: {QueueName: !GetAtt A.QueueName}\n",
        )
        .unwrap();
        let ctx = Context::new(&t, BTreeMap::new());
        let e = creation_order(&t, &ctx).unwrap_err().to_string();
        assert!(e.contains("circular"), "{e}");
    }
}
