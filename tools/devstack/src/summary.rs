//! What the devstack tells people (printed) and programs (the state file) once it is ready.

use anyhow::{Context as _, Result};
use serde::Serialize;
use stack_model::template::intrinsics::REGION;
use stack_model::template::{Outputs, Template};
use std::collections::BTreeMap;
use std::path::Path;

#[derive(Debug, Serialize)]
pub struct State {
    pub api_url: String,
    /// Where the storefront is served, on an origin of its own.
    pub storefront_url: String,
    pub moto_url: String,
    pub region: String,
    pub user_pool_id: Option<String>,
    pub user_pool_client_id: Option<String>,
    pub admin_email: String,
    pub admin_password: String,
    /// Logical id -> {"type", "ref", "arn" (when it has one), every GetAtt attribute}.
    pub resources: BTreeMap<String, serde_json::Value>,
}

impl State {
    pub fn new(
        api_url: String,
        storefront_url: String,
        moto_url: String,
        admin_email: &str,
        admin_password: String,
        resources: &BTreeMap<String, Outputs>,
    ) -> State {
        let first = |t: &str| {
            resources
                .values()
                .find(|o| o.type_ == t)
                .map(|o| o.ref_.clone())
        };
        State {
            api_url,
            storefront_url,
            moto_url,
            region: REGION.to_owned(),
            user_pool_id: first("AWS::Cognito::UserPool"),
            user_pool_client_id: first("AWS::Cognito::UserPoolClient"),
            admin_email: admin_email.to_owned(),
            admin_password,
            resources: resources
                .iter()
                .map(|(id, o)| {
                    let mut v = serde_json::to_value(o).unwrap_or_default();
                    if let (Some(arn), Some(m)) = (o.attrs.get("Arn"), v.as_object_mut()) {
                        m.insert("arn".into(), serde_json::Value::String(arn.clone()));
                    }
                    (id.clone(), v)
                })
                .collect(),
        }
    }
}

/// Writes the file atomically (temp file + rename), so a harness polling for it never
/// reads half a document.
pub fn write_state(path: &Path, state: &State) -> Result<()> {
    let json = serde_json::to_vec_pretty(state)?;
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "state.json".into());
    let tmp = path.with_file_name(format!(".{file_name}.{}.tmp", std::process::id()));
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    std::fs::write(&tmp, json).with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, path)
        .with_context(|| format!("renaming {} to {}", tmp.display(), path.display()))?;
    Ok(())
}

/// One function as the summary lists it.
pub struct Function {
    pub logical_id: String,
    /// Its short name (logs, env files).
    pub label: String,
    /// What runs it: the binary's path, or `cargo lambda watch (...)`.
    pub runs: String,
}

pub fn print(
    state: &State,
    template: &Template,
    functions: &[Function],
    catalog: &str,
    log_dir: &Path,
    env_dir: &Path,
) {
    let mut s = String::new();
    let line = |s: &mut String, k: &str, v: &str| s.push_str(&format!("  {k:<22} {v}\n"));
    s.push_str("\ncrabcart local cloud is ready\n\n");
    line(&mut s, "storefront", &state.storefront_url);
    line(&mut s, "API", &state.api_url);
    line(&mut s, "moto (AWS endpoint)", &state.moto_url);
    line(&mut s, "region", &state.region);
    if let Some(p) = &state.user_pool_id {
        line(&mut s, "user pool", p);
    }
    if let Some(c) = &state.user_pool_client_id {
        line(&mut s, "app client", c);
    }
    line(
        &mut s,
        "admin",
        &format!("{} / {}", state.admin_email, state.admin_password),
    );
    line(&mut s, "sample catalog", catalog);
    s.push_str("\n  functions\n");
    let width = functions.iter().map(|f| f.label.len()).max().unwrap_or(0);
    for f in functions {
        s.push_str(&format!(
            "    {:<width$}  {:<30} {}\n",
            f.label, f.logical_id, f.runs
        ));
    }
    let watched: Vec<&str> = functions
        .iter()
        .filter(|f| f.runs.starts_with("cargo lambda watch"))
        .map(|f| f.label.as_str())
        .collect();
    if !watched.is_empty() {
        s.push_str(&format!(
            "  watched: {} (rebuilt and restarted on every save)\n",
            watched.join(", ")
        ));
    }
    s.push('\n');
    line(
        &mut s,
        "function logs (JSON)",
        &format!("{}/<function>.log", log_dir.display()),
    );
    line(
        &mut s,
        "env files",
        &format!(
            "{}/<function>.env (cargo lambda watch --env-file)",
            env_dir.display()
        ),
    );
    s.push_str("\n  resources\n");
    for r in &template.resources {
        if let Some(o) = state.resources.get(&r.logical_id) {
            let t = o["type"].as_str().unwrap_or_default();
            if matches!(
                t,
                "AWS::DynamoDB::Table" | "AWS::SQS::Queue" | "AWS::SNS::Topic"
            ) {
                line(
                    &mut s,
                    &format!("  {}", r.logical_id),
                    o["ref"].as_str().unwrap_or_default(),
                );
            }
        }
    }
    s.push_str(&format!(
        "\n  try: curl -s -X POST {}/v1/auth/login -H 'content-type: application/json' -d '{{\"email\":\"{}\",\"password\":\"...\"}}'\n",
        state.api_url, state.admin_email
    ));
    s.push_str("  Ctrl-C stops everything.\n");
    println!("{s}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_file_is_written_atomically_with_the_contract_keys() {
        let dir = std::env::temp_dir().join(format!("devstack-state-test-{}", std::process::id()));
        let path = dir.join("state.json");
        let mut res = BTreeMap::new();
        res.insert(
            "UsersTable".to_owned(),
            Outputs::new("AWS::DynamoDB::Table", "t").with("Arn", "arn:t"),
        );
        res.insert(
            "UserPool".to_owned(),
            Outputs::new("AWS::Cognito::UserPool", "pool"),
        );
        let st = State::new(
            "http://a".into(),
            "http://localhost:8080".into(),
            "http://m".into(),
            "admin@example.com",
            "pw".into(),
            &res,
        );
        write_state(&path, &st).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        for k in [
            "api_url",
            "storefront_url",
            "moto_url",
            "region",
            "user_pool_id",
            "user_pool_client_id",
            "admin_email",
            "admin_password",
            "resources",
        ] {
            assert!(v.get(k).is_some(), "{k}");
        }
        assert_eq!(v["user_pool_id"], "pool");
        assert_eq!(
            v["resources"]["UsersTable"],
            serde_json::json!({"type": "AWS::DynamoDB::Table", "ref": "t", "Arn": "arn:t", "arn": "arn:t"})
        );
        assert_eq!(
            std::fs::read_dir(&dir).unwrap().count(),
            1,
            "no temp file left behind"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
