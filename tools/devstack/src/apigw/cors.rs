//! The template's `Cors` on an API, answered as API Gateway answers it: an OPTIONS request
//! on a path the API has is a preflight, answered by a mock integration with the
//! configured headers, no authorizer and no function.

use anyhow::{bail, Result};
use serde_json::Value;

/// An API's `Cors` property: the literal header values of its preflight answers.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Cors {
    pub allow_origin: String,
    /// None: the methods of the requested path, and OPTIONS (what SAM generates).
    pub allow_methods: Option<String>,
    pub allow_headers: Option<String>,
    pub max_age: Option<String>,
    pub allow_credentials: bool,
}

impl Cors {
    /// `Cors: "'origin'"` or `Cors: {AllowOrigin, AllowMethods, AllowHeaders, MaxAge,
    /// AllowCredentials}`, each value a quoted literal as API Gateway maps them.
    pub fn parse(v: &Value) -> Result<Cors> {
        let field = |name: &str| -> Result<Option<String>> {
            match v.get(name) {
                None | Some(Value::Null) => Ok(None),
                Some(value) => literal(value).map(Some).ok_or_else(|| {
                    anyhow::anyhow!("Cors.{name} must be a quoted literal ('...'): {value}")
                }),
            }
        };
        if let Some(origin) = literal(v) {
            return Ok(Cors {
                allow_origin: origin,
                ..Cors::default()
            });
        }
        if !v.is_object() {
            bail!("Cors must be a quoted origin or a mapping: {v}");
        }
        let Some(allow_origin) = field("AllowOrigin")? else {
            bail!("Cors has no AllowOrigin");
        };
        Ok(Cors {
            allow_origin,
            allow_methods: field("AllowMethods")?,
            allow_headers: field("AllowHeaders")?,
            max_age: field("MaxAge")?,
            allow_credentials: v.get("AllowCredentials").and_then(Value::as_bool) == Some(true),
        })
    }

    /// The headers of a preflight on a path whose routes have `methods`.
    pub fn preflight_headers(&self, methods: &[String]) -> Vec<(String, String)> {
        let methods = self.allow_methods.clone().unwrap_or_else(|| {
            let mut all: Vec<String> = methods.iter().map(|m| m.to_ascii_uppercase()).collect();
            all.push("OPTIONS".into());
            all.sort();
            all.dedup();
            all.join(",")
        });
        let mut headers = vec![
            (
                "Access-Control-Allow-Origin".to_owned(),
                self.allow_origin.clone(),
            ),
            ("Access-Control-Allow-Methods".to_owned(), methods),
        ];
        if let Some(allowed) = &self.allow_headers {
            headers.push(("Access-Control-Allow-Headers".to_owned(), allowed.clone()));
        }
        if let Some(age) = &self.max_age {
            headers.push(("Access-Control-Max-Age".to_owned(), age.clone()));
        }
        if self.allow_credentials {
            headers.push((
                "Access-Control-Allow-Credentials".to_owned(),
                "true".to_owned(),
            ));
        }
        headers
    }
}

/// `'value'` -> `value`.
fn literal(v: &Value) -> Option<String> {
    let s = stack_model::template::intrinsics::scalar_string(v)?;
    Some(s.strip_prefix('\'')?.strip_suffix('\'')?.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_mapping_gives_each_preflight_header_and_methods_default_to_the_paths() {
        let cors = Cors::parse(&json!({
            "AllowOrigin": "'https://shop.example.com'",
            "AllowHeaders": "'Authorization,Content-Type'",
            "MaxAge": "'600'",
        }))
        .unwrap();
        assert_eq!(
            cors.preflight_headers(&["post".into(), "GET".into()]),
            vec![
                (
                    "Access-Control-Allow-Origin".into(),
                    "https://shop.example.com".into()
                ),
                (
                    "Access-Control-Allow-Methods".into(),
                    "GET,OPTIONS,POST".into()
                ),
                (
                    "Access-Control-Allow-Headers".into(),
                    "Authorization,Content-Type".into()
                ),
                ("Access-Control-Max-Age".into(), "600".into()),
            ]
        );
        let short = Cors::parse(&json!("'https://shop.example.com'")).unwrap();
        assert_eq!(short.allow_origin, "https://shop.example.com");
    }

    #[test]
    fn an_unquoted_value_or_no_origin_is_refused() {
        assert!(Cors::parse(&json!({"AllowOrigin": "https://shop.example.com"})).is_err());
        assert!(Cors::parse(&json!({"AllowMethods": "'GET'"})).is_err());
        assert!(Cors::parse(&json!(42)).is_err());
    }
}
