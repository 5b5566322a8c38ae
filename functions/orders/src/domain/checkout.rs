//! What a client asks to buy: lines of products, a payment method and an address, each
//! checked when constructed. Prices are not part of it: they come from the catalog
//! projection (see `pricing`).

use super::address::ShippingAddress;
use shared::{FieldError, FieldErrors};
use std::collections::HashSet;

/// Most lines in one order: products reserves an order in one transaction of its lines
/// plus three items, within DynamoDB's 100.
pub const MAX_LINES: usize = 50;
/// Most units of one product in one order.
pub const MAX_QUANTITY: u32 = 100;
const MAX_PAYMENT_METHOD_CHARS: usize = 64;

shared::uuid_id! {
    /// A product id as an order refers to it (a UUID, lower case).
    pub struct ProductId;
}

/// A payment method token: 1 to 64 of `[A-Za-z0-9_]` (Stripe-style, `pm_card_visa`).
/// Tokens are not secrets and may be logged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentMethod(String);

impl PaymentMethod {
    /// Checks the token.
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let well_formed = (1..=MAX_PAYMENT_METHOD_CHARS).contains(&raw.len())
            && raw.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
        if well_formed {
            Ok(Self(raw.to_owned()))
        } else {
            Err(FieldError::new(
                "payment_method",
                format!(
                    "must be a payment method token of 1 to {MAX_PAYMENT_METHOD_CHARS} letters, digits or underscores"
                ),
            ))
        }
    }

    /// The token.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// One checked line: a product and 1 to 100 units of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckoutLine {
    /// The product.
    pub product_id: ProductId,
    /// Units, 1..=100.
    pub quantity: u32,
}

impl CheckoutLine {
    /// Checks a line, naming its bad fields (`product_id`, `quantity`).
    pub fn new(product_id: &str, quantity: i64) -> Result<Self, Vec<FieldError>> {
        let mut errors = FieldErrors::default();
        let product_id = errors.check(
            ProductId::parse(product_id)
                .ok_or_else(|| FieldError::new("product_id", "must be a product id")),
        );
        let quantity = errors.check(
            u32::try_from(quantity)
                .ok()
                .filter(|q| (1..=MAX_QUANTITY).contains(q))
                .ok_or_else(|| {
                    FieldError::new(
                        "quantity",
                        format!("must be an integer from 1 to {MAX_QUANTITY}"),
                    )
                }),
        );
        let line = product_id.zip(quantity).map(|(product_id, quantity)| Self {
            product_id,
            quantity,
        });
        errors.finish(line)
    }
}

/// The number of lines of an order, `items` in the body: 1 to 50.
pub fn check_line_count(lines: usize) -> Result<(), FieldError> {
    if (1..=MAX_LINES).contains(&lines) {
        Ok(())
    } else {
        Err(FieldError::new(
            "items",
            format!("must hold 1 to {MAX_LINES} lines"),
        ))
    }
}

/// A checked checkout: 1 to 50 lines of distinct products, a payment method, an address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkout {
    /// The lines, in the client's order.
    pub lines: Vec<CheckoutLine>,
    /// How to pay.
    pub payment_method: PaymentMethod,
    /// Where to ship.
    pub shipping_address: ShippingAddress,
}

/// Why a checkout is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckoutError {
    /// Fields break their format or range rules (400).
    Invalid(Vec<FieldError>),
    /// Well-formed, but the same product is on several lines (422).
    DuplicateLines(Vec<FieldError>),
}

impl Checkout {
    /// A checkout of well-formed parts; 422 when a product is on several lines.
    pub fn new(
        lines: Vec<CheckoutLine>,
        payment_method: PaymentMethod,
        shipping_address: ShippingAddress,
    ) -> Result<Self, CheckoutError> {
        let duplicates = duplicate_lines(&lines);
        if !duplicates.is_empty() {
            return Err(CheckoutError::DuplicateLines(duplicates));
        }
        Ok(Self {
            lines,
            payment_method,
            shipping_address,
        })
    }
}

/// One error per line that repeats a product of an earlier line.
fn duplicate_lines(lines: &[CheckoutLine]) -> Vec<FieldError> {
    let mut seen = HashSet::new();
    lines
        .iter()
        .enumerate()
        .filter(|(_, l)| !seen.insert(&l.product_id))
        .map(|(i, l)| {
            FieldError::new(
                format!("items[{i}].product_id"),
                format!(
                    "product {} is already on another line; order it once with the total quantity",
                    l.product_id.as_str()
                ),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "0193f19f-0000-7000-8000-00000000000a";

    #[test]
    fn payment_method_tokens_are_bounded_words() {
        for good in ["pm_card_visa", "x", &"a".repeat(64)] {
            assert!(PaymentMethod::parse(good).is_ok(), "{good}");
        }
        for bad in ["", &"a".repeat(65), "pm-card", "pm card", "pm_card_visä"] {
            assert!(PaymentMethod::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_line_names_its_own_bad_fields() {
        assert!(CheckoutLine::new(A, 100).is_ok());
        let fields = |id, quantity| -> Vec<String> {
            CheckoutLine::new(id, quantity)
                .unwrap_err()
                .into_iter()
                .map(|e| e.field)
                .collect()
        };
        assert_eq!(fields("nope", 0), ["product_id", "quantity"]);
        assert_eq!(fields(A, 101), ["quantity"]);
    }
}
