//! The orders service's errors and their one mapping to HTTP.

use crate::domain::{CheckoutError, OrderStatus};
use shared::store::StoreError;
use shared::{ApiError, FieldError};

/// Everything an orders route can fail with.
#[derive(Debug, thiserror::Error)]
pub enum OrdersError {
    /// Fields that break their format or range rules.
    #[error("invalid request")]
    Invalid(Vec<FieldError>),
    /// A well-formed order that cannot be placed: duplicate lines, unknown or archived
    /// products, mixed currencies.
    #[error("the order cannot be placed")]
    Unplaceable(Vec<FieldError>),
    /// No such order, or someone else's.
    #[error("order not found")]
    NotFound,
    /// The saga does not allow cancelling an order in this status.
    #[error("an order in status {0} cannot be cancelled")]
    NotCancellable(OrderStatus),
    /// The order kept changing while the request tried to change it.
    #[error("the order is being changed concurrently; try again")]
    Busy,
    /// This request's claim on its Idempotency-Key was taken over by a retry after the
    /// claim's lease ran out; the retry places the order.
    #[error("a retry with the same Idempotency-Key took over this request")]
    Superseded,
    /// DynamoDB failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A check of the shared HTTP edge failed (the caller, the body, paging), with its
    /// own answer.
    #[error(transparent)]
    Request(#[from] ApiError),
}

impl From<CheckoutError> for OrdersError {
    fn from(err: CheckoutError) -> Self {
        match err {
            CheckoutError::Invalid(details) => Self::Invalid(details),
            CheckoutError::DuplicateLines(details) => Self::Unplaceable(details),
        }
    }
}

impl From<OrdersError> for ApiError {
    fn from(err: OrdersError) -> Self {
        match err {
            OrdersError::Invalid(details) => ApiError::Validation(details),
            OrdersError::Unplaceable(details) => ApiError::Unprocessable {
                message: unplaceable_summary(&details),
                details,
            },
            OrdersError::NotFound => ApiError::NotFound("order not found".to_owned()),
            e @ (OrdersError::NotCancellable(_) | OrdersError::Busy | OrdersError::Superseded) => {
                ApiError::Conflict(e.to_string())
            }
            OrdersError::Store(e) => e.into(),
            OrdersError::Request(e) => e,
        }
    }
}

/// The summary of a 422: its one problem, or how many there are.
fn unplaceable_summary(details: &[FieldError]) -> String {
    match details {
        [one] => one.message.clone(),
        many => format!("the order cannot be placed: {} problems", many.len()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_error_has_its_status() {
        let cases: Vec<(OrdersError, u16)> = vec![
            (
                OrdersError::Invalid(vec![FieldError::new("items", "x")]),
                400,
            ),
            (
                OrdersError::Unplaceable(vec![FieldError::new("items", "x")]),
                422,
            ),
            (OrdersError::NotFound, 404),
            (OrdersError::NotCancellable(OrderStatus::Rejected), 409),
            (OrdersError::Busy, 409),
            (OrdersError::Superseded, 409),
        ];
        for (err, status) in cases {
            assert_eq!(ApiError::from(err).status().as_u16(), status);
        }
    }

    #[test]
    fn a_refused_cancellation_names_the_status() {
        let err = ApiError::from(OrdersError::NotCancellable(OrderStatus::Cancelled));
        assert_eq!(
            err.public_message(),
            "an order in status CANCELLED cannot be cancelled"
        );
    }
}
