//! The event envelope and every event payload type of crabcart, defined once here.
//! docs/events.md is the catalog of these types.

#[cfg(test)]
mod catalog;
pub mod orders;
pub mod payments;
pub mod products;
pub mod users;

use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// SNS message attribute that carries the event type for subscription filter policies.
pub const EVENT_TYPE_ATTRIBUTE: &str = "event_type";

/// An event payload: its wire name and schema version.
pub trait Event: Serialize + DeserializeOwned {
    /// The `type` of the envelope, e.g. `UserRegistered`.
    const TYPE: &'static str;
    /// The `version` of the envelope; bumped on incompatible payload changes.
    const VERSION: u32 = 1;
}

/// The envelope every event travels in: the SNS message, and with raw delivery the SQS body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Envelope<T = serde_json::Value> {
    /// Time-ordered unique id; consumers deduplicate on it.
    pub id: String,
    /// Event type name.
    #[serde(rename = "type")]
    pub event_type: String,
    /// Payload schema version.
    pub version: u32,
    /// Producing service.
    pub source: String,
    /// When the change happened (RFC 3339 UTC).
    pub time: DateTime<Utc>,
    /// The order or user the event is about; follows the saga across services.
    pub correlation_id: String,
    /// The payload.
    pub data: T,
}

impl<T: Event> Envelope<T> {
    /// Wraps a payload in a new envelope.
    pub fn new(source: &str, correlation_id: impl Into<String>, data: T) -> Self {
        Self {
            id: crate::ids::new_id(),
            event_type: T::TYPE.to_owned(),
            version: T::VERSION,
            source: source.to_owned(),
            time: crate::time::now(),
            correlation_id: correlation_id.into(),
            data,
        }
    }

    /// The same envelope with an untyped payload, as it travels.
    pub fn to_raw(&self) -> Result<Envelope, serde_json::Error> {
        Ok(Envelope {
            id: self.id.clone(),
            event_type: self.event_type.clone(),
            version: self.version,
            source: self.source.clone(),
            time: self.time,
            correlation_id: self.correlation_id.clone(),
            data: serde_json::to_value(&self.data)?,
        })
    }
}

/// Why a raw envelope could not be read as a given event type.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    /// The envelope is of another type or version.
    #[error("expected {expected} v{expected_version}, got {got} v{got_version}")]
    WrongType {
        /// Type the consumer asked for.
        expected: &'static str,
        /// Version the consumer understands.
        expected_version: u32,
        /// Type on the envelope.
        got: String,
        /// Version on the envelope.
        got_version: u32,
    },
    /// The payload does not match the type's schema.
    #[error("invalid {event_type} payload: {source}")]
    Payload {
        /// Type on the envelope.
        event_type: String,
        /// The serde error.
        source: serde_json::Error,
    },
}

impl Envelope {
    /// Parses an envelope from a message body.
    pub fn parse(body: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(body)
    }

    /// True when this envelope carries event type `T`.
    pub fn is<T: Event>(&self) -> bool {
        self.event_type == T::TYPE
    }

    /// The typed payload of this envelope.
    pub fn decode<T: Event>(&self) -> Result<T, DecodeError> {
        if self.event_type != T::TYPE || self.version != T::VERSION {
            return Err(DecodeError::WrongType {
                expected: T::TYPE,
                expected_version: T::VERSION,
                got: self.event_type.clone(),
                got_version: self.version,
            });
        }
        T::deserialize(&self.data).map_err(|source| DecodeError::Payload {
            event_type: self.event_type.clone(),
            source,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::users::UserRegistered;
    use super::*;

    #[test]
    fn envelope_has_the_documented_wire_shape_and_round_trips() {
        let env = Envelope::new(
            "users",
            "u-1",
            UserRegistered {
                user_id: "u-1".into(),
                email: "a@example.com".into(),
                name: "A".into(),
                registered_at: crate::time::now(),
            },
        );
        let wire = serde_json::to_value(&env).unwrap();
        for key in [
            "id",
            "type",
            "version",
            "source",
            "time",
            "correlation_id",
            "data",
        ] {
            assert!(wire.get(key).is_some(), "missing {key}");
        }
        assert_eq!(wire["type"], "UserRegistered");
        assert!(wire["time"].as_str().unwrap().ends_with('Z'));
        let raw = Envelope::parse(&wire.to_string()).unwrap();
        assert!(raw.is::<UserRegistered>());
        assert_eq!(raw.decode::<UserRegistered>().unwrap(), env.data);
    }

    #[test]
    fn decoding_the_wrong_type_is_an_error() {
        let raw = Envelope {
            id: "1".into(),
            event_type: "Other".into(),
            version: 1,
            source: "x".into(),
            time: crate::time::now(),
            correlation_id: "c".into(),
            data: serde_json::json!({}),
        };
        assert!(matches!(
            raw.decode::<UserRegistered>(),
            Err(DecodeError::WrongType { .. })
        ));
    }
}
