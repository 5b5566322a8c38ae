//! docs/load.md (for people) and docs/load.json (for the chart and for comparing runs).

use crate::run::{OrderRun, Plan};
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write as _;

#[derive(Debug, Serialize)]
pub struct Report {
    pub written_at: String,
    pub machine: String,
    pub plan: Plan,
    /// Seconds a lone order took from its POST to settled, before the load.
    pub lone_order_seconds: f64,
    /// Seconds from the first POST to the last order settled.
    pub wall_seconds: f64,
    pub orders_per_second: f64,
    pub settle: Percentiles,
    pub seen: Percentiles,
    pub post: Percentiles,
    pub outcomes: BTreeMap<String, usize>,
    pub violations: Vec<String>,
    pub orders: Vec<OrderRun>,
}

#[derive(Debug, Serialize)]
pub struct Percentiles {
    pub p50: f64,
    pub p95: f64,
    pub p99: f64,
    pub max: f64,
}

impl Percentiles {
    /// Nearest-rank percentiles of `samples` (seconds); zeros when there are none.
    pub fn of(mut samples: Vec<f64>) -> Percentiles {
        samples.sort_by(f64::total_cmp);
        let rank = |p: f64| {
            let n = samples.len();
            if n == 0 {
                return 0.0;
            }
            let i = ((p / 100.0) * n as f64).ceil() as usize;
            samples[i.clamp(1, n) - 1]
        };
        Percentiles {
            p50: rank(50.0),
            p95: rank(95.0),
            p99: rank(99.0),
            max: rank(100.0),
        }
    }
}

/// How an order ended, in a few words.
pub fn outcome(run: &OrderRun) -> String {
    match (
        run.settle_seconds,
        run.reason.as_deref(),
        run.cancelled.is_some(),
    ) {
        (None, _, _) => "never settled".into(),
        (_, _, true) => "confirmed, then cancelled and refunded".into(),
        (_, Some(reason), _) => format!("rejected: {reason}"),
        _ => run.status.to_lowercase(),
    }
}

pub fn markdown(r: &Report) -> String {
    let mut md = String::new();
    let p = &r.plan;
    let _ = writeln!(md, "# Load\n");
    let _ = writeln!(
        md,
        "Written by `make load` on {} ({}). Do not edit: run `make load`.\n",
        r.written_at, r.machine
    );
    let _ = writeln!(md, "![Time from checkout to a settled order](load.png)\n");
    let _ = writeln!(
        md,
        "**{} shoppers at once placed {} orders through the local API Gateway of `make dev`: \
         {:.1} orders/s settled; from the POST to the order settled p50 {:.2} s, p95 {:.2} s, \
         p99 {:.2} s. A lone order settles in {:.2} s. {}**\n",
        p.shoppers,
        p.orders,
        r.orders_per_second,
        r.settle.p50,
        r.settle.p95,
        r.settle.p99,
        r.lone_order_seconds,
        if r.violations.is_empty() {
            "Nothing was lost or repeated."
        } else {
            "SOME EFFECTS WERE LOST OR REPEATED (below)."
        }
    );
    let _ = writeln!(md, "## The load\n");
    let _ = writeln!(
        md,
        "Each shopper registers and signs in, then takes the next order until {} are placed: \
         one unit of one of {} products with {} units each ({} in all, fewer than the demand), \
         every {}th paid with a card that is declined, every {}th cancelled once confirmed. \
         Each order is read every {} ms (the storefront's cadence) until it is CONFIRMED, \
         REJECTED or CANCELLED. It settled when its status became final: the `updated_at` \
         of that read, written by the orders service on the same clock; the shopper saw it \
         settled at that read.\n",
        p.orders,
        p.products,
        p.stock_per_product,
        p.stock_per_product * p.products as i64,
        p.decline_every,
        p.cancel_every,
        crate::run::POLL.as_millis()
    );
    let _ = writeln!(md, "| | p50 | p95 | p99 | max |\n|---|---|---|---|---|");
    for (name, q) in [
        ("POST to settled (s)", &r.settle),
        ("POST to seen settled by the shopper (s)", &r.seen),
        ("POST /v1/orders (s)", &r.post),
    ] {
        let _ = writeln!(
            md,
            "| {name} | {:.2} | {:.2} | {:.2} | {:.2} |",
            q.p50, q.p95, q.p99, q.max
        );
    }
    let _ = writeln!(
        md,
        "\n{} orders settled in {:.1} s from the first POST.\n",
        r.orders.len(),
        r.wall_seconds
    );
    let _ = writeln!(md, "| outcome | orders |\n|---|---|");
    for (outcome, n) in &r.outcomes {
        let _ = writeln!(md, "| {outcome} | {n} |");
    }
    let _ = writeln!(md, "\n## Invariants\n");
    let _ = writeln!(
        md,
        "Every order settled as its card and the stock allow; each product's reserved units are \
         its kept orders and, with the available ones, what it started with; a kept order has one SUCCEEDED payment, a cancelled \
         one one REFUNDED, a declined one one FAILED, one out of stock none (or VOIDED); each \
         shopper was told of each order exactly once per step; every dead-letter and failure \
         queue is empty.\n"
    );
    if r.violations.is_empty() {
        let _ = writeln!(md, "All hold.");
    } else {
        for v in &r.violations {
            let _ = writeln!(md, "- {v}");
        }
    }
    let _ = write!(md, "\n## Before and after\n\n{HISTORY}");
    md
}

/// The figures of earlier runs, one row per change that moved them (kept by hand: a run
/// measures only the code it runs).
const HISTORY: &str = include_str!("../history.md");
