//! Where the stack runs, and how a template logical id becomes a queue URL there: the
//! local cloud names queues as the devstack does, AWS asks CloudFormation.

use crate::cli::TargetArgs;
use crate::error::Error;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_sqs::error::SdkError;
use aws_sdk_sqs::operation::get_queue_url::GetQueueUrlError;
use stack_model::template::intrinsics::{REGION as LOCAL_REGION, STACK_NAME as LOCAL_STACK};
use std::collections::HashMap;
use std::path::Path;

/// Where the stack runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// The local cloud (`make dev`): moto at `endpoint`.
    Local {
        /// moto's URL, what the devstack prints as "moto (AWS endpoint)".
        endpoint: String,
    },
    /// A CloudFormation stack, reached with the standard credential chain.
    Aws {
        /// The stack's name.
        stack: String,
        /// AWS profile, else the chain's default.
        profile: Option<String>,
        /// Region, else the chain's default.
        region: Option<String>,
        /// Endpoint override (for all services).
        endpoint: Option<String>,
    },
}

impl Target {
    /// The target the command line asks for; for `--local` without `--endpoint-url`, the
    /// endpoint is read from the devstack's state file.
    pub fn from_args(args: &TargetArgs) -> Result<Target, Error> {
        if !args.local {
            return Ok(Target::Aws {
                stack: args.stack.clone(),
                profile: args.profile.clone(),
                region: args.region.clone(),
                endpoint: args.endpoint_url.clone(),
            });
        }
        let endpoint = match &args.endpoint_url {
            Some(url) => url.clone(),
            None => moto_url_of(&args.state_file)?,
        };
        Ok(Target::Local { endpoint })
    }
}

/// The `moto_url` of a devstack state file.
fn moto_url_of(state_file: &Path) -> Result<String, Error> {
    let text = std::fs::read_to_string(state_file).map_err(|e| {
        Error::NoEndpoint(format!(
            "cannot read the devstack's state file {} ({e}); pass --endpoint-url <the \"moto (AWS endpoint)\" make dev prints>, or start it with make dev DEVSTACK_ARGS=\"--state-file {}\"",
            state_file.display(),
            state_file.display()
        ))
    })?;
    let state: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| Error::NoEndpoint(format!("{} is not JSON: {e}", state_file.display())))?;
    state
        .get("moto_url")
        .and_then(serde_json::Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| Error::NoEndpoint(format!("{} has no moto_url", state_file.display())))
}

/// A target connected to: an SQS client and where the stack's queues are.
#[derive(Debug, Clone)]
pub struct Stack {
    /// SQS in the target.
    pub sqs: aws_sdk_sqs::Client,
    /// "stack crabcart-dev (eu-west-1)" or "the local cloud at http://...", for reports.
    pub description: String,
    queues: Locator,
}

#[derive(Debug, Clone)]
enum Locator {
    /// The devstack names a queue `<STACK_NAME>-<LogicalId>`.
    Devstack,
    /// Logical id -> queue URL, from the stack's resources.
    Listed(HashMap<String, String>),
}

impl Stack {
    /// Connects to the target: builds the SDK config and, in AWS, lists the stack's queues.
    pub async fn connect(target: &Target) -> Result<Stack, Error> {
        match target {
            Target::Local { endpoint } => Ok(Stack::local(&local_config(endpoint).await, endpoint)),
            Target::Aws {
                stack,
                profile,
                region,
                endpoint,
            } => {
                let config =
                    aws_config(profile.as_deref(), region.as_deref(), endpoint.as_deref()).await?;
                Stack::aws(&config, stack).await
            }
        }
    }

    /// The local cloud at `endpoint`, through `config`.
    pub fn local(config: &SdkConfig, endpoint: &str) -> Stack {
        Stack {
            sqs: aws_sdk_sqs::Client::new(config),
            description: format!("the local cloud at {endpoint}"),
            queues: Locator::Devstack,
        }
    }

    /// The CloudFormation stack `stack`, through `config`: lists its queues.
    pub async fn aws(config: &SdkConfig, stack: &str) -> Result<Stack, Error> {
        let region = config.region().map(|r| r.to_string()).unwrap_or_default();
        let cloudformation = aws_sdk_cloudformation::Client::new(config);
        Ok(Stack {
            sqs: aws_sdk_sqs::Client::new(config),
            description: format!("stack {stack} ({region})"),
            queues: Locator::Listed(stack_queues(&cloudformation, stack).await?),
        })
    }

    /// The URL of the queue with this logical id.
    pub async fn queue_url(&self, logical_id: &str) -> Result<String, Error> {
        let not_in_stack = || Error::NotInStack {
            target: self.description.clone(),
            logical_id: logical_id.to_owned(),
        };
        match &self.queues {
            Locator::Listed(urls) => urls.get(logical_id).cloned().ok_or_else(not_in_stack),
            Locator::Devstack => {
                let name = local_queue_name(logical_id);
                match self.sqs.get_queue_url().queue_name(&name).send().await {
                    Ok(out) => out.queue_url().map(str::to_owned).ok_or_else(not_in_stack),
                    Err(SdkError::ServiceError(e))
                        if matches!(e.err(), GetQueueUrlError::QueueDoesNotExist(_)) =>
                    {
                        Err(not_in_stack())
                    }
                    Err(e) => Err(Error::aws("sqs:GetQueueUrl", e)),
                }
            }
        }
    }
}

/// The name the devstack gives a queue without a QueueName (as CloudFormation would,
/// less the random suffix).
pub fn local_queue_name(logical_id: &str) -> String {
    format!("{LOCAL_STACK}-{logical_id}")
}

/// The local cloud's SDK config: moto's endpoint, region and test credentials, whatever
/// the environment says (a profile pointing at a real account must not leak in).
async fn local_config(endpoint: &str) -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .http_client(shared::aws::http_client())
        .region(Region::new(LOCAL_REGION))
        .endpoint_url(endpoint)
        .test_credentials()
        .load()
        .await
}

/// The standard chain (environment, profiles with SSO and credential_process, container
/// and instance roles), unlike the functions' environment-only config in `shared::aws`:
/// a person runs this, with their profile.
async fn aws_config(
    profile: Option<&str>,
    region: Option<&str>,
    endpoint: Option<&str>,
) -> Result<SdkConfig, Error> {
    let mut loader =
        aws_config::defaults(BehaviorVersion::latest()).http_client(shared::aws::http_client());
    if let Some(p) = profile {
        loader = loader.profile_name(p);
    }
    if let Some(r) = region {
        loader = loader.region(Region::new(r.to_owned()));
    }
    if let Some(e) = endpoint {
        loader = loader.endpoint_url(e);
    }
    let config = loader.load().await;
    if config.region().is_none() {
        return Err(Error::Config(
            "no region: pass --region, set AWS_REGION, or give the profile a region".into(),
        ));
    }
    Ok(config)
}

/// Logical id -> URL of every queue of the stack (a queue's physical id is its URL).
async fn stack_queues(
    cloudformation: &aws_sdk_cloudformation::Client,
    stack: &str,
) -> Result<HashMap<String, String>, Error> {
    let mut queues = HashMap::new();
    let mut next_token = None;
    loop {
        let page = cloudformation
            .list_stack_resources()
            .stack_name(stack)
            .set_next_token(next_token)
            .send()
            .await
            .map_err(|e| Error::aws("cloudformation:ListStackResources", e))?;
        for r in page.stack_resource_summaries() {
            if let (Some("AWS::SQS::Queue"), Some(id), Some(url)) = (
                r.resource_type(),
                r.logical_resource_id(),
                r.physical_resource_id(),
            ) {
                queues.insert(id.to_owned(), url.to_owned());
            }
        }
        next_token = page.next_token().map(str::to_owned);
        if next_token.is_none() {
            return Ok(queues);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    #[test]
    fn aws_is_the_default_and_local_reads_the_state_file() {
        let aws = Target::from_args(&TargetArgs::default()).unwrap();
        assert!(matches!(aws, Target::Aws { ref stack, .. } if stack == "crabcart-dev"));

        let dir = std::env::temp_dir().join(format!("dlq-target-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let state = dir.join("state.json");
        std::fs::write(
            &state,
            r#"{"moto_url": "http://127.0.0.1:5123", "api_url": "x"}"#,
        )
        .unwrap();
        let local = |endpoint_url: Option<&str>, state_file: PathBuf| {
            Target::from_args(&TargetArgs {
                local: true,
                endpoint_url: endpoint_url.map(str::to_owned),
                state_file,
                ..TargetArgs::default()
            })
        };
        assert_eq!(
            local(None, state.clone()).unwrap(),
            Target::Local {
                endpoint: "http://127.0.0.1:5123".into()
            }
        );
        assert_eq!(
            local(Some("http://127.0.0.1:9"), state.clone()).unwrap(),
            Target::Local {
                endpoint: "http://127.0.0.1:9".into()
            }
        );
        let missing = local(None, dir.join("none.json")).unwrap_err().to_string();
        assert!(missing.contains("--endpoint-url"), "{missing}");
        std::fs::write(&state, "{}").unwrap();
        let empty = local(None, state).unwrap_err().to_string();
        assert!(empty.contains("no moto_url"), "{empty}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn local_queues_are_named_as_the_devstack_names_them() {
        assert_eq!(
            local_queue_name("ProductsDeadLetterQueue"),
            "crabcart-ProductsDeadLetterQueue"
        );
    }
}
