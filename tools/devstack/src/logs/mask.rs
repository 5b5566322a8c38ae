//! What never reaches a terminal or a log file whole: passwords, tokens, secrets and
//! email addresses. The functions already log none of these; this is the devstack's own
//! guard, applied to every line of every function before it is shown or kept.

use serde_json::Value;
use shared::telemetry::mask_email;
use std::borrow::Cow;

/// What a masked value reads as.
const MASK: &str = "***";

/// Key names (compared in lower case, as substrings) whose values are secrets.
const SECRET_KEYS: &[&str] = &[
    "password",
    "passwd",
    "token",
    "secret",
    "authorization",
    "cookie",
    "api_key",
    "apikey",
    "credential",
    "signing_key",
];

fn is_secret_key(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    SECRET_KEYS.iter().any(|s| key.contains(s))
}

/// One output line, masked: a JSON object field by field (secret keys whole, emails and
/// tokens inside any string), anything else as text. A line with nothing to mask comes
/// back unchanged, byte for byte.
pub fn line(text: &str) -> Cow<'_, str> {
    if text.trim_start().starts_with('{') {
        if let Ok(mut value) = serde_json::from_str::<Value>(text) {
            return if json(&mut value) {
                Cow::Owned(value.to_string())
            } else {
                Cow::Borrowed(text)
            };
        }
    }
    self::text(text)
}

/// Masks a JSON value in place; returns whether anything changed.
pub fn json(value: &mut Value) -> bool {
    match value {
        Value::Object(map) => {
            let mut changed = false;
            for (key, v) in map.iter_mut() {
                if is_secret_key(key) && !v.is_null() && *v != Value::String(MASK.to_owned()) {
                    *v = Value::String(MASK.to_owned());
                    changed = true;
                } else {
                    changed |= json(v);
                }
            }
            changed
        }
        Value::Array(items) => items.iter_mut().fold(false, |c, v| json(v) | c),
        Value::String(s) => match text(s) {
            Cow::Owned(masked) => {
                *s = masked;
                true
            }
            Cow::Borrowed(_) => false,
        },
        _ => false,
    }
}

/// Masks free text: the word after `Bearer` or after a secret's name and `=` or `:`
/// (`password=...`), JSON Web Tokens and email addresses. Words are runs of the
/// characters these can contain; everything between them is kept.
pub fn text(s: &str) -> Cow<'_, str> {
    let is_word = |c: char| c.is_alphanumeric() || "._%+-@*_".contains(c);
    let mut out = String::with_capacity(s.len());
    let mut changed = false;
    let mut previous_word = "";
    let mut rest = s;
    while !rest.is_empty() {
        let start = rest.find(is_word).unwrap_or(rest.len());
        let separator = &rest[..start];
        out.push_str(separator);
        rest = &rest[start..];
        if rest.is_empty() {
            break;
        }
        let end = rest.find(|c: char| !is_word(c)).unwrap_or(rest.len());
        let word = &rest[..end];
        let names_a_secret = matches!(separator, "=" | ":") && is_secret_key(previous_word);
        let masked =
            if previous_word.eq_ignore_ascii_case("bearer") || names_a_secret || is_jwt(word) {
                MASK.to_owned()
            } else if is_email(word) {
                mask_email(word)
            } else {
                word.to_owned()
            };
        changed |= masked != word;
        out.push_str(&masked);
        previous_word = word;
        rest = &rest[end..];
    }
    if changed {
        Cow::Owned(out)
    } else {
        Cow::Borrowed(s)
    }
}

/// `eyJ...`: three base64url parts, as every JWT (a Cognito ID, access or refresh token).
fn is_jwt(s: &str) -> bool {
    let parts: Vec<&str> = s.split('.').collect();
    s.starts_with("eyJ")
        && parts.len() >= 3
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '=')
        })
}

/// `local@domain.tld`, where the local part is not already masked (`a***`).
fn is_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !local.contains('*')
        && local
            .chars()
            .all(|c| c.is_alphanumeric() || "._%+-".contains(c))
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && domain
            .chars()
            .all(|c| c.is_alphanumeric() || c == '.' || c == '-')
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn secret_fields_are_masked_whole_and_emails_keep_only_their_first_letter() {
        let raw = json!({
            "level": "INFO", "message": "user registered",
            "password": "Corr3ct-Horse-Battery!", "id_token": "abc", "refresh_token": null,
            "headers": {"Authorization": "Bearer x.y.z", "Cookie": "s=1"},
            "email": "ada@example.com", "order_id": "o-1",
            "items": [{"note": "mail grace@example.org please"}]
        })
        .to_string();
        let masked: Value = serde_json::from_str(&line(&raw)).unwrap();
        assert_eq!(masked["password"], "***");
        assert_eq!(masked["id_token"], "***");
        assert_eq!(masked["refresh_token"], Value::Null, "nothing to hide");
        assert_eq!(masked["headers"]["Authorization"], "***");
        assert_eq!(masked["headers"]["Cookie"], "***");
        assert_eq!(masked["email"], "a***@example.com");
        assert_eq!(masked["items"][0]["note"], "mail g***@example.org please");
        assert_eq!(masked["order_id"], "o-1", "other fields are kept");
        assert_eq!(masked["message"], "user registered");
    }

    #[test]
    fn a_line_with_nothing_to_mask_is_kept_byte_for_byte() {
        let raw = r#"{"message":"order placed","order_id":"o-1","level":"INFO"}"#;
        assert!(matches!(line(raw), Cow::Borrowed(s) if s == raw));
        let already = r#"{"email":"a***@example.com","password":"***"}"#;
        assert!(matches!(line(already), Cow::Borrowed(_)));
        assert!(matches!(line("Compiling orders v0.1.0"), Cow::Borrowed(_)));
    }

    #[test]
    fn text_lines_lose_tokens_and_emails() {
        let jwt = "eyJraWQiOiJrIn0.eyJzdWIiOiJ1In0.c2lnbmF0dXJl";
        assert_eq!(
            line(&format!(
                "panicked: authorization: Bearer {jwt}, for (bob@example.com)"
            )),
            "panicked: authorization: Bearer ***, for (b***@example.com)"
        );
        assert_eq!(line(&format!("token={jwt};")), "token=***;");
        assert_eq!(line(&format!("got {jwt}")), "got ***");
        assert_eq!(line("not@an-email and a@b"), "not@an-email and a@b");
        assert_eq!(line("Bearer ***"), "Bearer ***", "already masked");
        assert_eq!(line("login password=hunter2 ok"), "login password=*** ok");
        assert_eq!(
            line("password: must be 8 characters"),
            "password: must be 8 characters",
            "a validation message names a field, not a secret"
        );
    }
}
