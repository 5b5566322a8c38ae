use super::password::PasswordError;
use super::{DisplayName, Email, Password};
use crate::error::UsersError;

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

impl Registration {
    /// Checks all fields at once so that the client sees every problem in one answer:
    /// malformed fields are a 400 (listing a weak password too), a weak password alone a 422.
    pub fn parse(email: &str, password: &str, name: &str) -> Result<Self, UsersError> {
        let mut invalid = Vec::new();
        let email = Email::parse(email).map_err(|e| invalid.push(e)).ok();
        let name = DisplayName::parse(name).map_err(|e| invalid.push(e)).ok();
        let (password, weak) = match Password::new(password) {
            Ok(p) => (Some(p), None),
            Err(PasswordError::TooLong(e)) => {
                invalid.push(e);
                (None, None)
            }
            Err(PasswordError::TooWeak(e)) => (None, Some(e)),
        };
        match (email, password, name, weak) {
            (Some(email), Some(password), Some(name), None) => Ok(Self {
                email,
                password,
                name,
            }),
            (_, _, _, Some(weak)) if invalid.is_empty() => Err(UsersError::WeakPassword(weak)),
            (_, _, _, weak) => {
                invalid.extend(weak);
                Err(UsersError::Invalid(invalid))
            }
        }
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
        assert!(matches!(err, UsersError::WeakPassword(ref f) if f.field == "password"));
    }

    #[test]
    fn malformed_fields_are_reported_together_with_a_weak_password() {
        let Err(UsersError::Invalid(fields)) = Registration::parse("nope", "short", "") else {
            panic!("expected invalid");
        };
        let names: Vec<&str> = fields.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(names, ["email", "name", "password"]);
    }
}
