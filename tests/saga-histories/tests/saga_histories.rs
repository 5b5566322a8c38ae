//! The saga under duplicates, reordering and crashes: `SAGA_HISTORIES` seeded histories
//! (default 30; 200 for the reliability figures), `SAGA_PARALLEL` at a time (default 3),
//! seeds from `SAGA_FIRST_SEED` (default 1); `SAGA_SEED=<n>` replays one. Every
//! invariant of saga_histories::invariants must hold after each history.

use saga_histories::history;
use saga_histories::invariants;
use saga_histories::report::Totals;
use saga_histories::wiring::Wiring;
use std::sync::Arc;
use tokio::sync::Semaphore;

fn env_number(name: &str, default: u64) -> u64 {
    match std::env::var(name) {
        Ok(raw) => raw
            .parse()
            .unwrap_or_else(|_| panic!("{name}={raw:?} is not a number")),
        Err(_) => default,
    }
}

/// Runs the history of `seed` and checks it; when dead letters held part of it back,
/// redrives them and checks again: delayed is acceptable, lost is not.
async fn run_and_check(
    seed: u64,
    wiring: &Wiring,
) -> (
    history::History,
    invariants::Verdict,
    usize,
    Option<invariants::Verdict>,
) {
    let mut history = history::run(seed, wiring).await;
    if std::env::var_os("SAGA_TRACE").is_some() {
        eprintln!("seed {seed}:\n  {}", history.trace.join("\n  "));
    }
    let verdict = invariants::check(&history).await;
    let redriven = history.redrive().await;
    let after_redrive = if redriven > 0 {
        Some(invariants::check(&history).await)
    } else {
        None
    };
    history.stack.delete_tables().await;
    (history, verdict, redriven, after_redrive)
}

/// The trace lines shown for a failed history.
const TRACE_TAIL: usize = 60;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_history_keeps_the_saga_invariants() {
    let seeds: Vec<u64> = match std::env::var("SAGA_SEED") {
        Ok(_) => vec![env_number("SAGA_SEED", 0)],
        Err(_) => {
            let first = env_number("SAGA_FIRST_SEED", 1);
            (first..first + env_number("SAGA_HISTORIES", 30)).collect()
        }
    };
    let parallel = env_number("SAGA_PARALLEL", 3).max(1) as usize;
    let wiring = Arc::new(Wiring::from_template());
    let mut totals = Totals::default();
    let mut failures = Vec::new();
    // Each history runs on its own tables: up to `parallel` at a time, in seed order.
    let permits = Arc::new(Semaphore::new(parallel));
    let runs: Vec<_> = seeds
        .iter()
        .map(|&seed| {
            let (wiring, permits) = (Arc::clone(&wiring), Arc::clone(&permits));
            tokio::spawn(async move {
                let _permit = permits
                    .acquire_owned()
                    .await
                    .expect("the semaphore stays open");
                run_and_check(seed, &wiring).await
            })
        })
        .collect();
    for run in runs {
        let (history, verdict, redriven, after_redrive) =
            run.await.expect("a history runs to its end");
        totals.add(&history, &verdict, redriven, after_redrive.as_ref());
        let mut violations = verdict.violations.clone();
        if let Some(after) = &after_redrive {
            eprintln!(
                "seed {}: {redriven} dead letters redriven; the orders they held back: {:#?}",
                history.seed, verdict.blocked
            );
            violations.extend(
                after
                    .violations
                    .iter()
                    .map(|v| format!("after redrive: {v}")),
            );
            violations.extend(
                after
                    .blocked
                    .iter()
                    .map(|b| format!("after redrive: still blocked: {b}")),
            );
        }
        if !violations.is_empty() {
            let tail = history.trace.len().saturating_sub(TRACE_TAIL);
            failures.push(format!(
                "seed {} (replay: SAGA_SEED={} cargo test --test saga_histories):\n  {}\n  last steps:\n    {}",
                history.seed,
                history.seed,
                violations.join("\n  "),
                history.trace[tail..].join("\n    ")
            ));
        }
    }
    eprintln!("{totals}");
    assert!(
        failures.is_empty(),
        "{} of {} histories broke the saga's invariants:\n{}",
        failures.len(),
        totals.histories,
        failures.join("\n\n")
    );
}

/// A seed is a history: the same users' actions, deliveries, crashes and outcome, so a
/// failing seed can be replayed and debugged.
#[tokio::test]
async fn a_seed_replays_the_same_history() {
    let wiring = Wiring::from_template();
    let seed = 4242;
    let first = history::run(seed, &wiring).await;
    let again = history::run(seed, &wiring).await;
    assert!(first.trace.len() > 10, "{:#?}", first.trace);
    assert_eq!(first.trace, again.trace);
    assert_eq!(first.bus_counts(), again.bus_counts());
    first.stack.delete_tables().await;
    again.stack.delete_tables().await;
}
