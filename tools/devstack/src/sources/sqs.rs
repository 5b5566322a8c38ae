//! SQS event source mapping: ReceiveMessage, invoke with the Lambda SQS event, delete
//! what succeeded.

use super::filter::FilterSet;
use super::{is_shutdown, region_of, shutdown_requested, Backoff, SqsSource};
use crate::running::RunningFunction;
use aws_sdk_sqs::types::{
    ChangeMessageVisibilityBatchRequestEntry, DeleteMessageBatchRequestEntry, Message,
    MessageSystemAttributeName,
};
use base64::Engine as _;
use serde_json::{json, Map, Value};
use std::collections::HashSet;
use std::sync::Arc;
use tokio::sync::{watch, Semaphore};
use tokio::task::JoinSet;

/// Long-poll wait; short so shutdown is noticed quickly even while moto holds the poll.
const WAIT_SECONDS: i32 = 1;
/// How long failed messages stay invisible before they are received again. Lambda leaves
/// them invisible for the queue's VisibilityTimeout (often 30s or more); locally that
/// would make every retry and every redrive to a DLQ painfully slow, so failed messages
/// are made visible again after one second. Receive counts, and so redrive to the DLQ
/// after maxReceiveCount, are unaffected.
const RETRY_VISIBILITY_SECONDS: i32 = 1;

/// Receives batches from one queue and hands each to `f`, up to `in_flight` batches at
/// once (Lambda's pollers run a queue's batches in several execution environments). One
/// receive at a time, and only when a batch could start: an idle queue costs one long
/// poll, and a received batch never waits for a slot while its visibility runs out.
pub(super) async fn run(
    sqs: aws_sdk_sqs::Client,
    src: SqsSource,
    f: RunningFunction,
    in_flight: usize,
    mut shutdown: watch::Receiver<bool>,
) {
    let filters = Arc::new(FilterSet::parse(&src.queue_arn, &src.filters));
    let region = region_of(&src.queue_arn);
    let max = src.batch_size.clamp(1, 10);
    let slots = Arc::new(Semaphore::new(in_flight.max(1)));
    let mut deliveries = JoinSet::new();
    let mut backoff = Backoff::new();
    tracing::debug!(queue = %src.queue_url, function = %f.name(), "SQS poller started");
    while !is_shutdown(&shutdown) {
        tokio::select! {
            _ = f.until_runnable() => {}
            _ = shutdown_requested(&mut shutdown) => break,
        }
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => slot,
            _ = shutdown_requested(&mut shutdown) => break,
        };
        let Ok(slot) = slot else { break };
        while deliveries.try_join_next().is_some() {}
        let receive = sqs
            .receive_message()
            .queue_url(&src.queue_url)
            .max_number_of_messages(max)
            .wait_time_seconds(WAIT_SECONDS)
            .message_system_attribute_names(MessageSystemAttributeName::All)
            .message_attribute_names("All")
            .send();
        let received = tokio::select! {
            r = receive => r,
            _ = shutdown_requested(&mut shutdown) => break,
        };
        let messages = match received {
            Ok(out) => out.messages.unwrap_or_default(),
            Err(e) => {
                tracing::warn!(queue = %src.queue_url, "ReceiveMessage failed: {}", aws_sdk_sqs::error::DisplayErrorContext(&e));
                if backoff.wait(&mut shutdown).await {
                    break;
                }
                continue;
            }
        };
        backoff.reset();
        if messages.is_empty() {
            continue;
        }
        let (sqs, src, f, filters, region) = (
            sqs.clone(),
            src.clone(),
            f.clone(),
            filters.clone(),
            region.clone(),
        );
        deliveries.spawn(async move {
            deliver(&sqs, &src, &f, &filters, &region, messages).await;
            drop(slot);
        });
    }
    // As Lambda stops a mapping: batches in flight end with the devstack.
    deliveries.abort_all();
    tracing::debug!(queue = %src.queue_url, "SQS poller stopped");
}

struct Received {
    id: String,
    receipt: String,
    record: Value,
}

async fn deliver(
    sqs: &aws_sdk_sqs::Client,
    src: &SqsSource,
    f: &RunningFunction,
    filters: &FilterSet,
    region: &str,
    messages: Vec<Message>,
) {
    let mut batch = Vec::new();
    let mut filtered_out = Vec::new();
    for m in &messages {
        let record = sqs_record(m, &src.queue_arn, region);
        let (Some(id), Some(receipt)) = (m.message_id.clone(), m.receipt_handle.clone()) else {
            tracing::warn!(queue = %src.queue_url, "message without id or receipt handle skipped");
            continue;
        };
        if filters.matches(&filter_view(&record)) {
            batch.push(Received {
                id,
                receipt,
                record,
            });
        } else {
            filtered_out.push(receipt);
        }
    }
    // Lambda deletes messages that no filter matches.
    delete(sqs, &src.queue_url, &filtered_out).await;
    if batch.is_empty() {
        return;
    }

    let event = json!({"Records": batch.iter().map(|r| r.record.clone()).collect::<Vec<_>>()});
    let failed: HashSet<String> = match f.invoke(event).await {
        Ok(response) if src.report_batch_item_failures => {
            let ids: Vec<&str> = batch.iter().map(|r| r.id.as_str()).collect();
            match batch_item_failures(&response, &ids) {
                Ok(failed) => failed,
                Err(why) => {
                    tracing::warn!(function = %f.name(), "invalid batchItemFailures ({why}); the whole batch failed");
                    ids.iter().map(|s| s.to_string()).collect()
                }
            }
        }
        Ok(_) => HashSet::new(),
        Err(e) => {
            tracing::warn!(function = %f.name(), queue = %src.queue_url, "SQS batch failed: {e}");
            batch.iter().map(|r| r.id.clone()).collect()
        }
    };
    let (retry, done): (Vec<&Received>, Vec<&Received>) =
        batch.iter().partition(|r| failed.contains(&r.id));
    let done: Vec<String> = done.iter().map(|r| r.receipt.clone()).collect();
    delete(sqs, &src.queue_url, &done).await;
    let retry: Vec<String> = retry.iter().map(|r| r.receipt.clone()).collect();
    retry_soon(sqs, &src.queue_url, &retry).await;
}

/// Parses a `{"batchItemFailures": [{"itemIdentifier": ...}]}` response into the failed
/// ids. Lambda treats a missing or null list as complete success, and an empty, null or
/// unknown identifier as failure of the whole batch (the Err case).
pub(super) fn batch_item_failures(
    response: &Value,
    ids: &[&str],
) -> Result<HashSet<String>, String> {
    let list = match response.get("batchItemFailures") {
        None | Some(Value::Null) => return Ok(HashSet::new()),
        Some(Value::Array(list)) => list,
        Some(other) => return Err(format!("batchItemFailures is not a list: {other}")),
    };
    let mut failed = HashSet::new();
    for item in list {
        match item.get("itemIdentifier").and_then(Value::as_str) {
            Some(id) if !id.is_empty() && ids.contains(&id) => {
                failed.insert(id.to_string());
            }
            _ => return Err(format!("bad itemIdentifier in {item}")),
        }
    }
    Ok(failed)
}

/// The record as filters see it: a JSON body can be matched field by field.
fn filter_view(record: &Value) -> Value {
    let mut view = record.clone();
    if let Some(body) = record.get("body").and_then(Value::as_str) {
        if let Ok(parsed @ Value::Object(_)) = serde_json::from_str::<Value>(body) {
            view["body"] = parsed;
        }
    }
    view
}

/// One record of the Lambda SQS event, field for field as Lambda builds it.
pub(super) fn sqs_record(m: &Message, queue_arn: &str, region: &str) -> Value {
    let b64 =
        |b: &aws_smithy_types::Blob| base64::engine::general_purpose::STANDARD.encode(b.as_ref());
    let attributes: Map<String, Value> = m
        .attributes
        .iter()
        .flatten()
        .map(|(k, v)| (k.as_str().to_string(), Value::String(v.clone())))
        .collect();
    let message_attributes: Map<String, Value> = m
        .message_attributes
        .iter()
        .flatten()
        .map(|(name, v)| {
            let mut a = Map::new();
            if let Some(s) = &v.string_value {
                a.insert("stringValue".into(), Value::String(s.clone()));
            }
            if let Some(b) = &v.binary_value {
                a.insert("binaryValue".into(), Value::String(b64(b)));
            }
            a.insert(
                "stringListValues".into(),
                json!(v.string_list_values.clone().unwrap_or_default()),
            );
            a.insert(
                "binaryListValues".into(),
                json!(v
                    .binary_list_values
                    .iter()
                    .flatten()
                    .map(b64)
                    .collect::<Vec<_>>()),
            );
            a.insert("dataType".into(), Value::String(v.data_type.clone()));
            (name.clone(), Value::Object(a))
        })
        .collect();
    let mut record = json!({
        "messageId": m.message_id,
        "receiptHandle": m.receipt_handle,
        "body": m.body.clone().unwrap_or_default(),
        "attributes": attributes,
        "messageAttributes": message_attributes,
        "md5OfBody": m.md5_of_body,
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": region,
    });
    if let Some(md5) = &m.md5_of_message_attributes {
        record["md5OfMessageAttributes"] = Value::String(md5.clone());
    }
    record
}

async fn delete(sqs: &aws_sdk_sqs::Client, queue_url: &str, receipts: &[String]) {
    for (chunk_no, chunk) in receipts.chunks(10).enumerate() {
        let entries: Vec<DeleteMessageBatchRequestEntry> = chunk
            .iter()
            .enumerate()
            .filter_map(|(i, r)| {
                DeleteMessageBatchRequestEntry::builder()
                    .id(format!("m{chunk_no}_{i}"))
                    .receipt_handle(r)
                    .build()
                    .ok()
            })
            .collect();
        match sqs
            .delete_message_batch()
            .queue_url(queue_url)
            .set_entries(Some(entries))
            .send()
            .await
        {
            Ok(out) if !out.failed.is_empty() => {
                tracing::warn!(%queue_url, failed = ?out.failed, "some messages could not be deleted");
            }
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(%queue_url, "DeleteMessageBatch failed: {}", aws_sdk_sqs::error::DisplayErrorContext(&e))
            }
        }
    }
}

async fn retry_soon(sqs: &aws_sdk_sqs::Client, queue_url: &str, receipts: &[String]) {
    for (chunk_no, chunk) in receipts.chunks(10).enumerate() {
        let entries: Vec<ChangeMessageVisibilityBatchRequestEntry> = chunk
            .iter()
            .enumerate()
            .filter_map(|(i, r)| {
                ChangeMessageVisibilityBatchRequestEntry::builder()
                    .id(format!("m{chunk_no}_{i}"))
                    .receipt_handle(r)
                    .visibility_timeout(RETRY_VISIBILITY_SECONDS)
                    .build()
                    .ok()
            })
            .collect();
        if let Err(e) = sqs
            .change_message_visibility_batch()
            .queue_url(queue_url)
            .set_entries(Some(entries))
            .send()
            .await
        {
            // Not fatal: the messages come back after the queue's own visibility timeout.
            tracing::debug!(%queue_url, "ChangeMessageVisibilityBatch failed: {}", aws_sdk_sqs::error::DisplayErrorContext(&e));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batch_item_failures_follow_lambda_rules() {
        let ids = ["a", "b", "c"];
        assert!(batch_item_failures(&Value::Null, &ids).unwrap().is_empty());
        assert!(batch_item_failures(&json!({}), &ids).unwrap().is_empty());
        assert!(batch_item_failures(&json!({"batchItemFailures": []}), &ids)
            .unwrap()
            .is_empty());
        assert!(
            batch_item_failures(&json!({"batchItemFailures": null}), &ids)
                .unwrap()
                .is_empty()
        );
        let failed = batch_item_failures(
            &json!({"batchItemFailures": [{"itemIdentifier": "b"}]}),
            &ids,
        )
        .unwrap();
        assert_eq!(failed, HashSet::from(["b".to_string()]));
        for bad in [
            json!({"batchItemFailures": [{"itemIdentifier": ""}]}),
            json!({"batchItemFailures": [{"itemIdentifier": null}]}),
            json!({"batchItemFailures": [{"itemIdentifier": "zzz"}]}),
            json!({"batchItemFailures": [{"id": "a"}]}),
            json!({"batchItemFailures": "a"}),
        ] {
            assert!(batch_item_failures(&bad, &ids).is_err(), "{bad}");
        }
    }

    #[test]
    fn json_bodies_are_filterable() {
        let view = filter_view(&json!({"body": "{\"kind\": \"x\"}"}));
        assert_eq!(view["body"]["kind"], "x");
        let view = filter_view(&json!({"body": "plain"}));
        assert_eq!(view["body"], "plain");
    }
}
