//! The payments functions' configuration, read once at init.

use shared::config::{ConfigError, Env};

/// What payments-api needs from its environment (template.yaml sets it).
#[derive(Debug, Clone)]
pub struct ApiConfig {
    /// The payments table.
    pub table_name: String,
}

impl ApiConfig {
    /// Reads the configuration; the error names the variable that is missing.
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        Ok(Self {
            table_name: env.table_name()?,
        })
    }
}

/// What payments-worker needs from its environment.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// The payments table (payments, processed markers, outbox).
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
    fn names_the_missing_table() {
        let missing = ConfigError::Missing("TABLE_NAME".to_owned());
        assert_eq!(
            ApiConfig::from_env(&Env::from_pairs([])).unwrap_err(),
            missing
        );
        assert_eq!(
            WorkerConfig::from_env(&Env::from_pairs([])).unwrap_err(),
            missing
        );
        let env = Env::from_pairs([("TABLE_NAME", "payments")]);
        assert_eq!(WorkerConfig::from_env(&env).unwrap().table_name, "payments");
    }
}
