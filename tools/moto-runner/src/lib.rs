//! The project's pinned moto: the `.venv` it is installed into on first use, and a moto
//! server process (with the DynamoDB request lock of `moto_launcher.py`). The devstack
//! runs one; adapter tests share one per test binary through [`shared_endpoint`].

pub mod call_log;
pub mod faults;

use anyhow::{anyhow, bail, Context as _, Result};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::OnceLock;
use std::time::{Duration, Instant};
use tokio::process::{Child, Command};

/// Embedded so the binary runs the launcher that matches its own code, wherever it is run
/// from; the fault switch it wraps moto with comes first, as one script.
const LAUNCHER: &str = concat!(
    include_str!("../moto_faults.py"),
    "\n",
    include_str!("../moto_launcher.py")
);
const REQUIREMENTS: &str = include_str!("../../../requirements-dev.txt");
/// moto imports a lot; a cold first start on a busy laptop takes a while.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(120);

/// The workspace root: the nearest ancestor of the working directory holding
/// requirements-dev.txt next to tools/, else where this crate was built from.
pub fn workspace_root() -> PathBuf {
    if let Ok(cwd) = std::env::current_dir() {
        for dir in cwd.ancestors() {
            if dir.join("requirements-dev.txt").is_file() && dir.join("tools").is_dir() {
                return dir.to_path_buf();
            }
        }
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The moto version requirements-dev.txt pins.
pub fn pinned_moto_version() -> Result<String> {
    REQUIREMENTS
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with("moto"))
        .and_then(|l| l.split_once("==").map(|(_, v)| v.trim().to_owned()))
        .ok_or_else(|| anyhow!("requirements-dev.txt does not pin moto with =="))
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
        eprintln!(
            "devstack: creating the project virtualenv {} (first run only)",
            venv.display()
        );
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
    let req_file = root.join("requirements-dev.txt");
    let req_file = if req_file.is_file() {
        req_file
    } else {
        let tmp =
            std::env::temp_dir().join(format!("devstack-requirements-{}.txt", std::process::id()));
        std::fs::write(&tmp, REQUIREMENTS)?;
        tmp
    };
    eprintln!(
        "devstack: installing moto {pinned} into .venv (pip install -r {})",
        req_file.display()
    );
    let status = Command::new(&python)
        // --no-compile: byte-compiling every file of botocore and friends up front costs
        // minutes on a small machine; Python compiles what it imports on demand.
        .args([
            "-m",
            "pip",
            "install",
            "--disable-pip-version-check",
            "--no-compile",
            "-r",
        ])
        .arg(&req_file)
        .status()
        .await
        .context("running pip")?;
    if !status.success() {
        bail!(
            "pip install -r {} failed ({status}); see the output above",
            req_file.display()
        );
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
        .args([
            "-c",
            "import importlib.metadata as m; print(m.version('moto'))",
        ])
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

/// A running moto server; stopped on [`MotoServer::stop`], on drop, and (through the
/// launcher's parent-pid watch) when this process dies.
pub struct MotoServer {
    /// `http://127.0.0.1:<port>`, the `AWS_ENDPOINT_URL` for every client.
    pub url: String,
    child: Child,
}

impl MotoServer {
    /// Starts moto from the venv's `python` on `port` (0 picks a free one) and waits until
    /// it accepts connections.
    pub async fn start(python: &Path, port: u16) -> Result<MotoServer> {
        let port = choose_port(port, "--moto-port")?;
        let mut child = Command::new(python)
            .arg("-c")
            .arg(LAUNCHER)
            .arg(port.to_string())
            .arg(std::process::id().to_string())
            // The venv is installed without byte-compiling (pip --no-compile): let the
            // first start cache what moto imports, or every start (and CI, where this is
            // often set) compiles hundreds of modules again, which takes half a minute.
            .env_remove("PYTHONDONTWRITEBYTECODE")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("starting moto with {}", python.display()))?;
        let url = format!("http://127.0.0.1:{port}");
        let started = Instant::now();
        // werkzeug binds its socket only after moto's imports, so an accepted connection
        // means requests will be served.
        while tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_err()
        {
            if let Some(status) = child.try_wait()? {
                bail!("moto exited during startup ({status}); see its output above");
            }
            if started.elapsed() > STARTUP_TIMEOUT {
                let _ = child.start_kill();
                bail!("moto did not answer on {url} within {STARTUP_TIMEOUT:?}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Ok(MotoServer { url, child })
    }

    /// Stops the server and waits (briefly) for it to exit.
    /// The server's process id, while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.id()
    }

    pub async fn stop(&mut self) {
        let _ = self.child.start_kill();
        let _ = tokio::time::timeout(Duration::from_secs(5), self.child.wait()).await;
    }
}

/// The endpoint of one moto shared by every test of the calling test binary, started
/// (and the venv installed) on first use. Tests isolate themselves by creating their own
/// tables, topics and queues with unique names.
///
/// # Panics
/// When the venv cannot be installed or moto does not start: a test cannot run without it.
pub fn shared_endpoint() -> &'static str {
    static SHARED: OnceLock<String> = OnceLock::new();
    SHARED.get_or_init(|| {
        // Its own thread and runtime: the server must outlive the test (and runtime) that
        // happened to start it, and this must not block inside a caller's runtime.
        std::thread::spawn(|| {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime for moto");
            rt.block_on(async {
                let python = ensure_venv(&workspace_root()).await?;
                let server = MotoServer::start(&python, 0).await?;
                let url = server.url.clone();
                // The server lives as long as the test binary; the launcher exits with it.
                std::mem::forget(server);
                anyhow::Ok(url)
            })
        })
        .join()
        .expect("the moto start thread")
        .unwrap_or_else(|e| panic!("cannot start moto for the tests: {e:#}"))
    })
}

/// An SDK config for `endpoint` with test credentials and region us-east-1 (moto's
/// default), without reading the process environment.
pub async fn sdk_config(endpoint: &str) -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .http_client(shared::aws::http_client())
        .region(aws_config::Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .test_credentials()
        .load()
        .await
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
        assert!(
            e.contains(&port.to_string()) && e.contains("--api-port"),
            "{e}"
        );
        assert_ne!(choose_port(0, "--api-port").unwrap(), 0);
    }
}
