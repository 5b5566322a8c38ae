//! One devstack per test binary: the real `devstack` binary on free ports, started on
//! first use and stopped when the test process exits (it watches its stdin).

use serde_json::Value;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// moto's first start imports a lot; on a busy 2-core CI box it takes a while.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(300);

/// A running local cloud, as described by its state file.
pub struct Stack {
    /// Base URL of the local REST API (no stage prefix).
    pub api_url: String,
    /// The moto endpoint (`AWS_ENDPOINT_URL` of the functions).
    pub moto_url: String,
    /// The seeded admin's email.
    pub admin_email: String,
    /// The seeded admin's password.
    pub admin_password: String,
    /// The Cognito user pool id.
    pub user_pool_id: String,
    /// The app client id.
    pub user_pool_client_id: String,
    /// Every template resource: logical id -> {"type", "ref", "arn", attributes}.
    pub resources: Value,
    // Held open for the life of the test binary: when it closes, the devstack stops.
    _stdin: Mutex<ChildStdin>,
}

impl Stack {
    /// The stack of this test binary, started on first use.
    ///
    /// # Panics
    /// When the binaries are not built or the stack does not come up: nothing can be tested.
    pub fn shared() -> &'static Stack {
        static STACK: OnceLock<Stack> = OnceLock::new();
        STACK.get_or_init(|| {
            Stack::start().unwrap_or_else(|e| panic!("cannot start the devstack: {e}"))
        })
    }

    /// The `ref` (name, URL or id) of a template resource.
    pub fn resource_ref(&self, logical_id: &str) -> &str {
        self.resources[logical_id]["ref"]
            .as_str()
            .unwrap_or_else(|| panic!("no resource {logical_id} in the stack"))
    }

    fn start() -> Result<Stack, String> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let bin_dir = target_dir().join("debug");
        let devstack = bin_dir.join("devstack");
        if !devstack.is_file() {
            return Err(format!(
                "{} is missing: run `cargo build --workspace --bins` first (make test does)",
                devstack.display()
            ));
        }
        let state_file = std::env::temp_dir().join(format!(
            "crabcart-e2e-{}-{}.json",
            std::process::id(),
            uuid::Uuid::new_v4()
        ));
        // Function output (the devstack's stdout) goes to a file: inherited, it would bury
        // the test report; discarded, a failure could not be explained.
        let log_path = target_dir().join(format!("e2e-devstack-{}.log", std::process::id()));
        let log = std::fs::File::create(&log_path)
            .map_err(|e| format!("creating {}: {e}", log_path.display()))?;
        eprintln!("devstack function logs: {}", log_path.display());
        let mut child = Command::new(&devstack)
            .current_dir(&root)
            .args(["--api-port", "0", "--moto-port", "0", "--exit-on-stdin-eof"])
            .arg("--bin-dir")
            .arg(&bin_dir)
            .arg("--state-file")
            .arg(&state_file)
            .env(
                "DEVSTACK_LOG",
                std::env::var("DEVSTACK_LOG").unwrap_or_else(|_| "warn".into()),
            )
            .stdin(Stdio::piped())
            .stdout(log)
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| format!("spawning {}: {e}", devstack.display()))?;
        let stdin = child.stdin.take().ok_or("no stdin pipe")?;
        let state = wait_for_state(&mut child, &state_file)?;
        let text = |k: &str| {
            state[k]
                .as_str()
                .map(str::to_owned)
                .ok_or(format!("state file has no {k}"))
        };
        Ok(Stack {
            api_url: text("api_url")?,
            moto_url: text("moto_url")?,
            admin_email: text("admin_email")?,
            admin_password: text("admin_password")?,
            user_pool_id: text("user_pool_id")?,
            user_pool_client_id: text("user_pool_client_id")?,
            resources: state["resources"].clone(),
            _stdin: Mutex::new(stdin),
        })
    }
}

/// The workspace's target directory (`CARGO_TARGET_DIR` when set).
pub(crate) fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"))
}

fn wait_for_state(child: &mut Child, path: &Path) -> Result<Value, String> {
    let started = Instant::now();
    loop {
        if let Ok(mut f) = std::fs::File::open(path) {
            let mut s = String::new();
            if f.read_to_string(&mut s).is_ok() {
                if let Ok(v) = serde_json::from_str(&s) {
                    return Ok(v);
                }
            }
        }
        if let Ok(Some(status)) = child.try_wait() {
            return Err(format!(
                "the devstack exited during startup ({status}); its output is above"
            ));
        }
        if started.elapsed() > STARTUP_TIMEOUT {
            let _ = child.kill();
            return Err(format!(
                "the devstack was not ready within {STARTUP_TIMEOUT:?}"
            ));
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}
