//! One module per resource, each exposing `router()`; `crate::router` merges them.

pub mod admin;
pub mod agents;
pub mod available;
pub mod billing;
pub mod catalog;
pub mod health;
pub mod numbers;
pub mod purchase;
pub mod sip_trunks;
pub mod workspace;
