//! HTTP integration tests: each test starts the real application on port 0 with its own
//! database and its own embedded carrier emulator, and talks to it over HTTP.

mod agent_versions;
mod agents;
mod audit;
mod backup;
mod billing;
mod browser;
mod burst;
mod catalog;
mod cli;
mod cli_client;
mod dashboard;
mod durability;
mod helpers;
mod hostile_input;
mod idempotency;
mod lifecycle;
mod lifecycle_helpers;
mod list_pages;
mod official_clients;
mod ops;
mod orders;
mod purchase;
mod rate_limit;
mod reconcile;
mod reservations;
mod saga;
mod search;
mod search_filters;
mod sessions;
mod sip_trunk;
mod slow_clients;
mod startup;
#[path = "../support/mod.rs"]
mod support;
mod telnyx;
mod webhook_events;
mod webhook_retries;
mod webhooks;
mod workspace;
