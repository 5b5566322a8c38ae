//! One env file per function, `<work dir>/env/<function>.env` (its short name,
//! `orders-api`, `users-outbox-publisher`): exactly the environment the
//! devstack runs it with (the template's, resolved against the local cloud, plus what
//! Lambda sets), for `cargo lambda watch --env-file`. Valid while that devstack runs:
//! moto's port and the generated secrets change with every start.

use anyhow::{Context as _, Result};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Writes `<dir>/<label>.env` and returns its path.
pub fn write(dir: &Path, binary: &str, env: &BTreeMap<String, String>) -> Result<PathBuf> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let path = dir.join(format!("{binary}.env"));
    std::fs::write(&path, render(binary, env))
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(path)
}

fn render(binary: &str, env: &BTreeMap<String, String>) -> String {
    let mut text = format!(
        "# {binary}'s environment in the running devstack (template.yaml, resolved locally).\n\
         # For `cargo lambda watch --env-file`; rewritten by every devstack start.\n"
    );
    for (key, value) in env {
        text.push_str(&format!("{key}={}\n", quoted(value)));
    }
    text
}

/// A value as env files take it: bare when it can be, else in the first quote kind it
/// does not contain. Bare values may hold anything but whitespace, quotes, `#` and `=`.
fn quoted(value: &str) -> String {
    let bare = !value.is_empty()
        && !value
            .chars()
            .any(|c| c.is_whitespace() || "'\"`#=".contains(c));
    if bare {
        return value.to_owned();
    }
    let quote = ['\'', '"', '`']
        .into_iter()
        .find(|q| !value.contains(*q))
        .unwrap_or('\'');
    format!("{quote}{value}{quote}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_bare_or_quoted_so_that_they_read_back_whole() {
        let env: BTreeMap<String, String> = [
            ("TABLE_NAME", "crabcart-UsersTable"),
            ("AWS_ENDPOINT_URL", "http://127.0.0.1:5000"),
            ("AWS_LAMBDA_LOG_STREAM_NAME", "2026/12/05/[$LATEST]0193ab"),
            ("FILTER", "a=b # not a comment"),
            ("QUOTED", "it's"),
            ("EMPTY", ""),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        let text = render("users-api", &env);
        let lines: Vec<&str> = text.lines().filter(|l| !l.starts_with('#')).collect();
        assert_eq!(
            lines,
            [
                "AWS_ENDPOINT_URL=http://127.0.0.1:5000",
                "AWS_LAMBDA_LOG_STREAM_NAME=2026/12/05/[$LATEST]0193ab",
                "EMPTY=''",
                "FILTER='a=b # not a comment'",
                "QUOTED=\"it's\"",
                "TABLE_NAME=crabcart-UsersTable",
            ]
        );
    }
}
