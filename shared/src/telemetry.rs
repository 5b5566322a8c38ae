//! JSON logs for CloudWatch: one subscriber set up once in `main`, one span per
//! invocation carrying `service`, `request_id` and `cold_start`.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;

static SERVICE: OnceLock<&'static str> = OnceLock::new();
static COLD_START: AtomicBool = AtomicBool::new(true);

/// Installs the JSON subscriber (level from `RUST_LOG`, default `info`) and remembers the
/// service name for every invocation span. Call once, first thing in `main`.
pub fn init(service: &'static str) {
    let _ = SERVICE.set(service);
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_current_span(true)
        .with_span_list(false)
        .flatten_event(true)
        .with_target(false)
        .without_time()
        .try_init();
}

/// The span of one invocation; the first one of the process is the cold start.
pub fn invocation_span(request_id: &str) -> tracing::Span {
    let cold_start = COLD_START.swap(false, Ordering::Relaxed);
    tracing::info_span!(
        "invocation",
        service = SERVICE.get().copied().unwrap_or("unknown"),
        request_id = %request_id,
        cold_start,
        correlation_id = tracing::field::Empty,
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
mod tests {
    use super::*;

    #[test]
    fn emails_are_masked() {
        assert_eq!(mask_email("alice@example.com"), "a***@example.com");
        assert_eq!(mask_email("garbage"), "***");
    }
}
