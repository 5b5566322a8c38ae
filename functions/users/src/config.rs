//! The users function's configuration, read once at init.

use shared::config::{ConfigError, Env};

/// Everything the users function needs from its environment (template.yaml sets it).
#[derive(Debug, Clone)]
pub struct Config {
    /// The users table (profiles and outbox).
    pub table_name: String,
    /// The Cognito user pool.
    pub user_pool_id: String,
    /// The app client users sign in with.
    pub user_pool_client_id: String,
    /// Confirm accounts at registration (template parameter `AutoConfirmUsers`).
    pub auto_confirm_users: bool,
    /// Secret signing pagination cursors.
    pub cursor_signing_key: Vec<u8>,
}

impl Config {
    /// Reads the configuration; the error names the variable that is missing or invalid.
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        Ok(Self {
            table_name: env.table_name()?,
            user_pool_id: env.required("USER_POOL_ID")?,
            user_pool_client_id: env.required("USER_POOL_CLIENT_ID")?,
            auto_confirm_users: env.flag("AUTO_CONFIRM_USERS", false)?,
            cursor_signing_key: env.cursor_signing_key()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn full() -> Vec<(&'static str, &'static str)> {
        vec![
            ("TABLE_NAME", "users"),
            ("USER_POOL_ID", "pool"),
            ("USER_POOL_CLIENT_ID", "client"),
            ("CURSOR_SIGNING_KEY", "0123456789abcdef0123456789abcdef"),
        ]
    }

    #[test]
    fn reads_every_variable_and_defaults_auto_confirm_to_false() {
        let config = Config::from_env(&Env::from_pairs(full())).unwrap();
        assert_eq!(config.table_name, "users");
        assert!(!config.auto_confirm_users);
    }

    #[test]
    fn names_the_missing_variable() {
        let pairs: Vec<_> = full()
            .into_iter()
            .filter(|(k, _)| *k != "USER_POOL_ID")
            .collect();
        let err = Config::from_env(&Env::from_pairs(pairs)).unwrap_err();
        assert_eq!(err, ConfigError::Missing("USER_POOL_ID".to_owned()));
    }

    #[test]
    fn refuses_a_short_cursor_key_and_a_bad_flag() {
        let mut pairs = full();
        pairs.push(("AUTO_CONFIRM_USERS", "yes"));
        assert!(Config::from_env(&Env::from_pairs(pairs)).is_err());
        let pairs: Vec<_> = full()
            .into_iter()
            .map(|(k, v)| {
                if k == "CURSOR_SIGNING_KEY" {
                    (k, "short")
                } else {
                    (k, v)
                }
            })
            .collect();
        assert!(Config::from_env(&Env::from_pairs(pairs)).is_err());
    }
}
