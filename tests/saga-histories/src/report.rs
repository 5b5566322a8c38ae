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
    /// Runs of the expiry sweep.
    pub expiry_sweeps: u64,
    /// Orders the sweeps found past the deadline.
    pub overdue: u64,
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
    /// Invocations that failed as a whole (the worker returned an error).
    pub invocation_errors: u64,
    /// Deliveries not acknowledged (failed or crashed), each redelivered or dead-lettered.
    pub unacknowledged: u64,
    /// Messages dead-lettered.
    pub dead_letters: u64,
    /// Orders left behind a dead letter.
    pub blocked_orders: u64,
    /// Histories whose dead letters were redriven at the end.
    pub redrives: u64,
    /// Dead letters redriven.
    pub redriven: u64,
    /// Orders still blocked after the redrive (each a violation).
    pub blocked_after_redrive: u64,
    /// Orders charged.
    pub charged: u64,
    /// Orders refunded.
    pub refunded: u64,
    /// Inbox entries written.
    pub inbox_entries: u64,
    /// Orders whose saga compensated a late StockReserved or PaymentSucceeded.
    pub compensated: u64,
    /// Broken invariants.
    pub violations: u64,
    /// Seeds of the histories with broken invariants.
    pub failed_seeds: Vec<u64>,
}

impl Totals {
    /// Adds one history: its `verdict` when its queues drained, and, when it had dead
    /// letters, the verdict once `redriven` of them were redriven (`after_redrive`).
    pub fn add(
        &mut self,
        history: &History,
        verdict: &Verdict,
        redriven: usize,
        after_redrive: Option<&Verdict>,
    ) {
        let bus = history.bus_counts();
        self.histories += 1;
        self.orders += history.orders.len() as u64;
        self.cancel_requests += history.counts.cancel_requests;
        self.expiry_sweeps += history.counts.expiry_sweeps;
        self.overdue += history.counts.overdue;
        self.cancels_accepted += history.counts.cancels_accepted;
        self.events += bus.published;
        self.messages += bus.enqueued;
        self.duplicates += bus.duplicates;
        self.invocations += history.counts.invocations;
        self.deliveries += bus.received;
        self.crashes += history.counts.crashes;
        self.invocation_errors += history.counts.invocation_errors;
        self.unacknowledged += bus.unacknowledged;
        self.dead_letters += bus.dead_lettered;
        self.blocked_orders += verdict.blocked.len() as u64;
        let mut violations = verdict.violations.len();
        if let Some(after) = after_redrive {
            self.redrives += 1;
            self.redriven += redriven as u64;
            self.blocked_after_redrive += after.blocked.len() as u64;
            violations += after.violations.len() + after.blocked.len();
        }
        // Where the history ended up: after the redrive, if there was one.
        let last = after_redrive.unwrap_or(verdict);
        for (status, n) in &last.statuses {
            *self.statuses.entry(status).or_default() += n;
        }
        self.charged += last.charged;
        self.refunded += last.refunded;
        self.inbox_entries += last.inbox_entries;
        self.compensated += last.compensated;
        self.violations += violations as u64;
        if violations > 0 {
            self.failed_seeds.push(history.seed);
        }
    }
}

impl fmt::Display for Totals {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "saga histories: {}", self.histories)?;
        writeln!(
            f,
            "  orders: {} ({}); cancellations requested {}, accepted {}; expiry sweeps {}, orders overdue {}",
            self.orders,
            self.statuses
                .iter()
                .map(|(s, n)| format!("{s} {n}"))
                .collect::<Vec<_>>()
                .join(", "),
            self.cancel_requests,
            self.cancels_accepted,
            self.expiry_sweeps,
            self.overdue
        )?;
        writeln!(
            f,
            "  events published {}, messages {} ({} duplicate copies), deliveries {} in {} invocations",
            self.events, self.messages, self.duplicates, self.deliveries, self.invocations
        )?;
        writeln!(
            f,
            "  crashes injected {}, failed invocations {}, deliveries not acknowledged {}, dead letters {}, blocked orders {}",
            self.crashes, self.invocation_errors, self.unacknowledged, self.dead_letters, self.blocked_orders
        )?;
        writeln!(
            f,
            "  orders charged {}, refunded {}; inbox entries {}; orders compensated {}",
            self.charged, self.refunded, self.inbox_entries, self.compensated
        )?;
        writeln!(
            f,
            "  dead letters redriven {} in {} histories; orders still blocked after that {}",
            self.redriven, self.redrives, self.blocked_after_redrive
        )?;
        write!(
            f,
            "  violations {} (seeds: {:?})",
            self.violations, self.failed_seeds
        )
    }
}
