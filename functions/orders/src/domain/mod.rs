//! The orders domain: the checkout a client asks for, its pricing from the catalog
//! projection, the order and its statuses, and the saga as one pure function. No I/O here.

mod address;
mod checkout;
mod order;
mod pricing;
mod saga;
#[cfg(test)]
mod saga_doc;
mod status;

pub use address::ShippingAddress;
pub use checkout::{
    check_line_count, Checkout, CheckoutError, CheckoutLine, PaymentMethod, ProductId, MAX_LINES,
    MAX_QUANTITY,
};
pub use order::{Order, OrderEvent, OrderId};
pub use pricing::{price, PricedLine, PricedOrder, ProjectedProduct};
pub use saga::{decide, Emit, Reaction, SagaInput};
pub use status::{OrderStatus, RejectionReason};
