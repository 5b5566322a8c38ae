use shared::FieldError;
use std::fmt;

/// Cognito rejects passwords longer than 256 characters.
const MAX_LEN: usize = 256;
/// The user pool's policy in template.yaml; checked here too so that the client gets
/// every unmet rule at once instead of Cognito's first complaint.
const MIN_LEN: usize = 8;

/// A password that satisfies the user pool's policy. Never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

/// Why a password was refused: too long is a malformed request (400), too weak is a
/// well-formed one the policy rejects (422).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PasswordError {
    /// Over Cognito's hard limit.
    TooLong(FieldError),
    /// Breaks the strength policy; the message lists every unmet rule.
    TooWeak(FieldError),
}

impl Password {
    /// Checks length and the character classes of the pool's policy.
    pub fn new(raw: &str) -> Result<Self, PasswordError> {
        if raw.chars().count() > MAX_LEN {
            return Err(PasswordError::TooLong(FieldError::new(
                "password",
                format!("must be at most {MAX_LEN} characters"),
            )));
        }
        let mut unmet = Vec::new();
        if raw.chars().count() < MIN_LEN {
            unmet.push(format!("at least {MIN_LEN} characters"));
        }
        if !raw.chars().any(|c| c.is_ascii_lowercase()) {
            unmet.push("a lowercase letter".to_owned());
        }
        if !raw.chars().any(|c| c.is_ascii_uppercase()) {
            unmet.push("an uppercase letter".to_owned());
        }
        if !raw.chars().any(|c| c.is_ascii_digit()) {
            unmet.push("a digit".to_owned());
        }
        if !unmet.is_empty() {
            return Err(PasswordError::TooWeak(FieldError::new(
                "password",
                format!("must contain {}", unmet.join(", ")),
            )));
        }
        Ok(Self(raw.to_owned()))
    }

    /// The secret, for the one call that sends it to Cognito.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_a_policy_compliant_password() {
        assert!(Password::new("Correct-Horse-9").is_ok());
    }

    #[test]
    fn weak_passwords_name_every_unmet_rule() {
        let Err(PasswordError::TooWeak(err)) = Password::new("abc") else {
            panic!("expected weak");
        };
        assert_eq!(err.field, "password");
        for rule in ["8 characters", "uppercase", "digit"] {
            assert!(err.message.contains(rule), "{}", err.message);
        }
        assert!(!err.message.contains("lowercase"));
    }

    #[test]
    fn overlong_passwords_are_malformed() {
        assert!(matches!(
            Password::new(&"Aa1".repeat(100)),
            Err(PasswordError::TooLong(_))
        ));
    }

    #[test]
    fn debug_hides_the_secret() {
        let p = Password::new("Correct-Horse-9").unwrap();
        assert!(!format!("{p:?}").contains("Horse"));
    }
}
