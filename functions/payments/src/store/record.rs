//! The payment item as stored, and its conversion to and from the domain.

use super::keys;
use crate::domain::{
    OrderId, OrderPayment, Payment, PaymentId, PaymentMethod, PaymentStatus, VoidedPayment,
};
use serde::{Deserialize, Serialize};
use shared::store::StoreError;
use shared::Money;

/// An order's payment item. A VOIDED tombstone has no id, amount or payment method: the
/// order was cancelled before anyone asked for a charge.
#[derive(Debug, Serialize, Deserialize)]
pub(super) struct PaymentRecord {
    #[serde(rename = "PK")]
    pk: String,
    #[serde(rename = "SK")]
    sk: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    id: Option<String>,
    order_id: String,
    user_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    amount: Option<Money>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    payment_method: Option<String>,
    status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    failure_reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    charge_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    refund_id: Option<String>,
    created_at: String,
    updated_at: String,
}

impl From<&Payment> for PaymentRecord {
    fn from(p: &Payment) -> Self {
        Self {
            pk: keys::payment_pk(p.order_id.as_str()),
            sk: keys::PAYMENT_SK.to_owned(),
            id: Some(p.id.as_str().to_owned()),
            order_id: p.order_id.as_str().to_owned(),
            user_id: p.user_id.clone(),
            amount: Some(p.amount),
            payment_method: Some(p.payment_method.as_str().to_owned()),
            status: p.status.as_str().to_owned(),
            failure_reason: p.failure_reason.clone(),
            charge_id: p.charge_id.clone(),
            refund_id: p.refund_id.clone(),
            created_at: shared::time::rfc3339(&p.created_at),
            updated_at: shared::time::rfc3339(&p.updated_at),
        }
    }
}

impl From<&VoidedPayment> for PaymentRecord {
    fn from(v: &VoidedPayment) -> Self {
        let at = shared::time::rfc3339(&v.voided_at);
        Self {
            pk: keys::payment_pk(v.order_id.as_str()),
            sk: keys::PAYMENT_SK.to_owned(),
            id: None,
            order_id: v.order_id.as_str().to_owned(),
            user_id: v.user_id.clone(),
            amount: None,
            payment_method: None,
            status: PaymentStatus::Voided.as_str().to_owned(),
            failure_reason: None,
            charge_id: None,
            refund_id: None,
            created_at: at.clone(),
            updated_at: at,
        }
    }
}

impl TryFrom<PaymentRecord> for OrderPayment {
    type Error = StoreError;

    fn try_from(r: PaymentRecord) -> Result<Self, StoreError> {
        let corrupt = |what: &str| {
            StoreError::Other(anyhow::anyhow!(
                "payment of order {} has an invalid {what}",
                r.order_id
            ))
        };
        let order_id = OrderId::parse(&r.order_id).ok_or_else(|| corrupt("order_id"))?;
        let status = PaymentStatus::parse(&r.status).ok_or_else(|| corrupt("status"))?;
        let created_at =
            shared::time::parse_rfc3339(&r.created_at).ok_or_else(|| corrupt("created_at"))?;
        let updated_at =
            shared::time::parse_rfc3339(&r.updated_at).ok_or_else(|| corrupt("updated_at"))?;
        if status == PaymentStatus::Voided {
            return Ok(Self::Voided(VoidedPayment {
                order_id,
                user_id: r.user_id,
                voided_at: created_at,
            }));
        }
        let id =
            r.id.as_deref()
                .and_then(PaymentId::parse)
                .ok_or_else(|| corrupt("id"))?;
        let amount = r.amount.ok_or_else(|| corrupt("amount"))?;
        let payment_method = r
            .payment_method
            .as_deref()
            .and_then(|m| PaymentMethod::parse(m).ok())
            .ok_or_else(|| corrupt("payment_method"))?;
        Ok(Self::Payment(Payment {
            id,
            order_id,
            user_id: r.user_id,
            amount,
            payment_method,
            status,
            failure_reason: r.failure_reason,
            charge_id: r.charge_id,
            refund_id: r.refund_id,
            created_at,
            updated_at,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::PaymentRequest;
    use shared::events::orders::PaymentRequested;
    use shared::store::{from_item, to_item};
    use shared::Currency;

    fn payment() -> Payment {
        let request = PaymentRequest::parse(&PaymentRequested {
            order_id: shared::ids::new_id(),
            user_id: "user-1".to_owned(),
            amount: Money::new(2500, Currency::parse("USD").unwrap()),
            payment_method: "pm_card_visa".to_owned(),
        })
        .unwrap();
        Payment::claim(&request, shared::time::now())
    }

    fn round_trip(record: PaymentRecord) -> OrderPayment {
        let item = to_item(&record).unwrap();
        OrderPayment::try_from(from_item::<PaymentRecord>(item).unwrap()).unwrap()
    }

    #[test]
    fn payments_and_tombstones_round_trip_through_an_item() {
        let failed = payment()
            .fail("card_declined".to_owned(), shared::time::now())
            .unwrap();
        assert_eq!(
            round_trip(PaymentRecord::from(&failed)),
            OrderPayment::Payment(failed.clone())
        );
        let item = to_item(&PaymentRecord::from(&failed)).unwrap();
        assert_eq!(
            item["PK"].as_s().unwrap(),
            &keys::payment_pk(failed.order_id.as_str())
        );
        assert_eq!(item["status"].as_s().unwrap(), "FAILED");
        assert!(!item.contains_key("charge_id"), "absent, not null");

        let voided = VoidedPayment {
            order_id: failed.order_id.clone(),
            user_id: "user-1".to_owned(),
            voided_at: shared::time::now(),
        };
        assert_eq!(
            round_trip(PaymentRecord::from(&voided)),
            OrderPayment::Voided(voided)
        );
    }

    #[test]
    fn a_payment_without_its_amount_is_corrupt() {
        let mut record = PaymentRecord::from(&payment());
        record.amount = None;
        let err = OrderPayment::try_from(record).unwrap_err();
        assert!(err.to_string().contains("amount"), "{err}");
    }
}
