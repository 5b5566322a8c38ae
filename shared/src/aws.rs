//! AWS SDK configuration, built once at init. The default loader honours
//! `AWS_ENDPOINT_URL` (and `AWS_ENDPOINT_URL_<SERVICE>`), which is how the local cloud
//! points the real clients at moto.

use crate::config::{ConfigError, Env};
use aws_config::environment::credentials::EnvironmentVariableCredentialsProvider;
use aws_config::environment::region::EnvironmentVariableRegionProvider;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, SdkConfig};
use aws_runtime::env_config::file::{EnvConfigFileKind, EnvConfigFiles};
use aws_sdk_dynamodb::config::SharedHttpClient;
use aws_smithy_http_client::tls::{rustls_provider::CryptoMode, Provider, TlsContext, TrustStore};
use aws_smithy_http_client::Builder;
use std::time::Duration;

/// Loads the SDK config from the Lambda environment variables with explicit timeouts and a bounded
/// standard retry, so a slow dependency turns into a 503 well inside the function timeout.
/// Fails, naming the variable, when the local cloud's timeout variable is not a number.
pub async fn load_config() -> Result<SdkConfig, ConfigError> {
    let local = local_timeout(&Env::from_process())?;
    let (timeouts, retries) = match local {
        Some(limit) => (local_timeouts(limit), retries().with_max_attempts(1)),
        None => (timeouts(), retries()),
    };
    Ok(aws_config::defaults(BehaviorVersion::latest())
        .profile_files(no_profile_files())
        .credentials_provider(EnvironmentVariableCredentialsProvider::new())
        .region(EnvironmentVariableRegionProvider::new())
        .http_client(http_client())
        .timeout_config(timeouts)
        .retry_config(retries)
        .load()
        .await)
}

/// Lambda's environment is the whole configuration: the role's credentials and the region
/// are its variables (as they are under the local cloud and `cargo lambda watch`).
/// Without profile files and the rest of the default chains, building the config in init
/// went from about 0.45 ms to 0.1 ms.
fn no_profile_files() -> EnvConfigFiles {
    EnvConfigFiles::builder()
        .include_default_config_file(false)
        .include_default_credentials_file(false)
        .with_contents(EnvConfigFileKind::Config, "")
        .build()
}

/// The local cloud's per-call limit, when it set one.
fn local_timeout(env: &Env) -> Result<Option<Duration>, ConfigError> {
    env.optional(LOCAL_TIMEOUT_VAR)
        .map(|secs| {
            secs.parse::<u64>()
                .map(Duration::from_secs)
                .map_err(|_| ConfigError::Invalid {
                    name: LOCAL_TIMEOUT_VAR.to_owned(),
                    reason: format!("expected whole seconds, got {secs:?}"),
                })
        })
        .transpose()
}

/// Set by the local cloud only: one attempt per SDK call, bounded by this many seconds
/// (the function's timeout). moto ignores ClientRequestToken, so a retried
/// TransactWriteItems that had in fact committed would fail its own conditions; on AWS
/// the token makes such a retry safe, and the production timeouts above apply.
pub const LOCAL_TIMEOUT_VAR: &str = "CRABCART_LOCAL_SDK_TIMEOUT_SECS";

fn local_timeouts(limit: Duration) -> TimeoutConfig {
    TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(2))
        .read_timeout(limit)
        .operation_attempt_timeout(limit)
        .operation_timeout(limit)
        .build()
}

/// The roots every AWS endpoint's certificate chains to (Amazon Trust Services).
const AMAZON_TRUST_SERVICES_ROOTS: &[u8] =
    include_bytes!("../certs/amazon-trust-services-roots.pem");

/// The HTTPS client every SDK client uses: hyper + rustls on ring (see Cargo.toml for
/// why not the SDK's default aws-lc build), trusting the Amazon Trust Services roots
/// only. The SDK loads its trust store when a client is built, in init; the platform's
/// store (every file of /etc/ssl/certs on Debian) took 3 ms there, more than the rest
/// of init together, to trust roots no AWS endpoint uses.
pub fn http_client() -> SharedHttpClient {
    let roots = TrustStore::empty()
        .with_native_roots(false)
        .with_pem_certificate(AMAZON_TRUST_SERVICES_ROOTS);
    Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::Ring))
        // build() cannot fail today; were it to, the default (platform roots) still works.
        .tls_context(
            TlsContext::builder()
                .with_trust_store(roots)
                .build()
                .unwrap_or_default(),
        )
        .build_https()
}

fn timeouts() -> TimeoutConfig {
    TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(2))
        .read_timeout(Duration::from_secs(3))
        .operation_attempt_timeout(Duration::from_secs(3))
        .operation_timeout(Duration::from_secs(7))
        .build()
}

fn retries() -> RetryConfig {
    RetryConfig::standard()
        .with_max_attempts(3)
        .with_initial_backoff(Duration::from_millis(50))
        .with_max_backoff(Duration::from_secs(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_trust_store_is_the_five_amazon_roots_and_parses() {
        let pem = std::str::from_utf8(AMAZON_TRUST_SERVICES_ROOTS).unwrap();
        assert_eq!(pem.matches("-----BEGIN CERTIFICATE-----").count(), 5);
        // Building a client builds its TLS connector, which parses the store and
        // panics on a malformed certificate.
        let config = aws_sdk_dynamodb::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(aws_sdk_dynamodb::config::Region::new("eu-west-1"))
            .http_client(http_client())
            .build();
        let _client = aws_sdk_dynamodb::Client::from_conf(config);
    }

    #[test]
    fn the_local_timeout_is_whole_seconds_or_absent() {
        let env = |v: &'static str| Env::from_pairs([(LOCAL_TIMEOUT_VAR, v)]);
        assert_eq!(local_timeout(&Env::from_pairs([])), Ok(None));
        assert_eq!(local_timeout(&env("10")), Ok(Some(Duration::from_secs(10))));
        let err = local_timeout(&env("ten")).unwrap_err();
        assert!(err.to_string().contains(LOCAL_TIMEOUT_VAR), "{err}");
    }
}
