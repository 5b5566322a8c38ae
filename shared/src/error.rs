//! The one error type of the HTTP edge, and its mapping to status, code and message.
//! Service crates convert their own error enums into [`ApiError`] in exactly one `From`
//! impl; `http::response::error_response` renders it in the one error shape.

use http::StatusCode;
use serde::Serialize;

/// One problem with one field of a request, as shown in `error.details`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// The field's name (dotted path for nested fields).
    pub field: String,
    /// What is wrong with it, for a human.
    pub message: String,
}

impl FieldError {
    /// Builds a field error.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }

    /// The same error for the field as a member of `parent` (`items[2]` + `quantity` ->
    /// `items[2].quantity`): a domain type names its own fields, the body it came in
    /// names where.
    pub fn nested_in(self, parent: &str) -> Self {
        Self {
            field: format!("{parent}.{}", self.field),
            message: self.message,
        }
    }
}

/// Collects the field errors of one request, so that one answer names every bad field:
/// each field is checked by its domain type's constructor, the failures noted, and the
/// value built only when none failed.
///
/// ```
/// use shared::{FieldError, FieldErrors};
/// let mut errors = FieldErrors::default();
/// let name = errors.check(shared::text::single_line("name", "  Ada ", 10));
/// let city = errors.check(shared::text::single_line("city", "", 10));
/// let refused = errors.finish(name.zip(city)).unwrap_err();
/// assert_eq!(refused, [FieldError::new("city", "must not be empty")]);
/// ```
#[derive(Debug, Default)]
pub struct FieldErrors(Vec<FieldError>);

impl FieldErrors {
    /// The checked value, or `None` after noting why its field is refused.
    pub fn check<T>(&mut self, checked: Result<T, FieldError>) -> Option<T> {
        checked.map_err(|e| self.0.push(e)).ok()
    }

    /// The checked value, or `None` after noting every field it refuses.
    pub fn check_all<T>(&mut self, checked: Result<T, Vec<FieldError>>) -> Option<T> {
        checked.map_err(|e| self.0.extend(e)).ok()
    }

    /// Notes a refused field.
    pub fn push(&mut self, error: FieldError) {
        self.0.push(error);
    }

    /// Whether no field was refused so far.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `value` (built from the checked fields) when no field was refused, else every
    /// refused field.
    pub fn finish<T>(self, value: Option<T>) -> Result<T, Vec<FieldError>> {
        match value {
            Some(v) if self.0.is_empty() => Ok(v),
            _ => Err(self.0),
        }
    }
}

/// Everything an API handler can answer besides success.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400: malformed JSON, bad parameter, tampered cursor.
    #[error("{message}")]
    BadRequest {
        /// Human-readable summary.
        message: String,
        /// Per-field problems, possibly empty.
        details: Vec<FieldError>,
    },
    /// 400: the body parsed but fields break their rules (length, format, range).
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    /// 422: well-formed but semantically unacceptable (weak password, reused key).
    #[error("{message}")]
    Unprocessable {
        /// Human-readable summary.
        message: String,
        /// Per-field problems, possibly empty.
        details: Vec<FieldError>,
    },
    /// 401: no, bad or expired credentials.
    #[error("{0}")]
    Unauthorized(String),
    /// 403: authenticated but not allowed.
    #[error("{0}")]
    Forbidden(String),
    /// 404: no such resource, or someone else's.
    #[error("{0}")]
    NotFound(String),
    /// 409: duplicate, illegal state transition, request still in flight.
    #[error("{0}")]
    Conflict(String),
    /// 412: If-Match does not match the current version.
    #[error("{0}")]
    PreconditionFailed(String),
    /// 413: body over the limit.
    #[error("request body exceeds {limit} bytes")]
    PayloadTooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// 415: body is not JSON.
    #[error("content type must be application/json")]
    UnsupportedMediaType,
    /// 429: throttled by us or by a dependency the caller can wait for.
    #[error("too many requests")]
    Throttled {
        /// Seconds the caller should wait (Retry-After).
        retry_after_secs: u32,
    },
    /// 503: a dependency is unavailable; nothing was changed.
    #[error("service temporarily unavailable")]
    Unavailable {
        /// Seconds the caller should wait (Retry-After).
        retry_after_secs: u32,
    },
    /// 500: a bug or an unexpected dependency answer; the cause is logged, never sent.
    #[error("internal error")]
    Internal(#[from] anyhow::Error),
}

impl ApiError {
    /// 400 with a message and no field details.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::BadRequest {
            message: message.into(),
            details: Vec::new(),
        }
    }

    /// 400 for one field.
    pub fn invalid_field(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Validation(vec![FieldError::new(field, message)])
    }

    /// 422 for one field.
    pub fn unprocessable_field(field: impl Into<String>, message: impl Into<String>) -> Self {
        let detail = FieldError::new(field, message);
        Self::Unprocessable {
            message: detail.message.clone(),
            details: vec![detail],
        }
    }

    /// The HTTP status this error is answered with.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::BadRequest { .. } | Self::Validation(_) => StatusCode::BAD_REQUEST,
            Self::Unprocessable { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::PreconditionFailed(_) => StatusCode::PRECONDITION_FAILED,
            Self::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::Throttled { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The stable machine-readable code clients switch on.
    pub fn code(&self) -> &'static str {
        match self {
            Self::BadRequest { .. } => "BAD_REQUEST",
            Self::Validation(_) => "VALIDATION_ERROR",
            Self::Unprocessable { .. } => "UNPROCESSABLE_ENTITY",
            Self::Unauthorized(_) => "UNAUTHORIZED",
            Self::Forbidden(_) => "FORBIDDEN",
            Self::NotFound(_) => "NOT_FOUND",
            Self::Conflict(_) => "CONFLICT",
            Self::PreconditionFailed(_) => "PRECONDITION_FAILED",
            Self::PayloadTooLarge { .. } => "PAYLOAD_TOO_LARGE",
            Self::UnsupportedMediaType => "UNSUPPORTED_MEDIA_TYPE",
            Self::Throttled { .. } => "THROTTLED",
            Self::Unavailable { .. } => "SERVICE_UNAVAILABLE",
            Self::Internal(_) => "INTERNAL",
        }
    }

    /// The message sent to the client: never the internal cause of a 500.
    pub fn public_message(&self) -> String {
        match self {
            Self::Validation(_) => "request validation failed".to_owned(),
            other => other.to_string(),
        }
    }

    /// Field details sent to the client.
    pub fn details(&self) -> &[FieldError] {
        match self {
            Self::BadRequest { details, .. }
            | Self::Unprocessable { details, .. }
            | Self::Validation(details) => details,
            _ => &[],
        }
    }

    /// Seconds for a Retry-After header, when the caller should retry later.
    pub fn retry_after_secs(&self) -> Option<u32> {
        match self {
            Self::Throttled { retry_after_secs } | Self::Unavailable { retry_after_secs } => {
                Some(*retry_after_secs)
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_errors_do_not_leak_their_cause() {
        let err = ApiError::Internal(anyhow::anyhow!("table arn:aws:dynamodb:secret exploded"));
        assert_eq!(err.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(err.public_message(), "internal error");
    }

    #[test]
    fn every_variant_has_its_documented_status() {
        let cases: Vec<(ApiError, u16)> = vec![
            (ApiError::bad_request("x"), 400),
            (ApiError::invalid_field("email", "bad"), 400),
            (ApiError::unprocessable_field("password", "weak"), 422),
            (ApiError::Unauthorized("x".into()), 401),
            (ApiError::Forbidden("x".into()), 403),
            (ApiError::NotFound("x".into()), 404),
            (ApiError::Conflict("x".into()), 409),
            (ApiError::PreconditionFailed("x".into()), 412),
            (ApiError::PayloadTooLarge { limit: 1 }, 413),
            (ApiError::UnsupportedMediaType, 415),
            (
                ApiError::Throttled {
                    retry_after_secs: 1,
                },
                429,
            ),
            (
                ApiError::Unavailable {
                    retry_after_secs: 1,
                },
                503,
            ),
        ];
        for (err, status) in cases {
            assert_eq!(err.status().as_u16(), status, "{err:?}");
        }
    }
}
