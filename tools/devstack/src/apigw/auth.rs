//! The Cognito user-pool authorizer: verifies ID tokens against the pool's JWKS as
//! API Gateway does, and renders the claims the way API Gateway passes them on.

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::sync::Mutex;

/// A Cognito authorizer of the template, resolved to local ids.
#[derive(Debug, Clone, PartialEq)]
pub struct CognitoAuthorizer {
    pub name: String,
    /// Identity.Header (default Authorization).
    pub header: String,
    pub pool_ids: Vec<String>,
    /// The pools' app clients: an ID token's `aud` must be one of them.
    pub client_ids: Vec<String>,
}

pub fn issuer(pool_id: &str) -> String {
    format!(
        "https://cognito-idp.{}.amazonaws.com/{pool_id}",
        stack_model::template::intrinsics::REGION
    )
}

/// Why a token was refused (only logged: the caller just gets 401, as from API Gateway).
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum AuthError {
    #[error("no token in the {0} header")]
    Missing(String),
    #[error("malformed token: {0}")]
    Malformed(String),
    #[error("token from an issuer this authorizer does not trust: {0}")]
    Issuer(String),
    #[error("no key {0:?} in the pool's JWKS")]
    UnknownKey(String),
    #[error("cannot fetch the JWKS: {0}")]
    Jwks(String),
    #[error("invalid token: {0}")]
    Invalid(String),
    #[error("not an ID token (token_use={0:?})")]
    NotIdToken(String),
}

pub struct Verifier {
    http: reqwest::Client,
    moto_url: String,
    /// pool id -> kid -> key. moto's keys never change during a run.
    keys: Mutex<HashMap<String, HashMap<String, DecodingKey>>>,
}

impl Verifier {
    pub fn new(moto_url: &str) -> Verifier {
        Verifier {
            http: reqwest::Client::new(),
            moto_url: moto_url.trim_end_matches('/').to_owned(),
            keys: Mutex::new(HashMap::new()),
        }
    }

    /// Installs a key without fetching (tests sign with their own key).
    #[cfg(test)]
    pub fn insert_key(&self, pool_id: &str, kid: &str, key: DecodingKey) {
        if let Ok(mut k) = self.keys.lock() {
            k.entry(pool_id.to_owned())
                .or_default()
                .insert(kid.to_owned(), key);
        }
    }

    fn cached_key(&self, pool_id: &str, kid: &str) -> Option<DecodingKey> {
        self.keys.lock().ok()?.get(pool_id)?.get(kid).cloned()
    }

    async fn key(&self, pool_id: &str, kid: &str) -> Result<DecodingKey, AuthError> {
        if let Some(k) = self.cached_key(pool_id, kid) {
            return Ok(k);
        }
        // moto serves the JWKS under its own host, not under the issuer URL.
        let url = format!("{}/{pool_id}/.well-known/jwks.json", self.moto_url);
        let set: JwkSet = self
            .http
            .get(&url)
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(|e| AuthError::Jwks(e.to_string()))?
            .json()
            .await
            .map_err(|e| AuthError::Jwks(e.to_string()))?;
        let mut fetched = HashMap::new();
        for jwk in &set.keys {
            if let (Some(k), Ok(key)) = (jwk.common.key_id.clone(), DecodingKey::from_jwk(jwk)) {
                fetched.insert(k, key);
            }
        }
        let found = fetched.get(kid).cloned();
        if let Ok(mut keys) = self.keys.lock() {
            keys.insert(pool_id.to_owned(), fetched);
        }
        found.ok_or_else(|| AuthError::UnknownKey(kid.to_owned()))
    }

    /// Verifies the header value (the raw token, or "Bearer <token>") and returns the claims.
    pub async fn verify(
        &self,
        header: Option<&str>,
        auth: &CognitoAuthorizer,
    ) -> Result<Map<String, Value>, AuthError> {
        let raw = header.map(str::trim).filter(|h| !h.is_empty());
        let raw = raw.ok_or_else(|| AuthError::Missing(auth.header.clone()))?;
        // API Gateway's Cognito authorizer takes the raw token; clients following
        // docs/walkthrough.md send "Bearer <token>". Accept both.
        let token = match raw.split_once(' ') {
            Some((scheme, t)) if scheme.eq_ignore_ascii_case("bearer") => t.trim(),
            _ => raw,
        };
        let header =
            jsonwebtoken::decode_header(token).map_err(|e| AuthError::Malformed(e.to_string()))?;
        if header.alg != Algorithm::RS256 {
            return Err(AuthError::Invalid(format!("alg {:?}", header.alg)));
        }
        let kid = header
            .kid
            .ok_or_else(|| AuthError::Malformed("no kid".into()))?;
        // Read iss before verifying only to pick the pool's keys; it is verified below.
        let iss = unverified_issuer(token)?;
        let pool_id = auth
            .pool_ids
            .iter()
            .find(|p| issuer(p) == iss)
            .ok_or_else(|| AuthError::Issuer(iss.clone()))?;
        if auth.client_ids.is_empty() {
            return Err(AuthError::Invalid("the pool has no app clients".into()));
        }
        let key = self.key(pool_id, &kid).await?;
        let mut v = Validation::new(Algorithm::RS256);
        v.leeway = 0;
        v.validate_exp = true;
        v.validate_nbf = true;
        v.set_issuer(&[issuer(pool_id)]);
        v.set_audience(&auth.client_ids);
        v.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        let data = jsonwebtoken::decode::<Map<String, Value>>(token, &key, &v)
            .map_err(|e| AuthError::Invalid(e.to_string()))?;
        let claims = data.claims;
        match claims.get("token_use").and_then(Value::as_str) {
            Some("id") => Ok(claims),
            other => Err(AuthError::NotIdToken(other.unwrap_or("").to_owned())),
        }
    }
}

fn unverified_issuer(token: &str) -> Result<String, AuthError> {
    use base64::Engine as _;
    let payload = token
        .split('.')
        .nth(1)
        .ok_or_else(|| AuthError::Malformed("not a JWT".into()))?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .map_err(|e| AuthError::Malformed(e.to_string()))?;
    let v: Value =
        serde_json::from_slice(&bytes).map_err(|e| AuthError::Malformed(e.to_string()))?;
    v.get("iss")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| AuthError::Malformed("no iss".into()))
}

/// Claims as a REST API passes them in `requestContext.authorizer.claims`: every value
/// a string, lists comma-joined (`cognito:groups` = "admin,ops"), and the time claims as
/// the date strings API Gateway emits ("Sun Nov 22 10:00:00 UTC 2026").
pub fn render_claims(claims: &Map<String, Value>) -> Map<String, Value> {
    claims
        .iter()
        .map(|(k, v)| {
            let s = match v {
                Value::String(s) => s.clone(),
                Value::Number(n) if matches!(k.as_str(), "exp" | "iat" | "auth_time") => n
                    .as_i64()
                    .and_then(|secs| chrono::DateTime::from_timestamp(secs, 0))
                    .map_or_else(
                        || n.to_string(),
                        |t| t.format("%a %b %d %H:%M:%S UTC %Y").to_string(),
                    ),
                Value::Number(n) => n.to_string(),
                Value::Bool(b) => b.to_string(),
                Value::Array(a) => a
                    .iter()
                    .map(|i| match i {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    })
                    .collect::<Vec<_>>()
                    .join(","),
                Value::Null => String::new(),
                Value::Object(_) => v.to_string(),
            };
            (k.clone(), Value::String(s))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::{EncodingKey, Header};
    use serde_json::json;

    // A throwaway 2048-bit RSA key (PKCS#1 DER, base64) made with openssl for these tests only.
    const TEST_PRIVATE_DER: &str = include_str!("testdata/test_rsa_private.b64");
    const TEST_PUBLIC_DER: &str = include_str!("testdata/test_rsa_public.b64");

    fn der(b64: &str) -> Vec<u8> {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD
            .decode(b64.trim())
            .unwrap()
    }

    fn authorizer() -> CognitoAuthorizer {
        CognitoAuthorizer {
            name: "CognitoAuthorizer".into(),
            header: "Authorization".into(),
            pool_ids: vec!["us-east-1_test".into()],
            client_ids: vec!["client-a".into()],
        }
    }

    fn verifier() -> Verifier {
        // Nothing listens there: every key must come from the cache.
        let v = Verifier::new("http://127.0.0.1:9");
        v.insert_key(
            "us-east-1_test",
            "k1",
            DecodingKey::from_rsa_der(&der(TEST_PUBLIC_DER)),
        );
        v
    }

    fn sign(claims: Value) -> String {
        let mut h = Header::new(Algorithm::RS256);
        h.kid = Some("k1".into());
        jsonwebtoken::encode(
            &h,
            &claims,
            &EncodingKey::from_rsa_der(&der(TEST_PRIVATE_DER)),
        )
        .unwrap()
    }

    fn claims(exp_offset: i64) -> Value {
        let now = chrono::Utc::now().timestamp();
        json!({"iss": issuer("us-east-1_test"), "sub": "u1", "aud": "client-a", "token_use": "id",
               "iat": now, "exp": now + exp_offset, "email": "a@example.com", "cognito:groups": ["admin", "ops"]})
    }

    #[tokio::test]
    async fn valid_token_verifies_with_or_without_bearer() {
        let v = verifier();
        let t = sign(claims(300));
        let c = v.verify(Some(&t), &authorizer()).await.unwrap();
        assert_eq!(c["sub"], "u1");
        let c = v
            .verify(Some(&format!("Bearer {t}")), &authorizer())
            .await
            .unwrap();
        assert_eq!(c["email"], "a@example.com");
    }

    #[tokio::test]
    async fn expired_wrong_aud_wrong_iss_access_and_tampered_are_rejected() {
        let v = verifier();
        let a = authorizer();
        let e = v.verify(Some(&sign(claims(-5))), &a).await.unwrap_err();
        assert!(
            matches!(&e, AuthError::Invalid(m) if m.contains("Expired")),
            "{e:?}"
        );

        let mut c = claims(300);
        c["aud"] = json!("other-client");
        assert!(matches!(
            v.verify(Some(&sign(c)), &a).await,
            Err(AuthError::Invalid(_))
        ));

        let mut c = claims(300);
        c["iss"] = json!(issuer("us-east-1_other"));
        assert!(matches!(
            v.verify(Some(&sign(c)), &a).await,
            Err(AuthError::Issuer(_))
        ));

        let mut c = claims(300);
        c["token_use"] = json!("access");
        assert_eq!(
            v.verify(Some(&sign(c)), &a).await.unwrap_err(),
            AuthError::NotIdToken("access".into())
        );

        // Swap in a payload claiming another subject; the signature no longer matches.
        let t = sign(claims(300));
        let mut parts: Vec<String> = t.split('.').map(str::to_owned).collect();
        let mut forged = claims(300);
        forged["sub"] = json!("someone-else");
        use base64::Engine as _;
        parts[1] = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(forged.to_string());
        let e = v.verify(Some(&parts.join(".")), &a).await.unwrap_err();
        assert!(matches!(e, AuthError::Invalid(_)), "{e:?}");

        assert!(matches!(
            v.verify(None, &a).await,
            Err(AuthError::Missing(_))
        ));
        assert!(matches!(
            v.verify(Some("Bearer junk"), &a).await,
            Err(AuthError::Malformed(_))
        ));
    }

    #[test]
    fn claims_render_like_api_gateway() {
        let c = json!({"sub": "u", "cognito:groups": ["admin", "ops"], "email_verified": true,
                       "exp": 1_795_341_600, "custom:n": 5});
        let r = render_claims(c.as_object().unwrap());
        assert_eq!(r["cognito:groups"], "admin,ops");
        assert_eq!(r["email_verified"], "true");
        assert_eq!(r["custom:n"], "5");
        assert_eq!(r["exp"], "Sun Nov 22 10:00:00 UTC 2026");
    }
}
