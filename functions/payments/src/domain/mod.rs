//! The payments domain: identifiers and payment method tokens that are valid once
//! constructed, the payment and its lifecycle as a small state machine, and the checked
//! form of a payment request. No I/O here.

mod ids;
mod payment;
mod payment_method;
mod status;

pub use ids::{OrderId, PaymentId};
pub use payment::{IllegalTransition, OrderPayment, Payment, PaymentRequest, VoidedPayment};
pub use payment_method::PaymentMethod;
pub use status::PaymentStatus;
