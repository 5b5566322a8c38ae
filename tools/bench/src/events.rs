//! The events the bench hands to functions, built the way their sources build them: API
//! Gateway proxy events by the devstack's own event builder (with the claims its Cognito
//! authorizer passes), SQS batches and DynamoDB stream batches as Lambda's pollers do.

use anyhow::{Context as _, Result};
use base64::Engine as _;
use devstack::apigw::auth::render_claims;
use devstack::apigw::event::{proxy_event, Request, Target};
use serde_json::{json, Map, Value};
use shared::events::Event;
use shared::Envelope;
use std::collections::BTreeMap;

/// Who calls an API route: the claims of their ID token, or nobody.
#[derive(Debug, Clone)]
pub struct Caller {
    /// Cognito `sub`.
    pub user_id: String,
    claims: Map<String, Value>,
}

impl Caller {
    /// The caller an ID token names (its signature was checked by whoever issued it here:
    /// moto's Cognito, through the users service).
    pub fn from_id_token(token: &str) -> Result<Caller> {
        let payload = token.split('.').nth(1).context("a JWT has three parts")?;
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload.trim_end_matches('='))
            .context("the JWT payload is base64url")?;
        let claims: Map<String, Value> = serde_json::from_slice(&bytes)?;
        let user_id = claims
            .get("sub")
            .and_then(Value::as_str)
            .context("the token has no sub")?
            .to_owned();
        Ok(Caller {
            user_id,
            claims: render_claims(&claims),
        })
    }
}

/// One API request: a route of template.yaml and what fills it.
#[derive(Debug, Clone)]
pub struct ApiCall<'a> {
    pub method: &'a str,
    /// The template's resource path, e.g. `/v1/orders/{id}`.
    pub resource: &'a str,
    pub path_params: &'a [(&'a str, &'a str)],
    pub query: Option<String>,
    pub body: Option<Value>,
    pub headers: Vec<(String, String)>,
    pub caller: Option<&'a Caller>,
}

impl<'a> ApiCall<'a> {
    pub fn new(method: &'a str, resource: &'a str) -> ApiCall<'a> {
        ApiCall {
            method,
            resource,
            path_params: &[],
            query: None,
            body: None,
            headers: Vec::new(),
            caller: None,
        }
    }

    pub fn params(mut self, params: &'a [(&'a str, &'a str)]) -> Self {
        self.path_params = params;
        self
    }

    pub fn query(mut self, query: String) -> Self {
        self.query = Some(query);
        self
    }

    pub fn body(mut self, body: Value) -> Self {
        self.body = Some(body);
        self
    }

    pub fn header(mut self, name: &str, value: String) -> Self {
        self.headers.push((name.to_owned(), value));
        self
    }

    pub fn by(mut self, caller: &'a Caller) -> Self {
        self.caller = Some(caller);
        self
    }

    /// The proxy event API Gateway would send for this request.
    pub fn event(&self) -> Value {
        let mut path = self.resource.to_owned();
        for (name, value) in self.path_params {
            path = path.replace(&format!("{{{name}}}"), value);
        }
        let mut headers = vec![
            ("Host".to_owned(), "api.crabcart.local".to_owned()),
            ("Accept".to_owned(), "application/json".to_owned()),
        ];
        if self.body.is_some() {
            headers.push(("Content-Type".to_owned(), "application/json".to_owned()));
        }
        headers.extend(self.headers.iter().cloned());
        let request = Request {
            method: self.method.to_owned(),
            path,
            query: self.query.clone(),
            headers,
            body: self
                .body
                .as_ref()
                .map(|b| b.to_string().into_bytes())
                .unwrap_or_default(),
            source_ip: "127.0.0.1".to_owned(),
            protocol: "HTTP/1.1".to_owned(),
        };
        let params: BTreeMap<String, String> = self
            .path_params
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        let target = Target {
            api_id: "bench",
            stage: "v1",
            resource_id: "bench",
            resource_path: self.resource,
            path_params: &params,
            stage_variables: None,
            binary_media_types: &[],
        };
        let request_id = uuid::Uuid::now_v7().to_string();
        proxy_event(
            &request,
            &target,
            self.caller.map(|c| &c.claims),
            &request_id,
            chrono::Utc::now(),
        )
    }
}

/// The JSON body of an API answer.
pub fn answer_body(output: &Value) -> Result<Value> {
    let body = output["body"]
        .as_str()
        .context("an API answer has a body")?;
    Ok(serde_json::from_str(body)?)
}

/// An SQS batch of one message carrying `data` in a fresh envelope, as the poller of a
/// raw-delivery subscription hands it over.
pub fn sqs_batch_of<T: Event + serde::Serialize>(
    source: &str,
    correlation: &str,
    data: T,
) -> Value {
    let envelope = Envelope::new(source, correlation, data);
    sqs_batch_of_envelope(&serde_json::to_value(&envelope).unwrap_or(Value::Null))
}

/// An SQS batch of one message whose body is `envelope`.
pub fn sqs_batch_of_envelope(envelope: &Value) -> Value {
    let batch = stack_model::fixtures::sqs_batch(&[envelope]);
    serde_json::to_value(batch.payload).unwrap_or(Value::Null)
}

/// A DynamoDB stream batch of one outbox insert carrying `data`, as the stream poller
/// hands it to an outbox publisher.
pub fn outbox_insert_of<T: Event + serde::Serialize>(
    source: &str,
    correlation: &str,
    data: T,
) -> Value {
    let envelope = Envelope::new(source, correlation, data);
    let key = format!("OUTBOX#{}", envelope.id);
    let body = serde_json::to_string(&envelope).unwrap_or_default();
    json!({"Records": [{
        "eventID": uuid::Uuid::now_v7().simple().to_string(),
        "eventName": "INSERT",
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": "us-east-1",
        "dynamodb": {
            "ApproximateCreationDateTime": chrono::Utc::now().timestamp(),
            "Keys": {"PK": {"S": key}, "SK": {"S": "OUTBOX"}},
            "NewImage": {
                "PK": {"S": key},
                "SK": {"S": "OUTBOX"},
                "event_type": {"S": T::TYPE},
                "envelope": {"S": body},
            },
            "SequenceNumber": format!("{}", chrono::Utc::now().timestamp_micros()),
            "SizeBytes": 512,
            "StreamViewType": "NEW_IMAGE"
        },
        "eventSourceARN": "arn:aws:dynamodb:us-east-1:123456789012:table/bench/stream/2026-01-01T00:00:00.000"
    }]})
}
