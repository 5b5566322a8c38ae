//! The SQS calls: a queue's numbers, receiving messages without consuming them, handing
//! them back, and reading a received message as a dead letter.

use crate::error::Error;
use crate::message::{epoch_millis, Body, DeadLetter, REDRIVE_COUNT_ATTRIBUTE};
use aws_sdk_sqs::types::{
    ChangeMessageVisibilityBatchRequestEntry, Message, MessageSystemAttributeName,
    QueueAttributeName,
};
use serde::Serialize;

/// How long received messages stay hidden while the tool works on them. They are handed
/// back at once when it is done; if it dies, SQS shows them again after this.
pub const HOLD_SECONDS: i32 = 30;
/// SQS's per-call maximum for receives and batches.
const BATCH: usize = 10;
/// A short long poll: a receive of 0 seconds samples only some SQS servers and may
/// answer "empty" for a queue that is not.
const WAIT_SECONDS: i32 = 1;

/// A queue's numbers as SQS reports them (approximate, as SQS says).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QueueState {
    /// The queue's URL.
    pub url: String,
    /// The queue's ARN.
    pub arn: String,
    /// Messages available (ApproximateNumberOfMessages).
    pub messages: u64,
    /// Messages received and not yet deleted or handed back (ApproximateNumberOfMessagesNotVisible).
    pub in_flight: u64,
    /// The RedrivePolicy JSON, when the queue has one.
    #[serde(skip)]
    pub redrive_policy: Option<String>,
}

impl QueueState {
    /// Reads the queue's attributes.
    pub async fn read(sqs: &aws_sdk_sqs::Client, url: &str) -> Result<QueueState, Error> {
        let out = sqs
            .get_queue_attributes()
            .queue_url(url)
            .attribute_names(QueueAttributeName::QueueArn)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesNotVisible)
            .attribute_names(QueueAttributeName::RedrivePolicy)
            .send()
            .await
            .map_err(|e| Error::aws("sqs:GetQueueAttributes", e))?;
        let attr = |name: QueueAttributeName| out.attributes().and_then(|a| a.get(&name)).cloned();
        let count = |name| attr(name).and_then(|n| n.parse().ok()).unwrap_or(0);
        Ok(QueueState {
            url: url.to_owned(),
            arn: attr(QueueAttributeName::QueueArn).unwrap_or_default(),
            messages: count(QueueAttributeName::ApproximateNumberOfMessages),
            in_flight: count(QueueAttributeName::ApproximateNumberOfMessagesNotVisible),
            redrive_policy: attr(QueueAttributeName::RedrivePolicy),
        })
    }

    /// True when this queue's RedrivePolicy moves its dead letters to `arn`.
    pub fn dead_letters_to(&self, arn: &str) -> bool {
        self.redrive_policy
            .as_deref()
            .and_then(|p| serde_json::from_str::<serde_json::Value>(p).ok())
            .and_then(|p| p.get("deadLetterTargetArn")?.as_str().map(|t| t == arn))
            .unwrap_or(false)
    }
}

/// One receive of up to `max` (at most 10) messages, hidden for [`HOLD_SECONDS`], with
/// every system and message attribute.
pub async fn receive_batch(
    sqs: &aws_sdk_sqs::Client,
    url: &str,
    max: usize,
) -> Result<Vec<Message>, Error> {
    let out = sqs
        .receive_message()
        .queue_url(url)
        .max_number_of_messages(max.clamp(1, BATCH) as i32)
        .visibility_timeout(HOLD_SECONDS)
        .wait_time_seconds(WAIT_SECONDS)
        .message_system_attribute_names(MessageSystemAttributeName::All)
        .message_attribute_names("All")
        .send()
        .await
        .map_err(|e| Error::aws("sqs:ReceiveMessage", e))?;
    Ok(out.messages.unwrap_or_default())
}

/// Up to `max` messages (all there are when `None`), each received once: they stay hidden
/// until [`hand_back`] or [`HOLD_SECONDS`], so no message is read twice.
pub async fn receive_up_to(
    sqs: &aws_sdk_sqs::Client,
    url: &str,
    max: Option<usize>,
) -> Result<Vec<Message>, Error> {
    let mut messages = Vec::new();
    loop {
        let wanted = max.map_or(BATCH, |m| m.saturating_sub(messages.len()));
        if wanted == 0 {
            return Ok(messages);
        }
        let batch = match receive_batch(sqs, url, wanted).await {
            Ok(batch) => batch,
            Err(e) => {
                // Do not leave what was read so far hidden for the rest of the hold.
                let _ = hand_back(sqs, url, &messages).await;
                return Err(e);
            }
        };
        if batch.is_empty() {
            return Ok(messages);
        }
        messages.extend(batch);
    }
}

/// Makes received messages visible again at once, as if they had not been received
/// (except for their receive count).
pub async fn hand_back(
    sqs: &aws_sdk_sqs::Client,
    url: &str,
    messages: &[Message],
) -> Result<(), Error> {
    for chunk in messages.chunks(BATCH) {
        let entries = chunk
            .iter()
            .enumerate()
            .map(|(i, m)| {
                ChangeMessageVisibilityBatchRequestEntry::builder()
                    .id(i.to_string())
                    .set_receipt_handle(m.receipt_handle.clone())
                    .visibility_timeout(0)
                    .build()
                    .map_err(|e| Error::aws("sqs:ChangeMessageVisibilityBatch", e))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let out = sqs
            .change_message_visibility_batch()
            .queue_url(url)
            .set_entries(Some(entries))
            .send()
            .await
            .map_err(|e| Error::aws("sqs:ChangeMessageVisibilityBatch", e))?;
        if let Some(failed) = out.failed().first() {
            return Err(Error::Aws {
                operation: "sqs:ChangeMessageVisibilityBatch",
                message: format!(
                    "{}: {} (the message shows again within {HOLD_SECONDS} s)",
                    failed.code(),
                    failed.message().unwrap_or_default()
                ),
            });
        }
    }
    Ok(())
}

/// A received message as a dead letter: SQS's bookkeeping and the decoded body.
pub fn dead_letter(m: &Message) -> DeadLetter {
    let system = |name: MessageSystemAttributeName| m.attributes().and_then(|a| a.get(&name));
    DeadLetter {
        message_id: m.message_id().unwrap_or_default().to_owned(),
        receive_count: system(MessageSystemAttributeName::ApproximateReceiveCount)
            .and_then(|n| n.parse().ok()),
        sent_at: system(MessageSystemAttributeName::SentTimestamp).and_then(|t| epoch_millis(t)),
        first_received_at: system(MessageSystemAttributeName::ApproximateFirstReceiveTimestamp)
            .and_then(|t| epoch_millis(t)),
        redrive_count: redrive_count(m),
        body: Body::decode(m.body().unwrap_or_default()),
    }
}

/// The message's `redrive_count` attribute, when it has a whole number there.
pub fn redrive_count(m: &Message) -> Option<u64> {
    m.message_attributes()?
        .get(REDRIVE_COUNT_ATTRIBUTE)?
        .string_value()?
        .trim()
        .parse()
        .ok()
}
