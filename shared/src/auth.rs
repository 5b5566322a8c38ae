//! The caller, as API Gateway's Cognito authorizer vouched for them. Functions read the
//! caller only from `requestContext.authorizer.claims`, never from the body or path.

use crate::error::ApiError;
use serde_json::{Map, Value};

/// Name of the Cognito group whose members may use the admin routes.
pub const ADMIN_GROUP: &str = "admin";

/// The authenticated caller of a protected route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// Cognito `sub`: the user id everywhere in crabcart.
    pub user_id: String,
    /// Verified email from the token, when present.
    pub email: Option<String>,
    /// Cognito groups the caller belongs to.
    pub groups: Vec<String>,
}

impl Caller {
    /// Reads the caller from the authorizer claims; 401 when there are none (a protected
    /// route reached without the authorizer is a deployment error, never anonymous access).
    pub fn from_claims(claims: Option<&Map<String, Value>>) -> Result<Self, ApiError> {
        let unauthorized = || ApiError::Unauthorized("missing or invalid token".to_owned());
        let claims = claims.ok_or_else(unauthorized)?;
        let user_id = claim_string(claims.get("sub"))
            .filter(|s| !s.is_empty())
            .ok_or_else(unauthorized)?;
        let email = claim_string(claims.get("email"));
        let groups = match claims.get("cognito:groups") {
            Some(Value::Array(items)) => items
                .iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect(),
            Some(Value::String(raw)) => parse_groups(raw),
            _ => Vec::new(),
        };
        Ok(Self {
            user_id,
            email,
            groups,
        })
    }

    /// True when the caller is in the `admin` group.
    pub fn is_admin(&self) -> bool {
        self.groups.iter().any(|g| g == ADMIN_GROUP)
    }

    /// 403 unless the caller is an admin.
    pub fn require_admin(&self) -> Result<(), ApiError> {
        if self.is_admin() {
            Ok(())
        } else {
            Err(ApiError::Forbidden("admin access required".to_owned()))
        }
    }
}

fn claim_string(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Parses `cognito:groups` as API Gateway renders it: REST APIs send a comma-separated
/// string (`admin,ops`), HTTP API JWT authorizers send `[admin ops]`, a JSON array string
/// is accepted too, and a single group arrives bare.
pub fn parse_groups(raw: &str) -> Vec<String> {
    let raw = raw.trim();
    if raw.starts_with('[') {
        if let Ok(items) = serde_json::from_str::<Vec<String>>(raw) {
            return items;
        }
        return raw
            .trim_start_matches('[')
            .trim_end_matches(']')
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect();
    }
    raw.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn claims(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn groups_in_every_rendering_are_understood() {
        assert_eq!(parse_groups("admin,ops"), vec!["admin", "ops"]);
        assert_eq!(parse_groups("[admin ops]"), vec!["admin", "ops"]);
        assert_eq!(parse_groups(r#"["admin","ops"]"#), vec!["admin", "ops"]);
        assert_eq!(parse_groups("admin"), vec!["admin"]);
        assert!(parse_groups("").is_empty());
    }

    #[test]
    fn caller_comes_from_rest_api_claims() {
        let c =
            claims(json!({"sub": "u-1", "email": "a@example.com", "cognito:groups": "ops,admin"}));
        let caller = Caller::from_claims(Some(&c)).unwrap();
        assert_eq!(caller.user_id, "u-1");
        assert!(caller.is_admin());
        assert!(caller.require_admin().is_ok());
    }

    #[test]
    fn non_admins_are_forbidden_and_missing_claims_unauthorized() {
        let c = claims(json!({"sub": "u-2"}));
        let caller = Caller::from_claims(Some(&c)).unwrap();
        assert_eq!(caller.require_admin().unwrap_err().status(), 403);
        assert_eq!(Caller::from_claims(None).unwrap_err().status(), 401);
        let no_sub = claims(json!({"email": "x@example.com"}));
        assert_eq!(
            Caller::from_claims(Some(&no_sub)).unwrap_err().status(),
            401
        );
    }

    #[test]
    fn a_group_named_like_admin_is_not_admin() {
        let c = claims(json!({"sub": "u-3", "cognito:groups": "administrators,admins"}));
        assert!(!Caller::from_claims(Some(&c)).unwrap().is_admin());
    }
}
