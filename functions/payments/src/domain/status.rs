//! The payment lifecycle as a state machine: which status may follow which.
//!
//! ```text
//! (none) --claim--> CHARGING --charged--> SUCCEEDED --refunded--> REFUNDED
//!                            --declined-> FAILED
//! (none) --order cancelled first--> VOIDED
//! ```
//! CHARGING and VOIDED are internal: CHARGING marks a claimed order whose provider call
//! is under way (or crashed, to be resumed with the same idempotency key); VOIDED is the
//! tombstone of an order cancelled before its payment was requested, so a late request
//! charges nothing. Neither is ever shown to clients.

/// Where an order's payment stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PaymentStatus {
    /// Claimed; the provider call is under way.
    Charging,
    /// Charged.
    Succeeded,
    /// Declined by the provider; nothing was charged.
    Failed,
    /// Charged, then refunded in full.
    Refunded,
    /// The order was cancelled before it was charged; nothing ever will be.
    Voided,
}

impl PaymentStatus {
    /// Every status, for exhaustive tests.
    pub const ALL: [Self; 5] = [
        Self::Charging,
        Self::Succeeded,
        Self::Failed,
        Self::Refunded,
        Self::Voided,
    ];

    /// The stored and published name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Charging => "CHARGING",
            Self::Succeeded => "SUCCEEDED",
            Self::Failed => "FAILED",
            Self::Refunded => "REFUNDED",
            Self::Voided => "VOIDED",
        }
    }

    /// Reads a stored name.
    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw)
    }

    /// True for the statuses clients see: SUCCEEDED, FAILED, REFUNDED.
    pub fn is_listed(self) -> bool {
        matches!(self, Self::Succeeded | Self::Failed | Self::Refunded)
    }

    /// True for the statuses a payment item may be created in.
    pub fn is_initial(self) -> bool {
        matches!(self, Self::Charging | Self::Voided)
    }

    /// True when `self -> next` is an allowed transition.
    pub fn can_become(self, next: Self) -> bool {
        matches!(
            (self, next),
            (Self::Charging, Self::Succeeded)
                | (Self::Charging, Self::Failed)
                | (Self::Succeeded, Self::Refunded)
        )
    }
}

impl std::fmt::Display for PaymentStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::PaymentStatus::{self, *};

    #[test]
    fn names_round_trip_and_only_settled_statuses_are_listed() {
        for s in PaymentStatus::ALL {
            assert_eq!(PaymentStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(PaymentStatus::parse("succeeded"), None);
        let listed: Vec<_> = PaymentStatus::ALL
            .into_iter()
            .filter(|s| s.is_listed())
            .collect();
        assert_eq!(listed, [Succeeded, Failed, Refunded]);
    }

    #[test]
    fn exactly_the_three_documented_transitions_are_allowed() {
        let mut allowed = Vec::new();
        for from in PaymentStatus::ALL {
            for to in PaymentStatus::ALL {
                if from.can_become(to) {
                    allowed.push((from, to));
                }
            }
        }
        assert_eq!(
            allowed,
            [
                (Charging, Succeeded),
                (Charging, Failed),
                (Succeeded, Refunded)
            ]
        );
    }

    #[test]
    fn terminal_statuses_go_nowhere_and_items_start_claimed_or_voided() {
        for terminal in [Failed, Refunded, Voided] {
            assert!(PaymentStatus::ALL
                .iter()
                .all(|to| !terminal.can_become(*to)));
        }
        let initial: Vec<_> = PaymentStatus::ALL
            .into_iter()
            .filter(|s| s.is_initial())
            .collect();
        assert_eq!(initial, [Charging, Voided]);
    }
}
