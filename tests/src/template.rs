//! template.yaml as the template tests read it (tests/tests/template_invariants,
//! tests/tests/deployment.rs): parsed with its short-form tags kept, so a check can tell
//! what a `!Ref` or `!GetAtt` points at.

use serde_yaml::Value;

/// The workspace's template.yaml, parsed.
pub fn load() -> Value {
    let path = moto_runner::workspace_root().join("template.yaml");
    let text = std::fs::read_to_string(&path).expect("template.yaml is readable");
    serde_yaml::from_str(&text).expect("template.yaml is YAML")
}

/// `(logical id, resource)` of every resource of `kind`.
pub fn resources<'t>(template: &'t Value, kind: &str) -> Vec<(String, &'t Value)> {
    template["Resources"]
        .as_mapping()
        .expect("template.yaml has Resources")
        .iter()
        .filter(|(_, r)| r["Type"].as_str() == Some(kind))
        .map(|(id, r)| (id.as_str().unwrap_or_default().to_owned(), r))
        .collect()
}

/// The logical id a `!Ref X`, `!GetAtt X.Attr` (or their long forms) points at.
pub fn target(v: &Value) -> Option<String> {
    match v {
        Value::Tagged(t) if t.tag == "!Ref" => t.value.as_str().map(str::to_owned),
        Value::Tagged(t) if t.tag == "!GetAtt" => match &t.value {
            Value::String(s) => s.split('.').next().map(str::to_owned),
            Value::Sequence(parts) => parts.first().and_then(Value::as_str).map(str::to_owned),
            _ => None,
        },
        Value::Mapping(m) => m
            .get("Ref")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .or_else(|| {
                m.get("Fn::GetAtt")
                    .and_then(|a| a.get(0))
                    .and_then(Value::as_str)
                    .map(str::to_owned)
            }),
        _ => None,
    }
}

/// Fails with every violation found, not just the first.
#[track_caller]
pub fn assert_none(what: &str, violations: Vec<String>) {
    assert!(
        violations.is_empty(),
        "{what}: {} violation(s):\n  {}",
        violations.len(),
        violations.join("\n  ")
    );
}
