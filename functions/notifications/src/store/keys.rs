//! Key layout of the notifications table (one table, shared with the processed markers;
//! no outbox, as this service emits nothing):
//!
//! | item      | PK            | SK                                  |
//! |-----------|---------------|-------------------------------------|
//! | entry     | `USER#<id>`   | `NOTE#<event time>#<event id>`      |
//! | contact   | `USER#<id>`   | `CONTACT`                           |
//! | tombstone | `USER#<id>`   | `DELETED`                           |
//! | marker    | `EVENT#<id>`  | `PROCESSED#notifications-worker`    |
//!
//! Everything about a user is one partition: the inbox is one Query read backwards
//! (`ScanIndexForward = false`, newest first) over `begins_with(SK, "NOTE#")`, and
//! erasing a user is one Query plus batch deletes. The event time is RFC 3339 UTC with
//! milliseconds, which sorts as text in time order, so entries are ordered by when things
//! happened, not by when the events arrived; the event id after it keeps two events of
//! the same millisecond apart and makes the key the same for every delivery of an event,
//! which is what "one entry per event" is conditioned on. The tombstone outlives the
//! user's data so that a late event for a deleted user creates nothing. No index.

use chrono::{DateTime, Utc};

/// Partition key of everything about a user.
pub fn user_pk(user_id: &str) -> String {
    format!("USER#{user_id}")
}

/// Sort-key prefix of inbox entries.
pub const NOTE_SK_PREFIX: &str = "NOTE#";

/// Sort key of the inbox entry of event `event_id`, which happened at `time`.
pub fn note_sk(time: &DateTime<Utc>, event_id: &str) -> String {
    format!("{NOTE_SK_PREFIX}{}#{event_id}", shared::time::rfc3339(time))
}

/// Sort key of a user's contact.
pub const CONTACT_SK: &str = "CONTACT";

/// Sort key of a deleted user's tombstone.
pub const DELETED_SK: &str = "DELETED";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn note_keys_sort_by_event_time_whatever_the_event_id() {
        let earlier = shared::time::parse_rfc3339("2026-01-15T10:20:30.120Z").unwrap();
        let later = shared::time::parse_rfc3339("2026-01-15T10:20:30.900Z").unwrap();
        let a = note_sk(&earlier, "ffffffff-0000-7000-8000-000000000000");
        let b = note_sk(&later, "00000000-0000-7000-8000-000000000000");
        assert_eq!(
            a,
            "NOTE#2026-01-15T10:20:30.120Z#ffffffff-0000-7000-8000-000000000000"
        );
        assert!(a < b);
    }
}
