//! Key layout of the users table (one table, shared with the outbox):
//!
//! | item      | PK             | SK        | GSI1PK | GSI1SK                  |
//! |-----------|----------------|-----------|--------|-------------------------|
//! | profile   | `USER#<sub>`   | `PROFILE` | `USER` | `<created_at>#<sub>`    |
//! | outbox    | `OUTBOX#<id>`  | `OUTBOX`  |        |                         |
//!
//! GSI1 lists every profile by registration time for the admin listing without a Scan.

/// Partition key of a user's items.
pub fn user_pk(user_id: &str) -> String {
    format!("USER#{user_id}")
}

/// Sort key of the profile item.
pub const PROFILE_SK: &str = "PROFILE";
/// The index that lists profiles.
pub const LISTING_INDEX: &str = "GSI1";
/// GSI1 partition shared by all profiles. One partition is fine at the scale an admin
/// pages through; shard it (`USER#<n>`) if registrations ever exceed ~1000/s.
pub const LISTING_PK: &str = "USER";

/// GSI1 sort key: registration time, then id to break ties.
pub fn listing_sk(created_at: &str, user_id: &str) -> String {
    format!("{created_at}#{user_id}")
}
