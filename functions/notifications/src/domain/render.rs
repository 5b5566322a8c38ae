//! The message of each event, one function per event type: a one-line subject and a
//! plain-text body that name the order, its total (or the amount refunded) and the reason
//! where there is one. Every order event carries the total, so no projection of orders is
//! needed here.

use super::contact::display_name;
use super::inbox_entry::Message;
use super::money_text::money_text;
use super::notification_type::NotificationType;
use shared::events::orders::{OrderCancelled, OrderConfirmed, OrderRejected};
use shared::events::payments::PaymentRefunded;
use shared::events::users::UserRegistered;

const SIGNATURE: &str = "The crabcart team";

/// UserRegistered -> welcome, greeting the user by the name they registered with.
pub fn welcome(event: &UserRegistered) -> Message {
    let name = display_name(&event.name);
    message(
        NotificationType::Welcome,
        "Welcome to crabcart".to_owned(),
        name.as_deref(),
        "your account is ready. We will let you know here and by email how your orders are doing."
            .to_owned(),
    )
}

/// OrderConfirmed -> the order is paid, with what was charged.
pub fn order_confirmed(event: &OrderConfirmed, name: Option<&str>) -> Message {
    message(
        NotificationType::OrderConfirmed,
        format!("Your order {} is confirmed", event.order_id),
        name,
        format!(
            "your order {} is confirmed and paid: we charged {}. Thank you for your order.",
            event.order_id,
            money_text(event.total)
        ),
    )
}

/// OrderRejected -> the order did not go through, and why.
pub fn order_rejected(event: &OrderRejected, name: Option<&str>) -> Message {
    let why = match event.reason.as_str() {
        "out_of_stock" => "some of its items are out of stock. Nothing was charged.",
        "payment_declined" => "the payment was declined. Nothing was charged.",
        "expired" => "it could not be completed in time. Its items are back in stock, and any payment taken for it is refunded.",
        // The orders service sends only the reasons above; a new one still deserves a
        // message rather than a retry loop.
        _ => "it could not be completed.",
    };
    message(
        NotificationType::OrderRejected,
        format!("Your order {} could not be completed", event.order_id),
        name,
        format!(
            "we could not complete your order {} of {}: {why}",
            event.order_id,
            money_text(event.total)
        ),
    )
}

/// OrderCancelled -> the order is cancelled, and a refund announced when one is due.
pub fn order_cancelled(event: &OrderCancelled, name: Option<&str>) -> Message {
    let total = money_text(event.total);
    let refund = if event.refund {
        format!("The {total} you paid will be refunded: a refund is on its way.")
    } else {
        "Nothing was charged.".to_owned()
    };
    message(
        NotificationType::OrderCancelled,
        format!("Your order {} is cancelled", event.order_id),
        name,
        format!(
            "your order {} of {total} is cancelled. {refund}",
            event.order_id
        ),
    )
}

/// PaymentRefunded -> the refund of an order, with its amount.
pub fn payment_refunded(event: &PaymentRefunded, name: Option<&str>) -> Message {
    let amount = money_text(event.amount);
    message(
        NotificationType::PaymentRefunded,
        format!("Refund of {amount} for order {}", event.order_id),
        name,
        format!(
            "we refunded {amount} for your order {}. Depending on your bank, it can take a few days to show on your statement.",
            event.order_id
        ),
    )
}

fn message(kind: NotificationType, subject: String, name: Option<&str>, text: String) -> Message {
    let greeting = match name {
        Some(name) => format!("Hi {name},"),
        None => "Hello,".to_owned(),
    };
    Message {
        kind,
        subject,
        body: format!("{greeting}\n\n{text}\n\n{SIGNATURE}\n"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::{Currency, Money};

    const ORDER: &str = "0193f1a2-7c4e-7b10-9d2a-000000000001";
    const USER: &str = "4f8e2b1a-90c3-4d7e-8a55-2c1b7e6d9f00";

    fn money(amount: u64, code: &str) -> Money {
        Money::new(amount, Currency::parse(code).unwrap())
    }

    fn rejected(reason: &str) -> Message {
        order_rejected(
            &OrderRejected {
                order_id: ORDER.to_owned(),
                user_id: USER.to_owned(),
                total: money(4998, "EUR"),
                reason: reason.to_owned(),
            },
            None,
        )
    }

    fn cancelled(refund: bool) -> Message {
        order_cancelled(
            &OrderCancelled {
                order_id: ORDER.to_owned(),
                user_id: USER.to_owned(),
                total: money(1500, "JPY"),
                refund,
            },
            Some("Alice"),
        )
    }

    fn assert_one_line(subject: &str) {
        assert!(!subject.chars().any(char::is_control), "{subject:?}");
    }

    #[test]
    fn welcome_greets_by_the_registered_name() {
        let m = welcome(&UserRegistered {
            user_id: USER.to_owned(),
            email: "alice@example.com".to_owned(),
            name: "  Alice ".to_owned(),
            registered_at: shared::time::now(),
        });
        assert_eq!(m.kind, NotificationType::Welcome);
        assert_eq!(m.subject, "Welcome to crabcart");
        assert!(m.body.starts_with("Hi Alice,\n\n"), "{}", m.body);
        assert!(!m.body.contains("alice@example.com"));
    }

    #[test]
    fn a_confirmation_names_the_order_and_what_was_charged() {
        let m = order_confirmed(
            &OrderConfirmed {
                order_id: ORDER.to_owned(),
                user_id: USER.to_owned(),
                total: money(99800, "EUR"),
            },
            Some("Alice"),
        );
        assert_eq!(m.kind, NotificationType::OrderConfirmed);
        assert_eq!(m.subject, format!("Your order {ORDER} is confirmed"));
        assert!(m.body.starts_with("Hi Alice,\n\n"), "{}", m.body);
        assert!(
            m.body.contains(&format!(
                "your order {ORDER} is confirmed and paid: we charged 998.00 EUR."
            )),
            "{}",
            m.body
        );
    }

    #[test]
    fn a_rejection_names_the_order_its_total_and_the_reason() {
        let stock = rejected("out_of_stock");
        assert_eq!(stock.kind, NotificationType::OrderRejected);
        assert_eq!(
            stock.subject,
            format!("Your order {ORDER} could not be completed")
        );
        assert!(stock.body.starts_with("Hello,\n\n"), "{}", stock.body);
        assert!(
            stock.body.contains(&format!(
                "your order {ORDER} of 49.98 EUR: some of its items are out of stock."
            )),
            "{}",
            stock.body
        );
        let expired = rejected("expired");
        assert!(
            expired.body.contains("could not be completed in time")
                && expired.body.contains("refunded"),
            "{}",
            expired.body
        );
        let declined = rejected("payment_declined");
        assert!(
            declined.body.contains("the payment was declined"),
            "{}",
            declined.body
        );
        let unknown = rejected("meteor_strike");
        assert!(unknown.body.contains(&format!(
            "your order {ORDER} of 49.98 EUR: it could not be completed."
        )));
        assert!(!unknown.body.contains("meteor"));
    }

    #[test]
    fn a_cancellation_names_the_total_and_announces_a_refund_only_when_one_is_due() {
        let refunded = cancelled(true);
        assert_eq!(refunded.kind, NotificationType::OrderCancelled);
        assert_eq!(refunded.subject, format!("Your order {ORDER} is cancelled"));
        assert!(
            refunded.body.contains(&format!(
                "your order {ORDER} of 1500 JPY is cancelled. The 1500 JPY you paid will be refunded: a refund is on its way."
            )),
            "{}",
            refunded.body
        );
        let unpaid = cancelled(false);
        assert!(!unpaid.body.contains("refund"), "{}", unpaid.body);
        assert!(
            unpaid.body.contains(&format!(
                "your order {ORDER} of 1500 JPY is cancelled. Nothing was charged."
            )),
            "{}",
            unpaid.body
        );
    }

    #[test]
    fn a_refund_names_the_order_and_the_amount_in_its_currency() {
        let m = payment_refunded(
            &PaymentRefunded {
                order_id: ORDER.to_owned(),
                user_id: USER.to_owned(),
                payment_id: shared::ids::new_id(),
                amount: money(1500, "JPY"),
            },
            None,
        );
        assert_eq!(m.kind, NotificationType::PaymentRefunded);
        assert_eq!(m.subject, format!("Refund of 1500 JPY for order {ORDER}"));
        assert!(
            m.body
                .contains(&format!("we refunded 1500 JPY for your order {ORDER}.")),
            "{}",
            m.body
        );
    }

    #[test]
    fn subjects_are_one_line_and_bodies_are_signed() {
        for m in [rejected("out_of_stock"), cancelled(true)] {
            assert_one_line(&m.subject);
            assert!(m.body.ends_with("The crabcart team\n"), "{}", m.body);
        }
    }
}
