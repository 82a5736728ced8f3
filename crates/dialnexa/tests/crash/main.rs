//! Crash tests of the purchase and release sagas: a real `dialnexa serve` child process is made
//! to exit at every step of each saga (failpoints, all of them, as omicron's
//! `action_failure_can_unwind` fails every action), or is killed while the carrier hangs after
//! committing, then restarted on the same database and emulator state. After recovery,
//! DESIGN.md's invariants must hold (`harness::Site::recover`). Also here: what an
//! `Idempotency-Key` promises across restarts. Each test runs on SQLite, or on PostgreSQL with
//! `DIALNEXA_TEST_DATABASE=postgres`.

mod harness;
mod order;
mod purchase;
mod release;
mod restart;
#[path = "../support/mod.rs"]
mod support;
mod webhooks;
