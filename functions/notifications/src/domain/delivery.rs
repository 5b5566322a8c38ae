//! What became of delivering a notification, as stored with its inbox entry and shown by
//! GET /v1/notifications: `{"channel": "email" | "none", "status": "sent" | "skipped" |
//! "failed"}`.

/// The channel a notification goes out on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChannelKind {
    /// Amazon SES.
    Email,
    /// No channel is configured (no sender address): the inbox is all there is.
    None,
}

impl ChannelKind {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Email => "email",
            Self::None => "none",
        }
    }

    /// Reads a wire name back; `None` for anything else.
    pub fn parse(raw: &str) -> Option<Self> {
        [Self::Email, Self::None]
            .into_iter()
            .find(|c| c.as_str() == raw)
    }
}

/// How a delivery ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryStatus {
    /// The channel accepted the message.
    Sent,
    /// Nothing was sent, by design: no channel, or no address for the user yet.
    Skipped,
    /// The channel refused or was unavailable; the inbox entry stands regardless.
    Failed,
}

impl DeliveryStatus {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sent => "sent",
            Self::Skipped => "skipped",
            Self::Failed => "failed",
        }
    }

    /// Reads a wire name back; `None` for anything else.
    pub fn parse(raw: &str) -> Option<Self> {
        [Self::Sent, Self::Skipped, Self::Failed]
            .into_iter()
            .find(|s| s.as_str() == raw)
    }
}

/// The outcome of one delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Delivery {
    /// Where it went (or would have).
    pub channel: ChannelKind,
    /// How it ended.
    pub status: DeliveryStatus,
}

impl Delivery {
    /// Delivered through `channel`.
    pub fn sent(channel: ChannelKind) -> Self {
        Self {
            channel,
            status: DeliveryStatus::Sent,
        }
    }

    /// Not attempted on `channel`.
    pub fn skipped(channel: ChannelKind) -> Self {
        Self {
            channel,
            status: DeliveryStatus::Skipped,
        }
    }

    /// Attempted on `channel` without success.
    pub fn failed(channel: ChannelKind) -> Self {
        Self {
            channel,
            status: DeliveryStatus::Failed,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_names_round_trip() {
        for c in [ChannelKind::Email, ChannelKind::None] {
            assert_eq!(ChannelKind::parse(c.as_str()), Some(c));
        }
        for s in [
            DeliveryStatus::Sent,
            DeliveryStatus::Skipped,
            DeliveryStatus::Failed,
        ] {
            assert_eq!(DeliveryStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(
            (ChannelKind::None.as_str(), DeliveryStatus::Skipped.as_str()),
            ("none", "skipped")
        );
        assert_eq!(ChannelKind::parse("sms"), None);
        assert_eq!(DeliveryStatus::parse("pending"), None);
    }
}
