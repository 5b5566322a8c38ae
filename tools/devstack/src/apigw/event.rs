//! The API Gateway v1 (REST) Lambda proxy integration: the event a function receives and
//! the response it returns.

use base64::Engine as _;
use chrono::{DateTime, Utc};
use serde_json::{json, Map, Value};
use stack_model::template::intrinsics::ACCOUNT_ID;
use std::collections::BTreeMap;

/// The parts of an HTTP request that reach the event.
#[derive(Debug, Clone, Default)]
pub struct Request {
    pub method: String,
    /// Raw path, without the query string.
    pub path: String,
    pub query: Option<String>,
    /// In arrival order; names as received.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub source_ip: String,
    pub protocol: String,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .rev()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Which resource of which API the request hit.
#[derive(Debug, Clone)]
pub struct Target<'a> {
    pub api_id: &'a str,
    pub stage: &'a str,
    pub resource_id: &'a str,
    /// The template path, e.g. /v1/users/{id}.
    pub resource_path: &'a str,
    pub path_params: &'a BTreeMap<String, String>,
    pub stage_variables: Option<&'a BTreeMap<String, String>>,
    pub binary_media_types: &'a [String],
}

pub fn request_time(now: DateTime<Utc>) -> String {
    now.format("%d/%b/%Y:%H:%M:%S +0000").to_string()
}

/// Percent-decoding as API Gateway applies it to query strings ('+' stays '+').
pub fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
            if let Some(b) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn media_type_matches(pattern: &str, content_type: &str) -> bool {
    let ct = content_type.split(';').next().unwrap_or("").trim();
    // SAM writes "*/*" as "*~1*" (JSON pointer escaping); API Gateway wants "*/*".
    let pattern = pattern.replace("~1", "/");
    match pattern.split_once('/') {
        Some(("*", "*")) => true,
        Some((t, "*")) => ct
            .split('/')
            .next()
            .is_some_and(|x| x.eq_ignore_ascii_case(t)),
        _ => ct.eq_ignore_ascii_case(&pattern),
    }
}

/// The event exactly as API Gateway builds it for a Lambda proxy integration.
pub fn proxy_event(
    req: &Request,
    target: &Target<'_>,
    claims: Option<&Map<String, Value>>,
    request_id: &str,
    now: DateTime<Utc>,
) -> Value {
    let mut headers = Map::new();
    let mut multi_headers: Map<String, Value> = Map::new();
    for (k, v) in &req.headers {
        headers.insert(k.clone(), Value::String(v.clone()));
        match multi_headers.get_mut(k) {
            Some(Value::Array(a)) => a.push(Value::String(v.clone())),
            _ => {
                multi_headers.insert(k.clone(), json!([v]));
            }
        }
    }

    let mut query = Map::new();
    let mut multi_query: Map<String, Value> = Map::new();
    if let Some(q) = req.query.as_deref().filter(|q| !q.is_empty()) {
        for pair in q.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let (k, v) = (percent_decode(k), percent_decode(v));
            query.insert(k.clone(), Value::String(v.clone()));
            match multi_query.get_mut(&k) {
                Some(Value::Array(a)) => a.push(Value::String(v)),
                _ => {
                    multi_query.insert(k, json!([v]));
                }
            }
        }
    }
    let or_null = |m: Map<String, Value>| {
        if m.is_empty() {
            Value::Null
        } else {
            Value::Object(m)
        }
    };

    let path_params = if target.path_params.is_empty() {
        Value::Null
    } else {
        Value::Object(
            target
                .path_params
                .iter()
                .map(|(k, v)| (k.clone(), Value::String(v.clone())))
                .collect(),
        )
    };
    let stage_vars = target
        .stage_variables
        .filter(|m| !m.is_empty())
        .map_or(Value::Null, |m| {
            Value::Object(
                m.iter()
                    .map(|(k, v)| (k.clone(), Value::String(v.clone())))
                    .collect(),
            )
        });

    let binary = req.header("content-type").is_some_and(|ct| {
        target
            .binary_media_types
            .iter()
            .any(|p| media_type_matches(p, ct))
    });
    let (body, is_b64) = if req.body.is_empty() {
        (Value::Null, false)
    } else {
        match std::str::from_utf8(&req.body) {
            Ok(s) if !binary => (Value::String(s.to_owned()), false),
            _ => (
                Value::String(base64::engine::general_purpose::STANDARD.encode(&req.body)),
                true,
            ),
        }
    };

    let domain = req.header("host").unwrap_or("localhost").to_owned();
    let mut ctx = json!({
        "accountId": ACCOUNT_ID,
        "apiId": target.api_id,
        "resourceId": target.resource_id,
        "resourcePath": target.resource_path,
        "httpMethod": req.method,
        "path": format!("/{}{}", target.stage, req.path),
        "stage": target.stage,
        "requestId": request_id,
        "extendedRequestId": request_id,
        "requestTime": request_time(now),
        "requestTimeEpoch": now.timestamp_millis(),
        "protocol": req.protocol,
        "domainName": domain,
        "domainPrefix": domain.split('.').next().unwrap_or(""),
        "identity": {
            "cognitoIdentityPoolId": null,
            "accountId": null,
            "cognitoIdentityId": null,
            "caller": null,
            "sourceIp": req.source_ip,
            "principalOrgId": null,
            "accessKey": null,
            "cognitoAuthenticationType": null,
            "cognitoAuthenticationProvider": null,
            "userArn": null,
            "userAgent": req.header("user-agent"),
            "user": null
        },
    });
    if let (Some(c), Value::Object(m)) = (claims, &mut ctx) {
        m.insert("authorizer".into(), json!({ "claims": c }));
    }

    json!({
        "resource": target.resource_path,
        "path": req.path,
        "httpMethod": req.method,
        "headers": or_null(headers),
        "multiValueHeaders": or_null(multi_headers),
        "queryStringParameters": or_null(query),
        "multiValueQueryStringParameters": or_null(multi_query),
        "pathParameters": path_params,
        "stageVariables": stage_vars,
        "requestContext": ctx,
        "body": body,
        "isBase64Encoded": is_b64,
    })
}

/// A proxy integration response, checked as API Gateway checks it.
#[derive(Debug, PartialEq)]
pub struct ProxyResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// Maps the function's result to HTTP; `Err` is API Gateway's "Malformed Lambda proxy
/// response" (a 502 for the caller).
pub fn proxy_response(v: &Value) -> Result<ProxyResponse, String> {
    let obj = v.as_object().ok_or("the response is not a JSON object")?;
    let status = match obj.get("statusCode") {
        Some(Value::Number(n)) => n.as_u64(),
        Some(Value::String(s)) => s.parse().ok(),
        _ => None,
    }
    .and_then(|n| u16::try_from(n).ok())
    .filter(|n| (100..=599).contains(n))
    .ok_or("statusCode is missing or not an HTTP status")?;

    let scalar = |v: &Value| -> Result<String, String> {
        match v {
            Value::String(s) => Ok(s.clone()),
            Value::Number(n) => Ok(n.to_string()),
            Value::Bool(b) => Ok(b.to_string()),
            other => Err(format!("header value {other} is not a string")),
        }
    };
    // Where both maps name a header, multiValueHeaders wins (API Gateway's merge rule).
    let mut headers: Vec<(String, String)> = Vec::new();
    let multi = match obj.get("multiValueHeaders") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(m)) => m.clone(),
        Some(_) => return Err("multiValueHeaders is not an object".into()),
    };
    match obj.get("headers") {
        None | Some(Value::Null) => {}
        Some(Value::Object(m)) => {
            for (k, v) in m {
                if !multi.keys().any(|mk| mk.eq_ignore_ascii_case(k)) {
                    headers.push((k.clone(), scalar(v)?));
                }
            }
        }
        Some(_) => return Err("headers is not an object".into()),
    }
    for (k, v) in &multi {
        let Value::Array(values) = v else {
            return Err(format!("multiValueHeaders.{k} is not a list"));
        };
        for item in values {
            headers.push((k.clone(), scalar(item)?));
        }
    }

    let is_b64 = match obj.get("isBase64Encoded") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err("isBase64Encoded is not a boolean".into()),
    };
    let body = match obj.get("body") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::String(s)) if is_b64 => base64::engine::general_purpose::STANDARD
            .decode(s)
            .map_err(|e| format!("body is not valid base64: {e}"))?,
        Some(Value::String(s)) => s.clone().into_bytes(),
        Some(_) => return Err("body is not a string".into()),
    };
    Ok(ProxyResponse {
        status,
        headers,
        body,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample_request() -> Request {
        Request {
            method: "GET".into(),
            path: "/v1/users/abc".into(),
            query: Some("limit=10&tag=a&tag=b%20c&q=x+y&flag".into()),
            headers: vec![
                ("host".into(), "127.0.0.1:3000".into()),
                ("user-agent".into(), "curl/8".into()),
                ("accept".into(), "text/html".into()),
                ("accept".into(), "application/json".into()),
            ],
            body: vec![],
            source_ip: "127.0.0.1".into(),
            protocol: "HTTP/1.1".into(),
        }
    }

    fn target<'a>(params: &'a BTreeMap<String, String>, bmt: &'a [String]) -> Target<'a> {
        Target {
            api_id: "abc123defg",
            stage: "api",
            resource_id: "r1",
            resource_path: "/v1/users/{id}",
            path_params: params,
            stage_variables: None,
            binary_media_types: bmt,
        }
    }

    #[test]
    fn event_has_api_gateway_shape() {
        let params: BTreeMap<String, String> = [("id".to_owned(), "abc".to_owned())].into();
        let claims: Map<String, Value> = [("sub".to_owned(), json!("u1"))].into_iter().collect();
        let now = DateTime::parse_from_rfc3339("2026-11-22T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let ev = proxy_event(
            &sample_request(),
            &target(&params, &[]),
            Some(&claims),
            "req-1",
            now,
        );

        assert_eq!(ev["resource"], "/v1/users/{id}");
        assert_eq!(ev["path"], "/v1/users/abc");
        assert_eq!(ev["httpMethod"], "GET");
        assert_eq!(ev["headers"]["accept"], "application/json");
        assert_eq!(
            ev["multiValueHeaders"]["accept"],
            json!(["text/html", "application/json"])
        );
        assert_eq!(
            ev["queryStringParameters"],
            json!({"limit": "10", "tag": "b c", "q": "x+y", "flag": ""})
        );
        assert_eq!(
            ev["multiValueQueryStringParameters"]["tag"],
            json!(["a", "b c"])
        );
        assert_eq!(ev["pathParameters"], json!({"id": "abc"}));
        assert_eq!(ev["stageVariables"], Value::Null);
        assert_eq!(ev["body"], Value::Null);
        assert_eq!(ev["isBase64Encoded"], false);
        let rc = &ev["requestContext"];
        assert_eq!(rc["accountId"], "123456789012");
        assert_eq!(rc["apiId"], "abc123defg");
        assert_eq!(rc["resourcePath"], "/v1/users/{id}");
        assert_eq!(rc["path"], "/api/v1/users/abc");
        assert_eq!(rc["stage"], "api");
        assert_eq!(rc["requestId"], "req-1");
        assert_eq!(rc["requestTime"], "22/Nov/2026:10:00:00 +0000");
        assert_eq!(rc["requestTimeEpoch"], 1_795_341_600_000_i64);
        assert_eq!(rc["identity"]["sourceIp"], "127.0.0.1");
        assert_eq!(rc["identity"]["userAgent"], "curl/8");
        assert_eq!(rc["authorizer"]["claims"]["sub"], "u1");
        assert_eq!(rc["domainName"], "127.0.0.1:3000");

        // The shape the functions' runtime (aws_lambda_events / lambda_http) parses.
        let parsed: aws_lambda_events::apigw::ApiGatewayProxyRequest =
            serde_json::from_value(ev).unwrap();
        assert_eq!(
            parsed.path_parameters.get("id").map(String::as_str),
            Some("abc")
        );
        assert_eq!(
            parsed
                .request_context
                .authorizer
                .fields
                .get("claims")
                .and_then(|c| c.get("sub")),
            Some(&json!("u1"))
        );
    }

    #[test]
    fn nulls_when_nothing_and_base64_for_binary() {
        let params = BTreeMap::new();
        let mut req = sample_request();
        req.query = None;
        req.method = "POST".into();
        req.body = vec![0xff, 0x00, 0x01];
        let ev = proxy_event(&req, &target(&params, &[]), None, "r", Utc::now());
        assert_eq!(ev["queryStringParameters"], Value::Null);
        assert_eq!(ev["multiValueQueryStringParameters"], Value::Null);
        assert_eq!(ev["pathParameters"], Value::Null);
        assert!(ev["requestContext"].get("authorizer").is_none());
        assert_eq!(ev["isBase64Encoded"], true);
        assert_eq!(ev["body"], "/wAB");

        req.body = b"{\"a\":1}".to_vec();
        let ev = proxy_event(&req, &target(&params, &[]), None, "r", Utc::now());
        assert_eq!(
            (ev["body"].as_str(), ev["isBase64Encoded"].as_bool()),
            (Some("{\"a\":1}"), Some(false))
        );
        req.headers
            .push(("content-type".into(), "image/png".into()));
        let bmt = vec!["image/*".to_owned()];
        let ev = proxy_event(&req, &target(&params, &bmt), None, "r", Utc::now());
        assert_eq!(ev["isBase64Encoded"], true);
    }

    #[test]
    fn responses_map_and_malformed_ones_are_rejected() {
        let r = proxy_response(&json!({
            "statusCode": 201,
            "headers": {"Location": "/v1/x", "Set-Cookie": "ignored"},
            "multiValueHeaders": {"set-cookie": ["a=1", "b=2"]},
            "body": "{}",
            "isBase64Encoded": false
        }))
        .unwrap();
        assert_eq!(r.status, 201);
        assert_eq!(
            r.headers,
            vec![
                ("Location".into(), "/v1/x".into()),
                ("set-cookie".into(), "a=1".into()),
                ("set-cookie".into(), "b=2".into())
            ]
        );
        assert_eq!(r.body, b"{}");
        let r =
            proxy_response(&json!({"statusCode": 200, "body": "AAE=", "isBase64Encoded": true}))
                .unwrap();
        assert_eq!(r.body, vec![0, 1]);
        assert_eq!(
            proxy_response(&json!({"statusCode": 204})).unwrap().body,
            Vec::<u8>::new()
        );
        assert!(proxy_response(&json!({"body": "x"})).is_err());
        assert!(proxy_response(&json!("hello")).is_err());
        assert!(proxy_response(&json!({"statusCode": 200, "body": {"a": 1}})).is_err());
        assert!(proxy_response(&json!({"statusCode": 99})).is_err());
    }

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode("a%20b%2Fc"), "a b/c");
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%zz"), "%zz");
    }
}
