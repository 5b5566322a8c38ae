//! `--profile-moto`: py-spy (the project venv's, `make load PROFILE=1` installs it)
//! attached to the stack's moto while the shoppers shop, writing a flame graph when it
//! is stopped. moto is one Python process that every AWS call of every function goes
//! through, so it is where a slow local cloud spends its time.

use anyhow::{bail, Context as _, Result};
use std::path::{Path, PathBuf};
use std::process::{Child, Command};

/// py-spy recording one process until [`Recording::finish`].
pub struct Recording {
    child: Child,
    output: PathBuf,
}

impl Recording {
    /// Attaches to the moto server listening on `moto_url`'s port.
    pub fn start(moto_url: &str, output: &Path) -> Result<Recording> {
        let port = moto_url
            .rsplit(':')
            .next()
            .and_then(|p| p.trim_end_matches('/').parse::<u16>().ok())
            .with_context(|| format!("no port in {moto_url}"))?;
        let pid = moto_pid(port)?;
        let py_spy = moto_runner::workspace_root().join(".venv/bin/py-spy");
        if !py_spy.is_file() {
            bail!("{} is missing: run `make load PROFILE=1`", py_spy.display());
        }
        if let Some(dir) = output.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let child = Command::new(&py_spy)
            .args([
                "record",
                "--rate",
                "50",
                "--pid",
                &pid.to_string(),
                "--output",
            ])
            .arg(output)
            .spawn()
            .with_context(|| format!("starting {}", py_spy.display()))?;
        Ok(Recording {
            child,
            output: output.to_owned(),
        })
    }

    /// Stops the recording (py-spy writes its flame graph on SIGINT) and waits for it.
    pub fn finish(mut self) -> Result<PathBuf> {
        let status = Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status()
            .context("kill -INT py-spy")?;
        if !status.success() {
            bail!("could not stop py-spy");
        }
        self.child.wait().context("waiting for py-spy")?;
        if !self.output.is_file() {
            bail!("py-spy wrote no {}", self.output.display());
        }
        Ok(self.output)
    }
}

/// The moto launcher's process, found by the port it was started with (its first
/// argument) among this user's processes.
fn moto_pid(port: u16) -> Result<u32> {
    for entry in std::fs::read_dir("/proc").context("reading /proc (py-spy needs Linux here)")? {
        let entry = entry?;
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|p| p.parse::<u32>().ok())
        else {
            continue;
        };
        let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) else {
            continue;
        };
        let args: Vec<String> = cmdline
            .split(|b| *b == 0)
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect();
        let is_python = args.first().is_some_and(|a| a.contains("python"));
        let is_moto = args
            .iter()
            .any(|a| a.contains("moto server for the crabcart devstack"));
        if is_python && is_moto && args.iter().any(|a| *a == port.to_string()) {
            return Ok(pid);
        }
    }
    bail!("no moto process serves port {port}")
}
