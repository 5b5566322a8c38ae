//! The orders functions' configuration, read once at init.

use shared::config::{ConfigError, Env};

/// What orders-api needs from its environment (template.yaml sets it).
#[derive(Debug, Clone)]
pub struct ApiConfig {
    /// The orders table (orders, price projection, idempotency records, outbox).
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

/// What orders-worker needs from its environment.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// The orders table.
    pub table_name: String,
}

impl WorkerConfig {
    /// Reads the configuration; the error names the variable that is missing.
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        Ok(Self {
            table_name: env.table_name()?,
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
}
