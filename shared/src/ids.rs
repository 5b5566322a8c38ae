//! Identifiers: time-ordered so that keys sort by creation and logs line up.

/// A new time-ordered id (UUIDv7, hyphenated lowercase).
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// The smallest id [`new_id`] can make at `instant`: every id made before it sorts below
/// this string, every id made at or after it does not. A key condition such as
/// `SK < :bound` over ids is therefore "created before `instant`", with no date attribute.
pub fn first_id_at(instant: chrono::DateTime<chrono::Utc>) -> String {
    let millis = u64::try_from(instant.timestamp_millis()).unwrap_or(0);
    uuid::Builder::from_unix_timestamp_millis(millis, &[0; 10])
        .into_uuid()
        .to_string()
}

/// True when `s` is a hyphenated UUID (any version); ids from clients are checked with it
/// before they reach a key so that garbage never becomes a DynamoDB read.
pub fn is_uuid(s: &str) -> bool {
    s.len() == 36 && uuid::Uuid::try_parse(s).is_ok()
}

/// Declares an id newtype over a UUID: `parse` (from a path, a body or an event; `None`
/// unless it is a UUID, so garbage never reaches a key, normalised to lower case) and
/// `as_str`. A module that mints such ids adds `generate` with [`new_id`].
#[macro_export]
macro_rules! uuid_id {
    ($(#[$meta:meta])* $vis:vis struct $name:ident;) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        $vis struct $name(String);

        impl $name {
            /// Reads an id; `None` unless it is a UUID, which callers answer as "not found".
            pub fn parse(raw: &str) -> Option<Self> {
                $crate::ids::is_uuid(raw).then(|| Self(raw.to_ascii_lowercase()))
            }

            /// The id.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_made_before_an_instant_sort_below_its_first_id_and_later_ones_do_not() {
        let before = new_id();
        std::thread::sleep(std::time::Duration::from_millis(3));
        let instant = chrono::Utc::now();
        std::thread::sleep(std::time::Duration::from_millis(3));
        let after = new_id();
        let bound = first_id_at(instant);
        assert!(is_uuid(&bound), "{bound}");
        assert!(before < bound, "{before} < {bound}");
        assert!(after > bound, "{after} > {bound}");
        let epoch = chrono::DateTime::from_timestamp(0, 0).unwrap();
        assert_eq!(first_id_at(epoch), "00000000-0000-7000-8000-000000000000");
    }

    #[test]
    fn ids_are_uuids_and_sort_by_creation() {
        let a = new_id();
        std::thread::sleep(std::time::Duration::from_millis(2));
        let b = new_id();
        assert!(is_uuid(&a) && is_uuid(&b));
        assert!(a < b);
        assert!(!is_uuid("not-a-uuid"));
    }

    uuid_id! {
        /// An id of the tests.
        struct ThingId;
    }

    #[test]
    fn declared_ids_accept_only_uuids_in_lower_case() {
        let raw = "0193F1A2-7C4E-7B10-9D2A-000000000001";
        assert_eq!(
            ThingId::parse(raw).map(|id| id.as_str().to_owned()),
            Some(raw.to_ascii_lowercase())
        );
        for bad in ["", "thing-1", "0193f1a2-7c4e-7b10-9d2a-00000000000", "PK#x"] {
            assert!(ThingId::parse(bad).is_none(), "{bad}");
        }
    }
}
