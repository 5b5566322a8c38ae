//! template.yaml as the template tests read it (tests/tests/end_to_end/template_invariants,
//! tests/tests/end_to_end/deployment.rs): the one stack model, unresolved, so a check can tell what
//! a `Ref` or `Fn::GetAtt` points at.

use serde_json::Value;
pub use stack_model::{target, Function, FunctionEvent, Resource, Template};

/// The workspace's template.yaml.
pub fn load() -> Template {
    Template::workspace()
}

/// The text of a `!Sub "..."` (without a variable map).
pub fn sub_text(v: &Value) -> Option<&str> {
    v.get("Fn::Sub")?.as_str()
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
