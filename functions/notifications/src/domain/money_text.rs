//! Money as a person reads it in a message: `998.00 EUR`, `1500 JPY`, `1.250 KWD`.
//! Amounts travel in minor units; how many of them make a major unit depends on the
//! currency (ISO 4217's exponent).

use shared::{Currency, Money};

/// Currencies without minor units (ISO 4217 exponent 0) among those crabcart accepts.
const EXPONENT_0: &[&str] = &[
    "BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "VND", "VUV",
    "XAF", "XOF", "XPF",
];
/// Currencies with thousandths (ISO 4217 exponent 3).
const EXPONENT_3: &[&str] = &["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"];

/// How many decimal digits the currency's minor unit has: 2 for most, 0 or 3 for the few
/// listed above.
pub fn minor_unit_exponent(currency: Currency) -> u32 {
    let code = currency.as_str();
    if EXPONENT_0.contains(&code) {
        0
    } else if EXPONENT_3.contains(&code) {
        3
    } else {
        2
    }
}

/// `amount` in major units with the currency's decimals, then the code.
pub fn money_text(money: Money) -> String {
    let exponent = minor_unit_exponent(money.currency);
    let code = money.currency.as_str();
    if exponent == 0 {
        return format!("{} {code}", money.amount);
    }
    let unit = 10u64.pow(exponent);
    format!(
        "{}.{:0width$} {code}",
        money.amount / unit,
        money.amount % unit,
        width = exponent as usize
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn money(amount: u64, code: &str) -> Money {
        Money::new(amount, Currency::parse(code).unwrap())
    }

    #[test]
    fn every_listed_code_is_a_currency_crabcart_accepts() {
        for code in EXPONENT_0.iter().chain(EXPONENT_3) {
            assert!(Currency::parse(code).is_some(), "{code}");
        }
    }

    #[test]
    fn exponents_follow_iso_4217() {
        let exponent = |code| minor_unit_exponent(Currency::parse(code).unwrap());
        assert_eq!(
            (exponent("EUR"), exponent("USD"), exponent("GBP")),
            (2, 2, 2)
        );
        assert_eq!((exponent("JPY"), exponent("KRW")), (0, 0));
        assert_eq!(
            (exponent("BHD"), exponent("KWD"), exponent("OMR")),
            (3, 3, 3)
        );
    }

    #[test]
    fn amounts_are_written_in_major_units_with_the_currencys_decimals() {
        assert_eq!(money_text(money(99800, "EUR")), "998.00 EUR");
        assert_eq!(money_text(money(1999, "USD")), "19.99 USD");
        assert_eq!(money_text(money(5, "USD")), "0.05 USD");
        assert_eq!(money_text(money(0, "GBP")), "0.00 GBP");
        assert_eq!(money_text(money(1500, "JPY")), "1500 JPY");
        assert_eq!(money_text(money(1250, "KWD")), "1.250 KWD");
        assert_eq!(money_text(money(7, "BHD")), "0.007 BHD");
        assert_eq!(
            money_text(money(u64::MAX, "USD")),
            "184467440737095516.15 USD"
        );
    }
}
