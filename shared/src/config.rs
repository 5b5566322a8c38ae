//! Typed configuration, read once at init from the environment. Handlers never touch
//! `std::env`: a service builds its own `Config` struct from an [`Env`] in `main`.

use std::collections::HashMap;

/// Why a service could not start: names the variable so the fix is obvious.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    /// A required variable is not set (or is empty).
    #[error("missing environment variable {0}")]
    Missing(String),
    /// A variable is set to something the service cannot use.
    #[error("environment variable {name} is invalid: {reason}")]
    Invalid {
        /// The variable's name.
        name: String,
        /// What is wrong with its value.
        reason: String,
    },
}

/// Shortest cursor signing key accepted (the template's `CursorSigningKey` MinLength).
pub const MIN_CURSOR_KEY_LEN: usize = 32;

/// A source of configuration variables: the process environment, or a fixed map in tests.
pub struct Env {
    vars: HashMap<String, String>,
}

impl Env {
    /// Snapshot of the process environment.
    pub fn from_process() -> Self {
        Self {
            vars: std::env::vars().collect(),
        }
    }

    /// A fixed set of variables (tests).
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        Self {
            vars: pairs
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect(),
        }
    }

    /// A variable that must be set and non-empty.
    pub fn required(&self, name: &str) -> Result<String, ConfigError> {
        self.optional(name)
            .ok_or_else(|| ConfigError::Missing(name.to_owned()))
    }

    /// A variable that may be absent; empty counts as absent.
    pub fn optional(&self, name: &str) -> Option<String> {
        self.vars
            .get(name)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    }

    /// A `true`/`false` variable with a default when absent.
    pub fn flag(&self, name: &str, default: bool) -> Result<bool, ConfigError> {
        match self.optional(name).as_deref() {
            None => Ok(default),
            Some(v) if v.eq_ignore_ascii_case("true") => Ok(true),
            Some(v) if v.eq_ignore_ascii_case("false") => Ok(false),
            Some(v) => Err(ConfigError::Invalid {
                name: name.to_owned(),
                reason: format!("expected true or false, got {v:?}"),
            }),
        }
    }

    /// The function's own DynamoDB table, `TABLE_NAME` (template.yaml sets it).
    pub fn table_name(&self) -> Result<String, ConfigError> {
        self.required("TABLE_NAME")
    }

    /// The secret that signs pagination cursors, `CURSOR_SIGNING_KEY`; shorter than
    /// [`MIN_CURSOR_KEY_LEN`] it would be guessable.
    pub fn cursor_signing_key(&self) -> Result<Vec<u8>, ConfigError> {
        self.secret("CURSOR_SIGNING_KEY", MIN_CURSOR_KEY_LEN)
    }

    /// A secret of at least `min_len` bytes (e.g. the cursor signing key).
    pub fn secret(&self, name: &str, min_len: usize) -> Result<Vec<u8>, ConfigError> {
        let value = self.required(name)?;
        if value.len() < min_len {
            return Err(ConfigError::Invalid {
                name: name.to_owned(),
                reason: format!("must be at least {min_len} characters"),
            });
        }
        Ok(value.into_bytes())
    }
}

/// What a function that owns one table and needs nothing else reads: `TABLE_NAME`
/// (the workers of orders, products and payments, payments-api).
#[derive(Debug, Clone)]
pub struct TableConfig {
    /// The service's table.
    pub table_name: String,
}

impl TableConfig {
    /// Reads the configuration; the error names the variable that is missing.
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        Ok(Self {
            table_name: env.table_name()?,
        })
    }
}

/// What an API with cursor-paged listings reads: its table and the key that signs its
/// cursors (orders-api, products-api, notifications-api).
#[derive(Debug, Clone)]
pub struct ListingApiConfig {
    /// The service's table.
    pub table_name: String,
    /// The secret signing pagination cursors, `CURSOR_SIGNING_KEY`.
    pub cursor_signing_key: Vec<u8>,
}

impl ListingApiConfig {
    /// Reads the configuration; the error names the variable that is missing or invalid.
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        Ok(Self {
            table_name: env.table_name()?,
            cursor_signing_key: env.cursor_signing_key()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_and_invalid_variables_are_named() {
        let env = Env::from_pairs([("A", "x"), ("EMPTY", " "), ("FLAG", "maybe")]);
        assert_eq!(env.required("A").as_deref(), Ok("x"));
        assert_eq!(
            env.required("EMPTY").unwrap_err().to_string(),
            "missing environment variable EMPTY"
        );
        assert!(env
            .flag("FLAG", false)
            .unwrap_err()
            .to_string()
            .contains("FLAG"));
        assert_eq!(env.flag("UNSET", true), Ok(true));
        assert!(env.secret("A", 32).is_err());
    }

    #[test]
    fn the_shared_shapes_name_what_is_missing_or_too_short() {
        assert_eq!(
            TableConfig::from_env(&Env::from_pairs([])).unwrap_err(),
            ConfigError::Missing("TABLE_NAME".to_owned())
        );
        assert_eq!(
            ListingApiConfig::from_env(&Env::from_pairs([("TABLE_NAME", "t")])).unwrap_err(),
            ConfigError::Missing("CURSOR_SIGNING_KEY".to_owned())
        );
        let short = Env::from_pairs([("TABLE_NAME", "t"), ("CURSOR_SIGNING_KEY", "short")]);
        assert!(matches!(
            ListingApiConfig::from_env(&short),
            Err(ConfigError::Invalid { name, .. }) if name == "CURSOR_SIGNING_KEY"
        ));
        let good = Env::from_pairs([("TABLE_NAME", "t"), ("CURSOR_SIGNING_KEY", &"k".repeat(32))]);
        let config = ListingApiConfig::from_env(&good).unwrap();
        assert_eq!(
            (config.table_name.as_str(), config.cursor_signing_key.len()),
            ("t", 32)
        );
    }
}
