//! What the load left behind, as the customers and the operator can see it: each
//! product's stock, each order's payment and notices, and every dead-letter queue.

use crate::run::{OrderRun, Shop, Shopper};
use anyhow::{Context as _, Result};
use aws_sdk_sqs::types::QueueAttributeName;
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;

#[derive(Debug, Default, Clone, Serialize)]
pub struct Effects {
    /// Product id -> its stock now: (available, reserved).
    pub stock: BTreeMap<String, (i64, i64)>,
    /// Order id -> the statuses of its payments.
    pub payments: BTreeMap<String, Vec<String>>,
    /// Order id -> the types of the notices its shopper got about it, sorted.
    pub notices: BTreeMap<String, Vec<String>>,
    /// Dead-letter (or on-failure) queue -> messages in it.
    pub dead_letters: BTreeMap<String, i64>,
}

/// The queues a message lands in when it could not be handled: every queue of the
/// template named as a dead-letter or failure queue, by logical id and URL.
pub fn dead_letter_queues(resources: &Value) -> Vec<(String, String)> {
    resources
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(id, r)| {
            r["type"] == "AWS::SQS::Queue" && (id.contains("DeadLetter") || id.contains("Failures"))
        })
        .filter_map(|(id, r)| Some((id.clone(), r["ref"].as_str()?.to_owned())))
        .collect()
}

pub async fn observe(
    shop: &Shop,
    shoppers: &[Shopper],
    runs: &[OrderRun],
    products: &[String],
    sqs: &aws_sdk_sqs::Client,
    queues: &[(String, String)],
) -> Result<Effects> {
    let mut effects = Effects::default();
    for product in products {
        let read = shop
            .read(&shop.admin_token, &format!("/v1/products/{product}"))
            .await?;
        let units = |k: &str| read["stock"][k].as_i64().context("a product's stock");
        effects
            .stock
            .insert(product.clone(), (units("available")?, units("reserved")?));
    }
    for run in runs {
        let token = &shoppers[run.shopper].token;
        let read = shop
            .read(token, &format!("/v1/payments?order_id={}", run.id))
            .await?;
        let statuses = items(&read)
            .iter()
            .filter_map(|p| p["status"].as_str().map(str::to_owned))
            .collect();
        effects.payments.insert(run.id.clone(), statuses);
        effects.notices.insert(run.id.clone(), Vec::new());
    }
    for (n, shopper) in shoppers.iter().enumerate() {
        let inbox = shop
            .read(&shopper.token, "/v1/notifications?limit=100")
            .await?;
        if items(&inbox).len() >= 100 {
            anyhow::bail!("shopper {n} has more notices than one page holds: use more shoppers");
        }
        let theirs: Vec<&OrderRun> = runs.iter().filter(|r| r.shopper == n).collect();
        for notice in items(&inbox) {
            let subject = notice["subject"].as_str().unwrap_or_default();
            if let Some(run) = theirs.iter().find(|r| subject.contains(&r.id)) {
                let kind = notice["type"].as_str().unwrap_or_default().to_owned();
                effects
                    .notices
                    .entry(run.id.clone())
                    .or_default()
                    .push(kind);
            }
        }
    }
    for told in effects.notices.values_mut() {
        told.sort();
    }
    for (id, url) in queues {
        let attrs = sqs
            .get_queue_attributes()
            .queue_url(url)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesNotVisible)
            .send()
            .await
            .with_context(|| format!("reading {id}'s depth"))?;
        let depth: i64 = attrs
            .attributes()
            .into_iter()
            .flatten()
            .filter_map(|(_, v)| v.parse::<i64>().ok())
            .sum();
        effects.dead_letters.insert(id.clone(), depth);
    }
    Ok(effects)
}

fn items(page: &Value) -> Vec<Value> {
    page["items"].as_array().cloned().unwrap_or_default()
}
