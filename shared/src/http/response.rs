//! Responses: JSON bodies, 201 + Location, 204, and the one rendering of [`ApiError`].

use crate::error::ApiError;
use http::header::{CONTENT_TYPE, LOCATION, RETRY_AFTER};
use http::StatusCode;
use lambda_http::{Body, Response};
use serde::Serialize;
use serde_json::json;

/// What a route handler returns: a response, or its service's error `E`, which the router
/// turns into the HTTP error shape.
pub type Answer<E = ApiError> = Result<Response<Body>, E>;

/// An answer whose error is already the HTTP one (shared checks, tests).
pub type ApiResult = Answer<ApiError>;

/// A JSON response with `status`.
pub fn json<T: Serialize, E: From<ApiError>>(status: StatusCode, body: &T) -> Answer<E> {
    let text = serde_json::to_string(body).map_err(|e| ApiError::Internal(e.into()))?;
    Ok(Response::builder()
        .status(status)
        .header(CONTENT_TYPE, "application/json")
        .body(Body::Text(text))
        .map_err(|e| ApiError::Internal(e.into()))?)
}

/// 201 Created with a Location header and the created resource.
pub fn created<T: Serialize, E: From<ApiError>>(location: &str, body: &T) -> Answer<E> {
    let mut response = json::<_, ApiError>(StatusCode::CREATED, body)?;
    let location = location
        .parse()
        .map_err(|e: http::header::InvalidHeaderValue| ApiError::Internal(e.into()))?;
    response.headers_mut().insert(LOCATION, location);
    Ok(response)
}

/// 204 No Content.
pub fn no_content<E: From<ApiError>>() -> Answer<E> {
    Ok(Response::builder()
        .status(StatusCode::NO_CONTENT)
        .body(Body::Empty)
        .map_err(|e| ApiError::Internal(e.into()))?)
}

/// Renders an error in the one error shape (docs/design.md, openapi.yaml `Error`) and logs it; a 5xx logs its cause, which the
/// client never sees.
pub fn error_response(err: &ApiError, request_id: &str) -> Response<Body> {
    let status = err.status();
    if status.is_server_error() {
        tracing::error!(error = ?err, status = status.as_u16(), "request failed");
    } else {
        tracing::info!(
            code = err.code(),
            status = status.as_u16(),
            "request rejected"
        );
    }
    let body = json!({
        "error": {
            "code": err.code(),
            "message": err.public_message(),
            "details": err.details(),
            "request_id": request_id,
            "timestamp": crate::time::rfc3339(&crate::time::now()),
        }
    });
    let mut builder = Response::builder()
        .status(status)
        .header(CONTENT_TYPE, "application/json");
    if let Some(secs) = err.retry_after_secs() {
        builder = builder.header(RETRY_AFTER, secs.to_string());
    }
    builder
        .body(Body::Text(body.to_string()))
        .unwrap_or_else(|_| {
            let mut fallback = Response::new(Body::Empty);
            *fallback.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
            fallback
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body_json(resp: &Response<Body>) -> serde_json::Value {
        match resp.body() {
            Body::Text(t) => serde_json::from_str(t).unwrap(),
            other => panic!("unexpected body {other:?}"),
        }
    }

    #[test]
    fn errors_have_the_documented_shape() {
        let resp = error_response(&ApiError::invalid_field("email", "not an email"), "req-1");
        assert_eq!(resp.status(), 400);
        let v = body_json(&resp);
        assert_eq!(v["error"]["code"], "VALIDATION_ERROR");
        assert_eq!(v["error"]["details"][0]["field"], "email");
        assert_eq!(v["error"]["request_id"], "req-1");
        let ts = v["error"]["timestamp"].as_str().unwrap();
        assert!(crate::time::parse_rfc3339(ts).is_some());
    }

    #[test]
    fn unavailable_carries_retry_after() {
        let resp = error_response(
            &ApiError::Unavailable {
                retry_after_secs: 2,
            },
            "r",
        );
        assert_eq!(resp.status(), 503);
        assert_eq!(resp.headers()[RETRY_AFTER], "2");
    }

    #[test]
    fn created_sets_location() {
        let resp: ApiResult = created("/v1/users/1", &json!({"id": "1"}));
        let resp = resp.unwrap();
        assert_eq!(resp.status(), 201);
        assert_eq!(resp.headers()[LOCATION], "/v1/users/1");
    }
}
