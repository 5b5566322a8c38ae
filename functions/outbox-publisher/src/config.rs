//! The publisher's configuration, read once at init (template.yaml sets it per table).

use shared::config::{ConfigError, Env};

/// Everything the publisher needs from its environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// The producing service's topic (`TOPIC_ARN`).
    pub topic_arn: String,
}

impl Config {
    /// Reads the configuration; the error names the variable that is missing.
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        Ok(Self {
            topic_arn: env.required("TOPIC_ARN")?,
        })
    }
}

/// The `service` of every log line: `SERVICE_NAME`, or [`crate::SERVICE`] when unset. One
/// code runs per table, so this tells the deployments apart. Call once at init: the name
/// is leaked, as telemetry keeps it for the life of the process.
pub fn service_name(env: &Env) -> &'static str {
    env.optional("SERVICE_NAME")
        .map_or(crate::SERVICE, |name| Box::leak(name.into_boxed_str()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_topic_and_the_service_name() {
        let env = Env::from_pairs([
            ("TOPIC_ARN", "arn:aws:sns:us-east-1:123:users"),
            ("SERVICE_NAME", "users-outbox-publisher"),
        ]);
        let config = Config::from_env(&env).unwrap();
        assert_eq!(config.topic_arn, "arn:aws:sns:us-east-1:123:users");
        assert_eq!(service_name(&env), "users-outbox-publisher");
    }

    #[test]
    fn names_a_missing_topic_and_defaults_the_service_name() {
        let err = Config::from_env(&Env::from_pairs([])).unwrap_err();
        assert_eq!(err, ConfigError::Missing("TOPIC_ARN".to_owned()));
        assert_eq!(service_name(&Env::from_pairs([])), crate::SERVICE);
    }
}
