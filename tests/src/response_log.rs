//! Every response the end-to-end suite receives, written down so that `make test` can
//! check each one against openapi.yaml once the tests have run
//! (tests/contract/validate_responses.py): one JSON line per response in
//! `target/e2e-responses/<test binary>-<pid>.jsonl`.

use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};
use serde_json::{json, Map, Value};
use std::fs::File;
use std::io::Write;
use std::path::PathBuf;
use std::sync::{Mutex, OnceLock};

/// The directory the logs go to, under the workspace's target directory.
pub fn directory() -> PathBuf {
    crate::devstack::target_dir().join("e2e-responses")
}

/// Appends one response. Panics when the log cannot be written: a suite whose responses
/// went unrecorded would pass the contract check without having been checked.
pub fn record(method: &Method, path: &str, status: StatusCode, headers: &HeaderMap, body: &[u8]) {
    let headers: Map<String, Value> = headers
        .iter()
        .filter_map(|(name, value)| {
            let value = value.to_str().ok()?;
            Some((name.as_str().to_owned(), Value::String(value.to_owned())))
        })
        .collect();
    let line = json!({
        "method": method.as_str(),
        "path": path,
        "status": status.as_u16(),
        "headers": headers,
        "body": String::from_utf8_lossy(body),
    });
    let mut file = log_file().lock().unwrap_or_else(|e| e.into_inner());
    writeln!(file, "{line}").expect("appending to the e2e response log");
}

fn log_file() -> &'static Mutex<File> {
    static FILE: OnceLock<Mutex<File>> = OnceLock::new();
    FILE.get_or_init(|| {
        let dir = directory();
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("creating {}: {e}", dir.display()));
        let binary = std::env::current_exe()
            .ok()
            .and_then(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
            .unwrap_or_else(|| "e2e".to_owned());
        let path = dir.join(format!("{binary}-{}.jsonl", std::process::id()));
        let file =
            File::create(&path).unwrap_or_else(|e| panic!("creating {}: {e}", path.display()));
        Mutex::new(file)
    })
}
