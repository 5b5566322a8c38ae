//! What must hold after any load, however the saga's messages were duplicated, reordered
//! or delayed: every order settled as its card and the stock allow, stock conserved, one
//! charge per paid order and one refund per refunded one, each notice told once, and
//! nothing in a dead-letter queue.

use crate::effects::Effects;
use crate::run::{OrderRun, DECLINED};
use std::collections::BTreeMap;

/// What an order should have left behind, from how it ended.
struct Expected {
    payments: &'static [&'static [&'static str]],
    notices: &'static [&'static str],
}

fn expected(run: &OrderRun) -> Option<Expected> {
    let cancelled = run.cancelled.is_some();
    Some(
        match (run.status.as_str(), run.reason.as_deref(), cancelled) {
            ("CONFIRMED", _, false) => Expected {
                payments: &[&["SUCCEEDED"]],
                notices: &["order_confirmed"],
            },
            ("CONFIRMED", _, true) => Expected {
                payments: &[&["REFUNDED"]],
                notices: &["order_cancelled", "order_confirmed", "payment_refunded"],
            },
            ("REJECTED", Some("payment_declined"), _) => Expected {
                payments: &[&["FAILED"]],
                notices: &["order_rejected"],
            },
            // Stock ran out before payment was asked for: no payment, or one voided.
            ("REJECTED", Some("out_of_stock"), _) => Expected {
                payments: &[&[], &["VOIDED"]],
                notices: &["order_rejected"],
            },
            _ => return None,
        },
    )
}

/// Every way the load's effects break the rules, in words; empty when all hold.
pub fn violations(runs: &[OrderRun], initial_stock: i64, effects: &Effects) -> Vec<String> {
    let mut found = Vec::new();
    let mut kept: BTreeMap<&str, i64> = BTreeMap::new();
    for run in runs {
        let id = &run.id;
        if run.settle_seconds.is_none() {
            found.push(format!(
                "order {id} never settled (last seen {})",
                run.status
            ));
            continue;
        }
        let declined_ok = run.card == DECLINED || run.reason.as_deref() != Some("payment_declined");
        let paid_ok = run.card != DECLINED || run.status != "CONFIRMED";
        if !(declined_ok && paid_ok) {
            found.push(format!(
                "order {id} paid with {} ended {} ({:?})",
                run.card, run.status, run.reason
            ));
        }
        if run.cancelled.as_deref().is_some_and(|s| s != "CANCELLED") {
            found.push(format!(
                "order {id} was cancelled but stayed {:?}",
                run.cancelled
            ));
        }
        if run.status == "CONFIRMED" && run.cancelled.is_none() {
            *kept.entry(run.product.as_str()).or_default() += 1;
        }
        let Some(expected) = expected(run) else {
            found.push(format!(
                "order {id} settled as {} ({:?})",
                run.status, run.reason
            ));
            continue;
        };
        let payments = effects.payments.get(id).cloned().unwrap_or_default();
        if !expected.payments.iter().any(|p| *p == payments.as_slice()) {
            found.push(format!(
                "order {id} ({}{}) has payments {payments:?}, expected one of {:?}",
                run.status,
                if run.cancelled.is_some() {
                    ", cancelled"
                } else {
                    ""
                },
                expected.payments
            ));
        }
        let notices = effects.notices.get(id).cloned().unwrap_or_default();
        if notices != expected.notices {
            found.push(format!(
                "order {id}'s shopper was told {notices:?}, expected {:?}",
                expected.notices
            ));
        }
    }
    for (product, (available, reserved)) in &effects.stock {
        let sold = kept.get(product.as_str()).copied().unwrap_or(0);
        // A kept order holds its unit as reserved (nothing ships it); every other unit
        // is available again.
        if *reserved != sold || available + reserved != initial_stock || *available < 0 {
            found.push(format!(
                "product {product}: {available} available and {reserved} reserved in stock, \
                 {sold} sold, started with {initial_stock}"
            ));
        }
    }
    for (queue, depth) in &effects.dead_letters {
        if *depth != 0 {
            found.push(format!("{queue} holds {depth} message(s)"));
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run::VISA;

    fn run(
        id: &str,
        product: &str,
        card: &'static str,
        status: &str,
        reason: Option<&str>,
    ) -> OrderRun {
        OrderRun {
            index: 0,
            shopper: 0,
            id: id.into(),
            product: product.into(),
            card,
            placed_at: 0.0,
            post_seconds: 0.1,
            settle_seconds: Some(0.5),
            seen_seconds: Some(0.6),
            status: status.into(),
            reason: reason.map(str::to_owned),
            cancelled: None,
        }
    }

    /// Four orders of one product with 2 units: one kept, one cancelled, one declined, one
    /// out of stock; and the effects that load should leave.
    fn clean() -> (Vec<OrderRun>, Effects) {
        let mut cancelled = run("b", "p", VISA, "CONFIRMED", None);
        cancelled.cancelled = Some("CANCELLED".into());
        let runs = vec![
            run("a", "p", VISA, "CONFIRMED", None),
            cancelled,
            run("c", "p", DECLINED, "REJECTED", Some("payment_declined")),
            run("d", "p", VISA, "REJECTED", Some("out_of_stock")),
        ];
        let list = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let effects = Effects {
            stock: [("p".to_string(), (1, 1))].into(),
            payments: [
                ("a".to_string(), list(&["SUCCEEDED"])),
                ("b".to_string(), list(&["REFUNDED"])),
                ("c".to_string(), list(&["FAILED"])),
                ("d".to_string(), list(&[])),
            ]
            .into(),
            notices: [
                ("a".to_string(), list(&["order_confirmed"])),
                (
                    "b".to_string(),
                    list(&["order_cancelled", "order_confirmed", "payment_refunded"]),
                ),
                ("c".to_string(), list(&["order_rejected"])),
                ("d".to_string(), list(&["order_rejected"])),
            ]
            .into(),
            dead_letters: [("OrdersDeadLetterQueue".to_string(), 0)].into(),
        };
        (runs, effects)
    }

    #[test]
    fn a_load_whose_every_effect_happened_once_passes() {
        let (runs, effects) = clean();
        assert_eq!(violations(&runs, 2, &effects), Vec::<String>::new());
    }

    #[test]
    fn a_lost_repeated_or_missing_effect_is_named() {
        let (runs, effects) = clean();
        let mut lost = runs.clone();
        lost[0].settle_seconds = None;
        let mut twice_told = effects.clone();
        twice_told
            .notices
            .insert("a".into(), vec!["order_confirmed".into(); 2]);
        let mut charged_twice = effects.clone();
        charged_twice
            .payments
            .insert("a".into(), vec!["SUCCEEDED".into(); 2]);
        let mut not_refunded = effects.clone();
        not_refunded
            .payments
            .insert("b".into(), vec!["SUCCEEDED".into()]);
        let mut stock_leaked = effects.clone();
        stock_leaked.stock.insert("p".into(), (0, 1));
        // A cancelled order's unit never released.
        let mut still_reserved = effects.clone();
        still_reserved.stock.insert("p".into(), (0, 2));
        let mut dead_letter = effects.clone();
        dead_letter
            .dead_letters
            .insert("OrdersDeadLetterQueue".into(), 1);
        let mut declined_but_paid = runs.clone();
        declined_but_paid[2].status = "CONFIRMED".into();
        declined_but_paid[2].reason = None;

        for (what, runs, effects, needle) in [
            ("lost", &lost, &effects, "never settled"),
            ("told twice", &runs, &twice_told, "was told"),
            ("charged twice", &runs, &charged_twice, "has payments"),
            ("not refunded", &runs, &not_refunded, "has payments"),
            ("stock leaked", &runs, &stock_leaked, "0 available"),
            ("still reserved", &runs, &still_reserved, "2 reserved"),
            ("dead letter", &runs, &dead_letter, "holds 1"),
            (
                "declined but paid",
                &declined_but_paid,
                &effects,
                "pm_card_declined ended CONFIRMED",
            ),
        ] {
            let found = violations(runs, 2, effects);
            assert!(
                found.iter().any(|v| v.contains(needle)),
                "{what}: {found:?}"
            );
        }
    }
}
