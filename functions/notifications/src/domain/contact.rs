//! Where a user's notifications are delivered: their address and the name to greet them
//! by, kept from their UserRegistered event.

use super::ids::UserId;
use shared::email::Email;

/// The users service's limit on a display name.
const MAX_NAME_CHARS: usize = 100;

/// A user's contact details.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contact {
    /// Whose they are.
    pub user_id: UserId,
    /// Where email goes.
    pub email: Email,
    /// The name to greet them by; `None` when the one they gave breaks the display-name
    /// rules (a message then says "Hello").
    pub name: Option<String>,
}

impl Contact {
    /// A contact from a registration's address and name.
    pub fn new(user_id: UserId, email: Email, name: &str) -> Self {
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
        let email = Email::parse("  alice@example.com ").unwrap();
        assert_eq!(email.as_str(), "alice@example.com");
        assert_eq!(email.to_string(), "a***@example.com");
        assert_eq!(format!("{email:?}"), "Email(a***@example.com)");
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
            assert!(Email::parse(bad).is_err(), "{bad:?}");
        }
        assert!(Email::parse(&format!("{}@example.com", "a".repeat(250))).is_err());
    }

    #[test]
    fn a_name_that_breaks_the_rules_is_not_kept() {
        let user = UserId::parse("4f8e2b1a-90c3-4d7e-8a55-2c1b7e6d9f00").unwrap();
        let email = Email::parse("alice@example.com").unwrap();
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
