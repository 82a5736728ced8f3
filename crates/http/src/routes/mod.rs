//! One module per resource, each exposing `router()`; `crate::router` merges them.

pub mod admin;
pub mod available;
pub mod billing;
pub mod health;
pub mod numbers;
pub mod workspace;
