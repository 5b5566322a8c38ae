//! Lambda's scaling, locally: a function answers concurrent invocations with more
//! execution environments, each its own process, started when every existing one is busy
//! and kept warm for the next burst, up to a limit.

use super::{FunctionHandle, FunctionSpec, InvokeError};
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::sync::Semaphore;

/// One function's execution environments; cheap to clone.
#[derive(Clone)]
pub struct FunctionPool {
    inner: Arc<Inner>,
}

struct Inner {
    spec: FunctionSpec,
    /// The environment started with the pool, whose name and ARN the pool answers with.
    first: FunctionHandle,
    /// Environments not handling an invocation now, most recently used last.
    idle: Mutex<Vec<FunctionHandle>>,
    /// Every environment started, to shut them all down.
    all: Mutex<Vec<FunctionHandle>>,
    /// One permit per environment the function may have at once.
    slots: Semaphore,
}

impl Inner {
    fn idle(&self) -> MutexGuard<'_, Vec<FunctionHandle>> {
        self.idle.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn all(&self) -> MutexGuard<'_, Vec<FunctionHandle>> {
        self.all.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl FunctionPool {
    /// Starts the first environment (so a binary that cannot start is reported now); the
    /// others start when invocations overlap, up to `max_environments` (at least 1).
    pub async fn start(spec: FunctionSpec, max_environments: usize) -> anyhow::Result<Self> {
        let first = FunctionHandle::start(spec.clone()).await?;
        Ok(Self {
            inner: Arc::new(Inner {
                spec,
                idle: Mutex::new(vec![first.clone()]),
                all: Mutex::new(vec![first.clone()]),
                first,
                slots: Semaphore::new(max_environments.max(1)),
            }),
        })
    }

    /// The template logical id.
    pub fn name(&self) -> &str {
        self.inner.first.name()
    }

    /// The function ARN, the same for every environment.
    pub fn arn(&self) -> &str {
        self.inner.first.arn()
    }

    /// Environments started so far.
    pub fn environments(&self) -> usize {
        self.inner.all().len()
    }

    /// One invocation in an idle environment, a new one when none is idle and the limit
    /// allows, or else the first to become idle: as Lambda queues nothing but throttles,
    /// the caller here simply waits, as the event sources' retries would.
    pub async fn invoke(
        &self,
        payload: serde_json::Value,
    ) -> Result<serde_json::Value, InvokeError> {
        let inner = &self.inner;
        let _slot = inner
            .slots
            .acquire()
            .await
            .map_err(|_| InvokeError::Init("function is shut down".into()))?;
        let idle = inner.idle().pop();
        let lease = Lease {
            pool: inner,
            environment: match idle {
                Some(environment) => environment,
                None => {
                    let started = FunctionHandle::start(inner.spec.clone())
                        .await
                        .map_err(|e| InvokeError::Init(format!("{e:#}")))?;
                    inner.all().push(started.clone());
                    tracing::debug!(
                        function = %inner.spec.name,
                        environments = inner.all().len(),
                        "another execution environment for overlapping invocations"
                    );
                    started
                }
            },
        };
        lease.environment.invoke(payload).await
    }

    /// Stops every environment.
    pub async fn shutdown(&self) {
        self.inner.slots.close();
        let all: Vec<FunctionHandle> = self.inner.all().clone();
        for environment in all {
            environment.shutdown().await;
        }
    }
}

/// An environment taken for one invocation; it is idle again when the invocation ends,
/// even when its caller stopped waiting (the environment still enforces the timeout).
struct Lease<'a> {
    pool: &'a Inner,
    environment: FunctionHandle,
}

impl Drop for Lease<'_> {
    fn drop(&mut self) {
        self.pool.idle().push(self.environment.clone());
    }
}
