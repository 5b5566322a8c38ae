//! The HTTP edge of an API function: route table, request accessors, JSON bodies and
//! responses. A service declares its routes with [`Router`] and hands it to [`run`].

mod body;
mod conditional;
mod cors;
mod request;
mod response;
mod router;

pub use body::{parse_json, MAX_BODY_BYTES};
pub use conditional::{cacheable, if_match, tagged, Cacheable, EntityTag, EntityTags};
pub use cors::{Cors, ALLOWED_ORIGIN_VAR};
pub use request::ApiRequest;
pub use response::{created, error_response, json, no_content, Answer, ApiResult};
pub use router::{run, Router};
