//! The identifiers a payment is keyed and known by.

shared::uuid_id! {
    /// An order id as the orders service mints them (a time-ordered UUID, lower case).
    pub struct OrderId;
}

shared::uuid_id! {
    /// The id of a payment record (time-ordered UUID), published in every payment event.
    pub struct PaymentId;
}

impl PaymentId {
    /// A fresh id for a new payment.
    pub fn generate() -> Self {
        Self(shared::ids::new_id())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_ids_are_uuids_normalised_to_lower_case() {
        let raw = "0193F1A2-7C4E-7B10-9D2A-000000000001";
        assert_eq!(
            OrderId::parse(raw).unwrap().as_str(),
            "0193f1a2-7c4e-7b10-9d2a-000000000001"
        );
        for bad in [
            "",
            "order-1",
            "0193f1a2-7c4e-7b10-9d2a-00000000000",
            "PAYMENT#x",
        ] {
            assert!(OrderId::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn generated_payment_ids_parse_back() {
        let id = PaymentId::generate();
        assert_eq!(PaymentId::parse(id.as_str()), Some(id));
        assert!(PaymentId::parse("nope").is_none());
    }
}
