//! HTTP integration tests: each test starts the real application on port 0 with its own
//! database and its own embedded carrier emulator, and talks to it over HTTP.

mod billing;
mod helpers;
mod idempotency;
mod pg;
mod purchase;
mod reconcile;
mod saga;
mod search;
mod workspace;
