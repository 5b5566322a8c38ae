//! Email addresses, checked once for every service: the users service's accounts and the
//! notifications service's contacts and sender.

use crate::FieldError;
use std::fmt;

/// RFC 5321 caps a forward path at 254 characters.
const MAX_LEN: usize = 254;

/// An email address, trimmed and lower-cased (the user pool is case-insensitive, so
/// `Ann@Example.com` and `ann@example.com` are one account). ASCII only, in the subset
/// every mail system and Cognito's username check accept (openapi.yaml spells the same
/// rule as a pattern): a local part of 1 to 64 letters, digits and `._%+-` that starts
/// with a letter, digit or `_`; dot-separated domain labels of letters, digits and inner
/// hyphens; a top-level domain of 2 or more letters.
#[derive(Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    /// Checks the address; the error names the `email` field.
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let invalid = || FieldError::new("email", "must be a valid email address");
        let value = raw.trim();
        // Checked before lower-casing: some non-ASCII letters lower-case to ASCII ones.
        if !value.is_ascii() || value.len() > MAX_LEN {
            return Err(invalid());
        }
        let value = value.to_ascii_lowercase();
        let (local, domain) = value.split_once('@').ok_or_else(invalid)?;
        let local_ok = (1..=64).contains(&local.len())
            && local.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
            && local
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "._%+-".contains(c));
        let labels: Vec<&str> = domain.split('.').collect();
        let label_ok = |label: &&str| {
            (1..=63).contains(&label.len())
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        };
        let tld_ok = labels
            .last()
            .is_some_and(|tld| tld.len() >= 2 && tld.chars().all(|c| c.is_ascii_alphabetic()));
        if !local_ok || labels.len() < 2 || !labels.iter().all(label_ok) || !tld_ok {
            return Err(invalid());
        }
        Ok(Self(value))
    }

    /// The normalized address.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    /// Masked, so that an email never reaches a log line whole by accident.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&crate::telemetry::mask_email(&self.0))
    }
}

impl fmt::Debug for Email {
    /// Masked as well: `{:?}` of a struct holding an email must not leak it either.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Email({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_case_and_whitespace() {
        assert_eq!(
            Email::parse("  Ann@Example.COM ").unwrap().as_str(),
            "ann@example.com"
        );
    }

    #[test]
    fn rejects_what_is_not_an_address() {
        for bad in [
            "",
            "ann",
            "ann@",
            "@example.com",
            "ann@example",
            "a b@example.com",
            "a@b@c.com",
            "a@.com",
            "a@b..com",
            // Outside the ASCII subset Cognito's username check takes.
            "ann@example.c0m",
            "ann@example.c",
            "ann@861xeihmm.qatgv9j",
            ".ann@example.com",
            "-ann@example.com",
            "zoë@example.com",
            "\u{212A}im@example.com",
            "ann@exa_mple.com",
            "ann@-example.com",
        ] {
            let err = Email::parse(bad).unwrap_err();
            assert_eq!(err.field, "email", "{bad}");
        }
        assert!(Email::parse(&format!("{}@example.com", "a".repeat(65))).is_err());
    }

    #[test]
    fn accepts_the_usual_shapes() {
        for good in [
            "ann@example.com",
            "ann.lee+shop@mail.example.co.uk",
            "_ann%x@xn--bcher-kva.de",
            "1@a-b.io",
        ] {
            assert_eq!(Email::parse(good).unwrap().as_str(), good);
        }
    }

    #[test]
    fn display_never_shows_the_whole_address() {
        let email = Email::parse("ann@example.com").unwrap();
        assert_eq!(email.to_string(), "a***@example.com");
        assert_eq!(format!("{email:?}"), "Email(a***@example.com)");
    }
}
