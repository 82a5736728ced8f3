//! `dialnexa serve` (the API, the dashboard and the workers, with the carrier emulator
//! in-process by default), `dialnexa carrier-emulator` and `dialnexa migrate`.

use super::shutdown_signal;
use crate::app::Application;
use crate::config::{DatabaseArgs, ServeArgs};
use dialnexa_store::SqlStore;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

pub(super) async fn serve(args: ServeArgs) -> anyhow::Result<ExitCode> {
    let app = Application::build(args).await?;
    println!("DialNexa Numbers listening on http://{}", app.local_addr());
    if let Some(url) = app.emulator_url() {
        println!("carrier emulator (Twilio, Plivo and Telnyx wire formats) on {url}");
    }
    if let Some(demo) = app.demo_key() {
        println!(
            "created the demo workspace {} (US, GB, IN enabled; KYC approved for IN)",
            demo.workspace_id
        );
        println!("its API key, shown once: {}", demo.secret);
        println!("the key is also saved in {}", demo.path.display());
    }
    if let Some(addr) = app.metrics_addr() {
        println!("metrics on http://{addr}/metrics");
    }
    app.run_until_stopped(shutdown_signal()).await?;
    Ok(ExitCode::SUCCESS)
}

/// The carrier emulator on its own, until SIGINT or SIGTERM.
pub(super) async fn emulator(
    listen: SocketAddr,
    state: Option<PathBuf>,
) -> anyhow::Result<ExitCode> {
    let config = dialnexa_emulator::EmulatorConfig {
        listen,
        state_path: state,
        ..Default::default()
    };
    let emulator = dialnexa_emulator::start(config).await?;
    println!("carrier emulator listening on {}", emulator.base_url());
    shutdown_signal().await;
    emulator.shutdown().await;
    Ok(ExitCode::SUCCESS)
}

pub(super) async fn migrate(database: DatabaseArgs) -> anyhow::Result<ExitCode> {
    let store = SqlStore::connect(&database.store_options()).await?;
    store.migrate().await?;
    println!(
        "migrations applied to {}",
        crate::app::redact_url(&database.database_url)
    );
    Ok(ExitCode::SUCCESS)
}
