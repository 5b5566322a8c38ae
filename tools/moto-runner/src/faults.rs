//! The client of the fault switch that `moto_faults.py` adds to the local moto: rules that
//! make DynamoDB, DynamoDB Streams, SNS or SQS fail or time out on demand, and a guard that
//! clears its rule when dropped, so a failing test does not leave an outage behind.

use anyhow::{bail, Context as _, Result};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// The control path on the moto port.
const FAULTS_PATH: &str = "/_crabcart/faults";

/// The AWS API a rule hits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FaultService {
    /// DynamoDB's data and control plane (not its streams).
    Dynamodb,
    /// DynamoDB Streams, which the local event source mappings read.
    Dynamodbstreams,
    /// SNS.
    Sns,
    /// SQS, which the local event source mappings poll.
    Sqs,
}

/// What a faulted request gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FaultMode {
    /// The service's own "unavailable" error, at once.
    Error,
    /// Nothing for a while (longer than the client waits), then that error; the request is
    /// never applied.
    Timeout,
}

/// One rule of the switch, built from [`FaultRule::error`] or [`FaultRule::timeout`].
#[derive(Debug, Clone, Serialize)]
pub struct FaultRule {
    service: FaultService,
    mode: FaultMode,
    #[serde(skip_serializing_if = "Option::is_none")]
    operations: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    resource: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    delay_ms: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    after: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    count: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    duration_ms: Option<u64>,
}

impl FaultRule {
    /// Every request to `service` is answered 503 `ServiceUnavailable`.
    pub fn error(service: FaultService) -> Self {
        Self::new(service, FaultMode::Error)
    }

    /// Every request to `service` is held for `hold`, then answered 503.
    pub fn timeout(service: FaultService, hold: Duration) -> Self {
        Self {
            delay_ms: Some(millis(hold)),
            ..Self::new(service, FaultMode::Timeout)
        }
    }

    fn new(service: FaultService, mode: FaultMode) -> Self {
        Self {
            service,
            mode,
            operations: None,
            resource: None,
            status: None,
            delay_ms: None,
            after: None,
            count: None,
            duration_ms: None,
        }
    }

    /// Only these operations (`PutItem`, `PublishBatch`, `ReceiveMessage`, ...).
    pub fn operations(mut self, operations: &[&str]) -> Self {
        self.operations = Some(operations.iter().map(|o| (*o).to_owned()).collect());
        self
    }

    /// Only requests whose body names `resource` (a table name, topic ARN or queue URL).
    pub fn resource(mut self, resource: impl Into<String>) -> Self {
        self.resource = Some(resource.into());
        self
    }

    /// Answer 500 (`InternalServerError` / `InternalError`) instead of 503.
    pub fn internal_error(mut self) -> Self {
        self.status = Some(500);
        self
    }

    /// Let the first `n` matching requests through before faulting.
    pub fn after(mut self, n: u32) -> Self {
        self.after = Some(n);
        self
    }

    /// Fault `n` requests, then stop.
    pub fn count(mut self, n: u32) -> Self {
        self.count = Some(n);
        self
    }

    /// Stop faulting `d` after the rule is set.
    pub fn lasting(mut self, d: Duration) -> Self {
        self.duration_ms = Some(millis(d));
        self
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// What a rule has done so far.
#[derive(Debug, Clone, Deserialize)]
pub struct FaultReport {
    /// The rule's id.
    pub id: String,
    /// Requests the rule applied to, the ones let through by `after` included.
    pub matched: u64,
    /// Requests it faulted.
    pub hits: u64,
    /// False once its count is spent or its duration over.
    pub active: bool,
}

#[derive(Deserialize)]
struct Snapshot {
    rules: Vec<FaultReport>,
    injected: u64,
}

#[derive(Deserialize)]
struct Cleared {
    cleared: Vec<FaultReport>,
}

/// The fault switch of one moto server.
#[derive(Debug, Clone)]
pub struct FaultSwitch {
    url: String,
    http: reqwest::Client,
}

impl FaultSwitch {
    /// The switch of the moto at `moto_url` (`http://127.0.0.1:<port>`).
    pub fn new(moto_url: &str) -> Self {
        Self {
            url: format!("{}{FAULTS_PATH}", moto_url.trim_end_matches('/')),
            http: reqwest::Client::new(),
        }
    }

    /// Sets `rule`; it holds until the returned guard is cleared or dropped.
    pub async fn inject(&self, rule: &FaultRule) -> Result<Fault> {
        let resp = self
            .http
            .post(&self.url)
            .json(rule)
            .send()
            .await
            .context("POST the fault rule")?;
        if resp.status() != reqwest::StatusCode::CREATED {
            bail!(
                "the fault switch refused {rule:?}: {} {}",
                resp.status(),
                resp.text().await.unwrap_or_default()
            );
        }
        let report: FaultReport = resp.json().await.context("the rule the switch set")?;
        Ok(Fault {
            switch: self.clone(),
            id: report.id,
            cleared: false,
        })
    }

    /// Every rule currently set, and the number of faults injected since moto started.
    pub async fn report(&self) -> Result<(Vec<FaultReport>, u64)> {
        let snapshot: Snapshot = self
            .http
            .get(&self.url)
            .send()
            .await
            .context("GET the fault rules")?
            .error_for_status()?
            .json()
            .await?;
        Ok((snapshot.rules, snapshot.injected))
    }

    /// Clears every rule (a test starting from a known state) and returns them.
    pub async fn clear_all(&self) -> Result<Vec<FaultReport>> {
        delete(&self.http, &self.url).await
    }
}

async fn delete(http: &reqwest::Client, url: &str) -> Result<Vec<FaultReport>> {
    let cleared: Cleared = http
        .delete(url)
        .send()
        .await
        .context("DELETE the fault rule")?
        .error_for_status()?
        .json()
        .await?;
    Ok(cleared.cleared)
}

/// A rule that is set; dropping it clears it.
#[derive(Debug)]
pub struct Fault {
    switch: FaultSwitch,
    id: String,
    cleared: bool,
}

impl Fault {
    /// What the rule has done so far.
    pub async fn report(&self) -> Result<FaultReport> {
        let (rules, _) = self.switch.report().await?;
        rules
            .into_iter()
            .find(|r| r.id == self.id)
            .with_context(|| format!("fault rule {} is no longer set", self.id))
    }

    /// Clears the rule (the outage ends) and returns what it did.
    pub async fn clear(mut self) -> Result<FaultReport> {
        self.cleared = true;
        let url = format!("{}/{}", self.switch.url, self.id);
        delete(&self.switch.http, &url)
            .await?
            .pop()
            .with_context(|| format!("fault rule {} was already cleared", self.id))
    }
}

impl Drop for Fault {
    fn drop(&mut self) {
        if self.cleared {
            return;
        }
        // Drop cannot await, and the test's runtime may be unwinding: clear from a thread
        // with a runtime (and a client, whose connections belong to one runtime) of its
        // own, and wait for it so the outage ends before the next test starts.
        let url = format!("{}/{}", self.switch.url, self.id);
        let cleared = std::thread::spawn(move || {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(anyhow::Error::from)
                .and_then(|rt| rt.block_on(delete(&reqwest::Client::new(), &url)))
        })
        .join();
        if !matches!(cleared, Ok(Ok(_))) {
            eprintln!("the fault rule {} could not be cleared", self.id);
        }
    }
}
