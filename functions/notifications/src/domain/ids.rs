//! The identifiers a notification is keyed and addressed by.

shared::uuid_id! {
    /// A user id: the Cognito `sub` the users service publishes.
    pub struct UserId;
}

shared::uuid_id! {
    /// An order id as the orders service mints them.
    pub struct OrderId;
}

shared::uuid_id! {
    /// The id of an incoming event's envelope: one inbox entry per event id.
    pub struct EventId;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_uuids_normalised_to_lower_case() {
        let raw = "4F8E2B1A-90C3-4D7E-8A55-2C1B7E6D9F00";
        assert_eq!(
            UserId::parse(raw).unwrap().as_str(),
            "4f8e2b1a-90c3-4d7e-8a55-2c1b7e6d9f00"
        );
        for bad in ["", "user-1", "USER#4f8e2b1a-90c3-4d7e-8a55-2c1b7e6d9f00"] {
            assert!(UserId::parse(bad).is_none(), "{bad}");
            assert!(OrderId::parse(bad).is_none(), "{bad}");
            assert!(EventId::parse(bad).is_none(), "{bad}");
        }
    }
}
