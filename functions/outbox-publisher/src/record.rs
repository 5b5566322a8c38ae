//! Stream record -> SNS entry: which records are outbox inserts, what they carry, and how
//! they are grouped into `PublishBatch` calls. Pure; no I/O.

use crate::PublishError;
use aws_lambda_events::event::dynamodb::EventRecord;
use aws_sdk_sns::types::{MessageAttributeValue, PublishBatchRequestEntry};
use serde_dynamo::AttributeValue;
use shared::outbox::{is_outbox_key, ENVELOPE_ATTRIBUTE, EVENT_TYPE_ATTRIBUTE};
use shared::Envelope;

/// SNS's limit on entries per `PublishBatch` call.
pub const MAX_BATCH_ENTRIES: usize = 10;
/// SNS's limit on the aggregate size of one `PublishBatch` call (bodies and attributes).
pub const MAX_BATCH_BYTES: usize = 256 * 1024;
/// The SNS message attribute subscription filter policies match on.
pub const EVENT_TYPE_MESSAGE_ATTRIBUTE: &str = shared::events::EVENT_TYPE_ATTRIBUTE;

/// An outbox item ready to publish, with the stream position it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxMessage {
    /// The record's `dynamodb.SequenceNumber`: the identifier reported on failure.
    pub sequence_number: Option<String>,
    /// The envelope's `id` (for logs; consumers deduplicate on it).
    pub event_id: String,
    /// The `event_type` attribute, sent as the `event_type` message attribute.
    pub event_type: String,
    /// The envelope's `correlation_id` (for logs: the order or user the event is about).
    pub correlation_id: String,
    /// The envelope JSON exactly as the producer wrote it: the SNS message.
    pub envelope: String,
}

impl OutboxMessage {
    /// Bytes this message counts for against [`MAX_BATCH_BYTES`].
    pub fn size(&self) -> usize {
        self.envelope.len()
            + EVENT_TYPE_MESSAGE_ATTRIBUTE.len()
            + "String".len()
            + self.event_type.len()
    }

    /// The log span of this message: its event id, type and correlation id.
    pub fn span(&self) -> tracing::Span {
        shared::telemetry::event_span(&self.event_id, &self.event_type, &self.correlation_id)
    }

    /// The `PublishBatch` entry of this message; `id` must be unique within the call.
    pub fn to_entry(&self, id: &str) -> Result<PublishBatchRequestEntry, PublishError> {
        let event_type = MessageAttributeValue::builder()
            .data_type("String")
            .string_value(&self.event_type)
            .build()?;
        Ok(PublishBatchRequestEntry::builder()
            .id(id)
            .message(&self.envelope)
            .message_attributes(EVENT_TYPE_MESSAGE_ATTRIBUTE, event_type)
            .build()?)
    }
}

/// The record's sequence number, the `itemIdentifier` Lambda expects for stream sources.
pub fn sequence_number(record: &EventRecord) -> Option<&str> {
    record.change.sequence_number.as_deref()
}

/// The outbox message of an `INSERT` of an outbox item; `Ok(None)` for every other record
/// (updates, deletes such as TTL expiry of outbox items, and the table's other items),
/// which the publisher acknowledges without doing anything.
pub fn outbox_message(record: &EventRecord) -> Result<Option<OutboxMessage>, PublishError> {
    let keys = &record.change.keys;
    if record.event_name != "INSERT" || !is_outbox_key(string(keys, "PK"), string(keys, "SK")) {
        return Ok(None);
    }
    let image = &record.change.new_image;
    let envelope = string(image, ENVELOPE_ATTRIBUTE).ok_or_else(|| {
        malformed(format!(
            "no string attribute {ENVELOPE_ATTRIBUTE} in NewImage"
        ))
    })?;
    let event_type = string(image, EVENT_TYPE_ATTRIBUTE).ok_or_else(|| {
        malformed(format!(
            "no string attribute {EVENT_TYPE_ATTRIBUTE} in NewImage"
        ))
    })?;
    // Only the error's category and position: serde's messages can quote payload values.
    let parsed = Envelope::parse(envelope).map_err(|e| {
        malformed(format!(
            "{ENVELOPE_ATTRIBUTE} is not an event envelope ({:?} error at line {} column {})",
            e.classify(),
            e.line(),
            e.column()
        ))
    })?;
    if parsed.event_type != event_type {
        // Subscriptions filter on the attribute and consumers dispatch on the envelope;
        // publishing a disagreement would route the event to the wrong consumers.
        return Err(malformed(format!(
            "{EVENT_TYPE_ATTRIBUTE} {event_type:?} differs from the envelope's type {:?}",
            parsed.event_type
        )));
    }
    Ok(Some(OutboxMessage {
        sequence_number: sequence_number(record).map(str::to_owned),
        event_id: parsed.id,
        event_type: event_type.to_owned(),
        correlation_id: parsed.correlation_id,
        envelope: envelope.to_owned(),
    }))
}

/// Splits messages, in order, into `PublishBatch` calls of at most [`MAX_BATCH_ENTRIES`]
/// entries and [`MAX_BATCH_BYTES`]. A message too big on its own gets a call of its own
/// (which SNS rejects, so it is reported and ends up in the OnFailure destination).
pub fn batches(messages: &[OutboxMessage]) -> Vec<&[OutboxMessage]> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut bytes = 0;
    for (i, message) in messages.iter().enumerate() {
        let full = i - start == MAX_BATCH_ENTRIES
            || (i > start && bytes + message.size() > MAX_BATCH_BYTES);
        if full {
            out.push(&messages[start..i]);
            start = i;
            bytes = 0;
        }
        bytes += message.size();
    }
    if start < messages.len() {
        out.push(&messages[start..]);
    }
    out
}

fn string<'a>(item: &'a serde_dynamo::Item, name: &str) -> Option<&'a str> {
    match item.get(name) {
        Some(AttributeValue::S(s)) => Some(s),
        _ => None,
    }
}

fn malformed(reason: String) -> PublishError {
    PublishError::MalformedItem(reason)
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_lambda_events::event::dynamodb::Event;
    use serde_json::json;

    fn envelope(id: &str, event_type: &str) -> String {
        json!({
            "id": id, "type": event_type, "version": 1, "source": "users",
            "time": "2026-01-01T00:00:00Z", "correlation_id": "u-1",
            "data": {"user_id": "u-1"}
        })
        .to_string()
    }

    fn record(event_name: &str, pk: &str, sk: &str, new_image: serde_json::Value) -> EventRecord {
        let event: Event = serde_json::from_value(json!({"Records": [{
            "eventID": "1",
            "eventName": event_name,
            "eventVersion": "1.1",
            "eventSource": "aws:dynamodb",
            "awsRegion": "us-east-1",
            "dynamodb": {
                "ApproximateCreationDateTime": 1767225600,
                "Keys": {"PK": {"S": pk}, "SK": {"S": sk}},
                "NewImage": new_image,
                "SequenceNumber": "111",
                "SizeBytes": 100,
                "StreamViewType": "NEW_IMAGE"
            }
        }]}))
        .unwrap();
        event.records.into_iter().next().unwrap()
    }

    fn outbox_image(envelope: &str, event_type: &str) -> serde_json::Value {
        json!({
            "PK": {"S": "OUTBOX#e-1"}, "SK": {"S": "OUTBOX"},
            "event_type": {"S": event_type}, "envelope": {"S": envelope}, "ttl": {"N": "1767830400"}
        })
    }

    fn message(n: usize, size: usize) -> OutboxMessage {
        OutboxMessage {
            sequence_number: Some(n.to_string()),
            event_id: n.to_string(),
            event_type: "T".into(),
            correlation_id: "c".into(),
            envelope: "x".repeat(size),
        }
    }

    #[test]
    fn an_outbox_insert_becomes_its_envelope_with_the_event_type() {
        let env = envelope("e-1", "UserRegistered");
        let rec = record(
            "INSERT",
            "OUTBOX#e-1",
            "OUTBOX",
            outbox_image(&env, "UserRegistered"),
        );
        let msg = outbox_message(&rec).unwrap().unwrap();
        assert_eq!(msg.envelope, env);
        assert_eq!(msg.event_type, "UserRegistered");
        assert_eq!(msg.event_id, "e-1");
        assert_eq!(msg.correlation_id, "u-1");
        assert_eq!(msg.sequence_number.as_deref(), Some("111"));

        let entry = msg.to_entry("7").unwrap();
        assert_eq!(entry.id(), "7");
        assert_eq!(entry.message(), env);
        let attr = &entry.message_attributes().unwrap()["event_type"];
        assert_eq!(attr.data_type(), "String");
        assert_eq!(attr.string_value(), Some("UserRegistered"));
    }

    #[test]
    fn other_records_are_ignored() {
        let env = envelope("e-1", "UserRegistered");
        for (name, pk, sk) in [
            ("MODIFY", "OUTBOX#e-1", "OUTBOX"),
            ("REMOVE", "OUTBOX#e-1", "OUTBOX"),
            ("INSERT", "USER#u-1", "PROFILE"),
            ("INSERT", "OUTBOX#e-1", "OTHER"),
            ("INSERT", "EVENT#e-1", "PROCESSED#x"),
        ] {
            let rec = record(name, pk, sk, outbox_image(&env, "UserRegistered"));
            assert_eq!(outbox_message(&rec).unwrap(), None, "{name} {pk} {sk}");
        }
    }

    #[test]
    fn a_malformed_outbox_item_is_an_error_that_does_not_quote_the_payload() {
        let secret_env =
            r#"{"id": "e-1", "type": "UserRegistered", "version": "alice@example.com"}"#;
        let cases = [
            json!({"PK": {"S": "OUTBOX#e-1"}, "event_type": {"S": "UserRegistered"}}),
            json!({"envelope": {"S": envelope("e-1", "UserRegistered")}}),
            json!({"envelope": {"N": "1"}, "event_type": {"S": "UserRegistered"}}),
            outbox_image("not json", "UserRegistered"),
            outbox_image(secret_env, "UserRegistered"),
            outbox_image(&envelope("e-1", "UserRegistered"), "UserDeleted"),
            json!(null),
        ];
        for image in cases {
            let rec = record("INSERT", "OUTBOX#e-1", "OUTBOX", image.clone());
            let err = outbox_message(&rec).unwrap_err();
            assert!(matches!(err, PublishError::MalformedItem(_)), "{image}");
            assert!(!err.to_string().contains("alice"), "{err}");
        }
    }

    #[test]
    fn batches_hold_at_most_ten_entries_and_256_kib_in_order() {
        let twelve: Vec<_> = (0..12).map(|n| message(n, 100)).collect();
        let sizes: Vec<_> = batches(&twelve).iter().map(|b| b.len()).collect();
        assert_eq!(sizes, vec![10, 2]);
        assert!(batches(&[]).is_empty());

        let big: Vec<_> = (0..5).map(|n| message(n, 100 * 1024)).collect();
        let split = batches(&big);
        assert_eq!(
            split.iter().map(|b| b.len()).collect::<Vec<_>>(),
            vec![2, 2, 1]
        );
        assert!(split
            .iter()
            .all(|b| b.iter().map(OutboxMessage::size).sum::<usize>() <= MAX_BATCH_BYTES));
        let order: Vec<_> = split
            .iter()
            .flat_map(|b| b.iter())
            .map(|m| m.event_id.clone())
            .collect();
        assert_eq!(order, vec!["0", "1", "2", "3", "4"]);

        let oversized = vec![message(0, 10), message(1, 300 * 1024), message(2, 10)];
        assert_eq!(
            batches(&oversized)
                .iter()
                .map(|b| b.len())
                .collect::<Vec<_>>(),
            vec![1, 1, 1]
        );
    }
}
