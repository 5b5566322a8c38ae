//! The payment method token an order is paid with (Stripe-style, e.g. `pm_card_visa`).

use shared::FieldError;

const MAX_TOKEN_CHARS: usize = 64;

/// A payment method token: 1 to 64 characters of `[A-Za-z0-9_]`. It names a method the
/// provider holds, never card data, so it is safe to store and to log.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PaymentMethod(String);

impl PaymentMethod {
    /// Checks the token; the error names the `payment_method` field.
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        if raw.is_empty() || raw.len() > MAX_TOKEN_CHARS {
            return Err(FieldError::new(
                "payment_method",
                format!("must be 1 to {MAX_TOKEN_CHARS} characters"),
            ));
        }
        if !raw.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            return Err(FieldError::new(
                "payment_method",
                "must contain only letters, digits and underscores",
            ));
        }
        Ok(Self(raw.to_owned()))
    }

    /// The token.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn accepts_stripe_style_tokens() {
        for ok in ["pm_card_visa", "pm_card_error", "X", &"a".repeat(64)] {
            assert_eq!(PaymentMethod::parse(ok).unwrap().as_str(), ok);
        }
    }

    #[test]
    fn refuses_empty_long_and_foreign_characters_naming_the_field() {
        for bad in [
            "",
            &"a".repeat(65),
            "pm card",
            "pm-card",
            "pm_card_visa\n",
            "pm_cärd",
        ] {
            let err = PaymentMethod::parse(bad).unwrap_err();
            assert_eq!(err.field, "payment_method", "{bad:?}");
        }
    }

    proptest! {
        #[test]
        fn every_token_of_the_alphabet_parses(token in "[A-Za-z0-9_]{1,64}") {
            prop_assert!(PaymentMethod::parse(&token).is_ok());
        }
    }
}
