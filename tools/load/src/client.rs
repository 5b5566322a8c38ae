//! The shoppers' HTTP client: one call, retried where repeating it is safe.

use anyhow::{bail, Result};
use reqwest::Method;
use serde_json::Value;
use std::time::Duration;

/// Attempts of a call the local cloud answered with a retryable status or not at all.
const ATTEMPTS: u32 = 8;

/// An answer of the API: its status and its body as JSON (`Null` when empty).
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub body: Value,
}

/// One request: where, as whom, and with what.
#[derive(Default)]
pub struct Request<'a> {
    pub token: Option<&'a str>,
    pub idempotency_key: Option<&'a str>,
    pub body: Option<&'a Value>,
}

/// The local API Gateway.
#[derive(Clone)]
pub struct Api {
    http: reqwest::Client,
    base: String,
}

impl Api {
    pub fn new(base: &str) -> Api {
        Api {
            http: reqwest::Client::new(),
            base: base.trim_end_matches('/').to_owned(),
        }
    }

    /// Sends the request, again on a 429, a 502-504 or no answer, with a growing pause.
    /// Only for requests a repeat cannot duplicate: reads, sign-ins, and checkouts and
    /// cancellations (an Idempotency-Key, a state machine).
    pub async fn call(&self, method: Method, path: &str, req: Request<'_>) -> Result<Answer> {
        let mut pause = Duration::from_millis(100);
        let mut last = String::new();
        for _ in 0..ATTEMPTS {
            match self.once(method.clone(), path, &req).await {
                Ok(a) if !matches!(a.status, 429 | 502..=504) => return Ok(a),
                Ok(a) => last = format!("{} {}", a.status, a.body),
                Err(e) => last = e.to_string(),
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_secs(2));
        }
        bail!("{method} {path}: no answer after {ATTEMPTS} attempts; last: {last}")
    }

    async fn once(&self, method: Method, path: &str, req: &Request<'_>) -> Result<Answer> {
        let mut builder = self.http.request(method, format!("{}{path}", self.base));
        if let Some(token) = req.token {
            builder = builder.bearer_auth(token);
        }
        if let Some(key) = req.idempotency_key {
            builder = builder.header("Idempotency-Key", key);
        }
        if let Some(body) = req.body {
            builder = builder.json(body);
        }
        let response = builder.send().await?;
        let status = response.status().as_u16();
        let bytes = response.bytes().await?;
        Ok(Answer {
            status,
            body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        })
    }
}
