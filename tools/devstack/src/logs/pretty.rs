//! One function log line as a person reads it:
//! `12:04:05.123 orders-worker  INFO  saga step applied  event_type=StockReserved order_id=...`.

use serde_json::{Map, Value};
use std::fmt::Write as _;

/// The fields worth a glance, in the order shown; everything else stays in the log file.
const KEY_FIELDS: &[&str] = &[
    "event_type",
    "order_id",
    "product_id",
    "user_id",
    "status",
    "code",
    "reason",
    "error",
];

const RESET: &str = "\x1b[0m";
const DIM: &str = "\x1b[2m";
const BOLD_RED: &str = "\x1b[1;31m";
/// Function labels cycle through these, so each function keeps one colour.
const LABEL_COLOURS: &[&str] = &[
    "\x1b[36m", "\x1b[35m", "\x1b[34m", "\x1b[32m", "\x1b[33m", "\x1b[96m", "\x1b[95m", "\x1b[94m",
];

/// How lines are laid out.
#[derive(Debug, Clone, Copy)]
pub struct Layout {
    /// The width of the function column (the longest label).
    pub label_width: usize,
    /// ANSI colours (a terminal, and `NO_COLOR` unset).
    pub colour: bool,
}

/// Formats one (already masked) output line of function `label`, received at `time`
/// (`HH:MM:SS.mmm`; the functions' lines carry none, as on Lambda).
pub fn format(time: &str, label: &str, text: &str, layout: Layout) -> String {
    let parsed = serde_json::from_str::<Value>(text).ok();
    let (level, message, fields) = match parsed {
        Some(Value::Object(line)) => describe(&line),
        _ => (String::new(), text.to_owned(), String::new()),
    };
    let paint = |code: &str, s: &str| {
        if layout.colour && !s.is_empty() {
            format!("{code}{s}{RESET}")
        } else {
            s.to_owned()
        }
    };
    let is_error = level == "ERROR";
    let level_colour = match level.as_str() {
        "ERROR" => BOLD_RED,
        "WARN" => "\x1b[33m",
        "INFO" => "\x1b[32m",
        "METRIC" => "\x1b[36m",
        _ => DIM,
    };
    let mut out = String::new();
    let _ = write!(
        out,
        "{} {} {} {}",
        paint(DIM, time),
        paint(
            label_colour(label),
            &format!("{label:<width$}", width = layout.label_width)
        ),
        paint(level_colour, &format!("{level:<6}")),
        if is_error {
            paint(BOLD_RED, &message)
        } else {
            message
        },
    );
    if !fields.is_empty() {
        let _ = write!(out, "  {}", paint(DIM, &fields));
    }
    out.trim_end().to_owned()
}

/// Level, message and key fields of a flat JSON line (or of a CloudWatch EMF metric line).
fn describe(line: &Map<String, Value>) -> (String, String, String) {
    if let Some(metrics) = emf_metrics(line) {
        return ("METRIC".to_owned(), metrics, String::new());
    }
    let text = |v: &Value| match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let level = line.get("level").map(text).unwrap_or_default();
    let message = line.get("message").map(text).unwrap_or_default();
    let fields: Vec<String> = KEY_FIELDS
        .iter()
        .filter_map(|k| line.get(*k).map(|v| format!("{k}={}", text(v))))
        .collect();
    (level.to_ascii_uppercase(), message, fields.join(" "))
}

/// `OrdersPlaced=1 ...` for an Embedded Metric Format line.
fn emf_metrics(line: &Map<String, Value>) -> Option<String> {
    let directives = line.get("_aws")?.get("CloudWatchMetrics")?.as_array()?;
    let names = directives
        .iter()
        .filter_map(|d| d.get("Metrics")?.as_array())
        .flatten()
        .filter_map(|m| m.get("Name")?.as_str());
    let shown: Vec<String> = names
        .map(|n| match line.get(n) {
            Some(v) => format!("{n}={v}"),
            None => n.to_owned(),
        })
        .collect();
    Some(shown.join(" "))
}

fn label_colour(label: &str) -> &'static str {
    let hash = label
        .bytes()
        .fold(0usize, |h, b| h.wrapping_mul(31).wrapping_add(b as usize));
    LABEL_COLOURS[hash % LABEL_COLOURS.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    const PLAIN: Layout = Layout {
        label_width: 13,
        colour: false,
    };

    #[test]
    fn a_json_line_becomes_time_function_level_message_and_key_fields() {
        let raw = r#"{"level":"INFO","message":"saga step applied","service":"orders","request_id":"r-1","correlation_id":"o-1","event_type":"StockReserved","order_id":"o-1","status":"AWAITING_PAYMENT","cold_start":false}"#;
        assert_eq!(
            format("12:04:05.123", "orders-worker", raw, PLAIN),
            "12:04:05.123 orders-worker INFO   saga step applied  event_type=StockReserved order_id=o-1 status=AWAITING_PAYMENT"
        );
        assert_eq!(
            format(
                "12:04:05.123",
                "users-api",
                r#"{"level":"WARN","message":"slow"}"#,
                PLAIN
            ),
            "12:04:05.123 users-api     WARN   slow",
            "the function column is aligned"
        );
    }

    #[test]
    fn errors_stand_out_and_other_lines_pass_through() {
        let colour = Layout {
            label_width: 9,
            colour: true,
        };
        let line = format(
            "12:00:00.000",
            "users-api",
            r#"{"level":"ERROR","message":"request failed","error":"boom","status":500}"#,
            colour,
        );
        assert!(line.contains("\x1b[1;31mERROR"), "{line:?}");
        assert!(line.contains("\x1b[1;31mrequest failed\x1b[0m"), "{line:?}");
        assert!(line.contains("status=500 error=boom"), "{line:?}");
        assert_eq!(
            format(
                "12:00:00.000",
                "users-api",
                "thread 'main' panicked at src/main.rs:3",
                PLAIN
            ),
            "12:00:00.000 users-api            thread 'main' panicked at src/main.rs:3"
        );
    }

    #[test]
    fn metric_lines_name_their_metrics() {
        let emf = r#"{"_aws":{"Timestamp":1,"CloudWatchMetrics":[{"Namespace":"crabcart","Dimensions":[["Service"]],"Metrics":[{"Name":"OrdersPlaced","Unit":"Count"}]}]},"Service":"orders","OrdersPlaced":1}"#;
        assert_eq!(
            format("12:00:00.000", "orders-api", emf, PLAIN),
            "12:00:00.000 orders-api    METRIC OrdersPlaced=1"
        );
    }
}
