//! Time: RFC 3339 UTC with millisecond precision everywhere.

use chrono::{DateTime, SubsecRound, Utc};

/// The current time, truncated to milliseconds so that it round-trips through JSON and
/// DynamoDB strings unchanged.
pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(3)
}

/// Formats a time as RFC 3339 UTC with milliseconds and a `Z` suffix.
pub fn rfc3339(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// Parses an RFC 3339 time (any offset) into UTC.
pub fn parse_rfc3339(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// Epoch seconds `days` from now, for DynamoDB TTL attributes.
pub fn ttl_in_days(days: i64) -> i64 {
    (Utc::now() + chrono::Duration::days(days)).timestamp()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_with_millis_and_z_and_round_trips() {
        let t = now();
        let s = rfc3339(&t);
        assert!(s.ends_with('Z'), "{s}");
        assert_eq!(s.len(), "2026-01-01T00:00:00.000Z".len());
        assert_eq!(parse_rfc3339(&s), Some(t));
    }
}
