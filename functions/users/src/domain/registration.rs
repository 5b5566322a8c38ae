use super::password::PasswordError;
use super::{DisplayName, Email, Password};
use shared::{FieldError, FieldErrors};

/// A registration request whose every field is valid.
#[derive(Debug)]
pub struct Registration {
    /// Sign-in email.
    pub email: Email,
    /// Policy-compliant password.
    pub password: Password,
    /// Display name.
    pub name: DisplayName,
}

/// Why a registration is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegistrationError {
    /// Malformed fields, every one (a weak password among them).
    Invalid(Vec<FieldError>),
    /// Every field is well-formed but the password breaks the policy.
    WeakPassword(FieldError),
}

impl Registration {
    /// Checks all fields at once so that the client sees every problem in one answer:
    /// malformed fields are a 400 (listing a weak password too), a weak password alone a 422.
    pub fn parse(email: &str, password: &str, name: &str) -> Result<Self, RegistrationError> {
        let mut invalid = FieldErrors::default();
        let email = invalid.check(Email::parse(email));
        let name = invalid.check(DisplayName::parse(name));
        let (password, weak) = match Password::new(password) {
            Ok(p) => (Some(p), None),
            Err(PasswordError::TooLong(e)) => {
                invalid.push(e);
                (None, None)
            }
            Err(PasswordError::TooWeak(e)) => (None, Some(e)),
        };
        if let Some(weak) = weak {
            if invalid.is_empty() {
                return Err(RegistrationError::WeakPassword(weak));
            }
            invalid.push(weak);
        }
        let registration = match (email, password, name) {
            (Some(email), Some(password), Some(name)) => Some(Self {
                email,
                password,
                name,
            }),
            _ => None,
        };
        invalid
            .finish(registration)
            .map_err(RegistrationError::Invalid)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_valid_registration_parses() {
        let r = Registration::parse("Ann@Example.com", "Correct-Horse-9", "Ann").unwrap();
        assert_eq!(r.email.as_str(), "ann@example.com");
    }

    #[test]
    fn a_weak_password_alone_is_unprocessable() {
        let err = Registration::parse("ann@example.com", "short", "Ann").unwrap_err();
        assert!(matches!(err, RegistrationError::WeakPassword(ref f) if f.field == "password"));
    }

    #[test]
    fn malformed_fields_are_reported_together_with_a_weak_password() {
        let Err(RegistrationError::Invalid(fields)) = Registration::parse("nope", "short", "")
        else {
            panic!("expected invalid");
        };
        let names: Vec<&str> = fields.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(names, ["email", "name", "password"]);
    }
}
