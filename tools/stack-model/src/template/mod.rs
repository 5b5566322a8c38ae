//! The SAM template as data: YAML (with CloudFormation short-form tags) turned into the
//! long-form JSON that CloudFormation itself works on, plus parameters and Globals.

pub mod intrinsics;

use anyhow::{bail, Context as _, Result};
use serde_json::{Map, Value};
use serde_yaml::value::{Tag, TaggedValue};
use std::collections::BTreeMap;
use std::path::Path;

pub use intrinsics::{Context, Outputs};

/// One resource of the template.
#[derive(Debug, Clone)]
pub struct Resource {
    pub logical_id: String,
    pub type_: String,
    pub properties: Value,
    pub metadata: Value,
    pub depends_on: Vec<String>,
    pub condition: Option<String>,
    /// `DeletionPolicy` (`Retain`, `Delete`, `Snapshot`), when set.
    pub deletion_policy: Option<String>,
}

/// A parsed template.
#[derive(Debug, Clone)]
pub struct Template {
    pub parameters: BTreeMap<String, Value>,
    pub conditions: BTreeMap<String, Value>,
    /// `Globals.Function`, merged under each AWS::Serverless::Function's properties.
    pub globals_function: Value,
    /// `Globals.Api`, merged under each AWS::Serverless::Api's properties.
    pub globals_api: Value,
    /// In template order, which is also the order summaries are printed in.
    pub resources: Vec<Resource>,
    /// `Outputs`, unresolved.
    pub outputs: BTreeMap<String, Value>,
}

impl Template {
    pub fn load(path: &Path) -> Result<Template> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the template {}", path.display()))?;
        Template::parse(&text).with_context(|| format!("in the template {}", path.display()))
    }

    pub fn parse(text: &str) -> Result<Template> {
        let mut yaml: serde_yaml::Value = serde_yaml::from_str(text).context("invalid YAML")?;
        // Resources one by one from the YAML mapping, which keeps the template's order
        // (a JSON object would sort them).
        let declared = match yaml.as_mapping_mut().and_then(|m| m.remove("Resources")) {
            Some(serde_yaml::Value::Mapping(m)) => m,
            _ => bail!("the template has no Resources mapping"),
        };
        let doc = yaml_to_json(&yaml)?;
        let Value::Object(mut doc) = doc else {
            bail!("the template is not a mapping");
        };
        if let Some(t) = doc.get("Transform") {
            let ok = match t {
                Value::String(s) => s == "AWS::Serverless-2016-10-31",
                Value::Array(a) => a.iter().all(|v| v == "AWS::Serverless-2016-10-31"),
                _ => false,
            };
            if !ok {
                bail!("Transform {t} is not supported (only AWS::Serverless-2016-10-31)");
            }
        }
        let parameters = take_map(&mut doc, "Parameters")?;
        let conditions = take_map(&mut doc, "Conditions")?;
        let outputs = take_map(&mut doc, "Outputs")?;
        let mut globals = take_map(&mut doc, "Globals")?;
        let globals_function = globals.remove("Function").unwrap_or(Value::Null);
        let globals_api = globals.remove("Api").unwrap_or(Value::Null);
        if let Some(other) = globals.keys().next() {
            bail!("Globals.{other} is not supported by the local cloud");
        }
        let mut resources = Vec::new();
        for (id, r) in &declared {
            let Some(id) = id.as_str().map(str::to_owned) else {
                bail!("resource name {id:?} is not a string");
            };
            let Value::Object(mut r) = yaml_to_json(r)? else {
                bail!("resource {id} is not a mapping");
            };
            let type_ = match r.remove("Type") {
                Some(Value::String(t)) => t,
                _ => bail!("resource {id} has no Type"),
            };
            let depends_on = match r.remove("DependsOn") {
                None => vec![],
                Some(Value::String(s)) => vec![s],
                Some(Value::Array(a)) => a
                    .into_iter()
                    .map(|v| match v {
                        Value::String(s) => Ok(s),
                        other => bail!("resource {id}: DependsOn entry {other} is not a name"),
                    })
                    .collect::<Result<_>>()?,
                Some(other) => bail!("resource {id}: DependsOn {other} is not a name or list"),
            };
            let condition = match r.remove("Condition") {
                None => None,
                Some(Value::String(s)) => Some(s),
                Some(other) => bail!("resource {id}: Condition {other} is not a name"),
            };
            let deletion_policy = match r.remove("DeletionPolicy") {
                None => None,
                Some(Value::String(s)) => Some(s),
                Some(other) => bail!("resource {id}: DeletionPolicy {other} is not a name"),
            };
            resources.push(Resource {
                logical_id: id,
                type_,
                properties: r.remove("Properties").unwrap_or(Value::Object(Map::new())),
                metadata: r.remove("Metadata").unwrap_or(Value::Null),
                depends_on,
                condition,
                deletion_policy,
            });
        }
        Ok(Template {
            parameters,
            conditions,
            globals_function,
            globals_api,
            resources,
            outputs,
        })
    }

    /// Properties of a Serverless resource with its Globals merged underneath, as SAM does.
    pub fn effective_properties(&self, r: &Resource) -> Value {
        match r.type_.as_str() {
            "AWS::Serverless::Function" => merge_globals(&self.globals_function, &r.properties),
            "AWS::Serverless::Api" => merge_globals(&self.globals_api, &r.properties),
            _ => r.properties.clone(),
        }
    }
}

fn take_map(doc: &mut Map<String, Value>, key: &str) -> Result<BTreeMap<String, Value>> {
    match doc.remove(key) {
        None | Some(Value::Null) => Ok(BTreeMap::new()),
        Some(Value::Object(m)) => Ok(m.into_iter().collect()),
        Some(_) => bail!("{key} is not a mapping"),
    }
}

/// SAM's Globals rule: mappings merge key by key (the resource wins on conflicts),
/// anything else in the resource replaces the global value.
pub fn merge_globals(global: &Value, local: &Value) -> Value {
    match (global, local) {
        (Value::Object(g), Value::Object(l)) => {
            let mut out = g.clone();
            for (k, lv) in l {
                let merged = match out.get(k) {
                    Some(gv) => merge_globals(gv, lv),
                    None => lv.clone(),
                };
                out.insert(k.clone(), merged);
            }
            Value::Object(out)
        }
        (_, Value::Null) => global.clone(),
        _ => local.clone(),
    }
}

/// YAML -> long-form JSON: `!Ref X` becomes `{"Ref": "X"}`, `!GetAtt A.B` becomes
/// `{"Fn::GetAtt": ["A", "B"]}`, `!Sub ...` becomes `{"Fn::Sub": ...}` and so on, so the
/// resolver only has to understand one form.
pub fn yaml_to_json(v: &serde_yaml::Value) -> Result<Value> {
    use serde_yaml::Value as Y;
    Ok(match v {
        Y::Null => Value::Null,
        Y::Bool(b) => Value::Bool(*b),
        Y::Number(n) => {
            if let Some(i) = n.as_i64() {
                Value::from(i)
            } else if let Some(u) = n.as_u64() {
                Value::from(u)
            } else {
                let f = n.as_f64().unwrap_or(f64::NAN);
                serde_json::Number::from_f64(f)
                    .map(Value::Number)
                    .with_context(|| format!("number {n} cannot be represented"))?
            }
        }
        Y::String(s) => Value::String(s.clone()),
        Y::Sequence(seq) => Value::Array(seq.iter().map(yaml_to_json).collect::<Result<_>>()?),
        Y::Mapping(m) => {
            let mut out = Map::new();
            for (k, v) in m {
                let key = match k {
                    Y::String(s) => s.clone(),
                    Y::Number(n) => n.to_string(),
                    Y::Bool(b) => b.to_string(),
                    other => bail!("mapping key {other:?} is not a string"),
                };
                out.insert(key, yaml_to_json(v)?);
            }
            Value::Object(out)
        }
        Y::Tagged(t) => tagged_to_json(t)?,
    })
}

fn tagged_to_json(t: &TaggedValue) -> Result<Value> {
    let TaggedValue { tag, value } = t;
    let name = tag_name(tag);
    let inner = yaml_to_json(value)?;
    let mut out = Map::new();
    match name.as_str() {
        "Ref" => {
            out.insert("Ref".into(), inner);
        }
        "Condition" => {
            out.insert("Condition".into(), inner);
        }
        "GetAtt" => {
            let parts = match inner {
                Value::String(s) => match s.split_once('.') {
                    Some((a, b)) => Value::Array(vec![a.into(), b.into()]),
                    None => bail!("!GetAtt {s} is not of the form Resource.Attribute"),
                },
                other => other,
            };
            out.insert("Fn::GetAtt".into(), parts);
        }
        "Sub" | "Join" | "If" | "Select" | "Split" | "Equals" | "Not" | "And" | "Or"
        | "FindInMap" | "Base64" | "GetAZs" | "ImportValue" | "Cidr" | "Length"
        | "ToJsonString" => {
            out.insert(format!("Fn::{name}"), inner);
        }
        other => bail!("unknown YAML tag !{other}"),
    }
    Ok(Value::Object(out))
}

fn tag_name(tag: &Tag) -> String {
    let s = tag.to_string();
    s.trim_start_matches('!').to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn short_forms_become_long_forms() {
        let t = Template::parse(
            r#"
Parameters:
  P: {Type: String, Default: x}
Resources:
  A:
    Type: AWS::SNS::Topic
    Properties:
      R: !Ref P
      G1: !GetAtt B.Arn
      G2: !GetAtt [B, StreamArn]
      G3: !GetAtt C.Endpoint.Address
      S1: !Sub "${B.Arn}/index/GSI1"
      S2: !Sub ["${x}-y", {x: !Ref P}]
      J: !Join [",", [a, !Ref P]]
      L:
        Fn::GetAtt: [B, Arn]
"#,
        )
        .unwrap();
        let p = &t.resources[0].properties;
        assert_eq!(p["R"], json!({"Ref": "P"}));
        assert_eq!(p["G1"], json!({"Fn::GetAtt": ["B", "Arn"]}));
        assert_eq!(p["G2"], json!({"Fn::GetAtt": ["B", "StreamArn"]}));
        assert_eq!(p["G3"], json!({"Fn::GetAtt": ["C", "Endpoint.Address"]}));
        assert_eq!(p["S1"], json!({"Fn::Sub": "${B.Arn}/index/GSI1"}));
        assert_eq!(p["S2"], json!({"Fn::Sub": ["${x}-y", {"x": {"Ref": "P"}}]}));
        assert_eq!(p["J"], json!({"Fn::Join": [",", ["a", {"Ref": "P"}]]}));
        assert_eq!(p["L"], json!({"Fn::GetAtt": ["B", "Arn"]}));
    }

    #[test]
    fn unknown_tag_is_an_error() {
        let err = Template::parse("Resources:\n  A:\n    Type: X\n    Properties: {a: !Bogus x}\n")
            .unwrap_err();
        assert!(format!("{err:#}").contains("!Bogus"), "{err:#}");
    }

    #[test]
    fn globals_merge_maps_and_replace_scalars() {
        let g =
            json!({"Timeout": 10, "Environment": {"Variables": {"RUST_LOG": "info", "A": "g"}}});
        let l = json!({"Timeout": 3, "Environment": {"Variables": {"A": "l"}}});
        assert_eq!(
            merge_globals(&g, &l),
            json!({"Timeout": 3, "Environment": {"Variables": {"RUST_LOG": "info", "A": "l"}}})
        );
    }
}
