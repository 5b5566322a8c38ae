//! The delivery port: a [`Channel`] takes a rendered message to a user, and says what
//! became of it. Email through Amazon SES when a sender is configured ([`SesChannel`]),
//! nothing otherwise ([`DisabledChannel`]); [`ConfiguredChannel`] is the one of the two
//! the configuration asks for.

mod disabled;
mod ses;

pub use disabled::DisabledChannel;
pub use ses::SesChannel;

use crate::domain::{ChannelKind, Contact, Delivery, Email, Message};
use aws_config::SdkConfig;
use std::future::Future;

/// A way to deliver notifications. Delivery never fails the event: the inbox entry is
/// stored whatever the channel answers, with the outcome recorded.
pub trait Channel: Send + Sync {
    /// Which channel this is, recorded with entries it could not deliver.
    fn kind(&self) -> ChannelKind;

    /// Delivers `message` to `to`.
    fn deliver(&self, to: &Contact, message: &Message) -> impl Future<Output = Delivery> + Send;
}

/// The channel the worker's configuration selects.
pub enum ConfiguredChannel {
    /// SENDER_EMAIL is set.
    Email(SesChannel),
    /// SENDER_EMAIL is empty.
    Disabled(DisabledChannel),
}

impl ConfiguredChannel {
    /// Email from `sender` when there is one, else no delivery.
    pub fn new(aws: &SdkConfig, sender: Option<Email>) -> Self {
        match sender {
            Some(sender) => Self::Email(SesChannel::new(aws_sdk_sesv2::Client::new(aws), sender)),
            None => Self::Disabled(DisabledChannel),
        }
    }
}

impl Channel for ConfiguredChannel {
    fn kind(&self) -> ChannelKind {
        match self {
            Self::Email(c) => c.kind(),
            Self::Disabled(c) => c.kind(),
        }
    }

    async fn deliver(&self, to: &Contact, message: &Message) -> Delivery {
        match self {
            Self::Email(c) => c.deliver(to, message).await,
            Self::Disabled(c) => c.deliver(to, message).await,
        }
    }
}
