//! Spawning and supervising the function process ("execution environment").

use super::runtime_api::{router, GenCtx};
use super::{Cmd, Inner, InvokeError};
use crate::logs::{for_each_line, FunctionLog, Stream};
use anyhow::Context as _;
use axum::serve::ListenerExt as _;
use std::collections::VecDeque;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::AsyncRead;
use tokio::process::{Child, Command};
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinHandle;

const MIN_BACKOFF: Duration = Duration::from_millis(100);
pub(super) const MAX_BACKOFF: Duration = Duration::from_secs(5);
/// A process that lived this long is considered healthy even if it never served anything.
const HEALTHY_AFTER: Duration = Duration::from_secs(5);
/// stderr lines kept to explain a crash (a Rust panic message is a couple of lines).
const TAIL_LINES: usize = 20;
/// An invocation fails with Init after this many processes died before taking it.
const MAX_FAILED_STARTS: u32 = 2;

type Tail = Arc<Mutex<VecDeque<String>>>;

pub(super) struct Generation {
    generation: u64,
    child: Child,
    server_stop: oneshot::Sender<()>,
    pumps: Vec<JoinHandle<()>>,
    stderr_tail: Tail,
    started: Instant,
}

/// Binds a fresh Runtime API listener and spawns a new process pointed at it.
pub(super) async fn spawn_generation(inner: &Arc<Inner>) -> anyhow::Result<Generation> {
    let spec = &inner.spec;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .context("binding the Runtime API listener")?;
    let port = listener.local_addr()?.port();
    let generation = {
        let mut st = inner.lock();
        st.generation += 1;
        st.alive = true;
        st.served = false;
        st.init_error = None;
        st.spawned_at = None;
        st.init_duration = None;
        st.pid = None;
        st.generation
    };
    inner.bump();

    let app = router(GenCtx {
        inner: inner.clone(),
        generation,
    });
    let (server_stop, stop_rx) = oneshot::channel::<()>();
    let listener = listener.tap_io(|tcp| {
        // Runtime API calls are small request/response exchanges; Nagle only adds latency.
        let _ = tcp.set_nodelay(true);
    });
    let name = spec.name.clone();
    tokio::spawn(async move {
        let serve = axum::serve(listener, app).with_graceful_shutdown(async {
            let _ = stop_rx.await;
        });
        if let Err(e) = serve.await {
            tracing::warn!(function = %name, "runtime API server failed: {e}");
        }
    });

    let mut cmd = Command::new(&spec.binary);
    cmd.env_clear();
    for var in ["PATH", "HOME"] {
        if let Some(v) = std::env::var_os(var) {
            cmd.env(var, v);
        }
    }
    // Defaults for what lambda_runtime requires, so a spec without them still starts;
    // the resolved environment from the template wins.
    let defaults = [
        ("AWS_LAMBDA_FUNCTION_NAME", spec.name.clone()),
        (
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
            spec.memory_mb.to_string(),
        ),
        ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST".to_string()),
        (
            "AWS_LAMBDA_LOG_GROUP_NAME",
            format!("/aws/lambda/{}", spec.name),
        ),
        ("AWS_LAMBDA_LOG_STREAM_NAME", "local".to_string()),
    ];
    for (k, v) in defaults {
        cmd.env(k, v);
    }
    cmd.envs(&spec.env)
        .env("AWS_LAMBDA_RUNTIME_API", format!("127.0.0.1:{port}"))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // Its own process group: Ctrl-C in the terminal reaches only the devstack, which
        // then stops the functions itself instead of watching them die and restarting
        // them. (Orphaned by a SIGKILLed devstack, a function exits when its Runtime API
        // goes away.)
        .process_group(0)
        .kill_on_drop(true);
    // Init is measured from here, as Lambda's Init Duration is from the runtime's start.
    inner.lock().spawned_at = Some(Instant::now());
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => {
            let _ = server_stop.send(());
            mark_dead(inner, generation);
            return Err(e).with_context(|| format!("spawning {}", spec.binary.display()));
        }
    };

    inner.lock().pid = child.id();
    let stderr_tail: Tail = Arc::new(Mutex::new(VecDeque::new()));
    let mut pumps = Vec::new();
    if let Some(out) = child.stdout.take() {
        pumps.push(tokio::spawn(pump(
            spec.log.clone(),
            out,
            Stream::Stdout,
            None,
        )));
    }
    if let Some(err) = child.stderr.take() {
        pumps.push(tokio::spawn(pump(
            spec.log.clone(),
            err,
            Stream::Stderr,
            Some(stderr_tail.clone()),
        )));
    }
    tracing::debug!(function = %spec.name, generation, port, "function process started");
    Ok(Generation {
        generation,
        child,
        server_stop,
        pumps,
        stderr_tail,
        started: Instant::now(),
    })
}

/// Peak resident set of a process in KiB (`VmHWM` of /proc/<pid>/status), where the
/// platform has it.
pub(super) fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// Hands the function's output to its log line by line.
async fn pump(
    log: FunctionLog,
    reader: impl AsyncRead + Unpin,
    stream: Stream,
    tail: Option<Tail>,
) {
    for_each_line(reader, |line| {
        log.line(stream, line);
        if let Some(tail) = &tail {
            let mut t = tail.lock().unwrap_or_else(|e| e.into_inner());
            if t.len() == TAIL_LINES {
                t.pop_front();
            }
            t.push_back(line.to_string());
        }
    })
    .await;
}

fn mark_dead(inner: &Inner, generation: u64) {
    {
        let mut st = inner.lock();
        if st.generation == generation {
            st.alive = false;
        }
    }
    inner.bump();
}

enum Ended {
    /// Killed on purpose (timeout or init error); restart right away.
    Killed,
    Exited(String),
    Shutdown,
}

/// Runs until shutdown: waits for the current process, settles its invocation, restarts.
pub(super) async fn supervise(
    inner: Arc<Inner>,
    first: Generation,
    mut cmds: mpsc::UnboundedReceiver<Cmd>,
    stopped: watch::Sender<bool>,
) {
    let name = inner.spec.name.clone();
    let mut backoff = MIN_BACKOFF;
    let mut next = Some(first);
    loop {
        let mut gen = match next.take() {
            Some(g) => g,
            None => match spawn_generation(&inner).await {
                Ok(g) => g,
                Err(e) => {
                    tracing::error!(function = %name, "cannot start the function: {e:#}");
                    fail_queued(&inner, &format!("{e:#}"), true);
                    if sleep_or_shutdown(&mut cmds, backoff).await {
                        break;
                    }
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                    continue;
                }
            },
        };

        let ended = loop {
            tokio::select! {
                status = gen.child.wait() => {
                    break Ended::Exited(match status {
                        Ok(s) => s.to_string(),
                        Err(e) => format!("wait failed: {e}"),
                    });
                }
                cmd = cmds.recv() => match cmd {
                    Some(Cmd::Kill(g)) if g == gen.generation => {
                        let _ = gen.child.kill().await;
                        break Ended::Killed;
                    }
                    Some(Cmd::Kill(_)) => continue,
                    Some(Cmd::Shutdown) | None => {
                        let _ = gen.child.kill().await;
                        break Ended::Shutdown;
                    }
                },
            }
        };

        let lived = gen.started.elapsed();
        let served = settle(&inner, gen, &ended).await;
        match ended {
            Ended::Shutdown => break,
            Ended::Killed => backoff = MIN_BACKOFF,
            Ended::Exited(status) => {
                if served || lived >= HEALTHY_AFTER {
                    tracing::warn!(function = %name, "function process exited ({status}); restarting");
                    backoff = MIN_BACKOFF;
                } else {
                    // Dying right after start: probably an init failure, do not spin.
                    tracing::warn!(
                        function = %name,
                        "function process exited during init ({status}); restarting in {}ms",
                        backoff.as_millis()
                    );
                    if sleep_or_shutdown(&mut cmds, backoff).await {
                        break;
                    }
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                }
            }
        }
        if inner.lock().shut_down {
            break;
        }
    }
    {
        let mut st = inner.lock();
        st.shut_down = true;
        st.alive = false;
        if let Some(q) = st.queued.take() {
            let _ = q
                .outcome
                .send(Err(InvokeError::Init("function is shut down".into())));
        }
        if let Some(f) = st.in_flight.take() {
            let _ = f
                .outcome
                .send(Err(InvokeError::Crashed("function is shut down".into())));
        }
    }
    inner.bump();
    let _ = stopped.send(true);
}

/// Returns true when shutdown was requested during the sleep.
async fn sleep_or_shutdown(cmds: &mut mpsc::UnboundedReceiver<Cmd>, d: Duration) -> bool {
    let until = tokio::time::Instant::now() + d;
    loop {
        tokio::select! {
            _ = tokio::time::sleep_until(until) => return false,
            cmd = cmds.recv() => match cmd {
                Some(Cmd::Kill(_)) => continue,
                Some(Cmd::Shutdown) | None => return true,
            },
        }
    }
}

/// Cleans up after a process ended and answers the invocation it leaves behind.
/// Returns whether the process had served any invocation.
async fn settle(inner: &Inner, gen: Generation, ended: &Ended) -> bool {
    // Let the output pumps drain so the crash message carries the panic text; a
    // grandchild holding the pipes open must not block the restart.
    for pump in gen.pumps {
        let _ = tokio::time::timeout(Duration::from_millis(500), pump).await;
    }
    let _ = gen.server_stop.send(());
    let tail: Vec<String> = gen
        .stderr_tail
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .iter()
        .cloned()
        .collect();

    let (served, init_error, in_flight) = {
        let mut st = inner.lock();
        let current = st.generation == gen.generation;
        if current {
            st.alive = false;
        }
        let in_flight = match st.in_flight.take() {
            Some(f) if f.generation == gen.generation => Some(f),
            other => {
                st.in_flight = other;
                None
            }
        };
        let init_error = if current { st.init_error.take() } else { None };
        (st.served, init_error, in_flight)
    };
    inner.bump();

    let message = match (&init_error, ended) {
        (Some(e), _) => e.clone(),
        (None, Ended::Exited(status)) => {
            let mut m = format!("Runtime exited with error: {status}");
            if !tail.is_empty() {
                m.push('\n');
                m.push_str(&tail.join("\n"));
            }
            m
        }
        (None, Ended::Killed) => "Runtime was reset".to_string(),
        (None, Ended::Shutdown) => "function is shut down".to_string(),
    };
    if let Some(f) = in_flight {
        let err = match ended {
            Ended::Shutdown => InvokeError::Crashed("function is shut down".into()),
            _ => InvokeError::Crashed(message),
        };
        let _ = f.outcome.send(Err(err));
    } else if !matches!(ended, Ended::Shutdown) {
        fail_queued(inner, &message, init_error.is_some() || !served);
    }
    served
}

/// Counts a process that died before taking the queued invocation; fails the
/// invocation with Init once that has happened too often.
fn fail_queued(inner: &Inner, message: &str, counts: bool) {
    if !counts {
        return;
    }
    let failed = {
        let mut st = inner.lock();
        match st.queued.as_mut() {
            Some(q) => {
                q.failed_starts += 1;
                if q.failed_starts >= MAX_FAILED_STARTS {
                    st.queued.take()
                } else {
                    None
                }
            }
            None => None,
        }
    };
    if let Some(q) = failed {
        let _ = q.outcome.send(Err(InvokeError::Init(message.to_string())));
    }
}
