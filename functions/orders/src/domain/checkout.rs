//! What a client asks to buy: the body of POST /v1/orders, checked field by field so one
//! answer names every bad field. Prices are not part of it: they come from the catalog
//! projection (see `pricing`).

use super::address::{AddressRequest, ShippingAddress};
use serde::Deserialize;
use shared::FieldError;
use std::collections::HashSet;

/// Most lines in one order: products reserves an order in one transaction of its lines
/// plus three items, within DynamoDB's 100.
pub const MAX_LINES: usize = 50;
/// Most units of one product in one order.
pub const MAX_QUANTITY: u32 = 100;
const MAX_PAYMENT_METHOD_CHARS: usize = 64;

/// The body of POST /v1/orders as the client sends it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckoutRequest {
    /// What to buy.
    pub items: Vec<ItemRequest>,
    /// A payment method token, e.g. `pm_card_visa`.
    pub payment_method: String,
    /// Where to ship.
    pub shipping_address: AddressRequest,
}

/// One line as the client sends it; the quantity is read as any integer so that a wrong
/// one is reported with the rule it breaks.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ItemRequest {
    /// The product.
    pub product_id: String,
    /// Units.
    pub quantity: i64,
}

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
    /// Checks the request: every format and range error at once; duplicates only once
    /// the lines themselves are well-formed.
    pub fn parse(raw: &CheckoutRequest) -> Result<Self, CheckoutError> {
        let mut errors = Vec::new();
        if raw.items.is_empty() || raw.items.len() > MAX_LINES {
            errors.push(FieldError::new(
                "items",
                format!("must hold 1 to {MAX_LINES} lines"),
            ));
        }
        let lines: Vec<Option<CheckoutLine>> = raw
            .items
            .iter()
            .enumerate()
            .map(|(i, item)| line(i, item).map_err(|e| errors.extend(e)).ok())
            .collect();
        let payment_method = PaymentMethod::parse(&raw.payment_method)
            .map_err(|e| errors.push(e))
            .ok();
        let shipping_address = ShippingAddress::parse(&raw.shipping_address, "shipping_address")
            .map_err(|e| errors.extend(e))
            .ok();
        let lines: Option<Vec<CheckoutLine>> = lines.into_iter().collect();
        let (Some(lines), Some(payment_method), Some(shipping_address)) =
            (lines, payment_method, shipping_address)
        else {
            return Err(CheckoutError::Invalid(errors));
        };
        if !errors.is_empty() {
            return Err(CheckoutError::Invalid(errors));
        }
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

fn line(index: usize, item: &ItemRequest) -> Result<CheckoutLine, Vec<FieldError>> {
    let mut errors = Vec::new();
    let product_id = ProductId::parse(&item.product_id);
    if product_id.is_none() {
        errors.push(FieldError::new(
            format!("items[{index}].product_id"),
            "must be a product id",
        ));
    }
    let quantity = u32::try_from(item.quantity)
        .ok()
        .filter(|q| (1..=MAX_QUANTITY).contains(q));
    if quantity.is_none() {
        errors.push(FieldError::new(
            format!("items[{index}].quantity"),
            format!("must be an integer from 1 to {MAX_QUANTITY}"),
        ));
    }
    match (product_id, quantity) {
        (Some(product_id), Some(quantity)) => Ok(CheckoutLine {
            product_id,
            quantity,
        }),
        _ => Err(errors),
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
    use serde_json::json;

    const A: &str = "0193f19f-0000-7000-8000-00000000000a";
    const B: &str = "0193f19f-0000-7000-8000-00000000000b";

    fn body(items: serde_json::Value) -> CheckoutRequest {
        serde_json::from_value(json!({
            "items": items,
            "payment_method": "pm_card_visa",
            "shipping_address": {
                "name": "Ada", "line1": "1 Main St", "city": "Berlin",
                "postal_code": "10115", "country": "DE"
            }
        }))
        .unwrap()
    }

    fn fields(err: CheckoutError) -> Vec<String> {
        match err {
            CheckoutError::Invalid(e) | CheckoutError::DuplicateLines(e) => {
                e.into_iter().map(|f| f.field).collect()
            }
        }
    }

    #[test]
    fn a_good_checkout_parses_with_its_lines_in_order() {
        let checkout = Checkout::parse(&body(json!([
            {"product_id": B, "quantity": 100},
            {"product_id": A.to_uppercase(), "quantity": 1}
        ])))
        .unwrap();
        let lines: Vec<(&str, u32)> = checkout
            .lines
            .iter()
            .map(|l| (l.product_id.as_str(), l.quantity))
            .collect();
        assert_eq!(lines, [(B, 100), (A, 1)]);
        assert_eq!(checkout.payment_method.as_str(), "pm_card_visa");
        assert_eq!(checkout.shipping_address.country, "DE");
    }

    #[test]
    fn every_bad_field_is_named_in_one_answer() {
        let mut raw = body(json!([
            {"product_id": "nope", "quantity": 0},
            {"product_id": A, "quantity": 101},
            {"product_id": B, "quantity": -3}
        ]));
        raw.payment_method = "pm card".into();
        raw.shipping_address.country = "Germany".into();
        let err = Checkout::parse(&raw).unwrap_err();
        assert!(matches!(err, CheckoutError::Invalid(_)));
        assert_eq!(
            fields(err),
            [
                "items[0].product_id",
                "items[0].quantity",
                "items[1].quantity",
                "items[2].quantity",
                "payment_method",
                "shipping_address.country",
            ]
        );
    }

    #[test]
    fn an_order_has_one_to_fifty_lines() {
        assert_eq!(
            fields(Checkout::parse(&body(json!([]))).unwrap_err()),
            ["items"]
        );
        let fifty: Vec<_> = (0..50)
            .map(|i| json!({"product_id": format!("0193f19f-0000-7000-8000-{i:012}"), "quantity": 1}))
            .collect();
        assert!(Checkout::parse(&body(json!(fifty))).is_ok());
        let fifty_one: Vec<_> = (0..51)
            .map(|i| json!({"product_id": format!("0193f19f-0000-7000-8000-{i:012}"), "quantity": 1}))
            .collect();
        assert_eq!(
            fields(Checkout::parse(&body(json!(fifty_one))).unwrap_err()),
            ["items"]
        );
    }

    #[test]
    fn a_product_on_two_lines_is_unprocessable_naming_the_repeat() {
        let err = Checkout::parse(&body(json!([
            {"product_id": A, "quantity": 1},
            {"product_id": B, "quantity": 1},
            {"product_id": A.to_uppercase(), "quantity": 2}
        ])))
        .unwrap_err();
        assert!(matches!(err, CheckoutError::DuplicateLines(_)));
        assert_eq!(fields(err), ["items[2].product_id"]);
    }

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
    fn unknown_fields_are_refused_by_the_wire_types() {
        let with_price = json!({
            "items": [{"product_id": A, "quantity": 1, "unit_price": 1}],
            "payment_method": "pm_card_visa",
            "shipping_address": {
                "name": "Ada", "line1": "1 Main St", "city": "Berlin",
                "postal_code": "10115", "country": "DE"
            }
        });
        assert!(serde_json::from_value::<CheckoutRequest>(with_price).is_err());
    }
}
