//! A template function as the API front and the pollers see it: its own processes under
//! the devstack's Runtime API, or `cargo lambda watch` (`--watch`). Both take the same
//! invocations and answer the same way.

use crate::lambda::{FunctionPool, InvokeError};
use crate::watched::WatchedFunction;
use serde_json::Value;

/// One running function; cheap to clone.
#[derive(Clone)]
pub enum RunningFunction {
    Local(FunctionPool),
    Watched(WatchedFunction),
}

impl RunningFunction {
    /// The template logical id.
    pub fn name(&self) -> &str {
        match self {
            RunningFunction::Local(f) => f.name(),
            RunningFunction::Watched(f) => f.name(),
        }
    }

    /// Its ARN, as event records name it.
    pub fn arn(&self) -> &str {
        match self {
            RunningFunction::Local(f) => f.arn(),
            RunningFunction::Watched(f) => f.arn(),
        }
    }

    /// One invocation, answered with the function's response or why there is none.
    pub async fn invoke(&self, payload: Value) -> Result<Value, InvokeError> {
        match self {
            RunningFunction::Local(f) => f.invoke(payload).await,
            RunningFunction::Watched(f) => f.invoke(payload).await,
        }
    }

    /// Resolves once the function can take an invocation. Only a watched function whose
    /// code does not compile cannot: its queues and streams wait for the fix instead of
    /// failing their messages into the dead-letter queues.
    pub async fn until_runnable(&self) {
        if let RunningFunction::Watched(f) = self {
            f.until_built().await;
        }
    }

    /// Stops the function.
    pub async fn shutdown(&self) {
        match self {
            RunningFunction::Local(f) => f.shutdown().await,
            RunningFunction::Watched(f) => f.shutdown().await,
        }
    }
}
