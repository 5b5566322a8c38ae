//! The devstack the end-to-end tests drive: the real `devstack` binary on free ports,
//! started on first use and stopped when the test process exits (it watches its stdin).
//! One is shared by most tests ([`Stack::shared`]); a test module that needs other
//! options, or would disturb the others, keeps one of its own ([`Stack::once`]).

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
    /// The storefront's origin (`http://localhost:<port>`), the one the API answers
    /// browsers on.
    pub storefront_url: String,
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
    /// Its `--work-dir`: `env/<function>.env`, `logs/<function>.log`.
    pub work_dir: PathBuf,
    /// The file its stdout (every function's line, as a person reads them) goes to.
    pub output: PathBuf,
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
        Stack::once(&STACK, StackOptions::default)
    }

    /// A stack of a test module's own, kept in `cell`: started on first use as `options`
    /// say, stopped when the test binary exits. For tests that would disturb the shared
    /// stack, or need it started otherwise.
    ///
    /// # Panics
    /// When the stack does not come up: nothing can be tested.
    pub fn once(
        cell: &'static OnceLock<Stack>,
        options: impl FnOnce() -> StackOptions,
    ) -> &'static Stack {
        cell.get_or_init(|| {
            Stack::start_with(options())
                .unwrap_or_else(|e| panic!("cannot start the devstack: {e}"))
        })
    }

    /// The `ref` (name, URL or id) of a template resource.
    pub fn resource_ref(&self, logical_id: &str) -> &str {
        self.resources[logical_id]["ref"]
            .as_str()
            .unwrap_or_else(|| panic!("no resource {logical_id} in the stack"))
    }

    /// A stack of its own, started as `options` say; it stops when the value is dropped
    /// (its stdin closes) or the test binary exits.
    pub fn start_with(options: StackOptions) -> Result<Stack, String> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let bin_dir = target_dir().join("debug");
        let devstack = bin_dir.join("devstack");
        if !devstack.is_file() {
            return Err(format!(
                "{} is missing: run `cargo build --workspace --bins` first (make test does)",
                devstack.display()
            ));
        }
        let run = format!("{}-{}", std::process::id(), uuid::Uuid::new_v4().simple());
        // Env files and JSON logs of this stack only: never the developer's .devstack/.
        let work_dir = options
            .work_dir
            .unwrap_or_else(|| std::env::temp_dir().join(format!("crabcart-e2e-{run}")));
        let state_file = work_dir.join("state.json");
        // Function output (the devstack's stdout) goes to a file: inherited, it would bury
        // the test report; discarded, a failure could not be explained.
        let log_path = target_dir().join(format!("e2e-devstack-{run}.log"));
        let log = std::fs::File::create(&log_path)
            .map_err(|e| format!("creating {}: {e}", log_path.display()))?;
        eprintln!("devstack function logs: {}", log_path.display());
        let mut command = Command::new(&devstack);
        command
            .current_dir(&root)
            .args([
                "--api-port",
                "0",
                "--storefront-port",
                "0",
                "--moto-port",
                "0",
            ])
            .arg("--exit-on-stdin-eof")
            .arg("--bin-dir")
            .arg(&bin_dir)
            .arg("--state-file")
            .arg(&state_file)
            .arg("--work-dir")
            .arg(&work_dir)
            .args(&options.args)
            .env(
                "DEVSTACK_LOG",
                std::env::var("DEVSTACK_LOG").unwrap_or_else(|_| "warn".into()),
            )
            .envs(options.env)
            .stdin(Stdio::piped())
            .stdout(log)
            .stderr(Stdio::inherit());
        let mut child = command
            .spawn()
            .map_err(|e| format!("spawning {}: {e}", devstack.display()))?;
        let stdin = child.stdin.take().ok_or("no stdin pipe")?;
        let timeout = options.startup_timeout.unwrap_or(STARTUP_TIMEOUT);
        let state = wait_for_state(&mut child, &state_file, timeout)?;
        let text = |k: &str| {
            state[k]
                .as_str()
                .map(str::to_owned)
                .ok_or(format!("state file has no {k}"))
        };
        Ok(Stack {
            api_url: text("api_url")?,
            storefront_url: text("storefront_url")?,
            moto_url: text("moto_url")?,
            admin_email: text("admin_email")?,
            admin_password: text("admin_password")?,
            user_pool_id: text("user_pool_id")?,
            user_pool_client_id: text("user_pool_client_id")?,
            resources: state["resources"].clone(),
            work_dir,
            output: log_path,
            _stdin: Mutex::new(stdin),
        })
    }
}

/// How [`Stack::start_with`] starts a stack.
#[derive(Debug, Default)]
pub struct StackOptions {
    /// More devstack arguments (`--watch ...`, `--template ...`).
    pub args: Vec<String>,
    /// More environment for the devstack (and what it spawns).
    pub env: Vec<(String, String)>,
    /// Its `--work-dir` (env files, JSON logs); a fresh temporary directory by default.
    pub work_dir: Option<PathBuf>,
    /// How long it may take to be ready; 5 minutes by default.
    pub startup_timeout: Option<Duration>,
}

/// The workspace's target directory (`CARGO_TARGET_DIR` when set).
pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"))
}

fn wait_for_state(child: &mut Child, path: &Path, timeout: Duration) -> Result<Value, String> {
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
        if started.elapsed() > timeout {
            let _ = child.kill();
            return Err(format!("the devstack was not ready within {timeout:?}"));
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}
