//! JSON request bodies: size limit, content type, and serde errors turned into 400s with
//! field details. Request types use `#[serde(deny_unknown_fields)]` so unknown fields
//! (including mass-assignment attempts) are rejected here.

use crate::error::{ApiError, FieldError};
use serde::de::DeserializeOwned;
use serde_json::{Number, Value};

/// Largest request body accepted, as openapi.yaml promises (413 beyond it).
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// Parses a JSON body: 413 over [`MAX_BODY_BYTES`], 415 unless the content type is JSON,
/// 400 for malformed JSON, wrong types, missing or unknown fields.
pub fn parse_json<T: DeserializeOwned>(
    content_type: Option<&str>,
    body: &[u8],
) -> Result<T, ApiError> {
    if body.len() > MAX_BODY_BYTES {
        return Err(ApiError::PayloadTooLarge {
            limit: MAX_BODY_BYTES,
        });
    }
    if !is_json_content_type(content_type) {
        return Err(ApiError::UnsupportedMediaType);
    }
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::bad_request("request body is required"));
    }
    let mut document: Value =
        serde_json::from_slice(body).map_err(|_| ApiError::bad_request("malformed JSON"))?;
    whole_numbers_as_integers(&mut document);
    serde_path_to_error::deserialize(document).map_err(into_api_error)
}

/// JSON has one number type, and to JSON Schema (so to openapi.yaml) `3.0` is the integer
/// 3; serde refuses it for an integer field. Whole numbers written with a fraction or an
/// exponent become integers before the body meets its type; `3.5` still fails there.
fn whole_numbers_as_integers(value: &mut Value) {
    // i64's range: every whole f64 in it converts exactly.
    const LIMIT: f64 = 9_223_372_036_854_775_808.0;
    match value {
        Value::Number(n) => {
            if let Some(f) = n.as_f64().filter(|_| n.is_f64()) {
                if f.fract() == 0.0 && (-LIMIT..LIMIT).contains(&f) {
                    // In range and whole, so the cast is exact.
                    *n = Number::from(f as i64);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(whole_numbers_as_integers),
        Value::Object(fields) => fields.values_mut().for_each(whole_numbers_as_integers),
        Value::Null | Value::Bool(_) | Value::String(_) => {}
    }
}

fn is_json_content_type(content_type: Option<&str>) -> bool {
    let Some(ct) = content_type else {
        return false;
    };
    let essence = ct.split(';').next().unwrap_or_default().trim();
    essence.eq_ignore_ascii_case("application/json")
        || (essence.len() > "application/+json".len()
            && essence.to_ascii_lowercase().starts_with("application/")
            && essence.to_ascii_lowercase().ends_with("+json"))
}

fn into_api_error(err: serde_path_to_error::Error<serde_json::Error>) -> ApiError {
    let path = err.path().to_string();
    let inner = err.inner();
    if inner.is_syntax() || inner.is_eof() || inner.is_io() {
        return ApiError::bad_request("malformed JSON");
    }
    let message = inner.to_string();
    // serde's messages look like "unknown field `x`, expected ..." at line/column; keep
    // the first clause and name the field it is about.
    let text = message.split(" at line").next().unwrap_or(&message);
    let named = backticked(text);
    // serde_path_to_error already ends the path with an unknown field's name, but a
    // missing field is reported at its parent, so its name has to be appended.
    let field = match (named, path.as_str()) {
        (Some(name), "." | "") if text.starts_with("missing field") => name.to_owned(),
        (Some(name), parent) if text.starts_with("missing field") => format!("{parent}.{name}"),
        (_, ".") => String::new(),
        (_, parent) => parent.to_owned(),
    };
    let short = text.split(", expected").next().unwrap_or(text).to_owned();
    ApiError::BadRequest {
        message: short.clone(),
        details: vec![FieldError::new(field, short)],
    }
}

fn backticked(text: &str) -> Option<&str> {
    let start = text.find('`')? + 1;
    let len = text[start..].find('`')?;
    Some(&text[start..start + len])
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Register {
        email: String,
        age: u8,
        address: Option<Address>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Address {
        city: String,
    }

    const JSON: Option<&str> = Some("application/json; charset=utf-8");

    fn err(ct: Option<&str>, body: &str) -> ApiError {
        parse_json::<Register>(ct, body.as_bytes()).unwrap_err()
    }

    #[test]
    fn parses_a_valid_body() {
        let r: Register = parse_json(JSON, br#"{"email":"a@b.co","age":3}"#).unwrap();
        assert_eq!(r.email, "a@b.co");
    }

    #[test]
    fn rejects_wrong_content_type_and_oversized_bodies() {
        assert_eq!(err(Some("text/plain"), "{}").status(), 415);
        assert_eq!(err(None, "{}").status(), 415);
        let big = format!(r#"{{"email":"{}","age":1}}"#, "a".repeat(MAX_BODY_BYTES));
        assert_eq!(err(JSON, &big).status(), 413);
    }

    #[test]
    fn malformed_json_is_a_400_without_internals() {
        let e = err(JSON, r#"{"email": "#);
        assert_eq!(e.status(), 400);
        assert_eq!(e.public_message(), "malformed JSON");
        assert_eq!(err(JSON, r#"{"email":"a","age":1} trailing"#).status(), 400);
        assert_eq!(err(JSON, "").status(), 400);
    }

    #[test]
    fn unknown_missing_and_mistyped_fields_are_named() {
        let e = err(JSON, r#"{"email":"a","age":1,"role":"admin"}"#);
        assert_eq!(e.status(), 400);
        assert_eq!(e.details()[0].field, "role");
        assert!(e.public_message().starts_with("unknown field"));

        let e = err(JSON, r#"{"age":1}"#);
        assert_eq!(e.details()[0].field, "email");

        let e = err(JSON, r#"{"email":"a","age":"old"}"#);
        assert_eq!(e.details()[0].field, "age");

        let e = err(
            JSON,
            r#"{"email":"a","age":1,"address":{"city":"x","zip":"1"}}"#,
        );
        assert_eq!(e.details()[0].field, "address.zip");
    }

    #[test]
    fn whole_numbers_written_as_floats_are_integers() {
        let r: Register = parse_json(JSON, br#"{"email":"a@b.co","age":3.0}"#).unwrap();
        assert_eq!(r.age, 3);
        let r: Register = parse_json(JSON, br#"{"email":"a@b.co","age":2e1}"#).unwrap();
        assert_eq!(r.age, 20);
        let e = err(JSON, r#"{"email":"a","age":3.5}"#);
        assert_eq!(
            (e.status().as_u16(), e.details()[0].field.as_str()),
            (400, "age")
        );
        let e = err(JSON, r#"{"email":"a","age":1e300}"#);
        assert_eq!(
            (e.status().as_u16(), e.details()[0].field.as_str()),
            (400, "age")
        );
    }

    #[test]
    fn vendor_json_types_are_json() {
        assert!(is_json_content_type(Some("application/merge-patch+json")));
        assert!(!is_json_content_type(Some(
            "application/x-www-form-urlencoded"
        )));
    }
}
