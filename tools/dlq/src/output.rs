//! Reports as people read them (`--json` prints the report's serde form instead).

use crate::message::{Body, DeadLetter, StreamFailure};
use crate::topology::Source;
use crate::{QueueReport, Report};
use chrono::{DateTime, SecondsFormat, Utc};
use shared::events::Envelope;
use std::fmt::Write as _;

/// The report as JSON, one document.
pub fn json(report: &Report) -> String {
    serde_json::to_string_pretty(report).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}

/// The report as text.
pub fn text(report: &Report) -> String {
    let mut out = String::new();
    match report {
        Report::List { target, queues } => {
            let _ = writeln!(out, "dead-letter queues of {target}\n");
            let width = queues
                .iter()
                .map(|q| q.queue.name.len())
                .max()
                .unwrap_or(4)
                .max(4);
            let _ = writeln!(
                out,
                "  {:<width$}  {:>8}  {:>9}  SOURCE",
                "NAME", "MESSAGES", "IN FLIGHT"
            );
            for q in queues {
                let _ = writeln!(
                    out,
                    "  {:<width$}  {:>8}  {:>9}  {}",
                    q.queue.name,
                    q.state.messages,
                    q.state.in_flight,
                    source(q)
                );
            }
        }
        Report::Inspect {
            target,
            queue,
            messages,
        } => {
            let _ = writeln!(
                out,
                "{} ({}) in {target}: {} message(s), {} in flight; source: {}",
                queue.queue.name,
                queue.queue.logical_id,
                queue.state.messages,
                queue.state.in_flight,
                source(queue)
            );
            let _ = writeln!(
                out,
                "{} shown, all left in the queue (each receive counts, this one too)",
                messages.len()
            );
            for m in messages {
                out.push('\n');
                dead_letter(&mut out, m);
            }
        }
        Report::Redrive {
            target,
            queue,
            dry_run,
            outcome,
        } => {
            let to = match &queue.queue.source {
                Source::Queue { logical_id, .. } => logical_id.as_str(),
                Source::Stream { .. } => "(none)",
            };
            let verb = if *dry_run { "would move" } else { "moved" };
            let _ = writeln!(
                out,
                "{} ({}) in {target}: {verb} {} message(s) to {to}{}",
                queue.queue.name,
                queue.queue.logical_id,
                outcome.moved.len(),
                if *dry_run {
                    " (dry run: nothing changed)"
                } else {
                    ""
                }
            );
            for id in &outcome.moved {
                let _ = writeln!(out, "  {id}");
            }
            if !outcome.failures.is_empty() {
                let _ = writeln!(out, "stopped; not moved:");
                for f in &outcome.failures {
                    let _ = writeln!(out, "  {}: {}", f.message_id, f.reason);
                }
            }
        }
    }
    out
}

fn source(q: &QueueReport) -> String {
    match &q.queue.source {
        Source::Queue {
            logical_id,
            max_receive_count,
        } => {
            let after = max_receive_count
                .map(|n| format!(" after {n} receives"))
                .unwrap_or_default();
            let depth = q
                .source_state
                .as_ref()
                .map(|s| format!(", {} waiting there", s.messages))
                .unwrap_or_default();
            format!("queue {logical_id}{after}{depth}")
        }
        Source::Stream { function, table } => {
            format!("{table} stream, batches {function} gave up on")
        }
    }
}

fn dead_letter(out: &mut String, m: &DeadLetter) {
    let count = m
        .receive_count
        .map_or_else(|| "?".to_owned(), |n| n.to_string());
    let _ = writeln!(out, "message {}", m.message_id);
    field(out, "receives", &count);
    field(out, "sent", &time(m.sent_at));
    field(out, "first received", &time(m.first_received_at));
    if let Some(n) = m.redrive_count {
        field(out, "redriven", &format!("{n} time(s) before"));
    }
    match &m.body {
        Body::Event(e) => event(out, e),
        Body::StreamFailure(f) => stream_failure(out, f),
        Body::Raw { text, note } => {
            field(out, "body (raw)", text);
            field(out, "note", note);
        }
    }
}

fn event(out: &mut String, e: &Envelope) {
    field(
        out,
        "event",
        &format!("{} v{} from {}", e.event_type, e.version, e.source),
    );
    field(out, "id", &e.id);
    field(out, "correlation_id", &e.correlation_id);
    field(
        out,
        "time",
        &e.time.to_rfc3339_opts(SecondsFormat::Millis, true),
    );
    field(out, "data", &e.data.to_string());
}

fn stream_failure(out: &mut String, f: &StreamFailure) {
    let invokes = f
        .request
        .approximate_invoke_count
        .map(|n| format!(" after {n} invocation(s)"))
        .unwrap_or_default();
    let error = f
        .response
        .as_ref()
        .and_then(|r| r.function_error.as_deref())
        .map(|e| format!(", function error {e}"))
        .unwrap_or_default();
    field(
        out,
        "failure",
        &format!("{}{invokes}{error}", f.request.condition),
    );
    field(out, "at", f.timestamp.as_deref().unwrap_or("?"));
    field(out, "function", &f.request.function_arn);
    field(out, "stream", &f.batch.stream_arn);
    let range = format!(
        "shard {}, sequence {}..{}, {} record(s), first arrived {}",
        f.batch.shard_id,
        f.batch.start_sequence_number.as_deref().unwrap_or("?"),
        f.batch.end_sequence_number.as_deref().unwrap_or("?"),
        f.batch
            .batch_size
            .map_or_else(|| "?".to_owned(), |n| n.to_string()),
        f.batch
            .approximate_arrival_of_first_record
            .as_deref()
            .unwrap_or("?")
    );
    field(out, "batch", &range);
}

fn field(out: &mut String, name: &str, value: &str) {
    let _ = writeln!(out, "  {name:<15} {value}");
}

fn time(t: Option<DateTime<Utc>>) -> String {
    t.map_or_else(
        || "?".to_owned(),
        |t| t.to_rfc3339_opts(SecondsFormat::Millis, true),
    )
}
