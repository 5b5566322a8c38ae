//! The `cargo lambda watch` process of one watched function.

use super::build::{Build, Tracker};
use super::Setup;
use crate::logs::{for_each_line, FunctionLog};
use anyhow::{Context as _, Result};
use std::path::Path;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::process::{Child, Command};
use tokio::sync::watch;

/// How long cargo-lambda gets to stop the build and the function on SIGTERM.
const STOP_GRACE: Duration = Duration::from_secs(5);
/// How long its Invoke API may take to listen once spawned.
const LISTEN_LIMIT: Duration = Duration::from_secs(60);

pub(super) struct WatchProcess {
    child: tokio::sync::Mutex<Option<Child>>,
    pid: Option<u32>,
}

impl WatchProcess {
    /// Spawns `cargo lambda watch` for `binary` and waits until its Invoke API listens.
    pub(super) async fn spawn(
        setup: &Setup,
        binary: &str,
        env_file: &Path,
        port: u16,
        log: FunctionLog,
    ) -> Result<(WatchProcess, watch::Receiver<Build>)> {
        let mut cmd = Command::new(&setup.cargo_lambda);
        cmd.args(["lambda", "watch", "--invoke-address", "127.0.0.1"])
            .arg("--invoke-port")
            .arg(port.to_string())
            .arg("--bin")
            .arg(binary)
            .arg("--env-file")
            .arg(env_file)
            .args(["--message-format", "json", "--color", "never"])
            .current_dir(&setup.workspace);
        // The function's AWS settings come from the env file alone (the template's, against
        // the local cloud), never from the developer's shell: no profile, no real keys.
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().starts_with("AWS_") {
                cmd.env_remove(&key);
            }
        }
        cmd.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            // Its own process group, as the functions: Ctrl-C reaches the devstack, which
            // stops cargo-lambda, its build and its function together.
            .process_group(0)
            .kill_on_drop(true);
        #[cfg(target_os = "linux")]
        // SAFETY: prctl(PR_SET_PDEATHSIG) only sets a flag of the calling (child) process;
        // it allocates nothing and is async-signal-safe, as pre_exec requires.
        unsafe {
            cmd.pre_exec(|| {
                // A devstack that is SIGKILLed takes cargo-lambda along instead of leaving
                // it watching files and holding its port.
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM);
                Ok(())
            });
        }
        let mut child = cmd
            .spawn()
            .with_context(|| format!("spawning {}", setup.cargo_lambda.display()))?;
        let (tracker, build) = Tracker::new(binary, log);
        let tracker = Arc::new(Mutex::new(tracker));
        if let Some(out) = child.stdout.take() {
            let t = tracker.clone();
            tokio::spawn(for_each_line(out, move |l| lock(&t).stdout(l)));
        }
        if let Some(err) = child.stderr.take() {
            let t = tracker.clone();
            tokio::spawn(for_each_line(err, move |l| lock(&t).stderr(l)));
        }
        let pid = child.id();
        let process = WatchProcess {
            child: tokio::sync::Mutex::new(Some(child)),
            pid,
        };
        if let Err(e) = process.until_listening(port).await {
            process.stop().await;
            return Err(e);
        }
        Ok((process, build))
    }

    async fn until_listening(&self, port: u16) -> Result<()> {
        let started = tokio::time::Instant::now();
        loop {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                return Ok(());
            }
            if let Some(child) = self.child.lock().await.as_mut() {
                if let Ok(Some(status)) = child.try_wait() {
                    anyhow::bail!(
                        "cargo lambda watch exited at start ({status}); its output is above"
                    );
                }
            }
            if started.elapsed() > LISTEN_LIMIT {
                anyhow::bail!(
                    "cargo lambda watch did not listen on 127.0.0.1:{port} within {}s",
                    LISTEN_LIMIT.as_secs()
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// SIGTERM to cargo-lambda (it stops its build and function), then SIGKILL to the
    /// whole group if it is still there.
    pub(super) async fn stop(&self) {
        let Some(mut child) = self.child.lock().await.take() else {
            return;
        };
        if let Some(pid) = self.pid.and_then(|p| i32::try_from(p).ok()) {
            // SAFETY: kill(2) with the pid of a child this process spawned and has not
            // reaped yet, so the pid cannot have been reused.
            unsafe {
                libc::kill(pid, libc::SIGTERM);
            }
            if tokio::time::timeout(STOP_GRACE, child.wait())
                .await
                .is_err()
            {
                // SAFETY: as above; a negative pid names the child's process group.
                unsafe {
                    libc::kill(-pid, libc::SIGKILL);
                }
            }
        }
        let _ = child.kill().await;
    }
}

fn lock(t: &Mutex<Tracker>) -> std::sync::MutexGuard<'_, Tracker> {
    t.lock().unwrap_or_else(|e| e.into_inner())
}
