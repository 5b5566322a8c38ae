//! The editable catalog fields of a product, each checked once when constructed.

use shared::{Currency, FieldError, FieldErrors, Money};

const MAX_NAME_CHARS: usize = 200;
const MAX_DESCRIPTION_CHARS: usize = 4000;
const MAX_CATEGORY_CHARS: usize = 64;
const MIN_PRICE: u64 = 1;
const MAX_PRICE: u64 = 10_000_000;

/// A product name: 1 to 200 characters after trimming, no control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductName(String);

impl ProductName {
    /// Trims and checks the name.
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        shared::text::single_line("name", raw, MAX_NAME_CHARS).map(Self)
    }

    /// The name as given (trimmed).
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The lower-cased name the listing sorts and searches by.
    pub fn search_key(&self) -> String {
        self.0.to_lowercase()
    }
}

/// A description: up to 4000 characters; line breaks and tabs allowed, other control
/// characters not.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Description(String);

impl Description {
    /// Trims and checks the description; empty is allowed.
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let value = raw.trim();
        if value.chars().count() > MAX_DESCRIPTION_CHARS {
            return Err(FieldError::new(
                "description",
                format!("must be at most {MAX_DESCRIPTION_CHARS} characters"),
            ));
        }
        if value
            .chars()
            .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
        {
            return Err(FieldError::new(
                "description",
                "must not contain control characters",
            ));
        }
        Ok(Self(value.to_owned()))
    }

    /// The description.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A category slug: lower-case letters and digits in hyphen-separated words, at most 64
/// characters (`kitchen`, `board-games`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Category(String);

impl Category {
    /// Checks the slug; `field` names the body field or query parameter it came from.
    pub fn parse(raw: &str, field: &str) -> Result<Self, FieldError> {
        let is_word = |w: &str| {
            !w.is_empty()
                && w.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        };
        if raw.len() > MAX_CATEGORY_CHARS || !raw.split('-').all(is_word) {
            return Err(FieldError::new(
                field,
                format!(
                    "must be a slug of lower-case letters, digits and single hyphens, at most {MAX_CATEGORY_CHARS} characters"
                ),
            ));
        }
        Ok(Self(raw.to_owned()))
    }

    /// The slug.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A unit price: 1 to 10,000,000 minor units of an ISO 4217 currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Price(Money);

impl Price {
    /// Checks amount and currency, reporting both when both are wrong.
    pub fn parse(amount: i64, currency: &str) -> Result<Self, Vec<FieldError>> {
        let mut errors = FieldErrors::default();
        let amount = errors.check(
            u64::try_from(amount)
                .ok()
                .filter(|a| (MIN_PRICE..=MAX_PRICE).contains(a))
                .ok_or_else(|| {
                    FieldError::new(
                        "price.amount",
                        format!(
                            "must be an integer number of minor units from {MIN_PRICE} to {MAX_PRICE}"
                        ),
                    )
                }),
        );
        let currency = errors.check(Currency::parse(currency).ok_or_else(|| {
            FieldError::new(
                "price.currency",
                "must be an upper-case ISO 4217 currency code such as USD",
            )
        }));
        let price = amount
            .zip(currency)
            .map(|(amount, currency)| Self(Money::new(amount, currency)));
        errors.finish(price)
    }

    /// The price as money.
    pub fn money(&self) -> Money {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(ProductName::parse("  Mug ").unwrap().as_str(), "Mug");
        assert_eq!(
            ProductName::parse("Blue MUG").unwrap().search_key(),
            "blue mug"
        );
        assert!(ProductName::parse(" ").is_err());
        assert!(ProductName::parse(&"ü".repeat(200)).is_ok());
        assert!(ProductName::parse(&"ü".repeat(201)).is_err());
        assert!(ProductName::parse("a\u{7}b").is_err());
    }

    #[test]
    fn descriptions_may_be_empty_or_multi_line_but_bounded() {
        assert_eq!(Description::parse("").unwrap().as_str(), "");
        assert!(Description::parse("line 1\nline 2\ttab").is_ok());
        assert!(Description::parse(&"x".repeat(4000)).is_ok());
        assert!(Description::parse(&"x".repeat(4001)).is_err());
        assert!(Description::parse("nul\u{0}").is_err());
    }

    #[test]
    fn categories_are_slugs() {
        for good in ["kitchen", "board-games", "a1", "4k-tv"] {
            assert!(Category::parse(good, "category").is_ok(), "{good}");
        }
        for bad in [
            "",
            "Kitchen",
            "board_games",
            "-x",
            "x-",
            "a--b",
            "café",
            &"a".repeat(65),
        ] {
            assert!(Category::parse(bad, "category").is_err(), "{bad}");
        }
    }

    #[test]
    fn prices_are_bounded_minor_units_of_a_real_currency() {
        assert_eq!(Price::parse(1999, "EUR").unwrap().money().amount, 1999);
        assert!(Price::parse(1, "USD").is_ok());
        assert!(Price::parse(10_000_000, "USD").is_ok());
        assert_eq!(Price::parse(0, "USD").unwrap_err()[0].field, "price.amount");
        assert!(Price::parse(10_000_001, "USD").is_err());
        assert!(Price::parse(-5, "USD").is_err());
        let both = Price::parse(0, "usd").unwrap_err();
        assert_eq!(both.len(), 2);
        assert_eq!(both[1].field, "price.currency");
    }
}
