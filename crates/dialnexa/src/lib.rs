//! The `dialnexa` binary as a library, so integration tests start the very same application
//! (`app::Application::build` on port 0) that `dialnexa serve` runs.

pub mod app;
pub mod cli;
pub mod config;
pub mod demo;
mod json_lines;
mod log_writer;
pub mod logging;
pub mod otlp;
pub mod prometheus;
pub mod secret_key;
pub mod serve;
pub mod slow_clients;
pub mod workers;
