//! DynamoDB stream event source mapping: shard readers, Lambda DynamoDB events, retries,
//! bisection, partial batch failures and the on-failure destination.
//!
//! Shards are read one after another in one task (Lambda reads them concurrently); a
//! child shard is only read once its parent is drained, as Lambda guarantees.

use super::filter::FilterSet;
use super::{is_shutdown, region_of, shutdown_requested, sleep_or_shutdown, Backoff, StreamSource};
use crate::lambda::InvokeError;
use crate::running::RunningFunction;
use aws_sdk_dynamodbstreams::types::{AttributeValue, Record, ShardIteratorType};
use base64::Engine as _;
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// How often the shard list is refreshed to pick up new (child) shards.
const DESCRIBE_EVERY: Duration = Duration::from_secs(5);
/// Pause between GetRecords rounds when nothing new arrived.
const IDLE_POLL: Duration = Duration::from_millis(250);
/// MaximumRetryAttempts -1 (the default) means "until the record expires" in Lambda;
/// locally a poison batch would otherwise block its shard forever.
const LOCAL_MAX_RETRIES: u32 = 50;

#[derive(Debug, Clone)]
pub(super) struct Pending {
    pub record: Value,
    pub seq: String,
    /// ApproximateCreationDateTime, epoch seconds.
    pub created: Option<f64>,
}

struct Shard {
    parent: Option<String>,
    iterator: Option<String>,
    /// Sequence number of the last record fetched, to resume after a lost iterator.
    last_seq: Option<String>,
    /// Listed in the first DescribeStream (uses the mapping's starting position).
    initial: bool,
    buffer: VecDeque<Pending>,
    /// GetRecords returned no next iterator: the shard is closed.
    closed: bool,
}

impl Shard {
    fn finished(&self) -> bool {
        self.closed && self.buffer.is_empty()
    }
}

pub(super) async fn run(
    streams: aws_sdk_dynamodbstreams::Client,
    sqs: aws_sdk_sqs::Client,
    src: StreamSource,
    f: RunningFunction,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut poller = Poller {
        filters: FilterSet::parse(&src.stream_arn, &src.filters),
        region: region_of(&src.stream_arn),
        streams,
        sqs,
        src,
        f,
        shards: BTreeMap::new(),
        described: None,
    };
    tracing::debug!(table = %poller.src.table_name, stream = %poller.src.stream_arn, function = %poller.f.name(), "stream poller started");
    let mut errors = Backoff::new();
    while !is_shutdown(&shutdown) {
        if poller
            .described
            .is_none_or(|t| t.elapsed() >= DESCRIBE_EVERY)
        {
            match poller.describe().await {
                Ok(()) => errors.reset(),
                Err(e) => {
                    tracing::warn!(stream = %poller.src.stream_arn, "DescribeStream failed: {e}");
                    if errors.wait(&mut shutdown).await {
                        break;
                    }
                    continue;
                }
            }
        }
        tokio::select! {
            _ = poller.f.until_runnable() => {}
            _ = shutdown_requested(&mut shutdown) => break,
        }
        let mut in_round = shutdown.clone();
        let worked = tokio::select! {
            w = poller.round(&mut in_round) => w,
            _ = shutdown_requested(&mut shutdown) => break,
        };
        match worked {
            Some(true) => {}
            Some(false) => {
                if sleep_or_shutdown(IDLE_POLL, &mut shutdown).await {
                    break;
                }
            }
            None => break,
        }
    }
    tracing::debug!(stream = %poller.src.stream_arn, "stream poller stopped");
}

struct Poller {
    streams: aws_sdk_dynamodbstreams::Client,
    sqs: aws_sdk_sqs::Client,
    src: StreamSource,
    f: RunningFunction,
    filters: FilterSet,
    region: String,
    shards: BTreeMap<String, Shard>,
    described: Option<Instant>,
}

fn sdk_err<E: std::error::Error>(e: E) -> String {
    aws_sdk_dynamodbstreams::error::DisplayErrorContext(e).to_string()
}

impl Poller {
    async fn describe(&mut self) -> Result<(), String> {
        let first = self.described.is_none();
        let mut start: Option<String> = None;
        loop {
            let out = self
                .streams
                .describe_stream()
                .stream_arn(&self.src.stream_arn)
                .set_exclusive_start_shard_id(start.clone())
                .send()
                .await
                .map_err(sdk_err)?;
            let Some(desc) = out.stream_description else {
                return Err("no StreamDescription".into());
            };
            for s in desc.shards.unwrap_or_default() {
                let Some(id) = s.shard_id else { continue };
                self.shards.entry(id).or_insert_with(|| Shard {
                    parent: s.parent_shard_id,
                    iterator: None,
                    last_seq: None,
                    initial: first,
                    buffer: VecDeque::new(),
                    closed: false,
                });
            }
            start = desc.last_evaluated_shard_id;
            if start.is_none() {
                break;
            }
        }
        self.described = Some(Instant::now());
        Ok(())
    }

    /// One pass over the readable shards. Returns whether any records were delivered,
    /// or None on shutdown.
    async fn round(&mut self, shutdown: &mut watch::Receiver<bool>) -> Option<bool> {
        let mut worked = false;
        let ids: Vec<String> = self.shards.keys().cloned().collect();
        for id in ids {
            let readable = match self.shards.get(&id) {
                Some(s) if !s.finished() => s
                    .parent
                    .as_ref()
                    .and_then(|p| self.shards.get(p))
                    .is_none_or(Shard::finished),
                _ => false,
            };
            if !readable {
                continue;
            }
            if let Err(e) = self.fetch(&id).await {
                tracing::warn!(stream = %self.src.stream_arn, shard = %id, "reading the shard failed: {e}");
                if let Some(s) = self.shards.get_mut(&id) {
                    // Start over from the checkpoint with a fresh iterator next round.
                    s.iterator = None;
                }
                continue;
            }
            let batch_size = usize::try_from(self.src.batch_size.max(1)).unwrap_or(1);
            loop {
                let batch: Vec<Pending> = match self.shards.get_mut(&id) {
                    Some(s) if !s.buffer.is_empty() => {
                        let n = batch_size.min(s.buffer.len());
                        s.buffer.drain(..n).collect()
                    }
                    _ => break,
                };
                worked = true;
                if !self.deliver(&id, batch, shutdown).await {
                    return None;
                }
            }
        }
        Some(worked)
    }

    /// Fills the shard's buffer with the next records that pass the filters.
    async fn fetch(&mut self, id: &str) -> Result<(), String> {
        let Some(shard) = self.shards.get(id) else {
            return Ok(());
        };
        if !shard.buffer.is_empty() || shard.closed {
            return Ok(());
        }
        let iterator = match &shard.iterator {
            Some(it) => it.clone(),
            None => {
                let mut req = self
                    .streams
                    .get_shard_iterator()
                    .stream_arn(&self.src.stream_arn)
                    .shard_id(id);
                req = match (&shard.last_seq, shard.initial) {
                    (Some(seq), _) => req
                        .shard_iterator_type(ShardIteratorType::AfterSequenceNumber)
                        .sequence_number(seq),
                    (None, true) if self.src.starting_position.eq_ignore_ascii_case("LATEST") => {
                        req.shard_iterator_type(ShardIteratorType::Latest)
                    }
                    // Shards that appear later are read from their start, as Lambda does.
                    (None, _) => req.shard_iterator_type(ShardIteratorType::TrimHorizon),
                };
                let out = req.send().await.map_err(sdk_err)?;
                match out.shard_iterator {
                    Some(it) => it,
                    None => {
                        if let Some(s) = self.shards.get_mut(id) {
                            s.closed = true;
                        }
                        return Ok(());
                    }
                }
            }
        };
        let out = self
            .streams
            .get_records()
            .shard_iterator(iterator)
            .limit(1000)
            .send()
            .await
            .map_err(sdk_err)?;
        let Some(shard) = self.shards.get_mut(id) else {
            return Ok(());
        };
        shard.closed = out.next_shard_iterator.is_none();
        shard.iterator = out.next_shard_iterator;
        for r in out.records.unwrap_or_default() {
            let p = pending(&r, &self.src.stream_arn, &self.region);
            if !p.seq.is_empty() {
                shard.last_seq = Some(p.seq.clone());
            }
            // Filtered-out records are consumed: they never reach the function.
            if self.filters.matches(&p.record) {
                shard.buffer.push_back(p);
            }
        }
        Ok(())
    }

    /// Delivers one batch with Lambda's retry semantics. Returns false on shutdown.
    async fn deliver(
        &self,
        shard_id: &str,
        batch: Vec<Pending>,
        shutdown: &mut watch::Receiver<bool>,
    ) -> bool {
        let max_retries = match self.src.maximum_retry_attempts {
            Some(n) if n >= 0 => u32::try_from(n).unwrap_or(u32::MAX).min(LOCAL_MAX_RETRIES),
            _ => LOCAL_MAX_RETRIES,
        };
        let mut backoff = Backoff::new();
        // (records, retries so far); halves from bisection are pushed in reverse so the
        // first half runs first and shard order is kept.
        let mut work = vec![(batch, 0u32)];
        while let Some((records, retries)) = work.pop() {
            if records.is_empty() {
                continue;
            }
            let event =
                json!({"Records": records.iter().map(|p| p.record.clone()).collect::<Vec<_>>()});
            let result = self.f.invoke(event).await;
            let (first_failed, function_error) = match result {
                Ok(response) if self.src.report_batch_item_failures => {
                    match first_failed_index(&response, &records) {
                        Ok(None) => continue,
                        Ok(Some(i)) => (i, None),
                        Err(why) => {
                            tracing::warn!(function = %self.f.name(), "invalid batchItemFailures ({why}); the whole batch failed");
                            (0, None)
                        }
                    }
                }
                Ok(_) => continue,
                Err(e) => {
                    tracing::warn!(function = %self.f.name(), stream = %self.src.stream_arn, "stream batch failed: {e}");
                    (0, Some(e))
                }
            };
            let remaining = records[first_failed..].to_vec();
            if retries >= max_retries {
                self.send_to_on_failure(shard_id, &remaining, retries + 1, function_error.as_ref())
                    .await;
                continue;
            }
            if backoff.wait(shutdown).await {
                return false;
            }
            if function_error.is_some() && self.src.bisect_on_error && remaining.len() > 1 {
                let mut first = remaining;
                let second = first.split_off(first.len() / 2);
                work.push((second, retries + 1));
                work.push((first, retries + 1));
            } else {
                work.push((remaining, retries + 1));
            }
        }
        true
    }

    async fn send_to_on_failure(
        &self,
        shard_id: &str,
        records: &[Pending],
        invoke_count: u32,
        error: Option<&InvokeError>,
    ) {
        let (Some(first), Some(last)) = (records.first(), records.last()) else {
            return;
        };
        let Some(queue_url) = &self.src.on_failure_queue_url else {
            tracing::error!(
                stream = %self.src.stream_arn,
                start = %first.seq, end = %last.seq,
                "retries exhausted and no on-failure destination: records discarded"
            );
            return;
        };
        let body = on_failure_record(
            &self.f,
            &self.src.stream_arn,
            shard_id,
            records,
            invoke_count,
            error,
        )
        .to_string();
        for attempt in 1..=5u32 {
            match self
                .sqs
                .send_message()
                .queue_url(queue_url)
                .message_body(&body)
                .send()
                .await
            {
                Ok(_) => {
                    tracing::warn!(
                        stream = %self.src.stream_arn,
                        start = %first.seq, end = %last.seq,
                        "retries exhausted: batch info sent to the on-failure queue"
                    );
                    return;
                }
                Err(e) if attempt < 5 => {
                    tracing::warn!(%queue_url, "sending the on-failure record failed: {}", aws_sdk_sqs::error::DisplayErrorContext(&e));
                    tokio::time::sleep(Duration::from_millis(200) * attempt).await;
                }
                Err(e) => {
                    tracing::error!(%queue_url, "on-failure record lost: {}", aws_sdk_sqs::error::DisplayErrorContext(&e));
                }
            }
        }
    }
}

/// Index of the record to retry from (the lowest reported sequence number), None when the
/// batch fully succeeded, Err when the response makes the whole batch a failure.
pub(super) fn first_failed_index(
    response: &Value,
    records: &[Pending],
) -> Result<Option<usize>, String> {
    let ids: Vec<&str> = records.iter().map(|p| p.seq.as_str()).collect();
    let failed = super::sqs::batch_item_failures(response, &ids)?;
    Ok(records.iter().position(|p| failed.contains(&p.seq)))
}

fn iso(secs: Option<f64>) -> Value {
    secs.and_then(|s| chrono::DateTime::from_timestamp_millis((s * 1000.0) as i64))
        .map(|d| Value::String(d.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)))
        .unwrap_or(Value::Null)
}

/// The record Lambda sends to an on-failure destination for a stream batch.
pub(super) fn on_failure_record(
    f: &RunningFunction,
    stream_arn: &str,
    shard_id: &str,
    records: &[Pending],
    invoke_count: u32,
    error: Option<&InvokeError>,
) -> Value {
    let mut response_context = json!({"statusCode": 200, "executedVersion": "$LATEST"});
    if error.is_some() {
        response_context["functionError"] = json!("Unhandled");
    }
    json!({
        "requestContext": {
            "requestId": uuid::Uuid::now_v7().to_string(),
            "functionArn": f.arn(),
            "condition": "RetryAttemptsExhausted",
            "approximateInvokeCount": invoke_count,
        },
        "responseContext": response_context,
        "version": "1.0",
        "timestamp": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "DDBStreamBatchInfo": {
            "shardId": shard_id,
            "startSequenceNumber": records.first().map(|p| p.seq.clone()),
            "endSequenceNumber": records.last().map(|p| p.seq.clone()),
            "approximateArrivalOfFirstRecord": iso(records.first().and_then(|p| p.created)),
            "approximateArrivalOfLastRecord": iso(records.last().and_then(|p| p.created)),
            "batchSize": records.len(),
            "streamArn": stream_arn,
        }
    })
}

/// A stream record as Lambda delivers it in the DynamoDB event.
pub(super) fn pending(r: &Record, stream_arn: &str, default_region: &str) -> Pending {
    let d = r.dynamodb.as_ref();
    let created = d
        .and_then(|d| d.approximate_creation_date_time.as_ref())
        .map(|t| t.as_secs_f64());
    let seq = d
        .and_then(|d| d.sequence_number.clone())
        .unwrap_or_default();
    let mut ddb = Map::new();
    if let Some(c) = created {
        // Lambda sends whole epoch seconds here.
        ddb.insert(
            "ApproximateCreationDateTime".into(),
            json!(c.floor() as i64),
        );
    }
    if let Some(d) = d {
        for (name, image) in [
            ("Keys", &d.keys),
            ("NewImage", &d.new_image),
            ("OldImage", &d.old_image),
        ] {
            if let Some(image) = image {
                ddb.insert(name.into(), attribute_map(image));
            }
        }
        ddb.insert("SequenceNumber".into(), json!(seq));
        if let Some(size) = d.size_bytes {
            ddb.insert("SizeBytes".into(), json!(size));
        }
        if let Some(v) = &d.stream_view_type {
            ddb.insert("StreamViewType".into(), json!(v.as_str()));
        }
    }
    let mut record = json!({
        "eventID": r.event_id,
        "eventName": r.event_name.as_ref().map(|n| n.as_str()),
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": r.aws_region.clone().unwrap_or_else(|| default_region.to_string()),
        "dynamodb": ddb,
        "eventSourceARN": stream_arn,
    });
    if let Some(u) = &r.user_identity {
        record["userIdentity"] = json!({"type": u.r#type, "principalId": u.principal_id});
    }
    Pending {
        record,
        seq,
        created,
    }
}

fn attribute_map(m: &HashMap<String, AttributeValue>) -> Value {
    Value::Object(
        m.iter()
            .map(|(k, v)| (k.clone(), attribute_value(v)))
            .collect(),
    )
}

/// Renders an attribute value in DynamoDB JSON (`{"S": "..."}`), as stream events carry it.
pub(super) fn attribute_value(v: &AttributeValue) -> Value {
    let b64 =
        |b: &aws_smithy_types::Blob| base64::engine::general_purpose::STANDARD.encode(b.as_ref());
    match v {
        AttributeValue::S(s) => json!({"S": s}),
        AttributeValue::N(n) => json!({"N": n}),
        AttributeValue::B(b) => json!({"B": b64(b)}),
        AttributeValue::Bool(b) => json!({"BOOL": b}),
        AttributeValue::Null(b) => json!({"NULL": b}),
        AttributeValue::M(m) => json!({"M": attribute_map(m)}),
        AttributeValue::L(l) => json!({"L": l.iter().map(attribute_value).collect::<Vec<_>>()}),
        AttributeValue::Ss(s) => json!({"SS": s}),
        AttributeValue::Ns(n) => json!({"NS": n}),
        AttributeValue::Bs(b) => json!({"BS": b.iter().map(b64).collect::<Vec<_>>()}),
        _ => Value::Null,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_smithy_types::Blob;

    #[test]
    fn attribute_values_render_as_dynamodb_json() {
        let m = HashMap::from([
            ("s".to_string(), AttributeValue::S("x".into())),
            (
                "l".to_string(),
                AttributeValue::L(vec![
                    AttributeValue::N("1".into()),
                    AttributeValue::Null(true),
                ]),
            ),
        ]);
        let cases = [
            (AttributeValue::S("a".into()), json!({"S": "a"})),
            (AttributeValue::N("1.5".into()), json!({"N": "1.5"})),
            (
                AttributeValue::B(Blob::new(b"hi".to_vec())),
                json!({"B": "aGk="}),
            ),
            (AttributeValue::Bool(true), json!({"BOOL": true})),
            (AttributeValue::Null(true), json!({"NULL": true})),
            (
                AttributeValue::Ss(vec!["a".into(), "b".into()]),
                json!({"SS": ["a", "b"]}),
            ),
            (AttributeValue::Ns(vec!["1".into()]), json!({"NS": ["1"]})),
            (
                AttributeValue::Bs(vec![Blob::new(b"hi".to_vec())]),
                json!({"BS": ["aGk="]}),
            ),
            (
                AttributeValue::M(m),
                json!({"M": {"s": {"S": "x"}, "l": {"L": [{"N": "1"}, {"NULL": true}]}}}),
            ),
        ];
        for (v, want) in cases {
            assert_eq!(attribute_value(&v), want);
        }
    }

    fn p(seq: &str) -> Pending {
        Pending {
            record: json!({}),
            seq: seq.into(),
            created: None,
        }
    }

    #[test]
    fn retry_starts_at_the_lowest_reported_sequence_number() {
        let recs = [p("100"), p("101"), p("102")];
        let resp =
            json!({"batchItemFailures": [{"itemIdentifier": "102"}, {"itemIdentifier": "101"}]});
        assert_eq!(first_failed_index(&resp, &recs), Ok(Some(1)));
        assert_eq!(first_failed_index(&json!({}), &recs), Ok(None));
        assert!(first_failed_index(
            &json!({"batchItemFailures": [{"itemIdentifier": "999"}]}),
            &recs
        )
        .is_err());
    }
}
