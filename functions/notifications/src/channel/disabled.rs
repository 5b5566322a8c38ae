//! No channel: what the worker uses when no sender address is configured (the default,
//! and the local cloud). Every delivery is recorded as skipped; nothing fails.

use super::Channel;
use crate::domain::{ChannelKind, Contact, Delivery, Message};

/// Delivers nothing and says so.
#[derive(Debug, Clone, Copy, Default)]
pub struct DisabledChannel;

impl Channel for DisabledChannel {
    fn kind(&self) -> ChannelKind {
        ChannelKind::None
    }

    async fn deliver(&self, _to: &Contact, _message: &Message) -> Delivery {
        Delivery::skipped(ChannelKind::None)
    }
}
