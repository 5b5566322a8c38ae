//! Typed reads of resolved resource properties. CloudFormation is lenient about
//! scalars ("60" and 60, "true" and true are the same), so these are too.

use anyhow::{anyhow, bail, Result};
use serde_json::Value;

pub fn opt_str(v: &Value, key: &str) -> Result<Option<String>> {
    match v.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(Value::Bool(b)) => Ok(Some(b.to_string())),
        Some(other) => bail!("{key}: {other} is not a string"),
    }
}

pub fn req_str(v: &Value, key: &str) -> Result<String> {
    opt_str(v, key)?.ok_or_else(|| anyhow!("{key} is required"))
}

pub fn opt_i64(v: &Value, key: &str) -> Result<Option<i64>> {
    match v.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n
            .as_i64()
            .map(Some)
            .ok_or_else(|| anyhow!("{key}: {n} is not an integer")),
        Some(Value::String(s)) => s
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| anyhow!("{key}: {s:?} is not an integer")),
        Some(other) => bail!("{key}: {other} is not an integer"),
    }
}

pub fn opt_i32(v: &Value, key: &str) -> Result<Option<i32>> {
    opt_i64(v, key)?
        .map(|n| i32::try_from(n).map_err(|_| anyhow!("{key}: {n} is out of range")))
        .transpose()
}

pub fn opt_bool(v: &Value, key: &str) -> Result<Option<bool>> {
    match v.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(Value::String(s)) if s.eq_ignore_ascii_case("true") => Ok(Some(true)),
        Some(Value::String(s)) if s.eq_ignore_ascii_case("false") => Ok(Some(false)),
        Some(other) => bail!("{key}: {other} is not a boolean"),
    }
}

pub fn opt_str_list(v: &Value, key: &str) -> Result<Option<Vec<String>>> {
    match v.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(a)) => a
            .iter()
            .map(|i| match i {
                Value::String(s) => Ok(s.clone()),
                other => bail!("{key}: {other} is not a string"),
            })
            .collect::<Result<Vec<_>>>()
            .map(Some),
        Some(Value::String(s)) => Ok(Some(vec![s.clone()])),
        Some(other) => bail!("{key}: {other} is not a list"),
    }
}

pub fn opt_list<'a>(v: &'a Value, key: &str) -> Result<&'a [Value]> {
    match v.get(key) {
        None | Some(Value::Null) => Ok(&[]),
        Some(Value::Array(a)) => Ok(a),
        Some(other) => bail!("{key}: {other} is not a list"),
    }
}

/// A policy-like property that CloudFormation accepts as a JSON object or a JSON string;
/// the AWS APIs want the string.
pub fn opt_json_string(v: &Value, key: &str) -> Result<Option<String>> {
    match v.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(other @ Value::Object(_)) => Ok(Some(serde_json::to_string(other)?)),
        Some(other) => bail!("{key}: {other} is neither a JSON object nor a string"),
    }
}

/// The display form AWS uses for error chains of SDK errors.
pub fn sdk_err<E: std::error::Error>(e: E) -> anyhow::Error {
    anyhow!(
        "{}",
        aws_smithy_types::error::display::DisplayErrorContext(e)
    )
}
