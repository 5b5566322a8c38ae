//! Where a user's notifications are delivered: their address and the name to greet them
//! by, kept from their UserRegistered event.

use super::ids::UserId;
use std::fmt;

/// RFC 5321 caps a forward path at 254 characters.
const MAX_EMAIL_LEN: usize = 254;
/// The users service's limit on a display name.
const MAX_NAME_CHARS: usize = 100;

/// An email address: trimmed, `local@domain.tld`, no whitespace or control characters.
/// Its `Debug` and `Display` are masked (`a***@example.com`), so that an address never
/// reaches a log line whole by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct EmailAddress(String);

impl EmailAddress {
    /// Checks an address; `None` for anything that is not one. (The users service
    /// validated it already; this keeps garbage out of the SES call and the table.)
    pub fn parse(raw: &str) -> Option<Self> {
        let value = raw.trim();
        if value.is_empty()
            || value.len() > MAX_EMAIL_LEN
            || value.chars().any(|c| c.is_whitespace() || c.is_control())
        {
            return None;
        }
        let (local, domain) = value.split_once('@')?;
        let domain_ok = !domain.contains('@')
            && domain.contains('.')
            && domain.split('.').all(|label| !label.is_empty());
        (!local.is_empty() && domain_ok).then(|| Self(value.to_owned()))
    }

    /// The address, for the SES call and the table only: never log it.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&shared::telemetry::mask_email(&self.0))
    }
}

impl fmt::Debug for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EmailAddress({self})")
    }
}

/// A user's contact details.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contact {
    /// Whose they are.
    pub user_id: UserId,
    /// Where email goes.
    pub email: EmailAddress,
    /// The name to greet them by; `None` when the one they gave breaks the display-name
    /// rules (a message then says "Hello").
    pub name: Option<String>,
}

impl Contact {
    /// A contact from a registration's address and name.
    pub fn new(user_id: UserId, email: EmailAddress, name: &str) -> Self {
        Self {
            user_id,
            email,
            name: display_name(name),
        }
    }
}

/// A name fit to greet someone by: one trimmed line of 1 to 100 characters.
pub fn display_name(raw: &str) -> Option<String> {
    shared::text::single_line("name", raw, MAX_NAME_CHARS).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_checked_and_never_shown_whole() {
        let email = EmailAddress::parse("  alice@example.com ").unwrap();
        assert_eq!(email.as_str(), "alice@example.com");
        assert_eq!(email.to_string(), "a***@example.com");
        assert_eq!(format!("{email:?}"), "EmailAddress(a***@example.com)");
        for bad in [
            "",
            "alice",
            "@example.com",
            "alice@",
            "alice@example",
            "alice@@example.com",
            "alice@exa mple.com",
            "alice@example..com",
            "al\nice@example.com",
        ] {
            assert!(EmailAddress::parse(bad).is_none(), "{bad:?}");
        }
        assert!(EmailAddress::parse(&format!("{}@example.com", "a".repeat(250))).is_none());
    }

    #[test]
    fn a_name_that_breaks_the_rules_is_not_kept() {
        let user = UserId::parse("4f8e2b1a-90c3-4d7e-8a55-2c1b7e6d9f00").unwrap();
        let email = EmailAddress::parse("alice@example.com").unwrap();
        assert_eq!(
            Contact::new(user.clone(), email.clone(), " Alice ")
                .name
                .as_deref(),
            Some("Alice")
        );
        assert_eq!(Contact::new(user.clone(), email.clone(), "A\nB").name, None);
        assert_eq!(Contact::new(user, email, &"x".repeat(101)).name, None);
    }
}
