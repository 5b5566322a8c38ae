//! Business metrics in CloudWatch Embedded Metric Format (EMF): one JSON document per
//! emission, written as one line on stdout, which Lambda sends to CloudWatch Logs, which
//! extracts the metrics. No API call, no agent, no dependency.
//!
//! Every metric is a count in namespace [`NAMESPACE`] with dimension `Service` (the
//! service, e.g. `orders`, the same for its API and worker functions); the metrics with a
//! reason are published twice, per `Service` and per `Service` and `Reason`, so that a
//! dashboard or an alarm can use the total without metric math.

use serde_json::{json, Map, Value};
use std::io::Write;
use std::sync::{Arc, Mutex};

/// The CloudWatch namespace of every crabcart business metric.
pub const NAMESPACE: &str = "crabcart";
/// The dimension every metric has: the service that emitted it.
pub const SERVICE_DIMENSION: &str = "Service";
/// The dimension of the metrics that have a reason.
pub const REASON_DIMENSION: &str = "Reason";
/// The unit of every business metric.
pub const UNIT: &str = "Count";
/// Longest `Reason` value kept as is; CloudWatch allows 1024 characters, but a longer
/// reason is not one of a small set of codes and would only add cardinality.
const MAX_REASON_LEN: usize = 64;

/// A business fact worth counting, as it becomes true (committed), once per fact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BusinessMetric {
    /// POST /v1/orders created an order (not an idempotent replay).
    OrdersPlaced,
    /// The saga confirmed an order.
    OrdersConfirmed,
    /// The saga rejected an order; `reason` is the order's rejection reason
    /// (`out_of_stock`, `payment_declined`, `expired`).
    OrdersRejected {
        /// The rejection reason's wire name.
        reason: &'static str,
    },
    /// Payments recorded a declined charge; `reason` is the provider's decline code
    /// (`card_declined`, `insufficient_funds`, ...).
    PaymentFailures {
        /// The decline code.
        reason: String,
    },
    /// Products refused to reserve an order's stock (StockReservationFailed).
    ReservationFailures,
    /// A worker received messages moved back from its dead-letter queue.
    DlqRedrives,
}

impl BusinessMetric {
    /// The CloudWatch metric name.
    pub fn name(&self) -> &'static str {
        match self {
            Self::OrdersPlaced => "OrdersPlaced",
            Self::OrdersConfirmed => "OrdersConfirmed",
            Self::OrdersRejected { .. } => "OrdersRejected",
            Self::PaymentFailures { .. } => "PaymentFailures",
            Self::ReservationFailures => "ReservationFailures",
            Self::DlqRedrives => "DlqRedrives",
        }
    }

    /// The `Reason` dimension's value, for the metrics that have one.
    pub fn reason(&self) -> Option<&str> {
        match self {
            Self::OrdersRejected { reason } => Some(reason),
            Self::PaymentFailures { reason } => Some(reason),
            _ => None,
        }
    }
}

/// The EMF document counting `count` of `metric` emitted by `service` at `timestamp_ms`
/// (epoch milliseconds).
pub fn emf_document(
    service: &str,
    metric: &BusinessMetric,
    count: u64,
    timestamp_ms: i64,
) -> Value {
    let mut dimensions = vec![json!([SERVICE_DIMENSION])];
    let mut root = Map::new();
    root.insert(SERVICE_DIMENSION.to_owned(), json!(service));
    if let Some(reason) = metric.reason() {
        dimensions.push(json!([SERVICE_DIMENSION, REASON_DIMENSION]));
        root.insert(REASON_DIMENSION.to_owned(), json!(reason_value(reason)));
    }
    root.insert(metric.name().to_owned(), json!(count));
    root.insert(
        "_aws".to_owned(),
        json!({
            "Timestamp": timestamp_ms,
            "CloudWatchMetrics": [{
                "Namespace": NAMESPACE,
                "Dimensions": dimensions,
                "Metrics": [{"Name": metric.name(), "Unit": UNIT}],
            }],
        }),
    );
    Value::Object(root)
}

/// A reason as a dimension value: a short code of `[a-z0-9_]`, else `other`, so that a
/// provider's free text can neither explode the metric's cardinality nor break EMF.
fn reason_value(reason: &str) -> &str {
    let is_code = !reason.is_empty()
        && reason.len() <= MAX_REASON_LEN
        && reason
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if is_code {
        reason
    } else {
        "other"
    }
}

/// Where the EMF lines go.
#[derive(Debug, Clone)]
enum Sink {
    /// Stdout: CloudWatch Logs in Lambda.
    Stdout,
    /// Kept in memory for a test to read.
    Recorder(Arc<Mutex<Vec<String>>>),
}

/// The business metrics handle of one service, held by its App or Worker.
#[derive(Debug, Clone)]
pub struct Metrics {
    service: &'static str,
    sink: Sink,
}

impl Metrics {
    /// Metrics of `service` written to stdout, as Lambda functions do.
    pub fn stdout(service: &'static str) -> Self {
        Self {
            service,
            sink: Sink::Stdout,
        }
    }

    /// Metrics of `service` kept in memory, and the recorder that reads them (tests).
    pub fn recording(service: &'static str) -> (Self, MetricsRecorder) {
        let lines = Arc::new(Mutex::new(Vec::new()));
        let metrics = Self {
            service,
            sink: Sink::Recorder(Arc::clone(&lines)),
        };
        (metrics, MetricsRecorder(lines))
    }

    /// Counts one occurrence of `metric`.
    pub fn emit(&self, metric: BusinessMetric) {
        self.emit_count(metric, 1);
    }

    /// Counts `count` occurrences of `metric` in one document (nothing when zero).
    pub fn emit_count(&self, metric: BusinessMetric, count: u64) {
        if count == 0 {
            return;
        }
        let timestamp = crate::time::now().timestamp_millis();
        let line = emf_document(self.service, &metric, count, timestamp).to_string();
        match &self.sink {
            Sink::Stdout => {
                // One write of the whole line under the lock, so that a log line written
                // concurrently cannot land inside it.
                let mut out = std::io::stdout().lock();
                if let Err(err) = out.write_all(format!("{line}\n").as_bytes()) {
                    tracing::warn!(error = %err, metric = metric.name(), "metric not written");
                }
            }
            Sink::Recorder(lines) => lines.lock().unwrap_or_else(|e| e.into_inner()).push(line),
        }
    }
}

/// One metric value read back from a recorded EMF line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedMetric {
    /// The metric name.
    pub name: String,
    /// The `Service` dimension.
    pub service: String,
    /// The `Reason` dimension, when the metric has one.
    pub reason: Option<String>,
    /// The count.
    pub count: u64,
}

/// Reads what a [`Metrics::recording`] handle emitted.
#[derive(Debug, Clone)]
pub struct MetricsRecorder(Arc<Mutex<Vec<String>>>);

impl MetricsRecorder {
    /// The EMF lines, in emission order.
    pub fn lines(&self) -> Vec<String> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Every metric value of the lines, read back through their EMF directives; a line
    /// that is not an EMF document of [`NAMESPACE`] is skipped.
    pub fn metrics(&self) -> Vec<RecordedMetric> {
        self.lines()
            .iter()
            .filter_map(|line| serde_json::from_str::<Value>(line).ok())
            .flat_map(|doc| read_back(&doc))
            .collect()
    }
}

fn read_back(doc: &Value) -> Vec<RecordedMetric> {
    let directives = doc["_aws"]["CloudWatchMetrics"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    directives
        .iter()
        .filter(|d| d["Namespace"] == NAMESPACE)
        .flat_map(|d| d["Metrics"].as_array().cloned().unwrap_or_default())
        .filter_map(|m| {
            let name = m["Name"].as_str()?.to_owned();
            Some(RecordedMetric {
                count: doc[&name].as_u64()?,
                service: doc[SERVICE_DIMENSION].as_str()?.to_owned(),
                reason: doc[REASON_DIMENSION].as_str().map(str::to_owned),
                name,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_count_is_an_emf_document_with_the_service_dimension() {
        let doc = emf_document(
            "orders",
            &BusinessMetric::OrdersPlaced,
            1,
            1_767_225_600_000,
        );
        assert_eq!(
            doc.to_string(),
            r#"{"OrdersPlaced":1,"Service":"orders","_aws":{"CloudWatchMetrics":[{"Dimensions":[["Service"]],"Metrics":[{"Name":"OrdersPlaced","Unit":"Count"}],"Namespace":"crabcart"}],"Timestamp":1767225600000}}"#
        );
    }

    #[test]
    fn a_metric_with_a_reason_is_published_per_service_and_per_reason() {
        let metric = BusinessMetric::OrdersRejected {
            reason: "out_of_stock",
        };
        let doc = emf_document("orders", &metric, 2, 5);
        assert_eq!(
            doc,
            json!({
                "_aws": {
                    "Timestamp": 5,
                    "CloudWatchMetrics": [{
                        "Namespace": "crabcart",
                        "Dimensions": [["Service"], ["Service", "Reason"]],
                        "Metrics": [{"Name": "OrdersRejected", "Unit": "Count"}],
                    }],
                },
                "Service": "orders",
                "Reason": "out_of_stock",
                "OrdersRejected": 2,
            })
        );
    }

    #[test]
    fn a_reason_that_is_not_a_short_code_is_other() {
        for (reason, expected) in [
            ("card_declined", "card_declined"),
            ("Card declined: call your bank", "other"),
            ("", "other"),
            (&"x".repeat(65), "other"),
        ] {
            let metric = BusinessMetric::PaymentFailures {
                reason: reason.to_owned(),
            };
            assert_eq!(emf_document("payments", &metric, 1, 0)["Reason"], expected);
        }
    }

    #[test]
    fn the_recorder_reads_back_what_was_emitted_and_zero_emits_nothing() {
        let (metrics, recorder) = Metrics::recording("payments");
        metrics.emit(BusinessMetric::PaymentFailures {
            reason: "insufficient_funds".to_owned(),
        });
        metrics.emit_count(BusinessMetric::DlqRedrives, 0);
        metrics.emit_count(BusinessMetric::DlqRedrives, 3);
        assert_eq!(recorder.lines().len(), 2);
        assert_eq!(
            recorder.metrics(),
            vec![
                RecordedMetric {
                    name: "PaymentFailures".into(),
                    service: "payments".into(),
                    reason: Some("insufficient_funds".into()),
                    count: 1,
                },
                RecordedMetric {
                    name: "DlqRedrives".into(),
                    service: "payments".into(),
                    reason: None,
                    count: 3,
                },
            ]
        );
        let timestamp = serde_json::from_str::<Value>(&recorder.lines()[0]).unwrap()["_aws"]
            ["Timestamp"]
            .as_i64()
            .unwrap();
        let now = crate::time::now().timestamp_millis();
        assert!((now - 60_000..=now).contains(&timestamp), "{timestamp}");
    }
}
