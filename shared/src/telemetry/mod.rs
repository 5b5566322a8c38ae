//! JSON logs for CloudWatch: one subscriber set up once in `main`, one span per
//! invocation carrying `service`, `request_id`, `cold_start` and `correlation_id`, and
//! one span per event (a consumed message, a published outbox item) carrying the
//! event's `correlation_id`. Every line is one flat JSON object with the fields of its
//! spans and its own (see [`flat_json`]), so that one CloudWatch Logs Insights query on
//! `correlation_id` follows an order through every function of the saga.

mod flat_json;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;
use tracing::Subscriber;
use tracing_subscriber::fmt::format::JsonFields;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::EnvFilter;

static SERVICE: OnceLock<&'static str> = OnceLock::new();
static COLD_START: AtomicBool = AtomicBool::new(true);

/// Installs the JSON subscriber on stdout (level from `RUST_LOG`, default `info`) and
/// remembers the service name for every invocation span. Call once, first thing in `main`.
pub fn init(service: &'static str) {
    let _ = SERVICE.set(service);
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let _ = tracing::subscriber::set_global_default(subscriber(filter, std::io::stdout));
}

/// The subscriber of [`init`], writing to `writer`: the one log format of every function.
pub fn subscriber<W>(filter: EnvFilter, writer: W) -> impl Subscriber + Send + Sync
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    tracing_subscriber::fmt()
        .fmt_fields(JsonFields::new())
        .event_format(flat_json::FlatJson)
        .with_env_filter(filter)
        .with_writer(writer)
        .finish()
}

/// The span of one invocation; the first one of the process is the cold start. Its
/// `correlation_id` is the request id until [`correlate`] names what the request is about.
pub fn invocation_span(request_id: &str) -> tracing::Span {
    let cold_start = COLD_START.swap(false, Ordering::Relaxed);
    tracing::info_span!(
        "invocation",
        service = SERVICE.get().copied().unwrap_or("unknown"),
        request_id = %request_id,
        cold_start,
        correlation_id = %request_id,
    )
}

/// Sets the `correlation_id` of the current invocation span to the id of what the
/// request is about (an order, a user, a product): the id its events carry, so that its
/// later log lines join that entity's journey. Call it from an API handler, where the
/// invocation span is the current one.
pub fn correlate(correlation_id: &str) {
    tracing::Span::current().record("correlation_id", correlation_id);
}

/// The span of handling or publishing one event: its id, type and `correlation_id`,
/// which overrides the invocation's on the lines logged inside it.
pub fn event_span(event_id: &str, event_type: &str, correlation_id: &str) -> tracing::Span {
    tracing::info_span!(
        "event",
        event_id = %event_id,
        event_type = %event_type,
        correlation_id = %correlation_id,
    )
}

/// Masks an email for logs: `alice@example.com` -> `a***@example.com`.
pub fn mask_email(email: &str) -> String {
    match email.split_once('@') {
        Some((local, domain)) => {
            let first = local.chars().next().unwrap_or('*');
            format!("{first}***@{domain}")
        }
        None => "***".to_owned(),
    }
}

#[cfg(test)]
pub(crate) mod capture {
    //! Log lines captured through the real [`super::subscriber`], for tests.

    use std::io::Write;
    use std::sync::{Arc, Mutex};
    use tracing_subscriber::fmt::MakeWriter;
    use tracing_subscriber::EnvFilter;

    /// An in-memory writer: every line the subscriber writes.
    #[derive(Clone, Default)]
    pub struct CapturedLogs(Arc<Mutex<Vec<u8>>>);

    impl CapturedLogs {
        /// Installs the real subscriber, writing here, on this thread until the guard drops.
        pub fn install(&self) -> tracing::subscriber::DefaultGuard {
            // tracing caches each callsite's interest across threads: a span first hit by
            // a parallel test while no subscriber wanted it could stay disabled for this
            // one. A global subscriber that takes INFO (into a sink) keeps every INFO
            // callsite wanted, so what a test captures never depends on test order.
            static WANT_INFO_EVERYWHERE: std::sync::Once = std::sync::Once::new();
            WANT_INFO_EVERYWHERE.call_once(|| {
                let sink = super::subscriber(EnvFilter::new("info"), std::io::sink);
                let _ = tracing::subscriber::set_global_default(sink);
            });
            tracing::subscriber::set_default(super::subscriber(
                EnvFilter::new("info"),
                self.clone(),
            ))
        }

        /// Every line, parsed as JSON (a line that is not JSON fails the test).
        pub fn lines(&self) -> Vec<serde_json::Value> {
            let bytes = self.0.lock().unwrap().clone();
            String::from_utf8(bytes)
                .unwrap()
                .lines()
                .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
                .collect()
        }

        /// The line whose message is `message`.
        pub fn line(&self, message: &str) -> serde_json::Value {
            self.lines()
                .into_iter()
                .find(|l| l["message"] == message)
                .unwrap_or_else(|| panic!("no line {message:?} in {:?}", self.lines()))
        }
    }

    impl Write for CapturedLogs {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl<'w> MakeWriter<'w> for CapturedLogs {
        type Writer = CapturedLogs;

        fn make_writer(&'w self) -> Self::Writer {
            self.clone()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::capture::CapturedLogs;
    use super::*;

    #[test]
    fn emails_are_masked() {
        assert_eq!(mask_email("alice@example.com"), "a***@example.com");
        assert_eq!(mask_email("garbage"), "***");
    }

    #[test]
    fn an_api_line_carries_the_request_id_and_then_what_the_request_is_about() {
        let logs = CapturedLogs::default();
        let _guard = logs.install();
        invocation_span("req-1").in_scope(|| {
            tracing::info!("before");
            correlate("order-9");
            tracing::info!(lines = 2, "after");
        });
        let before = logs.line("before");
        assert_eq!(before["request_id"], "req-1");
        assert_eq!(before["correlation_id"], "req-1");
        assert_eq!(before["level"], "INFO");
        let after = logs.line("after");
        assert_eq!(after["request_id"], "req-1");
        assert_eq!(after["correlation_id"], "order-9");
        assert_eq!(after["lines"], 2);
        assert!(after.get("cold_start").is_some_and(|v| v.is_boolean()));
    }

    #[test]
    fn an_event_line_carries_the_invocation_request_id_and_the_event_correlation_id() {
        let logs = CapturedLogs::default();
        let _guard = logs.install();
        invocation_span("req-2").in_scope(|| {
            event_span("e-1", "OrderPlaced", "order-3").in_scope(|| tracing::warn!("inside"));
            tracing::info!("outside");
        });
        let inside = logs.line("inside");
        assert_eq!(inside["request_id"], "req-2");
        assert_eq!(inside["correlation_id"], "order-3");
        assert_eq!(inside["event_id"], "e-1");
        assert_eq!(inside["event_type"], "OrderPlaced");
        assert_eq!(inside["level"], "WARN");
        assert_eq!(logs.line("outside")["correlation_id"], "req-2");
    }
}
