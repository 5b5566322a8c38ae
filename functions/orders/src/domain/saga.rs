//! The order saga (docs/saga.md) as one pure function: what an order in a given
//! status does with each event of the saga and with its owner's cancellation. Events
//! arrive at least once and in any order, so every (status, input) pair has an answer,
//! and an input that does not fit the status is ignored or compensated, never an error.
//! docs/saga.md is generated from [`decide`] (see `saga_doc.rs`).

use super::status::{OrderStatus, RejectionReason};

/// What can happen to an order: the events orders consumes, and the cancel command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SagaInput {
    /// Products reserved every line (StockReserved).
    StockReserved,
    /// Products could not reserve the order (StockReservationFailed).
    StockReservationFailed,
    /// Payments charged the order (PaymentSucceeded).
    PaymentSucceeded,
    /// Payments could not charge the order (PaymentFailed).
    PaymentFailed,
    /// Payments refunded the order (PaymentRefunded).
    PaymentRefunded,
    /// The owner asked to cancel (POST /v1/orders/{id}/cancel).
    CancelRequested,
    /// The reservation deadline passed (the expiry sweep, `orders-expiry`).
    DeadlinePassed,
}

impl SagaInput {
    /// Every input, in saga order (the columns of the saga table).
    pub const ALL: [SagaInput; 7] = [
        Self::StockReserved,
        Self::StockReservationFailed,
        Self::PaymentSucceeded,
        Self::PaymentFailed,
        Self::PaymentRefunded,
        Self::CancelRequested,
        Self::DeadlinePassed,
    ];

    /// The event type, or the route for the command.
    pub fn name(self) -> &'static str {
        match self {
            Self::StockReserved => "StockReserved",
            Self::StockReservationFailed => "StockReservationFailed",
            Self::PaymentSucceeded => "PaymentSucceeded",
            Self::PaymentFailed => "PaymentFailed",
            Self::PaymentRefunded => "PaymentRefunded",
            Self::CancelRequested => "POST .../cancel",
            Self::DeadlinePassed => "deadline passed",
        }
    }
}

/// An event the order emits; its payload is built from the order itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Emit {
    /// PaymentRequested: payments charges the total, once.
    PaymentRequested,
    /// OrderConfirmed.
    OrderConfirmed,
    /// OrderRejected with the order's reason: products releases the stock.
    OrderRejected(RejectionReason),
    /// OrderCancelled: products releases the stock; with `refund`, payments refunds a
    /// succeeded payment (without, it voids a payment not yet charged).
    OrderCancelled {
        /// Whether a succeeded payment must be refunded.
        refund: bool,
    },
    /// StockReleaseRequested: a compensation, products releases the stock.
    StockReleaseRequested,
    /// RefundRequested: a compensation, payments refunds the charge.
    RefundRequested,
}

impl Emit {
    /// How the saga table shows it.
    pub fn describe(self) -> String {
        match self {
            Self::PaymentRequested => "PaymentRequested".to_owned(),
            Self::OrderConfirmed => "OrderConfirmed".to_owned(),
            Self::OrderRejected(reason) => format!("OrderRejected({})", reason.as_str()),
            Self::OrderCancelled { refund } => format!("OrderCancelled{{refund: {refund}}}"),
            Self::StockReleaseRequested => "StockReleaseRequested".to_owned(),
            Self::RefundRequested => "RefundRequested".to_owned(),
        }
    }
}

/// What an order does with one input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reaction {
    /// Move to `to` (possibly the same status, to record a fact) and emit, all in one
    /// conditional write on the current status.
    Transition {
        /// The new status.
        to: OrderStatus,
        /// The `status_reason`; only REJECTED has one.
        reason: Option<RejectionReason>,
        /// The event the transition publishes, if any.
        emit: Option<Emit>,
    },
    /// Keep the status and record `refunded_at`: the refund a cancellation or an expiry
    /// asked for happened. No event: the customer hears of it from PaymentRefunded.
    RecordRefund,
    /// Keep the status and emit an event that undoes what the input did elsewhere.
    Compensate {
        /// The compensating event.
        emit: Emit,
    },
    /// Nothing to do.
    Ignore {
        /// Why the input changes nothing in this status.
        why: &'static str,
    },
    /// The cancel command is not allowed in this status (409).
    Refuse,
}

impl Reaction {
    /// How the saga table shows it.
    pub fn describe(self) -> String {
        match self {
            Self::Transition { to, reason, emit } => {
                let target = match reason {
                    Some(r) => format!("{to}({})", r.as_str()),
                    None => to.to_string(),
                };
                match emit {
                    Some(e) => format!("→ {target} + {}", e.describe()),
                    None => format!("→ {target}"),
                }
            }
            Self::RecordRefund => "record `refunded_at` (no event)".to_owned(),
            Self::Compensate { emit } => format!("compensate: {}", emit.describe()),
            Self::Ignore { why } => format!("ignore ({why})"),
            Self::Refuse => "409 Conflict".to_owned(),
        }
    }
}

/// The saga: what an order in `status` does with `input`.
pub fn decide(status: OrderStatus, input: SagaInput) -> Reaction {
    use OrderStatus as S;
    use SagaInput as I;
    let cancel = |refund| Reaction::Transition {
        to: S::Cancelled,
        reason: None,
        emit: Some(Emit::OrderCancelled { refund }),
    };
    let expire = Reaction::Transition {
        to: S::Rejected,
        reason: Some(RejectionReason::Expired),
        emit: Some(Emit::OrderRejected(RejectionReason::Expired)),
    };
    match (status, input) {
        (S::Pending, I::StockReserved) => Reaction::Transition {
            to: S::AwaitingPayment,
            reason: None,
            emit: Some(Emit::PaymentRequested),
        },
        (S::Pending, I::StockReservationFailed) => Reaction::Transition {
            to: S::Rejected,
            reason: Some(RejectionReason::OutOfStock),
            emit: Some(Emit::OrderRejected(RejectionReason::OutOfStock)),
        },
        (S::Pending, I::PaymentSucceeded | I::PaymentFailed | I::PaymentRefunded) => {
            Reaction::Ignore {
                why: "no payment is requested before the stock is reserved",
            }
        }
        // Nothing is charged yet; payments voids the request if it comes later.
        (S::Pending | S::AwaitingPayment, I::CancelRequested) => cancel(false),
        // Products releases whatever it holds (or will hold) for the order on OrderRejected,
        // and payments voids, or refunds, a payment requested before the deadline.
        (S::Pending | S::AwaitingPayment, I::DeadlinePassed) => expire,

        (S::AwaitingPayment, I::StockReserved | I::StockReservationFailed) => Reaction::Ignore {
            why: "products settles an order's stock once",
        },
        (S::AwaitingPayment, I::PaymentSucceeded) => Reaction::Transition {
            to: S::Confirmed,
            reason: None,
            emit: Some(Emit::OrderConfirmed),
        },
        (S::AwaitingPayment, I::PaymentFailed) => Reaction::Transition {
            to: S::Rejected,
            reason: Some(RejectionReason::PaymentDeclined),
            emit: Some(Emit::OrderRejected(RejectionReason::PaymentDeclined)),
        },
        (S::AwaitingPayment, I::PaymentRefunded) => Reaction::Ignore {
            why: "only a cancelled or expired order is refunded",
        },

        (S::Confirmed, I::CancelRequested) => cancel(true),
        (S::Confirmed, _) => Reaction::Ignore {
            why: "a confirmed order has settled its stock and payment",
        },

        (S::Rejected | S::Cancelled, I::CancelRequested) => Reaction::Refuse,
        (S::Rejected | S::Cancelled, I::DeadlinePassed) => Reaction::Ignore {
            why: "the order has ended",
        },
        // Only an expired order can be charged after its rejection (a declined one never
        // is, an out-of-stock one is never asked): the money goes back.
        (S::Rejected, I::PaymentSucceeded) => Reaction::Compensate {
            emit: Emit::RefundRequested,
        },
        (S::Rejected | S::Cancelled, I::PaymentRefunded) => Reaction::RecordRefund,
        (S::Rejected, I::StockReserved | I::StockReservationFailed) => Reaction::Ignore {
            why: "products released the order's stock on OrderRejected, whenever it was reserved",
        },
        (S::Rejected, I::PaymentFailed) => Reaction::Ignore {
            why: "nothing was charged",
        },

        // Stock reserved after the cancellation must be released again. A compensation is
        // an event of its own, never a second OrderCancelled: the customer hears of the
        // cancellation once, whatever arrives after it.
        (S::Cancelled, I::StockReserved) => Reaction::Compensate {
            emit: Emit::StockReleaseRequested,
        },
        // Charged after the cancellation: the money goes back.
        (S::Cancelled, I::PaymentSucceeded) => Reaction::Compensate {
            emit: Emit::RefundRequested,
        },
        (S::Cancelled, I::StockReservationFailed | I::PaymentFailed) => Reaction::Ignore {
            why: "nothing was reserved or charged",
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use OrderStatus::{AwaitingPayment, Cancelled, Confirmed, Pending, Rejected};
    use SagaInput::{
        CancelRequested, DeadlinePassed, PaymentFailed, PaymentRefunded, PaymentSucceeded,
        StockReservationFailed, StockReserved,
    };

    /// What a cell must be; `Ignore` is matched without its explanation.
    #[derive(Debug)]
    enum Expect {
        To(OrderStatus, Option<RejectionReason>, Option<Emit>),
        Compensate(Emit),
        RecordRefund,
        Ignore,
        Refuse,
    }

    fn to(status: OrderStatus, emit: Emit) -> Expect {
        Expect::To(status, None, Some(emit))
    }

    fn rejected(reason: RejectionReason) -> Expect {
        Expect::To(Rejected, Some(reason), Some(Emit::OrderRejected(reason)))
    }

    const KEEP: Emit = Emit::OrderCancelled { refund: false };
    const REFUND: Emit = Emit::OrderCancelled { refund: true };

    /// Every one of the 5 x 6 cells, written out: the doc is generated from `decide`, so
    /// only this table catches a wrong cell.
    fn table() -> Vec<(OrderStatus, SagaInput, Expect)> {
        use Expect::{Compensate, Ignore, RecordRefund, Refuse};
        use RejectionReason::{Expired, OutOfStock, PaymentDeclined};
        vec![
            (
                Pending,
                StockReserved,
                to(AwaitingPayment, Emit::PaymentRequested),
            ),
            (Pending, StockReservationFailed, rejected(OutOfStock)),
            (Pending, PaymentSucceeded, Ignore),
            (Pending, PaymentFailed, Ignore),
            (Pending, PaymentRefunded, Ignore),
            (Pending, CancelRequested, to(Cancelled, KEEP)),
            (Pending, DeadlinePassed, rejected(Expired)),
            (AwaitingPayment, StockReserved, Ignore),
            (AwaitingPayment, StockReservationFailed, Ignore),
            (
                AwaitingPayment,
                PaymentSucceeded,
                to(Confirmed, Emit::OrderConfirmed),
            ),
            (AwaitingPayment, PaymentFailed, rejected(PaymentDeclined)),
            (AwaitingPayment, PaymentRefunded, Ignore),
            (AwaitingPayment, CancelRequested, to(Cancelled, KEEP)),
            (AwaitingPayment, DeadlinePassed, rejected(Expired)),
            (Confirmed, StockReserved, Ignore),
            (Confirmed, StockReservationFailed, Ignore),
            (Confirmed, PaymentSucceeded, Ignore),
            (Confirmed, PaymentFailed, Ignore),
            (Confirmed, PaymentRefunded, Ignore),
            (Confirmed, CancelRequested, to(Cancelled, REFUND)),
            (Confirmed, DeadlinePassed, Ignore),
            (Rejected, StockReserved, Ignore),
            (Rejected, StockReservationFailed, Ignore),
            (
                Rejected,
                PaymentSucceeded,
                Compensate(Emit::RefundRequested),
            ),
            (Rejected, PaymentFailed, Ignore),
            (Rejected, PaymentRefunded, RecordRefund),
            (Rejected, CancelRequested, Refuse),
            (Rejected, DeadlinePassed, Ignore),
            (
                Cancelled,
                StockReserved,
                Compensate(Emit::StockReleaseRequested),
            ),
            (Cancelled, StockReservationFailed, Ignore),
            (
                Cancelled,
                PaymentSucceeded,
                Compensate(Emit::RefundRequested),
            ),
            (Cancelled, PaymentFailed, Ignore),
            (Cancelled, PaymentRefunded, RecordRefund),
            (Cancelled, CancelRequested, Refuse),
            (Cancelled, DeadlinePassed, Ignore),
        ]
    }

    #[test]
    fn every_cell_of_the_saga_table_is_as_specified() {
        let table = table();
        assert_eq!(table.len(), OrderStatus::ALL.len() * SagaInput::ALL.len());
        for status in OrderStatus::ALL {
            for input in SagaInput::ALL {
                let count = table
                    .iter()
                    .filter(|(s, i, _)| *s == status && *i == input)
                    .count();
                assert_eq!(count, 1, "cell ({status}, {input:?}) listed {count} times");
            }
        }
        for (status, input, expected) in table {
            let got = decide(status, input);
            let ok = match (&expected, got) {
                (Expect::To(s, r, e), Reaction::Transition { to, reason, emit }) => {
                    (*s, *r, *e) == (to, reason, emit)
                }
                (Expect::Compensate(e), Reaction::Compensate { emit }) => *e == emit,
                (Expect::RecordRefund, Reaction::RecordRefund) => true,
                (Expect::Ignore, Reaction::Ignore { why }) => !why.is_empty(),
                (Expect::Refuse, Reaction::Refuse) => true,
                _ => false,
            };
            assert!(
                ok,
                "({status}, {input:?}): expected {expected:?}, got {got:?}"
            );
        }
    }

    #[test]
    fn only_the_cancel_command_is_ever_refused() {
        for status in OrderStatus::ALL {
            for input in SagaInput::ALL {
                if decide(status, input) == Reaction::Refuse {
                    assert_eq!(input, CancelRequested, "{status}");
                }
            }
        }
    }

    #[test]
    fn only_rejections_carry_a_reason_and_rejected_is_final() {
        for status in OrderStatus::ALL {
            for input in SagaInput::ALL {
                if let Reaction::Transition { to, reason, .. } = decide(status, input) {
                    assert_eq!(reason.is_some(), to == Rejected, "({status}, {input:?})");
                    assert_ne!(status, Rejected, "a rejected order never moves");
                }
            }
        }
    }
}
