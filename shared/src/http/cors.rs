//! The CORS headers of every answer. API Gateway answers the preflights itself (the
//! template's `Cors`), and its own errors carry the origin (GatewayResponses); but a
//! browser hands an actual answer to the storefront only when the answer names the
//! storefront's origin, and lets it read only the headers the answer exposes.

use lambda_http::http::header::{ACCESS_CONTROL_ALLOW_ORIGIN, ACCESS_CONTROL_EXPOSE_HEADERS};
use lambda_http::http::HeaderValue;
use lambda_http::{Body, Response};

/// The environment variable the template sets from its `StorefrontOrigin` parameter.
pub const ALLOWED_ORIGIN_VAR: &str = "ALLOWED_ORIGIN";

/// What a storefront reads besides the body: the version for If-Match, where a created
/// resource lives, and how long to wait after a 429 or 503.
const EXPOSED: &str = "ETag, Location, Retry-After";

/// The origin answers are shared with; none, no CORS headers.
#[derive(Debug, Clone, Default)]
pub struct Cors {
    origin: Option<HeaderValue>,
}

impl Cors {
    /// One origin (`scheme://host[:port]`), never `*`: answers carry a caller's data.
    pub fn for_origin(origin: &str) -> Result<Cors, String> {
        let origin = origin.trim();
        if origin.is_empty() {
            return Ok(Cors::default());
        }
        let shaped = (origin.starts_with("https://") || origin.starts_with("http://"))
            && !origin.contains('*')
            && !origin.ends_with('/');
        if !shaped {
            return Err(format!(
                "{ALLOWED_ORIGIN_VAR} must be one origin such as https://shop.example.com, not {origin:?}"
            ));
        }
        let value =
            HeaderValue::from_str(origin).map_err(|e| format!("{ALLOWED_ORIGIN_VAR}: {e}"))?;
        Ok(Cors {
            origin: Some(value),
        })
    }

    /// From `ALLOWED_ORIGIN`; unset or empty, no CORS headers.
    pub fn from_env() -> Result<Cors, String> {
        Cors::for_origin(&std::env::var(ALLOWED_ORIGIN_VAR).unwrap_or_default())
    }

    /// Names the origin on the answer and exposes the headers a storefront reads.
    pub fn apply(&self, response: &mut Response<Body>) {
        if let Some(origin) = &self.origin {
            let headers = response.headers_mut();
            headers.insert(ACCESS_CONTROL_ALLOW_ORIGIN, origin.clone());
            headers.insert(
                ACCESS_CONTROL_EXPOSE_HEADERS,
                HeaderValue::from_static(EXPOSED),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_origin_is_named_on_every_answer_with_the_headers_a_storefront_reads() {
        let cors = Cors::for_origin("https://shop.example.com").unwrap();
        let mut response = Response::new(Body::Empty);
        cors.apply(&mut response);
        assert_eq!(
            response.headers()[ACCESS_CONTROL_ALLOW_ORIGIN],
            "https://shop.example.com"
        );
        assert_eq!(
            response.headers()[ACCESS_CONTROL_EXPOSE_HEADERS],
            "ETag, Location, Retry-After"
        );
    }

    #[test]
    fn no_origin_adds_nothing_and_a_wildcard_or_a_path_is_refused() {
        let mut response = Response::new(Body::Empty);
        Cors::for_origin("").unwrap().apply(&mut response);
        assert!(response.headers().is_empty());
        for bad in [
            "*",
            "https://*.example.com",
            "shop.example.com",
            "https://shop.example.com/",
        ] {
            assert!(Cors::for_origin(bad).is_err(), "{bad}");
        }
    }
}
