//! Identifiers: time-ordered so that keys sort by creation and logs line up.

/// A new time-ordered id (UUIDv7, hyphenated lowercase).
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// True when `s` is a hyphenated UUID (any version); ids from clients are checked with it
/// before they reach a key so that garbage never becomes a DynamoDB read.
pub fn is_uuid(s: &str) -> bool {
    s.len() == 36 && uuid::Uuid::try_parse(s).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_uuids_and_sort_by_creation() {
        let a = new_id();
        std::thread::sleep(std::time::Duration::from_millis(2));
        let b = new_id();
        assert!(is_uuid(&a) && is_uuid(&b));
        assert!(a < b);
        assert!(!is_uuid("not-a-uuid"));
    }
}
