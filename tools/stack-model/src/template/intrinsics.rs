//! CloudFormation intrinsic functions and parameters, resolved against the local resources.

use super::Template;
use anyhow::{anyhow, bail, Result};
use serde::Serialize;
use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::io::Read as _;

pub const REGION: &str = "us-east-1";
pub const ACCOUNT_ID: &str = "123456789012";
pub const PARTITION: &str = "aws";
pub const URL_SUFFIX: &str = "amazonaws.com";
pub const STACK_NAME: &str = "crabcart";

/// Parameters the local cloud sets unless the command line overrides them, as
/// `sam deploy --parameter-overrides` would (docs/devstack.md says which and why).
/// The storefront's origin is the one the devstack serves it on by default (the devstack
/// names the port it really serves on); deployed, an empty value means the stack's own
/// CloudFront distribution, which the local cloud does not have.
pub const LOCAL_OVERRIDES: &[(&str, &str)] = &[
    ("AutoConfirmUsers", "true"),
    ("StorefrontOrigin", "http://localhost:8080"),
];

/// What a provisioned resource exposes to `Ref` and `Fn::GetAtt`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Outputs {
    #[serde(rename = "type")]
    pub type_: String,
    #[serde(rename = "ref")]
    pub ref_: String,
    #[serde(flatten)]
    pub attrs: BTreeMap<String, String>,
}

impl Outputs {
    pub fn new(type_: &str, ref_: impl Into<String>) -> Outputs {
        Outputs {
            type_: type_.to_owned(),
            ref_: ref_.into(),
            attrs: BTreeMap::new(),
        }
    }

    pub fn with(mut self, attr: &str, value: impl Into<String>) -> Outputs {
        self.attrs.insert(attr.to_owned(), value.into());
        self
    }
}

/// Everything `Ref`, `Fn::GetAtt`, `Fn::Sub` and conditions can see.
#[derive(Debug, Clone, Default)]
pub struct Context {
    /// Resolved parameter values: a string, or a list for list-typed parameters.
    pub params: BTreeMap<String, Value>,
    pub conditions: BTreeMap<String, Value>,
    /// Logical ids declared in the template (to tell "unknown" from "not created").
    pub declared: BTreeSet<String>,
    pub resources: BTreeMap<String, Outputs>,
}

fn is_pseudo(name: &str) -> bool {
    name.starts_with("AWS::")
}

impl Context {
    pub fn new(template: &Template, params: BTreeMap<String, Value>) -> Context {
        Context {
            params,
            conditions: template.conditions.clone(),
            declared: template
                .resources
                .iter()
                .map(|r| r.logical_id.clone())
                .collect(),
            resources: BTreeMap::new(),
        }
    }

    /// Resolves every intrinsic in `v`. `Ref: AWS::NoValue` removes the enclosing
    /// property as CloudFormation does (at the top level it becomes null).
    pub fn resolve(&self, v: &Value) -> Result<Value> {
        Ok(self.resolve_opt(v)?.unwrap_or(Value::Null))
    }

    fn resolve_opt(&self, v: &Value) -> Result<Option<Value>> {
        match v {
            Value::Object(m) if m.len() == 1 => {
                let (k, arg) = m.iter().next().ok_or_else(|| anyhow!("empty mapping"))?;
                if k == "Ref" || k.starts_with("Fn::") {
                    return self.intrinsic(k, arg);
                }
                self.resolve_map(m).map(Some)
            }
            Value::Object(m) => self.resolve_map(m).map(Some),
            Value::Array(a) => {
                let mut out = Vec::with_capacity(a.len());
                for item in a {
                    if let Some(r) = self.resolve_opt(item)? {
                        out.push(r);
                    }
                }
                Ok(Some(Value::Array(out)))
            }
            other => Ok(Some(other.clone())),
        }
    }

    fn resolve_map(&self, m: &Map<String, Value>) -> Result<Value> {
        let mut out = Map::new();
        for (k, v) in m {
            if let Some(r) = self.resolve_opt(v)? {
                out.insert(k.clone(), r);
            }
        }
        Ok(Value::Object(out))
    }

    fn intrinsic(&self, name: &str, arg: &Value) -> Result<Option<Value>> {
        match name {
            "Ref" => {
                let Value::String(target) = arg else {
                    bail!("Ref {arg} is not a name");
                };
                if target == "AWS::NoValue" {
                    return Ok(None);
                }
                self.ref_value(target).map(Some)
            }
            "Fn::GetAtt" => {
                let (res, attr) = getatt_parts(arg)?;
                self.getatt(&res, &attr).map(|s| Some(Value::String(s)))
            }
            "Fn::Sub" => self.sub(arg).map(|s| Some(Value::String(s))),
            "Fn::Join" => {
                let Some([delim, list]) = arg
                    .as_array()
                    .map(Vec::as_slice)
                    .and_then(|s| <&[Value; 2]>::try_from(s).ok())
                else {
                    bail!("Fn::Join takes [delimiter, [values]]");
                };
                let delim = self.resolve_string(delim, "Fn::Join delimiter")?;
                let list = self.resolve(list)?;
                let Value::Array(items) = list else {
                    bail!("Fn::Join: {list} is not a list");
                };
                let parts = items
                    .iter()
                    .map(|i| {
                        scalar_string(i).ok_or_else(|| anyhow!("Fn::Join: {i} is not a string"))
                    })
                    .collect::<Result<Vec<_>>>()?;
                Ok(Some(Value::String(parts.join(&delim))))
            }
            "Fn::Select" => {
                let Some([idx, list]) = arg
                    .as_array()
                    .map(Vec::as_slice)
                    .and_then(|s| <&[Value; 2]>::try_from(s).ok())
                else {
                    bail!("Fn::Select takes [index, [values]]");
                };
                let idx = self.resolve(idx)?;
                let idx: usize = scalar_string(&idx)
                    .and_then(|s| s.parse().ok())
                    .ok_or_else(|| anyhow!("Fn::Select: index {idx} is not a number"))?;
                let list = self.resolve(list)?;
                let item = list
                    .as_array()
                    .and_then(|a| a.get(idx))
                    .ok_or_else(|| anyhow!("Fn::Select: no element {idx} in {list}"))?;
                Ok(Some(item.clone()))
            }
            "Fn::Split" => {
                let Some([delim, s]) = arg
                    .as_array()
                    .map(Vec::as_slice)
                    .and_then(|s| <&[Value; 2]>::try_from(s).ok())
                else {
                    bail!("Fn::Split takes [delimiter, string]");
                };
                let delim = self.resolve_string(delim, "Fn::Split delimiter")?;
                let s = self.resolve_string(s, "Fn::Split source")?;
                Ok(Some(Value::Array(
                    s.split(delim.as_str())
                        .map(|p| Value::String(p.to_owned()))
                        .collect(),
                )))
            }
            "Fn::If" => {
                let Some([cond, yes, no]) = arg
                    .as_array()
                    .map(Vec::as_slice)
                    .and_then(|s| <&[Value; 3]>::try_from(s).ok())
                else {
                    bail!("Fn::If takes [condition, value if true, value if false]");
                };
                let Value::String(cond) = cond else {
                    bail!("Fn::If: {cond} is not a condition name");
                };
                let chosen = if self.condition(cond.as_str())? {
                    yes
                } else {
                    no
                };
                self.resolve_opt(chosen)
            }
            "Fn::Base64" => {
                use base64::Engine as _;
                let s = self.resolve_string(arg, "Fn::Base64")?;
                Ok(Some(Value::String(
                    base64::engine::general_purpose::STANDARD.encode(s),
                )))
            }
            "Fn::GetAZs" => Ok(Some(Value::Array(
                ["a", "b", "c"]
                    .iter()
                    .map(|z| Value::String(format!("{REGION}{z}")))
                    .collect(),
            ))),
            other => bail!("intrinsic function {other} is not supported by the local cloud"),
        }
    }

    fn resolve_string(&self, v: &Value, what: &str) -> Result<String> {
        let r = self.resolve(v)?;
        scalar_string(&r).ok_or_else(|| anyhow!("{what}: {r} is not a string"))
    }

    pub fn ref_value(&self, target: &str) -> Result<Value> {
        if is_pseudo(target) {
            return pseudo(target).map(Value::String);
        }
        if let Some(p) = self.params.get(target) {
            return Ok(p.clone());
        }
        Ok(Value::String(self.resource(target)?.ref_.clone()))
    }

    pub fn getatt(&self, res: &str, attr: &str) -> Result<String> {
        let out = self.resource(res)?;
        out.attrs.get(attr).cloned().ok_or_else(|| {
            let known: Vec<&str> = out.attrs.keys().map(String::as_str).collect();
            anyhow!(
                "Fn::GetAtt {res}.{attr}: the local cloud does not provide attribute {attr} of {} (it provides: {})",
                out.type_,
                known.join(", ")
            )
        })
    }

    fn resource(&self, id: &str) -> Result<&Outputs> {
        if let Some(o) = self.resources.get(id) {
            return Ok(o);
        }
        if self.declared.contains(id) {
            bail!("{id} is not created (its Condition is false, or it is not provisioned yet)");
        }
        bail!("{id} is neither a parameter nor a resource of the template")
    }

    fn sub(&self, arg: &Value) -> Result<String> {
        let (text, vars) = match arg {
            Value::String(s) => (s.as_str(), BTreeMap::new()),
            Value::Array(a) if a.len() == 2 => {
                let Value::String(s) = &a[0] else {
                    bail!("Fn::Sub: {} is not a string", a[0]);
                };
                let Value::Object(m) = &a[1] else {
                    bail!("Fn::Sub: {} is not a mapping of variables", a[1]);
                };
                let mut vars = BTreeMap::new();
                for (k, v) in m {
                    vars.insert(
                        k.clone(),
                        self.resolve_string(v, &format!("Fn::Sub variable {k}"))?,
                    );
                }
                (s.as_str(), vars)
            }
            other => bail!("Fn::Sub: {other} is neither a string nor [string, variables]"),
        };
        let mut out = String::with_capacity(text.len());
        for piece in sub_pieces(text)? {
            match piece {
                SubPiece::Text(t) => out.push_str(t),
                SubPiece::Var(name) => {
                    if let Some(v) = vars.get(name) {
                        out.push_str(v);
                    } else if !is_pseudo(name) && name.contains('.') {
                        let (res, attr) = name.split_once('.').unwrap_or((name, ""));
                        out.push_str(&self.getatt(res, attr)?);
                    } else {
                        let v = self.ref_value(name)?;
                        out.push_str(
                            &scalar_string(&v)
                                .ok_or_else(|| anyhow!("Fn::Sub: ${{{name}}} is a list"))?,
                        );
                    }
                }
            }
        }
        Ok(out)
    }

    /// Evaluates a named condition from the template's Conditions section.
    pub fn condition(&self, name: &str) -> Result<bool> {
        let def = self
            .conditions
            .get(name)
            .ok_or_else(|| anyhow!("condition {name} is not defined"))?;
        self.eval_condition(def, 0)
    }

    fn eval_condition(&self, v: &Value, depth: usize) -> Result<bool> {
        if depth > 32 {
            bail!("conditions nest too deep (a cycle?)");
        }
        let Some((k, arg)) = v
            .as_object()
            .filter(|m| m.len() == 1)
            .and_then(|m| m.iter().next())
        else {
            bail!("{v} is not a condition function");
        };
        let list = || arg.as_array().ok_or_else(|| anyhow!("{k} takes a list"));
        match k.as_str() {
            "Condition" => {
                let name = arg
                    .as_str()
                    .ok_or_else(|| anyhow!("Condition {arg} is not a name"))?;
                let def = self
                    .conditions
                    .get(name)
                    .ok_or_else(|| anyhow!("condition {name} is not defined"))?;
                self.eval_condition(def, depth + 1)
            }
            "Fn::Equals" => {
                let l = list()?;
                if l.len() != 2 {
                    bail!("Fn::Equals takes two values");
                }
                let a = self.resolve(&l[0])?;
                let b = self.resolve(&l[1])?;
                Ok(scalar_string(&a).is_some() && scalar_string(&a) == scalar_string(&b) || a == b)
            }
            "Fn::Not" => {
                let l = list()?;
                if l.len() != 1 {
                    bail!("Fn::Not takes one condition");
                }
                Ok(!self.eval_condition(&l[0], depth + 1)?)
            }
            "Fn::And" => {
                for c in list()? {
                    if !self.eval_condition(c, depth + 1)? {
                        return Ok(false);
                    }
                }
                Ok(true)
            }
            "Fn::Or" => {
                for c in list()? {
                    if self.eval_condition(c, depth + 1)? {
                        return Ok(true);
                    }
                }
                Ok(false)
            }
            other => bail!("{other} is not a condition function"),
        }
    }
}

fn getatt_parts(arg: &Value) -> Result<(String, String)> {
    match arg {
        Value::Array(a) if a.len() == 2 => match (&a[0], &a[1]) {
            (Value::String(r), Value::String(at)) => Ok((r.clone(), at.clone())),
            _ => bail!("Fn::GetAtt {arg}: the local cloud needs literal names"),
        },
        Value::String(s) => s
            .split_once('.')
            .map(|(a, b)| (a.to_owned(), b.to_owned()))
            .ok_or_else(|| anyhow!("Fn::GetAtt {s} is not Resource.Attribute")),
        other => bail!("Fn::GetAtt {other} is not [Resource, Attribute]"),
    }
}

fn pseudo(name: &str) -> Result<String> {
    Ok(match name {
        "AWS::Region" => REGION.into(),
        "AWS::AccountId" => ACCOUNT_ID.into(),
        "AWS::Partition" => PARTITION.into(),
        "AWS::URLSuffix" => URL_SUFFIX.into(),
        "AWS::StackName" => STACK_NAME.into(),
        "AWS::StackId" => format!(
            "arn:{PARTITION}:cloudformation:{REGION}:{ACCOUNT_ID}:stack/{STACK_NAME}/00000000-0000-0000-0000-000000000000"
        ),
        other => bail!("pseudo parameter {other} is not supported by the local cloud"),
    })
}

/// Strings, and numbers/booleans as CloudFormation stringifies them.
pub fn scalar_string(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

enum SubPiece<'a> {
    Text(&'a str),
    Var(&'a str),
}

fn sub_pieces(text: &str) -> Result<Vec<SubPiece<'_>>> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        if rest[start + 2..].starts_with('!') {
            // "${!Literal}" is how Fn::Sub writes a literal "${Literal}".
            out.push(SubPiece::Text(&rest[..start + 2]));
            rest = &rest[start + 3..];
            continue;
        }
        out.push(SubPiece::Text(&rest[..start]));
        let after = &rest[start + 2..];
        let end = after
            .find('}')
            .ok_or_else(|| anyhow!("Fn::Sub: unterminated ${{ in {text:?}"))?;
        out.push(SubPiece::Var(after[..end].trim()));
        rest = &after[end + 1..];
    }
    out.push(SubPiece::Text(rest));
    Ok(out)
}

/// Logical ids a value refers to through Ref, Fn::GetAtt and Fn::Sub (parameters and
/// pseudo parameters included; callers keep the ones that are resources).
pub fn references(v: &Value, out: &mut BTreeSet<String>) {
    match v {
        Value::Object(m) => {
            if m.len() == 1 {
                if let Some(Value::String(t)) = m.get("Ref") {
                    out.insert(t.clone());
                    return;
                }
                if let Some(arg) = m.get("Fn::GetAtt") {
                    if let Ok((r, _)) = getatt_parts(arg) {
                        out.insert(r);
                    }
                    return;
                }
                if let Some(arg) = m.get("Fn::Sub") {
                    let (text, vars) = match arg {
                        Value::String(s) => (s.as_str(), None),
                        Value::Array(a) if a.len() == 2 => {
                            (a[0].as_str().unwrap_or(""), a[1].as_object())
                        }
                        _ => ("", None),
                    };
                    if let Some(vars) = vars {
                        for v in vars.values() {
                            references(v, out);
                        }
                    }
                    if let Ok(pieces) = sub_pieces(text) {
                        for p in pieces {
                            if let SubPiece::Var(name) = p {
                                if vars.is_some_and(|m| m.contains_key(name)) {
                                    continue;
                                }
                                let id = name.split_once('.').map_or(name, |(a, _)| a);
                                out.insert(id.to_owned());
                            }
                        }
                    }
                    return;
                }
            }
            for v in m.values() {
                references(v, out);
            }
        }
        Value::Array(a) => a.iter().for_each(|v| references(v, out)),
        _ => {}
    }
}

/// Parameter values for this run: command-line overrides, then the local cloud's own
/// overrides, then template defaults. A NoEcho parameter with no default and no
/// override is a secret the deployer must supply (CursorSigningKey): locally a fresh
/// random 48-character value is generated for each run, which is what a secret that
/// nobody outside the stack needs to know should be.
pub fn resolve_parameters(
    template: &Template,
    overrides: &BTreeMap<String, String>,
) -> Result<BTreeMap<String, Value>> {
    for k in overrides.keys() {
        if !template.parameters.contains_key(k) {
            let known: Vec<&str> = template.parameters.keys().map(String::as_str).collect();
            bail!(
                "--parameter-overrides {k}=...: the template has no parameter {k} (it has: {})",
                known.join(", ")
            );
        }
    }
    let mut out = BTreeMap::new();
    for (name, def) in &template.parameters {
        let local = LOCAL_OVERRIDES
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| (*v).to_owned());
        let default = def.get("Default").and_then(scalar_string_or_list);
        let no_echo = def
            .get("NoEcho")
            .and_then(scalar_string)
            .is_some_and(|s| s == "true");
        let value = match (overrides.get(name), local, default) {
            (Some(v), _, _) => v.clone(),
            (None, Some(v), _) => v,
            (None, None, Some(v)) => v,
            (None, None, None) if no_echo => random_secret(48)?,
            (None, None, None) => bail!(
                "template parameter {name} has no default; pass --parameter-overrides {name}=<value>"
            ),
        };
        validate_parameter(name, def, &value)?;
        let type_ = def.get("Type").and_then(Value::as_str).unwrap_or("String");
        let v = if type_ == "CommaDelimitedList" || type_.starts_with("List<") {
            Value::Array(
                value
                    .split(',')
                    .map(|s| Value::String(s.trim().to_owned()))
                    .collect(),
            )
        } else {
            Value::String(value)
        };
        out.insert(name.clone(), v);
    }
    Ok(out)
}

fn scalar_string_or_list(v: &Value) -> Option<String> {
    match v {
        Value::Array(a) => Some(
            a.iter()
                .filter_map(scalar_string)
                .collect::<Vec<_>>()
                .join(","),
        ),
        other => scalar_string(other),
    }
}

fn validate_parameter(name: &str, def: &Value, value: &str) -> Result<()> {
    if let Some(Value::Array(allowed)) = def.get("AllowedValues") {
        let allowed: Vec<String> = allowed.iter().filter_map(scalar_string).collect();
        if !allowed.iter().any(|a| a == value) {
            bail!("parameter {name}={value} is not one of its AllowedValues {allowed:?}");
        }
    }
    let len = value.chars().count();
    if let Some(min) = def
        .get("MinLength")
        .and_then(scalar_string)
        .and_then(|s| s.parse::<usize>().ok())
    {
        if len < min {
            bail!("parameter {name} must be at least {min} characters long");
        }
    }
    if let Some(max) = def
        .get("MaxLength")
        .and_then(scalar_string)
        .and_then(|s| s.parse::<usize>().ok())
    {
        if len > max {
            bail!("parameter {name} must be at most {max} characters long");
        }
    }
    if def.get("Type").and_then(Value::as_str) == Some("Number") {
        let n: f64 = value
            .parse()
            .map_err(|_| anyhow!("parameter {name}={value} is not a number"))?;
        let bound = |k: &str| {
            def.get(k)
                .and_then(scalar_string)
                .and_then(|s| s.parse::<f64>().ok())
        };
        if bound("MinValue").is_some_and(|m| n < m) || bound("MaxValue").is_some_and(|m| n > m) {
            bail!("parameter {name}={value} is outside its MinValue/MaxValue");
        }
    }
    Ok(())
}

/// Random alphanumeric string from the OS's CSPRNG.
pub fn random_secret(len: usize) -> Result<String> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut f = std::fs::File::open("/dev/urandom")
        .map_err(|e| anyhow!("cannot open /dev/urandom to generate a secret: {e}"))?;
    let mut out = String::with_capacity(len);
    let mut buf = [0u8; 64];
    while out.len() < len {
        f.read_exact(&mut buf)?;
        for b in buf {
            // Rejection sampling keeps every character equally likely.
            if (b as usize) < ALPHABET.len() * 4 && out.len() < len {
                out.push(ALPHABET[b as usize % ALPHABET.len()] as char);
            }
        }
    }
    Ok(out)
}

/// Lowercase alphanumeric id like the ones API Gateway gives REST APIs.
pub fn random_id(len: usize) -> Result<String> {
    Ok(random_secret(len * 2)?
        .to_ascii_lowercase()
        .chars()
        .take(len)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ctx() -> Context {
        let mut c = Context::default();
        c.params.insert("P".into(), json!("pv"));
        c.params.insert("L".into(), json!(["a", "b"]));
        c.declared.insert("T".into());
        c.declared.insert("Later".into());
        c.resources.insert(
            "T".into(),
            Outputs::new("AWS::DynamoDB::Table", "tname").with("Arn", "arn:t"),
        );
        c.conditions
            .insert("IsPv".into(), json!({"Fn::Equals": [{"Ref": "P"}, "pv"]}));
        c.conditions
            .insert("NotPv".into(), json!({"Fn::Not": [{"Condition": "IsPv"}]}));
        c
    }

    #[test]
    fn ref_getatt_sub_join() {
        let c = ctx();
        assert_eq!(c.resolve(&json!({"Ref": "T"})).unwrap(), json!("tname"));
        assert_eq!(c.resolve(&json!({"Ref": "P"})).unwrap(), json!("pv"));
        assert_eq!(
            c.resolve(&json!({"Ref": "AWS::Region"})).unwrap(),
            json!("us-east-1")
        );
        assert_eq!(
            c.resolve(&json!({"Fn::GetAtt": ["T", "Arn"]})).unwrap(),
            json!("arn:t")
        );
        assert_eq!(
            c.resolve(&json!({"Fn::GetAtt": "T.Arn"})).unwrap(),
            json!("arn:t")
        );
        assert_eq!(
            c.resolve(&json!({"Fn::Sub": "${T.Arn}/index/GSI1 ${T} ${P} ${!Literal} arn:${AWS::Partition}:x:${AWS::Region}:${AWS::AccountId} ${AWS::URLSuffix}"}))
                .unwrap(),
            json!("arn:t/index/GSI1 tname pv ${Literal} arn:aws:x:us-east-1:123456789012 amazonaws.com")
        );
        assert_eq!(
            c.resolve(&json!({"Fn::Sub": ["${x}-${T}", {"x": {"Ref": "P"}}]}))
                .unwrap(),
            json!("pv-tname")
        );
        assert_eq!(
            c.resolve(&json!({"Fn::Join": ["-", ["a", {"Ref": "P"}, 3]]}))
                .unwrap(),
            json!("a-pv-3")
        );
        assert_eq!(
            c.resolve(&json!({"Fn::Join": [",", {"Ref": "L"}]}))
                .unwrap(),
            json!("a,b")
        );
        assert_eq!(
            c.resolve(&json!({"Fn::Select": [1, {"Ref": "L"}]}))
                .unwrap(),
            json!("b")
        );
    }

    #[test]
    fn conditions_and_novalue() {
        let c = ctx();
        assert!(c.condition("IsPv").unwrap());
        assert!(!c.condition("NotPv").unwrap());
        assert_eq!(
            c.resolve(&json!({"a": {"Fn::If": ["NotPv", 1, {"Ref": "AWS::NoValue"}]}, "b": [1, {"Ref": "AWS::NoValue"}]}))
                .unwrap(),
            json!({"b": [1]})
        );
    }

    #[test]
    fn errors_name_the_problem() {
        let c = ctx();
        let e = c
            .resolve(&json!({"Fn::GetAtt": ["T", "Nope"]}))
            .unwrap_err()
            .to_string();
        assert!(e.contains("Nope") && e.contains("Arn"), "{e}");
        let e = c.resolve(&json!({"Ref": "Later"})).unwrap_err().to_string();
        assert!(e.contains("not created"), "{e}");
        let e = c.resolve(&json!({"Ref": "Ghost"})).unwrap_err().to_string();
        assert!(e.contains("neither"), "{e}");
        let e = c
            .resolve(&json!({"Fn::ImportValue": "x"}))
            .unwrap_err()
            .to_string();
        assert!(e.contains("Fn::ImportValue"), "{e}");
    }

    #[test]
    fn references_cover_all_forms() {
        let mut out = BTreeSet::new();
        references(
            &json!({"a": {"Ref": "A"}, "b": [{"Fn::GetAtt": ["B", "Arn"]}, {"Fn::GetAtt": "C.Arn"}],
                    "c": {"Fn::Sub": "${D.Arn}/${E}/${AWS::Region}"},
                    "d": {"Fn::Sub": ["${x}${F}", {"x": {"Ref": "G"}}]}}),
            &mut out,
        );
        let got: Vec<&str> = out.iter().map(String::as_str).collect();
        assert_eq!(got, ["A", "AWS::Region", "B", "C", "D", "E", "F", "G"]);
    }

    #[test]
    fn random_secret_is_alphanumeric_and_fresh() {
        let a = random_secret(48).unwrap();
        let b = random_secret(48).unwrap();
        assert_eq!(a.len(), 48);
        assert!(a.chars().all(|c| c.is_ascii_alphanumeric()));
        assert_ne!(a, b);
    }
}
