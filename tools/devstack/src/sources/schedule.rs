//! EventBridge scheduled rules (`Type: Schedule` events): the function is invoked with a
//! "Scheduled Event" at the rule's rate, as EventBridge does. Only `rate(...)` is run;
//! besides AWS's minute, hour and day units, `rate(N seconds)` is accepted locally so a
//! test or a developer can run a once-a-minute job every second (AWS refuses it at
//! deploy time, so it can only come from a local `--parameter-overrides`).

use super::{is_shutdown, shutdown_requested, sleep_or_shutdown};
use crate::running::RunningFunction;
use anyhow::{anyhow, bail, Result};
use serde_json::{json, Value};
use stack_model::template::intrinsics::{ACCOUNT_ID, REGION};
use std::time::Duration;
use tokio::sync::watch;

/// A scheduled rule from the template.
#[derive(Debug, Clone, PartialEq)]
pub struct ScheduleSource {
    /// The rule's name: the function's logical id and the event's name, as SAM names it.
    pub rule_name: String,
    /// The schedule expression, as written.
    pub expression: String,
    /// The period between two invocations.
    pub every: Duration,
    /// The event's `Input`: a constant JSON the function gets instead of the scheduled
    /// event.
    pub input: Option<Value>,
}

impl ScheduleSource {
    /// The rule of event `event` of function `function`, from its resolved properties.
    pub fn parse(function: &str, event: &str, properties: &Value) -> Result<Self> {
        let expression = properties
            .get("Schedule")
            .and_then(Value::as_str)
            .ok_or_else(|| anyhow!("Schedule must be a schedule expression"))?
            .trim()
            .to_owned();
        let every = rate(&expression)?;
        let input = match properties.get("Input") {
            None | Some(Value::Null) => None,
            Some(Value::String(raw)) => {
                Some(serde_json::from_str(raw).map_err(|e| anyhow!("Input is not JSON: {e}"))?)
            }
            Some(_) => bail!("Input must be a JSON string"),
        };
        Ok(Self {
            rule_name: format!("{function}{event}"),
            expression,
            every,
            input,
        })
    }

    /// The rule's ARN, as the scheduled event's `resources` names it.
    pub fn rule_arn(&self) -> String {
        format!(
            "arn:aws:events:{REGION}:{ACCOUNT_ID}:rule/{}",
            self.rule_name
        )
    }

    /// What the function receives at tick time `at`.
    pub fn payload(&self, at: chrono::DateTime<chrono::Utc>) -> Value {
        if let Some(input) = &self.input {
            return input.clone();
        }
        json!({
            "version": "0",
            "id": uuid::Uuid::new_v4().to_string(),
            "detail-type": "Scheduled Event",
            "source": "aws.events",
            "account": ACCOUNT_ID,
            "time": at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            "region": REGION,
            "resources": [self.rule_arn()],
            "detail": {},
        })
    }
}

/// The period of a `rate(N unit)` expression. Units follow AWS (singular for 1, plural
/// otherwise: `rate(1 minute)`, `rate(5 minutes)`), plus seconds, locally only.
pub fn rate(expression: &str) -> Result<Duration> {
    if expression.starts_with("cron(") {
        bail!(
            "{expression:?}: cron expressions are not supported by the local cloud; use rate(...)"
        );
    }
    let inner = expression
        .strip_prefix("rate(")
        .and_then(|r| r.strip_suffix(')'))
        .ok_or_else(|| anyhow!("{expression:?} is not a schedule expression (rate(N unit))"))?;
    let (n, unit) = inner
        .trim()
        .split_once(' ')
        .ok_or_else(|| anyhow!("{expression:?}: expected rate(N unit)"))?;
    let n: u64 =
        n.parse().ok().filter(|n| *n > 0).ok_or_else(|| {
            anyhow!("{expression:?}: the rate must be a whole number, at least 1")
        })?;
    let (seconds, singular) = match unit.trim() {
        "second" => (1, true),
        "seconds" => (1, false),
        "minute" => (60, true),
        "minutes" => (60, false),
        "hour" => (3600, true),
        "hours" => (3600, false),
        "day" => (86_400, true),
        "days" => (86_400, false),
        other => bail!("{expression:?}: unknown unit {other:?} (seconds, minutes, hours or days)"),
    };
    if singular != (n == 1) {
        bail!("{expression:?}: write the unit in the singular for 1 and in the plural otherwise, as EventBridge requires");
    }
    Ok(Duration::from_secs(n * seconds))
}

/// Invokes `f` once per period until shutdown. A tick waits for the previous invocation
/// to finish (a run that outlasts its period delays the next, logged), and a failed run is
/// logged and left to the next tick: EventBridge would retry it, and every scheduled job
/// of this stack is a sweep that the next run repeats anyway.
pub(super) async fn run(
    src: ScheduleSource,
    f: RunningFunction,
    mut shutdown: watch::Receiver<bool>,
) {
    tracing::debug!(rule = %src.rule_name, every = ?src.every, function = %f.name(), "schedule started");
    let mut next = tokio::time::Instant::now() + src.every;
    while !is_shutdown(&shutdown) {
        let wait = next.saturating_duration_since(tokio::time::Instant::now());
        if sleep_or_shutdown(wait, &mut shutdown).await {
            break;
        }
        tokio::select! {
            _ = f.until_runnable() => {}
            _ = shutdown_requested(&mut shutdown) => break,
        }
        let invoked = tokio::select! {
            r = f.invoke(src.payload(chrono::Utc::now())) => r,
            _ = shutdown_requested(&mut shutdown) => break,
        };
        if let Err(e) = invoked {
            tracing::warn!(rule = %src.rule_name, function = %f.name(), "scheduled run failed: {e}");
        }
        next += src.every;
        let now = tokio::time::Instant::now();
        if next < now {
            tracing::info!(rule = %src.rule_name, "a scheduled run outlasted its period; the next one starts now");
            next = now;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_follow_eventbridge_and_accept_seconds_locally() {
        assert_eq!(rate("rate(1 minute)").unwrap(), Duration::from_secs(60));
        assert_eq!(rate("rate(5 minutes)").unwrap(), Duration::from_secs(300));
        assert_eq!(rate("rate(2 hours)").unwrap(), Duration::from_secs(7200));
        assert_eq!(rate("rate(1 day)").unwrap(), Duration::from_secs(86_400));
        assert_eq!(rate("rate(1 second)").unwrap(), Duration::from_secs(1));
        assert_eq!(rate("rate(3 seconds)").unwrap(), Duration::from_secs(3));
        for bad in [
            "rate(1 minutes)",
            "rate(2 minute)",
            "rate(0 minutes)",
            "rate(-1 minutes)",
            "rate(1.5 hours)",
            "rate(5 weeks)",
            "rate(5)",
            "every minute",
        ] {
            assert!(rate(bad).is_err(), "{bad}");
        }
        let cron = rate("cron(0 12 * * ? *)").unwrap_err().to_string();
        assert!(cron.contains("not supported by the local cloud"), "{cron}");
    }

    #[test]
    fn the_scheduled_event_is_what_eventbridge_sends() {
        let src = ScheduleSource::parse(
            "OrdersExpiryFunction",
            "Sweep",
            &json!({"Schedule": "rate(1 minute)", "Enabled": true}),
        )
        .unwrap();
        let at = chrono::DateTime::parse_from_rfc3339("2026-12-05T10:00:00Z")
            .unwrap()
            .with_timezone(&chrono::Utc);
        let payload = src.payload(at);
        let event: aws_lambda_events::event::eventbridge::EventBridgeEvent =
            serde_json::from_value(payload.clone()).expect("an EventBridge event");
        assert_eq!(event.detail_type, "Scheduled Event");
        assert_eq!(event.source, "aws.events");
        assert_eq!(event.time, Some(at));
        assert_eq!(
            event.resources,
            Some(vec![
                "arn:aws:events:us-east-1:123456789012:rule/OrdersExpiryFunctionSweep".to_owned()
            ])
        );
        assert_eq!(payload["time"], "2026-12-05T10:00:00Z");
        assert_ne!(
            src.payload(at)["id"],
            payload["id"],
            "every tick is its own event"
        );
    }

    #[test]
    fn input_replaces_the_event_and_bad_properties_are_named() {
        let src = ScheduleSource::parse(
            "F",
            "Tick",
            &json!({"Schedule": "rate(2 seconds)", "Input": "{\"sweep\": true}"}),
        )
        .unwrap();
        assert_eq!(src.payload(chrono::Utc::now()), json!({"sweep": true}));
        assert_eq!(src.every, Duration::from_secs(2));
        assert!(ScheduleSource::parse("F", "Tick", &json!({})).is_err());
        assert!(ScheduleSource::parse(
            "F",
            "Tick",
            &json!({"Schedule": "rate(1 minute)", "Input": "{"})
        )
        .is_err());
    }
}
