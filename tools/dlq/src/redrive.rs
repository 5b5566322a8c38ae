//! Sending dead letters back to the queue they came from: the same body and message
//! attributes plus `redrive_count`, deleted from the dead-letter queue only once SQS has
//! accepted the copy, so a failure leaves a message where it was (or, if the delete
//! fails, in both queues: consumers are idempotent on the envelope id).

use crate::error::Error;
use crate::message::REDRIVE_COUNT_ATTRIBUTE;
use crate::queue::{self, redrive_count};
use aws_sdk_sqs::types::{
    DeleteMessageBatchRequestEntry, Message, MessageAttributeValue, SendMessageBatchRequestEntry,
};
use serde::Serialize;
use std::collections::HashMap;

/// What a redrive did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Outcome {
    /// Ids of the messages now in the source queue and gone from the dead-letter queue
    /// (with `--dry-run`: the ones that would be).
    pub moved: Vec<String>,
    /// Messages that were not moved, and why; the redrive stops at the first.
    pub failures: Vec<Failure>,
}

/// A message a redrive could not move.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Failure {
    /// The message's id.
    pub message_id: String,
    /// What went wrong and where the message is now.
    pub reason: String,
}

/// Moves up to `max` messages (all when `None`) from `dead_letter_url` to `source_url`.
pub async fn redrive(
    sqs: &aws_sdk_sqs::Client,
    dead_letter_url: &str,
    source_url: &str,
    max: Option<usize>,
) -> Result<Outcome, Error> {
    let mut outcome = Outcome::default();
    loop {
        let wanted = max.map_or(10, |m| m.saturating_sub(outcome.moved.len()));
        if wanted == 0 || !outcome.failures.is_empty() {
            return Ok(outcome);
        }
        let batch = queue::receive_batch(sqs, dead_letter_url, wanted).await?;
        if batch.is_empty() {
            return Ok(outcome);
        }
        move_batch(sqs, dead_letter_url, source_url, &batch, &mut outcome).await;
    }
}

/// The messages a redrive of up to `max` would move, handed back untouched.
pub async fn dry_run(
    sqs: &aws_sdk_sqs::Client,
    dead_letter_url: &str,
    max: Option<usize>,
) -> Result<Outcome, Error> {
    let messages = queue::receive_up_to(sqs, dead_letter_url, max).await?;
    queue::hand_back(sqs, dead_letter_url, &messages).await?;
    Ok(Outcome {
        moved: messages
            .iter()
            .map(|m| m.message_id().unwrap_or_default().to_owned())
            .collect(),
        failures: Vec::new(),
    })
}

/// Sends one received batch, deletes what was sent, hands back what was not.
async fn move_batch(
    sqs: &aws_sdk_sqs::Client,
    dead_letter_url: &str,
    source_url: &str,
    batch: &[Message],
    outcome: &mut Outcome,
) {
    let id = |m: &Message| m.message_id().unwrap_or_default().to_owned();
    let sent = match send_copies(sqs, source_url, batch).await {
        Ok(sent) => sent,
        Err(e) => {
            let kept = hand_back_note(sqs, dead_letter_url, batch).await;
            outcome.failures.extend(batch.iter().map(|m| Failure {
                message_id: id(m),
                reason: format!("{e}; {kept}"),
            }));
            return;
        }
    };
    let mut unsent = Vec::new();
    let mut to_delete = Vec::new();
    for (i, m) in batch.iter().enumerate() {
        match sent.get(&i.to_string()) {
            Some(Ok(())) => to_delete.push((i, m)),
            Some(Err(reason)) => unsent.push((m, reason.clone())),
            None => unsent.push((m, "SQS reported nothing about it".to_owned())),
        }
    }
    if !unsent.is_empty() {
        let messages: Vec<Message> = unsent.iter().map(|(m, _)| (*m).clone()).collect();
        let kept = hand_back_note(sqs, dead_letter_url, &messages).await;
        outcome
            .failures
            .extend(unsent.into_iter().map(|(m, reason)| Failure {
                message_id: id(m),
                reason: format!("not sent: {reason}; {kept}"),
            }));
    }
    if to_delete.is_empty() {
        return;
    }
    let not_deleted = match delete(sqs, dead_letter_url, &to_delete).await {
        Ok(failed) => failed,
        Err(e) => to_delete
            .iter()
            .map(|(i, _)| (i.to_string(), e.to_string()))
            .collect(),
    };
    for (i, m) in to_delete {
        match not_deleted.get(&i.to_string()) {
            None => outcome.moved.push(id(m)),
            Some(why) => outcome.failures.push(Failure {
                message_id: id(m),
                reason: format!(
                    "sent to the source queue but not deleted from the dead-letter queue ({why}): it is in both now, and shows again in the dead-letter queue within {} s",
                    queue::HOLD_SECONDS
                ),
            }),
        }
    }
}

/// Deletes sent messages from the dead-letter queue; entry id (the index) -> why, for
/// each one SQS did not delete.
async fn delete(
    sqs: &aws_sdk_sqs::Client,
    dead_letter_url: &str,
    sent: &[(usize, &Message)],
) -> Result<HashMap<String, String>, Error> {
    let entries = sent
        .iter()
        .map(|(i, m)| {
            DeleteMessageBatchRequestEntry::builder()
                .id(i.to_string())
                .set_receipt_handle(m.receipt_handle.clone())
                .build()
                .map_err(|e| Error::aws("sqs:DeleteMessageBatch", e))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let out = sqs
        .delete_message_batch()
        .queue_url(dead_letter_url)
        .set_entries(Some(entries))
        .send()
        .await
        .map_err(|e| Error::aws("sqs:DeleteMessageBatch", e))?;
    Ok(out
        .failed()
        .iter()
        .map(|f| {
            let why = format!("{}: {}", f.code(), f.message().unwrap_or_default());
            (f.id().to_owned(), why)
        })
        .collect())
}

/// Sends a copy of each message to the source queue; entry id (the index) -> result.
async fn send_copies(
    sqs: &aws_sdk_sqs::Client,
    source_url: &str,
    batch: &[Message],
) -> Result<HashMap<String, Result<(), String>>, Error> {
    let entries = batch
        .iter()
        .enumerate()
        .map(|(i, m)| copy_of(i, m))
        .collect::<Result<Vec<_>, _>>()?;
    let out = sqs
        .send_message_batch()
        .queue_url(source_url)
        .set_entries(Some(entries))
        .send()
        .await
        .map_err(|e| Error::aws("sqs:SendMessageBatch", e))?;
    let mut results: HashMap<String, Result<(), String>> = out
        .successful()
        .iter()
        .map(|s| (s.id().to_owned(), Ok(())))
        .collect();
    for f in out.failed() {
        let why = format!("{}: {}", f.code(), f.message().unwrap_or_default());
        results.insert(f.id().to_owned(), Err(why));
    }
    Ok(results)
}

/// The message as it is sent back: same body, same attributes, `redrive_count` one more
/// than it carried (1 the first time).
fn copy_of(index: usize, m: &Message) -> Result<SendMessageBatchRequestEntry, Error> {
    let mut attributes = m.message_attributes().cloned().unwrap_or_default();
    let count = redrive_count(m).unwrap_or(0) + 1;
    attributes.insert(
        REDRIVE_COUNT_ATTRIBUTE.to_owned(),
        MessageAttributeValue::builder()
            .data_type("Number")
            .string_value(count.to_string())
            .build()
            .map_err(|e| Error::aws("sqs:SendMessageBatch", e))?,
    );
    SendMessageBatchRequestEntry::builder()
        .id(index.to_string())
        .message_body(m.body().unwrap_or_default())
        .set_message_attributes(Some(attributes))
        .build()
        .map_err(|e| Error::aws("sqs:SendMessageBatch", e))
}

/// Hands messages back to the dead-letter queue and says where they are.
async fn hand_back_note(sqs: &aws_sdk_sqs::Client, url: &str, messages: &[Message]) -> String {
    match queue::hand_back(sqs, url, messages).await {
        Ok(()) => "left in the dead-letter queue".to_owned(),
        Err(_) => format!(
            "left in the dead-letter queue (visible again within {} s)",
            queue::HOLD_SECONDS
        ),
    }
}
