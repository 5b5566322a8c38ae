//! Lambda event filtering (FilterCriteria), the EventBridge-style pattern subset that
//! event source mappings support.

use serde_json::{Map, Value};

/// The patterns of one event source mapping. A record is delivered when it matches any
/// pattern; with no patterns every record is delivered.
#[derive(Debug, Clone, Default)]
pub(crate) struct FilterSet {
    patterns: Vec<Map<String, Value>>,
    /// Patterns were configured, even if none of them parsed: then nothing matches, as
    /// with a mapping whose filters match no record.
    configured: bool,
}

impl FilterSet {
    pub(crate) fn parse(source: &str, filters: &[String]) -> FilterSet {
        let mut patterns = Vec::new();
        for f in filters {
            match serde_json::from_str::<Value>(f) {
                Ok(Value::Object(p)) => patterns.push(p),
                Ok(_) => {
                    tracing::error!(%source, pattern = %f, "filter pattern is not a JSON object; ignored")
                }
                Err(e) => {
                    tracing::error!(%source, pattern = %f, "filter pattern is not JSON ({e}); ignored")
                }
            }
        }
        FilterSet {
            patterns,
            configured: !filters.is_empty(),
        }
    }

    pub(crate) fn matches(&self, record: &Value) -> bool {
        if !self.configured {
            return true;
        }
        self.patterns.iter().any(|p| match_object(p, Some(record)))
    }
}

fn match_object(pattern: &Map<String, Value>, event: Option<&Value>) -> bool {
    pattern.iter().all(|(key, p)| {
        let field = event.and_then(Value::as_object).and_then(|o| o.get(key));
        match p {
            Value::Object(nested) => match_object(nested, field),
            Value::Array(matchers) => match_field(matchers, field),
            // Patterns must use arrays at the leaves; Lambda rejects anything else.
            _ => false,
        }
    })
}

fn match_field(matchers: &[Value], field: Option<&Value>) -> bool {
    let Some(value) = field else {
        return matchers.iter().any(|m| exists_matcher(m) == Some(false));
    };
    matchers.iter().any(|m| {
        if let Some(want) = exists_matcher(m) {
            return want;
        }
        match value {
            // An array field matches when any of its elements matches.
            Value::Array(items) => items.iter().any(|v| match_value(m, v)),
            v => match_value(m, v),
        }
    })
}

fn exists_matcher(m: &Value) -> Option<bool> {
    let o = m.as_object()?;
    if o.len() != 1 {
        return None;
    }
    o.get("exists").and_then(Value::as_bool)
}

fn literal_eq(lit: &Value, v: &Value) -> bool {
    match (lit, v) {
        (Value::Number(a), Value::Number(b)) => a.as_f64() == b.as_f64(),
        (a, b) => a == b,
    }
}

fn match_value(m: &Value, v: &Value) -> bool {
    let Value::Object(op) = m else {
        return literal_eq(m, v);
    };
    let Some((name, arg)) = op.iter().next().filter(|_| op.len() == 1) else {
        return false;
    };
    let s = v.as_str();
    match name.as_str() {
        "prefix" => match arg {
            Value::String(p) => s.is_some_and(|s| s.starts_with(p.as_str())),
            Value::Object(o) => match (o.get("equals-ignore-case"), s) {
                (Some(Value::String(p)), Some(s)) => {
                    s.to_lowercase().starts_with(&p.to_lowercase())
                }
                _ => false,
            },
            _ => false,
        },
        "suffix" => match (arg, s) {
            (Value::String(p), Some(s)) => s.ends_with(p.as_str()),
            _ => false,
        },
        "equals-ignore-case" => match (arg, s) {
            (Value::String(p), Some(s)) => s.to_lowercase() == p.to_lowercase(),
            _ => false,
        },
        "anything-but" => match arg {
            Value::Array(list) => !list.iter().any(|l| literal_eq(l, v)),
            Value::Object(o) => match (o.get("prefix"), o.get("suffix"), s) {
                (Some(Value::String(p)), _, Some(s)) => !s.starts_with(p.as_str()),
                (_, Some(Value::String(p)), Some(s)) => !s.ends_with(p.as_str()),
                _ => false,
            },
            lit => !literal_eq(lit, v),
        },
        "numeric" => match (arg, v.as_f64()) {
            (Value::Array(conds), Some(x)) => numeric(conds, x),
            _ => false,
        },
        _ => false,
    }
}

fn numeric(conds: &[Value], x: f64) -> bool {
    if conds.is_empty() || conds.len() % 2 != 0 {
        return false;
    }
    conds
        .chunks(2)
        .all(|c| match (c[0].as_str(), c[1].as_f64()) {
            (Some("="), Some(n)) => x == n,
            (Some("<"), Some(n)) => x < n,
            (Some("<="), Some(n)) => x <= n,
            (Some(">"), Some(n)) => x > n,
            (Some(">="), Some(n)) => x >= n,
            _ => false,
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn set(patterns: &[&str]) -> FilterSet {
        FilterSet::parse(
            "test",
            &patterns.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
        )
    }

    fn ddb(event_name: &str, pk: &str) -> Value {
        json!({
            "eventName": event_name,
            "dynamodb": {"Keys": {"PK": {"S": pk}}, "NewImage": {"PK": {"S": pk}, "n": {"N": "5"}}}
        })
    }

    #[test]
    fn template_outbox_pattern() {
        let f = set(&[
            r#"{"eventName": ["INSERT"], "dynamodb": {"Keys": {"PK": {"S": [{"prefix": "OUTBOX#"}]}}}}"#,
        ]);
        assert!(f.matches(&ddb("INSERT", "OUTBOX#1")));
        assert!(!f.matches(&ddb("MODIFY", "OUTBOX#1")));
        assert!(!f.matches(&ddb("INSERT", "USER#1")));
        assert!(
            !f.matches(&json!({"eventName": "INSERT"})),
            "missing nested field"
        );
    }

    #[test]
    fn no_filters_match_everything_and_invalid_ones_match_nothing() {
        assert!(set(&[]).matches(&json!({"a": 1})));
        assert!(!set(&["not json"]).matches(&json!({"a": 1})));
        assert!(!set(&["[1]"]).matches(&json!({"a": 1})));
    }

    #[test]
    fn any_pattern_matches() {
        let f = set(&[r#"{"a": ["x"]}"#, r#"{"b": ["y"]}"#]);
        assert!(f.matches(&json!({"a": "x"})));
        assert!(f.matches(&json!({"b": "y"})));
        assert!(!f.matches(&json!({"a": "y", "b": "x"})));
    }

    #[test]
    fn exact_values() {
        let f = set(&[r#"{"n": [5], "s": ["a", "b"], "z": [null], "t": [true]}"#]);
        assert!(f.matches(&json!({"n": 5.0, "s": "b", "z": null, "t": true})));
        assert!(!f.matches(&json!({"n": "5", "s": "b", "z": null, "t": true})));
        assert!(!f.matches(&json!({"n": 5, "s": "c", "z": null, "t": true})));
        assert!(
            !f.matches(&json!({"n": 5, "s": "a", "t": true})),
            "null is not absence"
        );
    }

    #[test]
    fn anything_but() {
        let f = set(&[r#"{"s": [{"anything-but": ["a", "b"]}]}"#]);
        assert!(f.matches(&json!({"s": "c"})));
        assert!(!f.matches(&json!({"s": "a"})));
        assert!(!f.matches(&json!({})));
        let f = set(&[r#"{"s": [{"anything-but": "a"}]}"#]);
        assert!(f.matches(&json!({"s": "c"})));
        assert!(!f.matches(&json!({"s": "a"})));
        let f = set(&[r#"{"s": [{"anything-but": {"prefix": "OUT"}}]}"#]);
        assert!(f.matches(&json!({"s": "IN"})));
        assert!(!f.matches(&json!({"s": "OUTBOX"})));
    }

    #[test]
    fn exists() {
        let yes = set(&[r#"{"d": {"OldImage": [{"exists": true}]}}"#]);
        let no = set(&[r#"{"d": {"OldImage": [{"exists": false}]}}"#]);
        let with = json!({"d": {"OldImage": {"a": {"S": "x"}}}});
        let without = json!({"d": {"NewImage": {}}});
        assert!(yes.matches(&with) && !yes.matches(&without));
        assert!(!no.matches(&with) && no.matches(&without));
        assert!(no.matches(&json!({})), "absent parent counts as absent");
    }

    #[test]
    fn prefix_suffix_numeric_and_arrays() {
        let f = set(&[r#"{"s": [{"suffix": ".png"}], "n": [{"numeric": [">", 0, "<=", 5]}]}"#]);
        assert!(f.matches(&json!({"s": "a.png", "n": 5})));
        assert!(!f.matches(&json!({"s": "a.png", "n": 0})));
        assert!(!f.matches(&json!({"s": "a.jpg", "n": 3})));
        let f = set(&[r#"{"tags": ["red"]}"#]);
        assert!(f.matches(&json!({"tags": ["blue", "red"]})));
        assert!(!f.matches(&json!({"tags": ["blue"]})));
        let f = set(&[r#"{"s": [{"equals-ignore-case": "ABC"}]}"#]);
        assert!(f.matches(&json!({"s": "abc"})));
        let f = set(&[r#"{"s": [{"prefix": {"equals-ignore-case": "out"}}]}"#]);
        assert!(f.matches(&json!({"s": "OUTBOX#1"})));
    }
}
