//! Optimistic concurrency on catalog writes: the version every catalog change bumps, its
//! ETag, and the `If-Match` precondition.

use shared::FieldError;

/// A product's catalog version: 1 at creation, +1 on every catalog change (not on stock
/// movements, which are not part of what PUT/PATCH edit).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Version(u64);

impl Version {
    /// The version of a new product.
    pub const FIRST: Version = Version(1);

    /// A stored version.
    pub fn new(n: u64) -> Self {
        Self(n)
    }

    /// The version after one more change.
    pub fn next(self) -> Self {
        Self(self.0 + 1)
    }

    /// The number.
    pub fn get(self) -> u64 {
        self.0
    }

    /// The strong entity tag of this version: `"3"`.
    pub fn etag(self) -> String {
        format!("\"{}\"", self.0)
    }
}

/// A parsed `If-Match` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IfMatch {
    /// `*`: any current representation.
    Any,
    /// One or more entity tags; weak tags (`W/"3"`) never match, as RFC 9110 requires a
    /// strong comparison for If-Match.
    Tags(Vec<Option<Version>>),
}

impl IfMatch {
    /// Parses the header; 400 material when it is not a list of entity tags.
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let raw = raw.trim();
        if raw == "*" {
            return Ok(Self::Any);
        }
        let invalid =
            || FieldError::new("If-Match", "must be * or a list of entity tags like \"3\"");
        let mut tags = Vec::new();
        for tag in raw.split(',').map(str::trim) {
            let (weak, quoted) = match tag.strip_prefix("W/") {
                Some(rest) => (true, rest),
                None => (false, tag),
            };
            let inner = quoted
                .strip_prefix('"')
                .and_then(|t| t.strip_suffix('"'))
                .ok_or_else(invalid)?;
            if inner.contains('"') {
                return Err(invalid());
            }
            // An opaque tag that is not one of ours simply never matches.
            let version = inner.parse::<u64>().ok().map(Version);
            tags.push(if weak { None } else { version });
        }
        if tags.is_empty() {
            return Err(invalid());
        }
        Ok(Self::Tags(tags))
    }

    /// True when a product at `current` satisfies the precondition.
    pub fn matches(&self, current: Version) -> bool {
        match self {
            Self::Any => true,
            Self::Tags(tags) => tags.contains(&Some(current)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn etags_are_strong_and_quoted() {
        assert_eq!(Version::FIRST.etag(), "\"1\"");
        assert_eq!(Version::FIRST.next().get(), 2);
    }

    #[test]
    fn if_match_compares_strongly() {
        let v3 = Version::new(3);
        assert!(IfMatch::parse("\"3\"").unwrap().matches(v3));
        assert!(IfMatch::parse("\"1\", \"3\"").unwrap().matches(v3));
        assert!(IfMatch::parse("*").unwrap().matches(v3));
        assert!(!IfMatch::parse("\"2\"").unwrap().matches(v3));
        assert!(!IfMatch::parse("W/\"3\"").unwrap().matches(v3));
        assert!(!IfMatch::parse("\"abc\"").unwrap().matches(v3));
    }

    #[test]
    fn malformed_if_match_is_refused() {
        for bad in ["3", "", "\"3", "\"a\"b\""] {
            assert!(IfMatch::parse(bad).is_err(), "{bad}");
        }
    }
}
