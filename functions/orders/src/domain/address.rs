//! The shipping address of an order, each field checked once when constructed.

use serde::Deserialize;
use shared::FieldError;

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

/// A shipping address as the client sends it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddressRequest {
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
    /// Checks every field; the errors name each bad one as `<prefix>.<field>`.
    pub fn parse(raw: &AddressRequest, prefix: &str) -> Result<Self, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut field = |name: &str, value: &str, max: usize| {
            shared::text::single_line(&format!("{prefix}.{name}"), value, max)
                .map_err(|e| errors.push(e))
                .ok()
        };
        let name = field("name", &raw.name, MAX_NAME_CHARS);
        let line1 = field("line1", &raw.line1, MAX_LINE_CHARS);
        let line2 = match raw.line2.as_deref().map(str::trim) {
            None | Some("") => Some(None),
            Some(line2) => field("line2", line2, MAX_LINE_CHARS).map(Some),
        };
        let city = field("city", &raw.city, MAX_CITY_CHARS);
        let postal_code = field("postal_code", &raw.postal_code, MAX_POSTAL_CODE_CHARS);
        let country = country_code(&raw.country);
        if country.is_none() {
            errors.push(FieldError::new(
                format!("{prefix}.country"),
                "must be an upper-case ISO 3166-1 alpha-2 country code such as DE",
            ));
        }
        match (name, line1, line2, city, postal_code, country) {
            (
                Some(name),
                Some(line1),
                Some(line2),
                Some(city),
                Some(postal_code),
                Some(country),
            ) if errors.is_empty() => Ok(Self {
                name,
                line1,
                line2,
                city,
                postal_code,
                country,
            }),
            _ => Err(errors),
        }
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

    fn request() -> AddressRequest {
        AddressRequest {
            name: " Ada Lovelace ".into(),
            line1: "12 St James's Square".into(),
            line2: None,
            city: "London".into(),
            postal_code: "SW1Y 4JH".into(),
            country: "GB".into(),
        }
    }

    #[test]
    fn the_country_list_is_sorted_and_complete() {
        assert!(ISO_3166_ALPHA_2.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(ISO_3166_ALPHA_2.len(), 249);
    }

    #[test]
    fn a_good_address_is_trimmed_and_blank_line2_is_absent() {
        let mut raw = request();
        raw.line2 = Some("  ".into());
        let address = ShippingAddress::parse(&raw, "shipping_address").unwrap();
        assert_eq!(address.name, "Ada Lovelace");
        assert_eq!(address.line2, None);
        raw.line2 = Some(" Flat 2 ".into());
        let address = ShippingAddress::parse(&raw, "shipping_address").unwrap();
        assert_eq!(address.line2.as_deref(), Some("Flat 2"));
    }

    #[test]
    fn every_bad_field_is_named() {
        let raw = AddressRequest {
            name: "".into(),
            line1: "x".repeat(201),
            line2: Some("a\u{0}b".into()),
            city: "c".repeat(101),
            postal_code: "1".repeat(21),
            country: "gb".into(),
        };
        let errors = ShippingAddress::parse(&raw, "shipping_address").unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "shipping_address.name",
                "shipping_address.line1",
                "shipping_address.line2",
                "shipping_address.city",
                "shipping_address.postal_code",
                "shipping_address.country",
            ]
        );
    }

    #[test]
    fn limits_are_inclusive_and_countries_must_be_assigned() {
        let mut raw = request();
        raw.name = "n".repeat(100);
        raw.line1 = "l".repeat(200);
        raw.city = "c".repeat(100);
        raw.postal_code = "p".repeat(20);
        assert!(ShippingAddress::parse(&raw, "a").is_ok());
        for bad in ["XX", "G", "GBR", "", "uk", "UK"] {
            raw.country = bad.into();
            assert!(ShippingAddress::parse(&raw, "a").is_err(), "{bad}");
        }
    }
}
