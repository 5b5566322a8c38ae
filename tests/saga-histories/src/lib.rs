//! Randomized, seeded histories of the order saga (docs/saga.md), run against the
//! real workers in-process on moto, with the invariants of the saga checked after each.
//!
//! A history ([`history`]) places a few orders through the orders API on a small
//! catalog, cancels some of them at random moments, and delivers every event the
//! services' outboxes hold through an in-memory SNS and SQS ([`bus`]) wired as
//! template.yaml wires the stack ([`wiring`]): duplicated, in random order and batch
//! sizes, with workers crashing between steps ([`crash`]) and messages dead-lettered
//! after `maxReceiveCount` receives. [`invariants`] says what must hold afterwards; an
//! order held back by a dead letter is reported as blocked, and must settle like every
//! other once the dead letters are redriven ([`history::History::redrive`]): delayed is
//! acceptable, lost is not. [`report`] adds histories up.
//!
//! Run (from the workspace root, with the project's build flags):
//! `SAGA_HISTORIES=200 cargo test --workspace --test saga_histories -- --nocapture`;
//! `SAGA_SEED=<n>` replays one history, `SAGA_FIRST_SEED=<n>` starts the seeds elsewhere.

pub mod bus;
pub mod crash;
pub mod history;
pub mod invariants;
pub mod report;
pub mod stack;
pub mod wiring;
