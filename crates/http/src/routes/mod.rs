//! One module per resource, each exposing `router()`; `crate::router` merges them.

pub mod admin;
pub mod agent_views;
pub mod agents;
pub mod audit;
pub mod available;
pub mod billing;
pub mod catalog;
pub mod health;
pub mod numbers;
pub mod orders;
pub mod purchase;
pub mod reservations;
pub mod sip_trunks;
pub mod webhook_deliveries;
pub mod webhooks;
pub mod workspace;
