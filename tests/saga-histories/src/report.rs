//! The figures of a run of histories, added up, for the reliability report.

use crate::history::History;
use crate::invariants::Verdict;
use std::collections::BTreeMap;
use std::fmt;

/// What a run of histories did and found.
#[derive(Debug, Default)]
pub struct Totals {
    /// Histories run.
    pub histories: u64,
    /// Orders placed.
    pub orders: u64,
    /// Final statuses of the orders.
    pub statuses: BTreeMap<&'static str, u64>,
    /// Cancellation requests, and how many the API accepted.
    pub cancel_requests: u64,
    /// Cancellation requests answered 200.
    pub cancels_accepted: u64,
    /// Events published.
    pub events: u64,
    /// Messages enqueued, duplicates included.
    pub messages: u64,
    /// Extra copies injected.
    pub duplicates: u64,
    /// Worker invocations.
    pub invocations: u64,
    /// Messages received by workers (deliveries).
    pub deliveries: u64,
    /// Invocations crashed part-way.
    pub crashes: u64,
    /// Deliveries not acknowledged (failed or crashed), each redelivered or dead-lettered.
    pub unacknowledged: u64,
    /// Messages dead-lettered.
    pub dead_letters: u64,
    /// Orders left behind a dead letter.
    pub blocked_orders: u64,
    /// Orders charged, and refunded.
    pub charged: u64,
    /// Orders refunded.
    pub refunded: u64,
    /// Inbox entries written.
    pub inbox_entries: u64,
    /// Broken invariants.
    pub violations: u64,
    /// Seeds of the histories with broken invariants.
    pub failed_seeds: Vec<u64>,
}

impl Totals {
    /// Adds one history and its verdict.
    pub fn add(&mut self, history: &History, verdict: &Verdict) {
        let bus = history.bus_counts();
        self.histories += 1;
        self.orders += history.orders.len() as u64;
        for (status, n) in &verdict.statuses {
            *self.statuses.entry(status).or_default() += n;
        }
        self.cancel_requests += history.counts.cancel_requests;
        self.cancels_accepted += history.counts.cancels_accepted;
        self.events += bus.published;
        self.messages += bus.enqueued;
        self.duplicates += bus.duplicates;
        self.invocations += history.counts.invocations;
        self.deliveries += bus.received;
        self.crashes += history.counts.crashes;
        self.unacknowledged += bus.unacknowledged;
        self.dead_letters += bus.dead_lettered;
        self.blocked_orders += verdict.blocked.len() as u64;
        self.charged += verdict.charged;
        self.refunded += verdict.refunded;
        self.inbox_entries += verdict.inbox_entries;
        self.violations += verdict.violations.len() as u64;
        if !verdict.violations.is_empty() {
            self.failed_seeds.push(history.seed);
        }
    }
}

impl fmt::Display for Totals {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "saga histories: {}", self.histories)?;
        writeln!(
            f,
            "  orders: {} ({}); cancellations requested {}, accepted {}",
            self.orders,
            self.statuses
                .iter()
                .map(|(s, n)| format!("{s} {n}"))
                .collect::<Vec<_>>()
                .join(", "),
            self.cancel_requests,
            self.cancels_accepted
        )?;
        writeln!(
            f,
            "  events published {}, messages {} ({} duplicate copies), deliveries {} in {} invocations",
            self.events, self.messages, self.duplicates, self.deliveries, self.invocations
        )?;
        writeln!(
            f,
            "  crashes injected {}, deliveries not acknowledged {}, dead letters {}, blocked orders {}",
            self.crashes, self.unacknowledged, self.dead_letters, self.blocked_orders
        )?;
        writeln!(
            f,
            "  orders charged {}, refunded {}; inbox entries {}",
            self.charged, self.refunded, self.inbox_entries
        )?;
        write!(
            f,
            "  violations {} (seeds: {:?})",
            self.violations, self.failed_seeds
        )
    }
}
