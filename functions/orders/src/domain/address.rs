//! The shipping address of an order, each field checked once when constructed.

use shared::{FieldError, FieldErrors};

const MAX_NAME_CHARS: usize = 100;
const MAX_LINE_CHARS: usize = 200;
const MAX_CITY_CHARS: usize = 100;
const MAX_POSTAL_CODE_CHARS: usize = 20;

/// Officially assigned ISO 3166-1 alpha-2 codes, sorted for binary search.
const ISO_3166_ALPHA_2: &[&str] = &[
    "AD", "AE", "AF", "AG", "AI", "AL", "AM", "AO", "AQ", "AR", "AS", "AT", "AU", "AW", "AX", "AZ",
    "BA", "BB", "BD", "BE", "BF", "BG", "BH", "BI", "BJ", "BL", "BM", "BN", "BO", "BQ", "BR", "BS",
    "BT", "BV", "BW", "BY", "BZ", "CA", "CC", "CD", "CF", "CG", "CH", "CI", "CK", "CL", "CM", "CN",
    "CO", "CR", "CU", "CV", "CW", "CX", "CY", "CZ", "DE", "DJ", "DK", "DM", "DO", "DZ", "EC", "EE",
    "EG", "EH", "ER", "ES", "ET", "FI", "FJ", "FK", "FM", "FO", "FR", "GA", "GB", "GD", "GE", "GF",
    "GG", "GH", "GI", "GL", "GM", "GN", "GP", "GQ", "GR", "GS", "GT", "GU", "GW", "GY", "HK", "HM",
    "HN", "HR", "HT", "HU", "ID", "IE", "IL", "IM", "IN", "IO", "IQ", "IR", "IS", "IT", "JE", "JM",
    "JO", "JP", "KE", "KG", "KH", "KI", "KM", "KN", "KP", "KR", "KW", "KY", "KZ", "LA", "LB", "LC",
    "LI", "LK", "LR", "LS", "LT", "LU", "LV", "LY", "MA", "MC", "MD", "ME", "MF", "MG", "MH", "MK",
    "ML", "MM", "MN", "MO", "MP", "MQ", "MR", "MS", "MT", "MU", "MV", "MW", "MX", "MY", "MZ", "NA",
    "NC", "NE", "NF", "NG", "NI", "NL", "NO", "NP", "NR", "NU", "NZ", "OM", "PA", "PE", "PF", "PG",
    "PH", "PK", "PL", "PM", "PN", "PR", "PS", "PT", "PW", "PY", "QA", "RE", "RO", "RS", "RU", "RW",
    "SA", "SB", "SC", "SD", "SE", "SG", "SH", "SI", "SJ", "SK", "SL", "SM", "SN", "SO", "SR", "SS",
    "ST", "SV", "SX", "SY", "SZ", "TC", "TD", "TF", "TG", "TH", "TJ", "TK", "TL", "TM", "TN", "TO",
    "TR", "TT", "TV", "TW", "TZ", "UA", "UG", "UM", "US", "UY", "UZ", "VA", "VC", "VE", "VG", "VI",
    "VN", "VU", "WF", "WS", "YE", "YT", "ZA", "ZM", "ZW",
];

/// A checked shipping address: one-line fields within their limits, a real country code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShippingAddress {
    /// Recipient, 1 to 100 characters.
    pub name: String,
    /// 1 to 200 characters.
    pub line1: String,
    /// Up to 200 characters; absent when not given or blank.
    pub line2: Option<String>,
    /// 1 to 100 characters.
    pub city: String,
    /// 1 to 20 characters.
    pub postal_code: String,
    /// Upper-case ISO 3166-1 alpha-2 code, e.g. `DE`.
    pub country: String,
}

impl ShippingAddress {
    /// Checks every field, naming each bad one (`name`, `line1`, ..., `country`); a blank
    /// `line2` is none.
    pub fn new(
        name: &str,
        line1: &str,
        line2: Option<&str>,
        city: &str,
        postal_code: &str,
        country: &str,
    ) -> Result<Self, Vec<FieldError>> {
        let mut errors = FieldErrors::default();
        let mut field = |field: &str, value: &str, max: usize| {
            errors.check(shared::text::single_line(field, value, max))
        };
        let name = field("name", name, MAX_NAME_CHARS);
        let line1 = field("line1", line1, MAX_LINE_CHARS);
        let line2 = match line2.map(str::trim) {
            None | Some("") => Some(None),
            Some(line2) => field("line2", line2, MAX_LINE_CHARS).map(Some),
        };
        let city = field("city", city, MAX_CITY_CHARS);
        let postal_code = field("postal_code", postal_code, MAX_POSTAL_CODE_CHARS);
        let country = errors.check(country_code(country).ok_or_else(|| {
            FieldError::new(
                "country",
                "must be an upper-case ISO 3166-1 alpha-2 country code such as DE",
            )
        }));
        let address = match (name, line1, line2, city, postal_code, country) {
            (
                Some(name),
                Some(line1),
                Some(line2),
                Some(city),
                Some(postal_code),
                Some(country),
            ) => Some(Self {
                name,
                line1,
                line2,
                city,
                postal_code,
                country,
            }),
            _ => None,
        };
        errors.finish(address)
    }
}

fn country_code(raw: &str) -> Option<String> {
    ISO_3166_ALPHA_2
        .binary_search(&raw)
        .ok()
        .map(|_| raw.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_line2(line2: Option<&str>) -> Result<ShippingAddress, Vec<FieldError>> {
        ShippingAddress::new(
            " Ada Lovelace ",
            "12 St James's Square",
            line2,
            "London",
            "SW1Y 4JH",
            "GB",
        )
    }

    #[test]
    fn the_country_list_is_sorted_and_complete() {
        assert!(ISO_3166_ALPHA_2.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(ISO_3166_ALPHA_2.len(), 249);
    }

    #[test]
    fn a_good_address_is_trimmed_and_blank_line2_is_absent() {
        let address = with_line2(Some("  ")).unwrap();
        assert_eq!(address.name, "Ada Lovelace");
        assert_eq!(address.line2, None);
        let address = with_line2(Some(" Flat 2 ")).unwrap();
        assert_eq!(address.line2.as_deref(), Some("Flat 2"));
    }

    #[test]
    fn every_bad_field_is_named() {
        let errors = ShippingAddress::new(
            "",
            &"x".repeat(201),
            Some("a\u{0}b"),
            &"c".repeat(101),
            &"1".repeat(21),
            "gb",
        )
        .unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            ["name", "line1", "line2", "city", "postal_code", "country",]
        );
    }

    #[test]
    fn limits_are_inclusive_and_countries_must_be_assigned() {
        let at_limits = |country: &str| {
            ShippingAddress::new(
                &"n".repeat(100),
                &"l".repeat(200),
                None,
                &"c".repeat(100),
                &"p".repeat(20),
                country,
            )
        };
        assert!(at_limits("GB").is_ok());
        for bad in ["XX", "G", "GBR", "", "uk", "UK"] {
            assert!(at_limits(bad).is_err(), "{bad}");
        }
    }
}
