//! The notifications functions' configuration, read once at init.

use crate::domain::Email;
use shared::config::{ConfigError, Env};

/// The variable naming the SES identity email goes out from; empty turns email off.
pub const SENDER_EMAIL_VAR: &str = "SENDER_EMAIL";

/// What notifications-api needs from its environment (template.yaml sets it).
#[derive(Debug, Clone)]
pub struct ApiConfig {
    /// The notifications table.
    pub table_name: String,
    /// Secret signing pagination cursors.
    pub cursor_signing_key: Vec<u8>,
}

impl ApiConfig {
    /// Reads the configuration; the error names the variable that is missing or invalid.
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        Ok(Self {
            table_name: env.table_name()?,
            cursor_signing_key: env.cursor_signing_key()?,
        })
    }
}

/// What notifications-worker needs from its environment.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// The notifications table (inboxes, contacts, processed markers).
    pub table_name: String,
    /// The verified SES identity to send from; `None` (unset or empty) records every
    /// delivery as skipped.
    pub sender_email: Option<Email>,
}

impl WorkerConfig {
    /// Reads the configuration; the error names the variable that is missing or invalid.
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let sender_email = env
            .optional(SENDER_EMAIL_VAR)
            .map(|raw| {
                Email::parse(&raw).map_err(|_| ConfigError::Invalid {
                    name: SENDER_EMAIL_VAR.to_owned(),
                    reason: "must be an email address (or empty to send no email)".to_owned(),
                })
            })
            .transpose()?;
        Ok(Self {
            table_name: env.table_name()?,
            sender_email,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_missing_variable_and_refuses_a_short_key() {
        let err = ApiConfig::from_env(&Env::from_pairs([("TABLE_NAME", "t")])).unwrap_err();
        assert_eq!(err, ConfigError::Missing("CURSOR_SIGNING_KEY".to_owned()));
        let short = Env::from_pairs([("TABLE_NAME", "t"), ("CURSOR_SIGNING_KEY", "short")]);
        assert!(ApiConfig::from_env(&short).is_err());
        assert_eq!(
            WorkerConfig::from_env(&Env::from_pairs([])).unwrap_err(),
            ConfigError::Missing("TABLE_NAME".to_owned())
        );
    }

    #[test]
    fn an_empty_sender_turns_email_off_and_a_bad_one_is_refused() {
        for env in [
            Env::from_pairs([("TABLE_NAME", "t")]),
            Env::from_pairs([("TABLE_NAME", "t"), ("SENDER_EMAIL", " ")]),
        ] {
            assert_eq!(WorkerConfig::from_env(&env).unwrap().sender_email, None);
        }
        let on = Env::from_pairs([("TABLE_NAME", "t"), ("SENDER_EMAIL", "shop@example.com")]);
        assert_eq!(
            WorkerConfig::from_env(&on)
                .unwrap()
                .sender_email
                .map(|e| e.as_str().to_owned()),
            Some("shop@example.com".to_owned())
        );
        let bad = Env::from_pairs([("TABLE_NAME", "t"), ("SENDER_EMAIL", "shop")]);
        assert!(matches!(
            WorkerConfig::from_env(&bad),
            Err(ConfigError::Invalid { name, .. }) if name == "SENDER_EMAIL"
        ));
    }
}
