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

/// Optional white space of HTTP lists.
const OWS: [char; 2] = [' ', '\t'];

/// `etagc` of RFC 9110 (visible ASCII but `"`; obs-text never reaches a `&str` header).
fn is_etag_char(b: u8) -> bool {
    b == 0x21 || (0x23..=0x7e).contains(&b)
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
    /// Parses the header as RFC 9110 writes it (`*`, or entity tags separated by commas
    /// and optional white space; a tag may itself contain commas); 400 material otherwise.
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let invalid =
            || FieldError::new("If-Match", "must be * or a list of entity tags like \"3\"");
        let raw = raw.trim_matches(OWS);
        if raw == "*" {
            return Ok(Self::Any);
        }
        let mut tags = Vec::new();
        let mut rest = raw;
        loop {
            let (weak, tag) = match rest.strip_prefix("W/") {
                Some(tag) => (true, tag),
                None => (false, rest),
            };
            let quoted = tag.strip_prefix('"').ok_or_else(invalid)?;
            let end = quoted.find('"').ok_or_else(invalid)?;
            let opaque = &quoted[..end];
            if !opaque.bytes().all(is_etag_char) {
                return Err(invalid());
            }
            // An opaque tag that is not one of ours simply never matches.
            let version = Some(opaque)
                .filter(|o| !o.is_empty() && o.bytes().all(|b| b.is_ascii_digit()))
                .and_then(|o| o.parse::<u64>().ok())
                .map(Version);
            tags.push(if weak { None } else { version });
            rest = quoted[end + 1..].trim_start_matches(OWS);
            if rest.is_empty() {
                return Ok(Self::Tags(tags));
            }
            rest = rest
                .strip_prefix(',')
                .ok_or_else(invalid)?
                .trim_start_matches(OWS);
        }
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
    fn entity_tags_may_hold_commas_and_lists_white_space() {
        // schemathesis sent this list (a tag with a comma inside) and got a 400.
        let header = "\"19nkR^c\"  \t, W/\"\"\t, \"g`H~(4o5b^#0,6\" ,\t\"3\"\t";
        let parsed = IfMatch::parse(header).unwrap();
        assert_eq!(
            parsed,
            IfMatch::Tags(vec![None, None, None, Some(Version::new(3))])
        );
        assert!(parsed.matches(Version::new(3)));
        assert!(!IfMatch::parse("\"+3\"").unwrap().matches(Version::new(3)));
    }

    #[test]
    fn malformed_if_match_is_refused() {
        for bad in [
            "3",
            "",
            "\"3",
            "\"a\"b\"",
            "\"1\",",
            ",\"1\"",
            "\"a b\"",
            "\"1\" \"2\"",
        ] {
            assert!(IfMatch::parse(bad).is_err(), "{bad}");
        }
    }
}
