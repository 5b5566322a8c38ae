//! What orders-expiry reads from its environment, once at init (orders-api and
//! orders-worker read the shared shapes of `shared::config`).

use shared::config::{ConfigError, Env};

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
