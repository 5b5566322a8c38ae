//! The e2e package's one test binary: every end-to-end test, as a module, linked once.
//!
//! Most modules drive the one shared devstack (`TestApp::shared()`), started on first use
//! and stopped when the binary exits; their tests isolate themselves with fresh users,
//! products and orders. Three kinds of test need a stack of their own, which their module
//! starts once: `faults` (an outage hits every function of a stack), `fuzz_api` (the
//! admin pass archives products and deletes the seeded admin) and the modules that run
//! the stack with other options (`deadline`: a short reservation deadline; `watch`:
//! functions under `cargo lambda watch`). `deployment`, `openapi_contract` and
//! `template_invariants` read the repository's files and need no stack. `storefront`
//! drives the shared stack's storefront in a headless Chromium.
//!
//! Tests start in name order, four at a time, so `watch` runs last, mostly alone: its
//! rebuilds under `cargo lambda watch` are timed against the saga, and running them
//! beside the other tests on 2 cores once turned an order placed mid-rebuild into a 502.

mod authz;
mod cors;
mod deadline;
mod deployment;
mod faults;
mod fuzz_api;
mod journey;
mod openapi_contract;
mod orders;
mod products;
mod storefront;
mod template_invariants;
mod users;
mod watch;
