//! The body of POST /v1/orders as the client sends it, and its conversion into a
//! [`Checkout`]: every field checked by its domain type, every refusal named in one
//! answer, duplicates (a 422) only once the lines themselves are well-formed.

use crate::domain::{
    check_line_count, Checkout, CheckoutError, CheckoutLine, PaymentMethod, ShippingAddress,
};
use serde::Deserialize;
use shared::FieldErrors;

/// The body of POST /v1/orders.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckoutBody {
    /// What to buy.
    pub items: Vec<ItemBody>,
    /// A payment method token, e.g. `pm_card_visa`.
    pub payment_method: String,
    /// Where to ship.
    pub shipping_address: AddressBody,
}

/// One line; the quantity is read as any integer so that a wrong one is reported with the
/// rule it breaks.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ItemBody {
    /// The product.
    pub product_id: String,
    /// Units.
    pub quantity: i64,
}

/// A shipping address.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddressBody {
    /// Recipient.
    pub name: String,
    /// Street and number.
    pub line1: String,
    /// Anything else (flat, floor); optional.
    #[serde(default)]
    pub line2: Option<String>,
    /// City.
    pub city: String,
    /// Postal code.
    pub postal_code: String,
    /// ISO 3166-1 alpha-2 country code.
    pub country: String,
}

impl TryFrom<&CheckoutBody> for Checkout {
    type Error = CheckoutError;

    fn try_from(body: &CheckoutBody) -> Result<Self, CheckoutError> {
        let mut errors = FieldErrors::default();
        errors.check(check_line_count(body.items.len()));
        let lines: Vec<Option<CheckoutLine>> = body
            .items
            .iter()
            .enumerate()
            .map(|(i, item)| {
                let line = CheckoutLine::new(&item.product_id, item.quantity);
                errors.check_all(line.map_err(|e| nested(e, &format!("items[{i}]"))))
            })
            .collect();
        let payment_method = errors.check(PaymentMethod::parse(&body.payment_method));
        let a = &body.shipping_address;
        let address = ShippingAddress::new(
            &a.name,
            &a.line1,
            a.line2.as_deref(),
            &a.city,
            &a.postal_code,
            &a.country,
        );
        let address = errors.check_all(address.map_err(|e| nested(e, "shipping_address")));
        let lines: Option<Vec<CheckoutLine>> = lines.into_iter().collect();
        let parts = lines.zip(payment_method).zip(address);
        let ((lines, payment_method), address) =
            errors.finish(parts).map_err(CheckoutError::Invalid)?;
        Checkout::new(lines, payment_method, address)
    }
}

fn nested(errors: Vec<shared::FieldError>, parent: &str) -> Vec<shared::FieldError> {
    errors.into_iter().map(|e| e.nested_in(parent)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const A: &str = "0193f19f-0000-7000-8000-00000000000a";
    const B: &str = "0193f19f-0000-7000-8000-00000000000b";

    fn body(items: serde_json::Value) -> CheckoutBody {
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
        let checkout = Checkout::try_from(&body(json!([
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
        let err = Checkout::try_from(&raw).unwrap_err();
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
            fields(Checkout::try_from(&body(json!([]))).unwrap_err()),
            ["items"]
        );
        let fifty: Vec<_> = (0..50)
            .map(|i| json!({"product_id": format!("0193f19f-0000-7000-8000-{i:012}"), "quantity": 1}))
            .collect();
        assert!(Checkout::try_from(&body(json!(fifty))).is_ok());
        let fifty_one: Vec<_> = (0..51)
            .map(|i| json!({"product_id": format!("0193f19f-0000-7000-8000-{i:012}"), "quantity": 1}))
            .collect();
        assert_eq!(
            fields(Checkout::try_from(&body(json!(fifty_one))).unwrap_err()),
            ["items"]
        );
    }

    #[test]
    fn a_product_on_two_lines_is_unprocessable_naming_the_repeat() {
        let err = Checkout::try_from(&body(json!([
            {"product_id": A, "quantity": 1},
            {"product_id": B, "quantity": 1},
            {"product_id": A.to_uppercase(), "quantity": 2}
        ])))
        .unwrap_err();
        assert!(matches!(err, CheckoutError::DuplicateLines(_)));
        assert_eq!(fields(err), ["items[2].product_id"]);
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
        assert!(serde_json::from_value::<CheckoutBody>(with_price).is_err());
    }
}
