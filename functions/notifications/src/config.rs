//! The notifications functions' configuration, read once at init.

use crate::domain::Email;
use shared::config::{ConfigError, Env};

/// The variable naming the SES identity email goes out from; empty turns email off.
pub const SENDER_EMAIL_VAR: &str = "SENDER_EMAIL";

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
    fn the_worker_names_a_missing_table() {
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
