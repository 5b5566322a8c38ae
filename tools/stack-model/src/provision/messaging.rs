//! AWS::SNS::Topic, AWS::SQS::Queue, AWS::SNS::Subscription.

use super::props::{opt_bool, opt_i64, opt_json_string, opt_list, opt_str, req_str, sdk_err};
use super::Clients;
use crate::template::intrinsics::STACK_NAME;
use crate::template::Outputs;
use anyhow::{bail, Context as _, Result};
use aws_sdk_sqs::types::QueueAttributeName;
use serde_json::Value;
use std::collections::HashMap;

pub async fn create_topic(id: &str, p: &Value, c: &Clients) -> Result<Outputs> {
    let fifo = opt_bool(p, "FifoTopic")?.unwrap_or(false);
    let name = opt_str(p, "TopicName")?.unwrap_or_else(|| {
        let base = format!("{STACK_NAME}-{id}");
        if fifo {
            format!("{base}.fifo")
        } else {
            base
        }
    });
    let mut attrs = HashMap::new();
    if fifo {
        attrs.insert("FifoTopic".to_owned(), "true".to_owned());
    }
    if let Some(b) = opt_bool(p, "ContentBasedDeduplication")? {
        attrs.insert("ContentBasedDeduplication".to_owned(), b.to_string());
    }
    if let Some(d) = opt_str(p, "DisplayName")? {
        attrs.insert("DisplayName".to_owned(), d);
    }
    let resp = c
        .sns
        .create_topic()
        .name(&name)
        .set_attributes((!attrs.is_empty()).then_some(attrs))
        .send()
        .await
        .map_err(sdk_err)
        .context("CreateTopic")?;
    let arn = resp
        .topic_arn()
        .context("CreateTopic returned no ARN")?
        .to_owned();
    for s in opt_list(p, "Subscription")? {
        subscribe(&arn, s, c).await?;
    }
    Ok(Outputs::new("AWS::SNS::Topic", arn.clone())
        .with("TopicArn", arn)
        .with("TopicName", name))
}

pub async fn create_queue(id: &str, p: &Value, c: &Clients) -> Result<Outputs> {
    let fifo = opt_bool(p, "FifoQueue")?.unwrap_or(false);
    let name = opt_str(p, "QueueName")?.unwrap_or_else(|| {
        let base = format!("{STACK_NAME}-{id}");
        if fifo {
            format!("{base}.fifo")
        } else {
            base
        }
    });
    let mut attrs: HashMap<QueueAttributeName, String> = HashMap::new();
    for (prop, attr) in [
        ("VisibilityTimeout", QueueAttributeName::VisibilityTimeout),
        (
            "MessageRetentionPeriod",
            QueueAttributeName::MessageRetentionPeriod,
        ),
        ("DelaySeconds", QueueAttributeName::DelaySeconds),
        ("MaximumMessageSize", QueueAttributeName::MaximumMessageSize),
        (
            "ReceiveMessageWaitTimeSeconds",
            QueueAttributeName::ReceiveMessageWaitTimeSeconds,
        ),
    ] {
        if let Some(n) = opt_i64(p, prop)? {
            attrs.insert(attr, n.to_string());
        }
    }
    for (prop, attr) in [
        ("RedrivePolicy", QueueAttributeName::RedrivePolicy),
        ("RedriveAllowPolicy", QueueAttributeName::RedriveAllowPolicy),
    ] {
        if let Some(s) = opt_json_string(p, prop)? {
            attrs.insert(attr, s);
        }
    }
    if fifo {
        attrs.insert(QueueAttributeName::FifoQueue, "true".into());
    }
    if let Some(b) = opt_bool(p, "ContentBasedDeduplication")? {
        attrs.insert(QueueAttributeName::ContentBasedDeduplication, b.to_string());
    }
    for (prop, attr) in [
        ("DeduplicationScope", QueueAttributeName::DeduplicationScope),
        (
            "FifoThroughputLimit",
            QueueAttributeName::FifoThroughputLimit,
        ),
    ] {
        if let Some(s) = opt_str(p, prop)? {
            attrs.insert(attr, s);
        }
    }
    let resp = c
        .sqs
        .create_queue()
        .queue_name(&name)
        .set_attributes((!attrs.is_empty()).then_some(attrs))
        .send()
        .await
        .map_err(sdk_err)
        .context("CreateQueue")?;
    let url = resp
        .queue_url()
        .context("CreateQueue returned no URL")?
        .to_owned();
    let got = c
        .sqs
        .get_queue_attributes()
        .queue_url(&url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .map_err(sdk_err)
        .context("GetQueueAttributes")?;
    let arn = got
        .attributes()
        .and_then(|a| a.get(&QueueAttributeName::QueueArn))
        .context("GetQueueAttributes returned no QueueArn")?
        .clone();
    Ok(Outputs::new("AWS::SQS::Queue", url.clone())
        .with("Arn", arn)
        .with("QueueName", name)
        .with("QueueUrl", url))
}

pub async fn create_subscription(p: &Value, c: &Clients) -> Result<Outputs> {
    let topic = req_str(p, "TopicArn")?;
    let arn = subscribe(&topic, p, c).await?;
    Ok(Outputs::new("AWS::SNS::Subscription", arn.clone()).with("Arn", arn))
}

async fn subscribe(topic_arn: &str, p: &Value, c: &Clients) -> Result<String> {
    let protocol = req_str(p, "Protocol")?;
    if protocol != "sqs" {
        // Only SNS -> SQS fan-out runs locally; lambda/http/email subscriptions would
        // silently drop messages, so refuse them.
        bail!("subscription protocol {protocol} is not supported by the local cloud (only sqs)");
    }
    let mut attrs = HashMap::new();
    if let Some(b) = opt_bool(p, "RawMessageDelivery")? {
        attrs.insert("RawMessageDelivery".to_owned(), b.to_string());
    }
    if let Some(f) = opt_json_string(p, "FilterPolicy")? {
        attrs.insert("FilterPolicy".to_owned(), f);
    }
    if let Some(s) = opt_str(p, "FilterPolicyScope")? {
        attrs.insert("FilterPolicyScope".to_owned(), s);
    }
    if let Some(r) = opt_json_string(p, "RedrivePolicy")? {
        attrs.insert("RedrivePolicy".to_owned(), r);
    }
    let resp = c
        .sns
        .subscribe()
        .topic_arn(topic_arn)
        .protocol(&protocol)
        .endpoint(req_str(p, "Endpoint")?)
        .set_attributes((!attrs.is_empty()).then_some(attrs))
        .return_subscription_arn(true)
        .send()
        .await
        .map_err(sdk_err)
        .context("Subscribe")?;
    Ok(resp.subscription_arn().unwrap_or_default().to_owned())
}
