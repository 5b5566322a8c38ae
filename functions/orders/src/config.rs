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

/// What orders-expiry needs from its environment.
#[derive(Debug, Clone)]
pub struct ExpiryConfig {
    /// The orders table.
    pub table_name: String,
    /// How long an order may hold stock before it is neither confirmed nor rejected
    /// (`RESERVATION_DEADLINE_SECONDS`, the template's `ReservationDeadlineSeconds`).
    pub reservation_deadline: chrono::Duration,
}

impl ExpiryConfig {
    /// Reads the configuration; the error names the variable that is missing or invalid.
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        const NAME: &str = "RESERVATION_DEADLINE_SECONDS";
        let seconds = env
            .required(NAME)?
            .parse::<u32>()
            .ok()
            .filter(|s| *s > 0)
            .ok_or_else(|| ConfigError::Invalid {
                name: NAME.to_owned(),
                reason: "must be a whole number of seconds, at least 1".to_owned(),
            })?;
        Ok(Self {
            table_name: env.table_name()?,
            reservation_deadline: chrono::Duration::seconds(i64::from(seconds)),
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
    fn the_reservation_deadline_is_a_positive_number_of_seconds() {
        let env = |v| Env::from_pairs([("TABLE_NAME", "t"), ("RESERVATION_DEADLINE_SECONDS", v)]);
        assert_eq!(
            ExpiryConfig::from_env(&env("1800"))
                .unwrap()
                .reservation_deadline,
            chrono::Duration::minutes(30)
        );
        for bad in ["0", "-5", "30m", "1.5"] {
            assert!(
                matches!(
                    ExpiryConfig::from_env(&env(bad)),
                    Err(ConfigError::Invalid { .. })
                ),
                "{bad}"
            );
        }
        assert_eq!(
            ExpiryConfig::from_env(&Env::from_pairs([("TABLE_NAME", "t")])).unwrap_err(),
            ConfigError::Missing("RESERVATION_DEADLINE_SECONDS".to_owned())
        );
    }
}
