//! The e2e package's one test binary: every end-to-end test, as a module, linked once.
//!
//! Most modules drive the one shared devstack (`TestApp::shared()`), started on first use
//! and stopped when the binary exits; their tests isolate themselves with fresh users,
//! products and orders. Three kinds of test need a stack of their own, which their module
//! starts once: `faults` (an outage hits every function of a stack), `fuzz_api` (the
//! admin pass archives products and deletes the seeded admin) and the modules that run
//! the stack with other options (`deadline`: a short reservation deadline;
//! `cargo_lambda_watch`: functions under `cargo lambda watch`). `deployment`,
//! `openapi_contract` and `template_invariants` read the repository's files and need no
//! stack.
//!
//! Tests start in name order, four at a time: `cargo_lambda_watch` sorts right after
//! `authz` on purpose, so that its builds (from scratch on a fresh clone) overlap the
//! tests that mostly wait for the saga, instead of running alone at the end.

mod authz;
mod cargo_lambda_watch;
mod deadline;
mod deployment;
mod faults;
mod fuzz_api;
mod journey;
mod openapi_contract;
mod orders;
mod products;
mod template_invariants;
mod users;
