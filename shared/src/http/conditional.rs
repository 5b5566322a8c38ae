//! Conditional requests (RFC 9110 section 13): every representation's entity tag is the
//! SHA-256 of its bytes, so a tag changes exactly when what a client would read changes.
//! Writes check `If-Match` with the strong comparison; public reads answer a matching
//! `If-None-Match` with 304 and no body, and say how caches may keep them.

use super::{Answer, ApiRequest};
use crate::error::{ApiError, FieldError};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use http::header::{CACHE_CONTROL, ETAG};
use http::{HeaderValue, StatusCode};
use lambda_http::{Body, Response};
use sha2::{Digest, Sha256};

/// Bytes of the digest kept in a tag: 128 bits make an accidental match between two
/// representations of one resource impossible in practice, in 22 characters.
const TAG_BYTES: usize = 16;

/// A strong entity tag, quoted as it is sent: `"3q2-7w..."`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntityTag(String);

impl EntityTag {
    /// The tag of a representation's bytes.
    pub fn of(bytes: &[u8]) -> Self {
        let digest = Sha256::digest(bytes);
        Self(format!(
            "\"{}\"",
            URL_SAFE_NO_PAD.encode(&digest[..TAG_BYTES])
        ))
    }

    /// The tag of a response's body.
    pub fn of_body(body: &Body) -> Self {
        Self::of(body)
    }

    /// The quoted tag, as in an `ETag` header.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    fn opaque(&self) -> &str {
        self.0.trim_matches('"')
    }
}

/// Who may keep a copy of a public read, which is always revalidated before reuse: stock
/// moves with every order, so a copy is only worth its bytes, never a stale answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cacheable {
    /// The same for every caller: browsers and shared caches alike.
    Public,
    /// Made for this caller (a cursor bound to them): their browser only.
    Private,
}

impl Cacheable {
    fn header(self) -> &'static str {
        match self {
            Self::Public => "public, no-cache",
            Self::Private => "private, no-cache",
        }
    }
}

/// Optional white space of HTTP lists.
const OWS: [char; 2] = [' ', '\t'];

/// `etagc` of RFC 9110 (visible ASCII but `"`; obs-text never reaches a `&str` header).
fn is_etag_char(b: u8) -> bool {
    b == 0x21 || (0x23..=0x7e).contains(&b)
}

/// A parsed `If-Match` or `If-None-Match` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EntityTags {
    /// `*`: any current representation.
    Any,
    /// One or more entity tags, each with whether it was weak (`W/"..."`).
    Tags(Vec<(bool, String)>),
}

impl EntityTags {
    /// Parses `raw` as RFC 9110 writes these headers (`*`, or entity tags separated by
    /// commas and optional white space; a tag may itself contain commas). The error names
    /// `header`.
    pub fn parse(header: &str, raw: &str) -> Result<Self, FieldError> {
        let invalid = || {
            FieldError::new(
                header,
                "must be * or a list of entity tags, as an ETag header sent them",
            )
        };
        let raw = raw.trim_matches(OWS);
        if raw == "*" {
            return Ok(Self::Any);
        }
        let mut tags = Vec::new();
        let mut rest = raw;
        loop {
            let (weak, tag) = match rest.strip_prefix("W/") {
                Some(tag) => (true, tag),
                None => (false, rest),
            };
            let quoted = tag.strip_prefix('"').ok_or_else(invalid)?;
            let end = quoted.find('"').ok_or_else(invalid)?;
            let opaque = &quoted[..end];
            if !opaque.bytes().all(is_etag_char) {
                return Err(invalid());
            }
            tags.push((weak, opaque.to_owned()));
            rest = quoted[end + 1..].trim_start_matches(OWS);
            if rest.is_empty() {
                return Ok(Self::Tags(tags));
            }
            rest = rest
                .strip_prefix(',')
                .ok_or_else(invalid)?
                .trim_start_matches(OWS);
        }
    }

    /// `If-Match`'s strong comparison: a weak tag never matches.
    pub fn match_strongly(&self, current: &EntityTag) -> bool {
        match self {
            Self::Any => true,
            Self::Tags(tags) => tags
                .iter()
                .any(|(weak, opaque)| !weak && opaque == current.opaque()),
        }
    }

    /// `If-None-Match`'s weak comparison: `W/"x"` matches `"x"`.
    pub fn match_weakly(&self, current: &EntityTag) -> bool {
        match self {
            Self::Any => true,
            Self::Tags(tags) => tags.iter().any(|(_, opaque)| opaque == current.opaque()),
        }
    }
}

/// The request's `If-Match`, if any; a malformed one is a 400.
pub fn if_match(req: &ApiRequest) -> Result<Option<EntityTags>, FieldError> {
    req.header("if-match")
        .map(|raw| EntityTags::parse("If-Match", raw))
        .transpose()
}

/// Adds the body's entity tag to a response.
pub fn tagged<E: From<ApiError>>(mut response: Response<Body>) -> Answer<E> {
    add_tag(&mut response)?;
    Ok(response)
}

/// Sets the ETag of `response` from its body; the tag, for comparisons.
fn add_tag(response: &mut Response<Body>) -> Result<EntityTag, ApiError> {
    let tag = EntityTag::of_body(response.body());
    let value = HeaderValue::from_str(tag.as_str()).map_err(|e| ApiError::Internal(e.into()))?;
    response.headers_mut().insert(ETAG, value);
    Ok(tag)
}

/// A public read's answer: tagged, with its Cache-Control, or 304 Not Modified (the same
/// headers, no body) when the client's `If-None-Match` holds the current tag. A malformed
/// `If-None-Match` is ignored, as a cache that sent it gets the full answer it can use.
pub fn cacheable<E: From<ApiError>>(
    req: &ApiRequest,
    mut response: Response<Body>,
    who: Cacheable,
) -> Answer<E> {
    let tag = add_tag(&mut response)?;
    response
        .headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static(who.header()));
    let unchanged = req
        .header("if-none-match")
        .and_then(|raw| EntityTags::parse("If-None-Match", raw).ok())
        .is_some_and(|tags| tags.match_weakly(&tag));
    if !(unchanged && response.status() == StatusCode::OK) {
        return Ok(response);
    }
    let mut not_modified = Response::new(Body::Empty);
    *not_modified.status_mut() = StatusCode::NOT_MODIFIED;
    for name in [ETAG, CACHE_CONTROL] {
        if let Some(value) = response.headers().get(&name) {
            not_modified.headers_mut().insert(name, value.clone());
        }
    }
    Ok(not_modified)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(raw: &str) -> EntityTags {
        EntityTags::parse("If-Match", raw).unwrap()
    }

    #[test]
    fn a_tag_is_the_digest_of_the_bytes() {
        let a = EntityTag::of(b"{\"stock\":1}");
        assert_eq!(a, EntityTag::of(b"{\"stock\":1}"));
        assert_ne!(a, EntityTag::of(b"{\"stock\":2}"));
        assert!(a.as_str().starts_with('"') && a.as_str().ends_with('"'));
        // The first 16 bytes of the SHA-256, base64url: what the bench's Node.js peer
        // computes with node:crypto for the same body.
        assert_eq!(a.as_str(), "\"x3iY5Ubmk79CPJNDnlDsBw\"");
        assert!(a.opaque().bytes().all(is_etag_char));
    }

    #[test]
    fn if_match_compares_strongly_and_if_none_match_weakly() {
        let current = EntityTag::of(b"v3");
        let quoted = current.as_str();
        let weak = format!("W/{quoted}");
        assert!(tags(quoted).match_strongly(&current));
        assert!(tags(&format!("\"old\", {quoted}")).match_strongly(&current));
        assert!(tags("*").match_strongly(&current));
        assert!(!tags("\"old\"").match_strongly(&current));
        assert!(!tags(&weak).match_strongly(&current));
        assert!(tags(&weak).match_weakly(&current));
        assert!(tags("*").match_weakly(&current));
        assert!(!tags("\"old\"").match_weakly(&current));
    }

    #[test]
    fn entity_tags_may_hold_commas_and_lists_white_space() {
        // schemathesis sent this list (a tag with a comma inside) and got a 400.
        let header = "\"19nkR^c\"  \t, W/\"\"\t, \"g`H~(4o5b^#0,6\" ,\t\"3\"\t";
        assert_eq!(
            tags(header),
            EntityTags::Tags(vec![
                (false, "19nkR^c".to_owned()),
                (true, String::new()),
                (false, "g`H~(4o5b^#0,6".to_owned()),
                (false, "3".to_owned()),
            ])
        );
    }

    #[test]
    fn malformed_lists_are_refused_naming_the_header() {
        for bad in [
            "3",
            "",
            "\"3",
            "\"a\"b\"",
            "\"1\",",
            ",\"1\"",
            "\"a b\"",
            "\"1\" \"2\"",
        ] {
            let err = EntityTags::parse("If-Match", bad).unwrap_err();
            assert_eq!(err.field, "If-Match", "{bad}");
        }
    }
}
