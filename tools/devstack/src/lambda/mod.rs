//! Local Lambda: each function's real binary runs under a local Runtime API server.
//!
//! One `FunctionHandle` is one Lambda execution environment: a single process, one
//! invocation in flight at a time. Each process ("generation") gets its own Runtime API
//! listener, so a long-poll left behind by a killed process can never take an invocation
//! meant for its replacement.

mod pool;
mod process;
mod runtime_api;

pub use pool::FunctionPool;
#[cfg(test)]
pub(crate) mod tests;

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot, watch};

/// Lambda's init phase limit; a process that does not ask for work within it is stuck.
const INIT_TIMEOUT: Duration = Duration::from_secs(10);

/// What is needed to run one template function locally.
#[derive(Debug, Clone)]
pub struct FunctionSpec {
    /// Logical id in template.yaml, e.g. "UsersApiFunction".
    pub name: String,
    /// Absolute path of the built binary.
    pub binary: PathBuf,
    /// Fully resolved environment (part B adds AWS_* and endpoint vars).
    pub env: BTreeMap<String, String>,
    /// Template Timeout.
    pub timeout: Duration,
    /// Template MemorySize.
    pub memory_mb: u32,
    /// Where its output goes.
    pub log: crate::logs::FunctionLog,
}

impl FunctionSpec {
    /// The function ARN as the function sees it in Lambda-Runtime-Invoked-Function-Arn.
    pub fn arn(&self) -> String {
        let region = self
            .env
            .get("AWS_REGION")
            .map_or("us-east-1", String::as_str);
        format!(
            "arn:aws:lambda:{region}:123456789012:function:{}",
            self.name
        )
    }
}

/// Why an invocation did not produce a response.
#[derive(Debug, Clone)]
pub enum InvokeError {
    /// The function reported an error through /invocation/{id}/error.
    Function {
        error_type: String,
        error_message: String,
    },
    /// No response within the function's timeout.
    Timeout,
    /// The process exited while handling the invocation.
    Crashed(String),
    /// The process reported an init error or could not start.
    Init(String),
}

impl fmt::Display for InvokeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InvokeError::Function {
                error_type,
                error_message,
            } => {
                write!(f, "function error {error_type}: {error_message}")
            }
            InvokeError::Timeout => write!(f, "task timed out"),
            InvokeError::Crashed(m) => write!(f, "runtime crashed: {m}"),
            InvokeError::Init(m) => write!(f, "init failed: {m}"),
        }
    }
}

impl std::error::Error for InvokeError {}

/// What Lambda's REPORT log line says about one invocation.
#[derive(Debug, Clone, PartialEq)]
pub struct InvokeReport {
    /// The invocation's request id.
    pub request_id: String,
    /// From handing the event to the process (its /next) to its /response or /error.
    pub duration: Duration,
    /// From exec to the process's first /next; only on the first invocation of a process.
    pub init_duration: Option<Duration>,
    /// Peak resident memory of the process so far (VmHWM), where /proc tells it.
    pub max_memory_kib: Option<u64>,
}

impl fmt::Display for InvokeReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        write!(
            f,
            "REPORT RequestId: {} Duration: {:.2} ms",
            self.request_id,
            ms(self.duration)
        )?;
        if let Some(kib) = self.max_memory_kib {
            write!(f, " Max Memory Used: {} MB", kib.div_ceil(1024))?;
        }
        if let Some(init) = self.init_duration {
            write!(f, " Init Duration: {:.2} ms", ms(init))?;
        }
        Ok(())
    }
}

type Outcome = Result<serde_json::Value, InvokeError>;

/// An invocation waiting for the process to ask for it.
struct Queued {
    id: String,
    payload: Vec<u8>,
    picked: oneshot::Sender<()>,
    outcome: oneshot::Sender<Outcome>,
    /// Processes that died before picking this invocation up.
    failed_starts: u32,
}

/// An invocation handed to a process through /next.
struct InFlight {
    id: String,
    generation: u64,
    deadline: Instant,
    outcome: oneshot::Sender<Outcome>,
    /// When /next handed it over: the start of the invocation's Duration.
    handed_at: Instant,
    /// The process's init duration, when this is its first invocation.
    init_duration: Option<Duration>,
}

struct State {
    generation: u64,
    /// Whether the current generation's process is running.
    alive: bool,
    /// Whether the current generation has taken at least one invocation.
    served: bool,
    init_error: Option<String>,
    queued: Option<Queued>,
    in_flight: Option<InFlight>,
    shut_down: bool,
    /// When the current generation's binary was exec'd.
    spawned_at: Option<Instant>,
    /// Exec to the first /next of the current generation, once it has asked.
    init_duration: Option<Duration>,
    pid: Option<u32>,
    /// The report of the last answered invocation (one runs at a time).
    last_report: Option<InvokeReport>,
}

enum Cmd {
    /// Kill the process of this generation (if still current) and start a fresh one.
    Kill(u64),
    Shutdown,
}

struct Inner {
    spec: FunctionSpec,
    arn: String,
    state: Mutex<State>,
    /// Bumped on every state change that a /next long-poll may care about.
    changed: watch::Sender<u64>,
    invoke_lock: tokio::sync::Mutex<()>,
    cmd: mpsc::UnboundedSender<Cmd>,
    stopped: watch::Receiver<bool>,
}

impl Inner {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock leaves plain data behind; keep serving.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn bump(&self) {
        self.changed.send_modify(|v| *v = v.wrapping_add(1));
    }

    fn kill(&self, generation: u64) {
        // The supervisor only goes away after shutdown, when there is nothing to kill.
        let _ = self.cmd.send(Cmd::Kill(generation));
    }
}

/// A running function; cheap to clone.
#[derive(Clone)]
pub struct FunctionHandle {
    inner: Arc<Inner>,
}

impl FunctionHandle {
    /// Starts the Runtime API server for this function on 127.0.0.1:<free port>,
    /// spawns the binary with AWS_LAMBDA_RUNTIME_API set, returns once it is spawned.
    pub async fn start(spec: FunctionSpec) -> anyhow::Result<FunctionHandle> {
        let arn = spec.arn();
        let (cmd_tx, cmd_rx) = mpsc::unbounded_channel();
        let (stopped_tx, stopped_rx) = watch::channel(false);
        let (changed, _) = watch::channel(0);
        let inner = Arc::new(Inner {
            spec,
            arn,
            state: Mutex::new(State {
                generation: 0,
                alive: false,
                served: false,
                init_error: None,
                queued: None,
                in_flight: None,
                shut_down: false,
                spawned_at: None,
                init_duration: None,
                pid: None,
                last_report: None,
            }),
            changed,
            invoke_lock: tokio::sync::Mutex::new(()),
            cmd: cmd_tx,
            stopped: stopped_rx,
        });
        let first = process::spawn_generation(&inner).await?;
        tokio::spawn(process::supervise(inner.clone(), first, cmd_rx, stopped_tx));
        Ok(FunctionHandle { inner })
    }

    /// The template logical id.
    pub fn name(&self) -> &str {
        &self.inner.spec.name
    }

    /// The function ARN as the function itself sees it in Lambda-Runtime-Invoked-Function-Arn.
    pub fn arn(&self) -> &str {
        &self.inner.arn
    }

    /// Queues one invocation, waits for /response or /error or the timeout.
    pub async fn invoke(
        &self,
        payload: serde_json::Value,
    ) -> Result<serde_json::Value, InvokeError> {
        let (outcome, report) = self.run_invocation(payload).await;
        // Reading /proc for the REPORT line only when someone will see it.
        if let Some(report) = report.filter(|_| tracing::enabled!(tracing::Level::DEBUG)) {
            let report = self.with_peak_memory(report);
            tracing::debug!(function = %self.inner.spec.name, "{report}");
        }
        outcome
    }

    /// As `invoke`, with the invocation's REPORT when the process answered it.
    pub async fn invoke_reported(
        &self,
        payload: serde_json::Value,
    ) -> (Result<serde_json::Value, InvokeError>, Option<InvokeReport>) {
        let (outcome, report) = self.run_invocation(payload).await;
        (outcome, report.map(|r| self.with_peak_memory(r)))
    }

    fn with_peak_memory(&self, mut report: InvokeReport) -> InvokeReport {
        report.max_memory_kib = self.inner.lock().pid.and_then(process::peak_rss_kib);
        report
    }

    /// One invocation at a time, as one execution environment; its report is taken
    /// before the next one can file its own.
    async fn run_invocation(
        &self,
        payload: serde_json::Value,
    ) -> (Result<serde_json::Value, InvokeError>, Option<InvokeReport>) {
        let _serial = self.inner.invoke_lock.lock().await;
        let id = uuid::Uuid::now_v7().to_string();
        let outcome = self.run_serialized(payload, &id).await;
        let report = self
            .inner
            .lock()
            .last_report
            .take()
            .filter(|r| r.request_id == id);
        (outcome, report)
    }

    async fn run_serialized(
        &self,
        payload: serde_json::Value,
        id: &str,
    ) -> Result<serde_json::Value, InvokeError> {
        let inner = &self.inner;
        let payload = serde_json::to_vec(&payload)
            .map_err(|e| InvokeError::Init(format!("payload is not serializable: {e}")))?;
        let (picked_tx, picked_rx) = oneshot::channel();
        let (outcome_tx, mut outcome_rx) = oneshot::channel();
        {
            let mut st = inner.lock();
            if st.shut_down {
                return Err(InvokeError::Init("function is shut down".into()));
            }
            st.queued = Some(Queued {
                id: id.to_owned(),
                payload,
                picked: picked_tx,
                outcome: outcome_tx,
                failed_starts: 0,
            });
        }
        inner.bump();
        let _guard = CancelGuard { inner, id };

        // Waiting for pickup covers a restart after a previous crash or timeout; its bound
        // is Lambda's init limit plus the longest restart backoff.
        let pickup_limit = INIT_TIMEOUT + process::MAX_BACKOFF;
        tokio::select! {
            picked = picked_rx => {
                if picked.is_err() {
                    // Removed without pickup: the outcome (an init failure) is already sent.
                    return outcome_rx
                        .await
                        .unwrap_or_else(|_| Err(InvokeError::Crashed("invocation was dropped".into())));
                }
            }
            _ = tokio::time::sleep(pickup_limit) => {
                let stuck_generation = {
                    let mut st = inner.lock();
                    if st.queued.as_ref().is_some_and(|q| q.id == id) {
                        st.queued = None;
                        Some(st.generation)
                    } else {
                        None
                    }
                };
                // None: picked up at the last moment; wait for it like any other.
                if let Some(generation) = stuck_generation {
                    inner.kill(generation);
                    return Err(InvokeError::Init(format!(
                        "the function did not ask for an invocation within {}s",
                        pickup_limit.as_secs()
                    )));
                }
            }
        }

        match tokio::time::timeout(inner.spec.timeout, &mut outcome_rx).await {
            Ok(Ok(outcome)) => outcome,
            Ok(Err(_)) => Err(InvokeError::Crashed("invocation was dropped".into())),
            Err(_) => {
                let timed_out = {
                    let mut st = inner.lock();
                    match st.in_flight.take() {
                        Some(f) if f.id == id => Some(f.generation),
                        other => {
                            st.in_flight = other;
                            None
                        }
                    }
                };
                match timed_out {
                    Some(generation) => {
                        // Lambda discards the environment of a timed-out invocation.
                        inner.kill(generation);
                        Err(InvokeError::Timeout)
                    }
                    // The response won the race with the timer.
                    None => outcome_rx.try_recv().unwrap_or(Err(InvokeError::Timeout)),
                }
            }
        }
    }

    /// Kills the process (and stops restarting it).
    pub async fn shutdown(&self) {
        let inner = &self.inner;
        let queued = {
            let mut st = inner.lock();
            st.shut_down = true;
            st.queued.take()
        };
        if let Some(q) = queued {
            let _ = q
                .outcome
                .send(Err(InvokeError::Init("function is shut down".into())));
        }
        inner.bump();
        let _ = inner.cmd.send(Cmd::Shutdown);
        let mut stopped = inner.stopped.clone();
        let _ = tokio::time::timeout(Duration::from_secs(5), stopped.wait_for(|s| *s)).await;
    }
}

/// Cleans up when the caller of `invoke` goes away before it returns (for example an
/// HTTP client that disconnected).
struct CancelGuard<'a> {
    inner: &'a Arc<Inner>,
    id: &'a str,
}

impl Drop for CancelGuard<'_> {
    fn drop(&mut self) {
        let mut st = self.inner.lock();
        if st.queued.as_ref().is_some_and(|q| q.id == self.id) {
            st.queued = None;
            return;
        }
        let Some(f) = st.in_flight.as_ref().filter(|f| f.id == self.id) else {
            return;
        };
        // Nobody waits for this invocation any more, but its timeout still has to be
        // enforced or the process would hold the environment forever.
        let (generation, deadline) = (f.generation, f.deadline);
        drop(st);
        let Ok(rt) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let inner = self.inner.clone();
        let id = self.id.to_string();
        rt.spawn(async move {
            tokio::time::sleep_until(deadline.into()).await;
            let still_running = {
                let mut st = inner.lock();
                match st.in_flight.take() {
                    Some(f) if f.id == id => true,
                    other => {
                        st.in_flight = other;
                        false
                    }
                }
            };
            if still_running {
                tracing::warn!(function = %inner.spec.name, request_id = %id, "abandoned invocation timed out");
                inner.kill(generation);
            }
        });
    }
}
