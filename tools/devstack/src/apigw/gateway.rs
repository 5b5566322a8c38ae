//! API Gateway's own responses (GatewayResponses of the template), rendered with the
//! `$context` variables API Gateway substitutes.

use anyhow::{anyhow, bail, Result};
use serde_json::Value;
use std::collections::BTreeMap;

/// The gateway responses the local front can produce.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Authorizer refused (no token, bad token).
    Unauthorized,
    /// No such resource or method: API Gateway's famous 403 "Missing Authentication Token".
    MissingAuthenticationToken,
    /// Body over API Gateway's 10 MB payload limit.
    RequestTooLarge,
    /// The function failed (error, timeout, crash, malformed proxy response). API Gateway
    /// answers 502 "Internal server error" and applies DEFAULT_5XX when the API customizes
    /// it, so the template's 5xx shape is what callers see.
    IntegrationError,
}

impl Kind {
    pub fn response_type(self) -> &'static str {
        match self {
            Kind::Unauthorized => "UNAUTHORIZED",
            Kind::MissingAuthenticationToken => "MISSING_AUTHENTICATION_TOKEN",
            Kind::RequestTooLarge => "REQUEST_TOO_LARGE",
            Kind::IntegrationError => "DEFAULT_5XX",
        }
    }

    fn default_status(self) -> u16 {
        match self {
            Kind::Unauthorized => 401,
            Kind::MissingAuthenticationToken => 403,
            Kind::RequestTooLarge => 413,
            Kind::IntegrationError => 502,
        }
    }

    fn family(self) -> &'static str {
        if self.default_status() >= 500 {
            "DEFAULT_5XX"
        } else {
            "DEFAULT_4XX"
        }
    }

    /// `$context.error.message`, as API Gateway words it.
    pub fn message(self) -> &'static str {
        match self {
            Kind::Unauthorized => "Unauthorized",
            Kind::MissingAuthenticationToken => "Missing Authentication Token",
            Kind::RequestTooLarge => "Request Too Long",
            Kind::IntegrationError => "Internal server error",
        }
    }

    /// The x-amzn-ErrorType header API Gateway adds.
    pub fn error_type(self) -> &'static str {
        match self {
            Kind::Unauthorized => "UnauthorizedException",
            Kind::MissingAuthenticationToken => "MissingAuthenticationTokenException",
            Kind::RequestTooLarge => "RequestTooLargeException",
            Kind::IntegrationError => "InternalServerErrorException",
        }
    }
}

/// One entry of GatewayResponses.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GatewayResponse {
    pub status: Option<u16>,
    /// content type -> template.
    pub templates: BTreeMap<String, String>,
    pub headers: Vec<(String, String)>,
}

pub fn parse_responses(v: Option<&Value>) -> Result<BTreeMap<String, GatewayResponse>> {
    let mut out = BTreeMap::new();
    let Some(v) = v else { return Ok(out) };
    let Value::Object(m) = v else {
        bail!("GatewayResponses is not a mapping");
    };
    for (name, r) in m {
        let status = match r.get("StatusCode") {
            None | Some(Value::Null) => None,
            Some(s) => Some(
                stack_model::template::intrinsics::scalar_string(s)
                    .and_then(|s| s.parse::<u16>().ok())
                    .ok_or_else(|| {
                        anyhow!("GatewayResponses.{name}.StatusCode {s} is not a status")
                    })?,
            ),
        };
        let mut templates = BTreeMap::new();
        if let Some(Value::Object(t)) = r.get("ResponseTemplates") {
            for (ct, body) in t {
                let body = body.as_str().ok_or_else(|| {
                    anyhow!("GatewayResponses.{name}.ResponseTemplates.{ct} is not a string")
                })?;
                templates.insert(ct.clone(), body.to_owned());
            }
        }
        let mut headers = Vec::new();
        if let Some(Value::Object(h)) = r.get("ResponseParameters").and_then(|p| p.get("Headers")) {
            // SAM's shorthand: Headers: {Name: "'value'"}; only static values exist locally.
            for (k, v) in h {
                if let Some(s) = v
                    .as_str()
                    .and_then(|s| s.strip_prefix('\'')?.strip_suffix('\''))
                {
                    headers.push((k.clone(), s.to_owned()));
                }
            }
        }
        out.insert(
            name.clone(),
            GatewayResponse {
                status,
                templates,
                headers,
            },
        );
    }
    Ok(out)
}

/// The `$context` values of one request.
#[derive(Debug, Clone, Default)]
pub struct Vars {
    pub request_id: String,
    pub request_time: String,
    pub request_time_epoch: String,
    pub http_method: String,
    pub resource_path: String,
    pub path: String,
    pub stage: String,
    pub source_ip: String,
    pub api_id: String,
    pub domain_name: String,
}

/// Status, headers and body of a gateway response.
pub fn render(
    responses: &BTreeMap<String, GatewayResponse>,
    kind: Kind,
    vars: &Vars,
) -> (u16, Vec<(String, String)>, String) {
    let specific = responses.get(kind.response_type());
    let family = responses.get(kind.family());
    let status = specific
        .and_then(|r| r.status)
        .or_else(|| {
            family
                .and_then(|r| r.status)
                .filter(|_| kind == Kind::IntegrationError)
        })
        .unwrap_or(kind.default_status());
    let template_source = [specific, family]
        .into_iter()
        .flatten()
        .find(|r| !r.templates.is_empty());
    let (content_type, template) = template_source
        .and_then(|r| {
            r.templates
                .get_key_value("application/json")
                .or_else(|| r.templates.iter().next())
        })
        .map_or(
            (
                "application/json",
                "{\"message\":$context.error.messageString}",
            ),
            |(k, v)| (k.as_str(), v.as_str()),
        );
    let mut headers = vec![("Content-Type".to_owned(), content_type.to_owned())];
    for r in [family, specific].into_iter().flatten() {
        for (k, v) in &r.headers {
            headers.retain(|(hk, _)| !hk.eq_ignore_ascii_case(k));
            headers.push((k.clone(), v.clone()));
        }
    }
    headers.push(("x-amzn-ErrorType".to_owned(), kind.error_type().to_owned()));
    (status, headers, substitute(template, kind, vars))
}

fn substitute(template: &str, kind: Kind, vars: &Vars) -> String {
    let message_string = Value::String(kind.message().to_owned()).to_string();
    // Longest names first so $context.error.messageString is not read as $context.error.message.
    let mut table: Vec<(&str, &str)> = vec![
        ("error.messageString", &message_string),
        ("error.message", kind.message()),
        ("error.responseType", kind.response_type()),
        ("requestId", &vars.request_id),
        ("extendedRequestId", &vars.request_id),
        ("requestTime", &vars.request_time),
        ("requestTimeEpoch", &vars.request_time_epoch),
        ("httpMethod", &vars.http_method),
        ("resourcePath", &vars.resource_path),
        ("path", &vars.path),
        ("stage", &vars.stage),
        ("identity.sourceIp", &vars.source_ip),
        ("apiId", &vars.api_id),
        ("accountId", stack_model::template::intrinsics::ACCOUNT_ID),
        ("domainName", &vars.domain_name),
    ];
    table.sort_by_key(|(k, _)| std::cmp::Reverse(k.len()));
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(pos) = rest.find("$context.") {
        out.push_str(&rest[..pos]);
        let after = &rest[pos + "$context.".len()..];
        match table.iter().find(|(k, _)| after.starts_with(k)) {
            Some((k, v)) => {
                out.push_str(v);
                rest = &after[k.len()..];
            }
            None => {
                out.push_str("$context.");
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn vars() -> Vars {
        Vars {
            request_id: "rid".into(),
            request_time: "22/Nov/2026:10:00:00 +0000".into(),
            ..Vars::default()
        }
    }

    #[test]
    fn template_responses_render() {
        let r = parse_responses(Some(&json!({
            "MISSING_AUTHENTICATION_TOKEN": {"StatusCode": 404, "ResponseTemplates": {"application/json":
                "{\"error\":{\"code\":\"NOT_FOUND\",\"request_id\":\"$context.requestId\",\"timestamp\":\"$context.requestTime\"}}"}},
            "DEFAULT_4XX": {"ResponseTemplates": {"application/json": "{\"message\":$context.error.messageString}"},
                            "ResponseParameters": {"Headers": {"Access-Control-Allow-Origin": "'*'"}}},
            "DEFAULT_5XX": {"ResponseTemplates": {"application/json": "{\"code\":\"INTERNAL\"}"}}
        })))
        .unwrap();
        let (s, h, b) = render(&r, Kind::MissingAuthenticationToken, &vars());
        assert_eq!(s, 404);
        let v: Value = serde_json::from_str(&b).unwrap();
        assert_eq!(v["error"]["request_id"], "rid");
        assert_eq!(v["error"]["timestamp"], "22/Nov/2026:10:00:00 +0000");
        assert!(h.contains(&("Access-Control-Allow-Origin".into(), "*".into())));

        // Not configured: DEFAULT_4XX's template with the type's own status.
        let (s, _, b) = render(&r, Kind::Unauthorized, &vars());
        assert_eq!((s, b.as_str()), (401, "{\"message\":\"Unauthorized\"}"));
        let (s, h, b) = render(&r, Kind::IntegrationError, &vars());
        assert_eq!((s, b.as_str()), (502, "{\"code\":\"INTERNAL\"}"));
        assert!(h.contains(&(
            "x-amzn-ErrorType".into(),
            "InternalServerErrorException".into()
        )));

        let (s, _, b) = render(&BTreeMap::new(), Kind::IntegrationError, &vars());
        assert_eq!(
            (s, b.as_str()),
            (502, "{\"message\":\"Internal server error\"}")
        );
        let (s, _, b) = render(&BTreeMap::new(), Kind::MissingAuthenticationToken, &vars());
        assert_eq!(
            (s, b.as_str()),
            (403, "{\"message\":\"Missing Authentication Token\"}")
        );
    }

    #[test]
    fn unknown_context_variables_are_left_alone() {
        assert_eq!(
            substitute(
                "$context.nope $context.requestId",
                Kind::Unauthorized,
                &vars()
            ),
            "$context.nope rid"
        );
    }
}
