//! The project virtualenv and the moto server running from it.

use anyhow::{anyhow, bail, Context as _, Result};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::process::{Child, Command};

/// Embedded so the binary runs the launcher that matches its own code, wherever it is run from.
const LAUNCHER: &str = include_str!("../moto_launcher.py");
const REQUIREMENTS: &str = include_str!("../requirements.txt");
/// moto imports a lot; a cold first start on a busy laptop takes a while.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(120);

/// The workspace root: the nearest ancestor of the working directory holding
/// tools/devstack/requirements.txt, else where this crate was built from.
pub fn workspace_root() -> PathBuf {
    if let Ok(cwd) = std::env::current_dir() {
        for dir in cwd.ancestors() {
            if dir.join("tools/devstack/requirements.txt").is_file() {
                return dir.to_path_buf();
            }
        }
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The moto version requirements.txt pins.
pub fn pinned_moto_version() -> Result<String> {
    REQUIREMENTS
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with("moto"))
        .and_then(|l| l.split_once("==").map(|(_, v)| v.trim().to_owned()))
        .ok_or_else(|| anyhow!("tools/devstack/requirements.txt does not pin moto with =="))
}

/// Makes sure `<root>/.venv` has the pinned moto; creates/installs it if not.
/// Returns the venv's python.
pub async fn ensure_venv(root: &Path) -> Result<PathBuf> {
    let venv = root.join(".venv");
    let python = venv.join("bin/python");
    let pinned = pinned_moto_version()?;
    if python.is_file() {
        if let Some(v) = installed_moto_version(&python).await {
            if v == pinned {
                return Ok(python);
            }
            eprintln!("devstack: .venv has moto {v}, the pin is {pinned}; updating");
        }
    } else {
        let sys_python = find_python3().await?;
        eprintln!("devstack: creating the project virtualenv {} (first run only)", venv.display());
        let status = Command::new(&sys_python)
            .args(["-m", "venv"])
            .arg(&venv)
            .status()
            .await
            .with_context(|| format!("running {sys_python} -m venv"))?;
        if !status.success() {
            bail!(
                "`{sys_python} -m venv {}` failed ({status}); on Debian/Ubuntu install python3-venv",
                venv.display()
            );
        }
    }
    let req_file = root.join("tools/devstack/requirements.txt");
    let req_file = if req_file.is_file() {
        req_file
    } else {
        let tmp = std::env::temp_dir().join(format!("devstack-requirements-{}.txt", std::process::id()));
        std::fs::write(&tmp, REQUIREMENTS)?;
        tmp
    };
    eprintln!("devstack: installing moto {pinned} into .venv (pip install -r {})", req_file.display());
    let status = Command::new(&python)
        .args(["-m", "pip", "install", "--disable-pip-version-check", "-r"])
        .arg(&req_file)
        .status()
        .await
        .context("running pip")?;
    if !status.success() {
        bail!("pip install -r {} failed ({status}); see the output above", req_file.display());
    }
    match installed_moto_version(&python).await {
        Some(v) if v == pinned => Ok(python),
        other => bail!("after pip install, .venv has moto {other:?}, expected {pinned}"),
    }
}

async fn find_python3() -> Result<String> {
    for candidate in ["python3", "python"] {
        let out = Command::new(candidate)
            .arg("--version")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .output()
            .await;
        if let Ok(out) = out {
            let text = format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            if out.status.success() && text.contains("Python 3") {
                return Ok(candidate.to_owned());
            }
        }
    }
    bail!("python3 was not found on PATH; the local cloud runs moto with it. Install Python 3.9+ (e.g. `apt-get install python3 python3-venv` or `brew install python`)")
}

async fn installed_moto_version(python: &Path) -> Option<String> {
    let out = Command::new(python)
        .args(["-c", "import importlib.metadata as m; print(m.version('moto'))"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .output()
        .await
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// Picks a free port (0) or checks that the requested one is free, so a clash is
/// reported clearly instead of as a failure deep inside the process that loses the race.
pub fn choose_port(port: u16, flag: &str) -> Result<u16> {
    match TcpListener::bind(("127.0.0.1", port)) {
        Ok(l) => Ok(l.local_addr()?.port()),
        Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => bail!(
            "port {port} on 127.0.0.1 is already in use (is another devstack running?); pass {flag} <other port>, or {flag} 0 for any free port"
        ),
        Err(e) => Err(anyhow!("cannot bind 127.0.0.1:{port} ({flag}): {e}")),
    }
}

pub struct MotoServer {
    pub url: String,
    child: Child,
}

impl MotoServer {
    pub async fn start(python: &Path, port: u16) -> Result<MotoServer> {
        let port = choose_port(port, "--moto-port")?;
        let mut child = Command::new(python)
            .arg("-c")
            .arg(LAUNCHER)
            .arg(port.to_string())
            .arg(std::process::id().to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("starting moto with {}", python.display()))?;
        let url = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(2))
            .build()?;
        let started = Instant::now();
        loop {
            if let Some(status) = child.try_wait()? {
                bail!("moto exited during startup ({status}); see its output above");
            }
            if http.get(format!("{url}/moto-api/")).send().await.is_ok() {
                break;
            }
            if started.elapsed() > STARTUP_TIMEOUT {
                let _ = child.start_kill();
                bail!("moto did not answer on {url} within {STARTUP_TIMEOUT:?}");
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        Ok(MotoServer { url, child })
    }

    pub async fn stop(&mut self) {
        let _ = self.child.start_kill();
        let _ = tokio::time::timeout(Duration::from_secs(5), self.child.wait()).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pin_is_read() {
        let v = pinned_moto_version().unwrap();
        assert!(v.starts_with('5') && v.contains('.'), "{v}");
    }

    #[test]
    fn busy_port_is_explained() {
        let l = TcpListener::bind(("127.0.0.1", 0)).unwrap();
        let port = l.local_addr().unwrap().port();
        let e = choose_port(port, "--api-port").unwrap_err().to_string();
        assert!(e.contains(&port.to_string()) && e.contains("--api-port"), "{e}");
        assert_ne!(choose_port(0, "--api-port").unwrap(), 0);
    }
}
