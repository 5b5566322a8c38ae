//! What a dead letter says: an event envelope (a consumer queue's dead letter), a
//! Lambda failure record (a stream's OnFailure destination), or anything else, raw.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use shared::events::Envelope;

/// The Number message attribute a redrive sets: how many times the message was sent back
/// from its dead-letter queue. `consume_batch` counts messages carrying it as DlqRedrives.
pub use shared::consumer::REDRIVE_COUNT_ATTRIBUTE;

/// A dead letter's body, decoded as far as it goes.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Body {
    /// An event envelope (docs/events.md).
    Event(Envelope),
    /// Lambda's record of a stream batch a function gave up on.
    StreamFailure(StreamFailure),
    /// Neither: shown as it is.
    Raw {
        /// The body.
        text: String,
        /// Why it is not an envelope.
        note: String,
    },
}

impl Body {
    /// Decodes a message body.
    pub fn decode(text: &str) -> Body {
        let not_an_envelope = match Envelope::parse(text) {
            Ok(envelope) => return Body::Event(envelope),
            Err(e) => e,
        };
        if let Ok(failure) = serde_json::from_str::<StreamFailure>(text) {
            return Body::StreamFailure(failure);
        }
        Body::Raw {
            text: text.to_owned(),
            note: format!("not an event envelope: {not_an_envelope}"),
        }
    }
}

/// The record Lambda sends to an OnFailure destination for a DynamoDB stream batch: where
/// the batch is in the stream, not its records (which the stream keeps for 24 hours).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StreamFailure {
    /// Who gave up, and why.
    #[serde(rename = "requestContext")]
    pub request: FailureRequest,
    /// The last invocation's outcome.
    #[serde(rename = "responseContext", default)]
    pub response: Option<FailureResponse>,
    /// When Lambda gave up.
    pub timestamp: Option<String>,
    /// The batch.
    #[serde(rename = "DDBStreamBatchInfo")]
    pub batch: StreamBatch,
}

/// `requestContext` of a failure record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FailureRequest {
    /// The function.
    pub function_arn: String,
    /// `RetryAttemptsExhausted`, `RecordAgeExceeded`, ...
    pub condition: String,
    /// How many times the batch was tried.
    pub approximate_invoke_count: Option<u64>,
}

/// `responseContext` of a failure record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FailureResponse {
    /// `Unhandled` when the function failed, absent when it reported item failures.
    pub function_error: Option<String>,
}

/// `DDBStreamBatchInfo` of a failure record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StreamBatch {
    /// The stream.
    pub stream_arn: String,
    /// The shard.
    pub shard_id: String,
    /// The batch's first record.
    pub start_sequence_number: Option<String>,
    /// The batch's last record.
    pub end_sequence_number: Option<String>,
    /// How many records.
    pub batch_size: Option<u64>,
    /// When the first record reached the stream.
    pub approximate_arrival_of_first_record: Option<String>,
}

/// One dead letter as received: SQS's bookkeeping and the decoded body.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DeadLetter {
    /// SQS's message id (kept when SQS moves a message to its dead-letter queue).
    pub message_id: String,
    /// SQS's ApproximateReceiveCount: every receive, before and after dead-lettering,
    /// including the one that read it for this report.
    pub receive_count: Option<u64>,
    /// When the message was first sent (SentTimestamp).
    pub sent_at: Option<DateTime<Utc>>,
    /// When it was first received (ApproximateFirstReceiveTimestamp).
    pub first_received_at: Option<DateTime<Utc>>,
    /// Its `redrive_count` attribute: how many times it was redriven already.
    pub redrive_count: Option<u64>,
    /// The decoded body.
    pub body: Body,
}

/// An SQS timestamp attribute (epoch milliseconds) as a time.
pub fn epoch_millis(s: &str) -> Option<DateTime<Utc>> {
    s.parse::<i64>()
        .ok()
        .and_then(DateTime::from_timestamp_millis)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn an_envelope_is_decoded() {
        let text = json!({"id": "e1", "type": "OrderPlaced", "version": 1, "source": "orders",
            "time": "2026-01-02T03:04:05Z", "correlation_id": "o1", "data": {"order_id": "o1"}})
        .to_string();
        let Body::Event(e) = Body::decode(&text) else {
            panic!("not an event")
        };
        assert_eq!(
            (
                e.id.as_str(),
                e.event_type.as_str(),
                e.correlation_id.as_str()
            ),
            ("e1", "OrderPlaced", "o1")
        );
        assert_eq!(e.data["order_id"], "o1");
    }

    #[test]
    fn a_lambda_failure_record_is_decoded() {
        let text = json!({
            "requestContext": {"requestId": "r", "functionArn": "arn:aws:lambda:us-east-1:1:function:f",
                "condition": "RetryAttemptsExhausted", "approximateInvokeCount": 11},
            "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
            "version": "1.0", "timestamp": "2026-01-02T03:04:05.000Z",
            "DDBStreamBatchInfo": {"shardId": "shard-1", "startSequenceNumber": "100", "endSequenceNumber": "105",
                "approximateArrivalOfFirstRecord": "2026-01-02T03:00:00.000Z",
                "approximateArrivalOfLastRecord": "2026-01-02T03:00:01.000Z",
                "batchSize": 6, "streamArn": "arn:aws:dynamodb:us-east-1:1:table/t/stream/s"}
        })
        .to_string();
        let Body::StreamFailure(f) = Body::decode(&text) else {
            panic!("not a failure record")
        };
        assert_eq!(f.request.condition, "RetryAttemptsExhausted");
        assert_eq!(f.request.approximate_invoke_count, Some(11));
        assert_eq!(f.batch.shard_id, "shard-1");
        assert_eq!(f.batch.batch_size, Some(6));
        assert_eq!(
            f.response.and_then(|r| r.function_error).as_deref(),
            Some("Unhandled")
        );
    }

    #[test]
    fn anything_else_is_raw_with_the_reason() {
        for text in ["hello", "{\"id\": 1}", ""] {
            let Body::Raw { text: raw, note } = Body::decode(text) else {
                panic!("{text:?} decoded")
            };
            assert_eq!(raw, text);
            assert!(note.starts_with("not an event envelope: "), "{note}");
        }
    }

    #[test]
    fn sqs_timestamps_are_epoch_millis() {
        assert_eq!(
            epoch_millis("1767322800000").map(|t| t.to_rfc3339()),
            Some("2026-01-02T03:00:00+00:00".to_owned())
        );
        assert_eq!(epoch_millis("soon"), None);
    }
}
