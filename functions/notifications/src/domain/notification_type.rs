//! The kinds of notification, with the wire names GET /v1/notifications shows.

/// What a notification is about; one per event type it comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotificationType {
    /// UserRegistered.
    Welcome,
    /// OrderConfirmed.
    OrderConfirmed,
    /// OrderRejected.
    OrderRejected,
    /// OrderCancelled.
    OrderCancelled,
    /// PaymentRefunded.
    PaymentRefunded,
}

impl NotificationType {
    /// Every kind.
    pub const ALL: [Self; 5] = [
        Self::Welcome,
        Self::OrderConfirmed,
        Self::OrderRejected,
        Self::OrderCancelled,
        Self::PaymentRefunded,
    ];

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Welcome => "welcome",
            Self::OrderConfirmed => "order_confirmed",
            Self::OrderRejected => "order_rejected",
            Self::OrderCancelled => "order_cancelled",
            Self::PaymentRefunded => "payment_refunded",
        }
    }

    /// Reads a wire name back; `None` for anything else.
    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == raw)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_five_wire_names_are_the_documented_ones_and_round_trip() {
        let names: Vec<&str> = NotificationType::ALL.iter().map(|t| t.as_str()).collect();
        assert_eq!(
            names,
            [
                "welcome",
                "order_confirmed",
                "order_rejected",
                "order_cancelled",
                "payment_refunded"
            ]
        );
        for t in NotificationType::ALL {
            assert_eq!(NotificationType::parse(t.as_str()), Some(t));
        }
        assert_eq!(NotificationType::parse("Welcome"), None);
    }
}
