//! The command line: `serve`, `carrier-emulator` and `migrate` (`serve`), `numbers …` (a
//! client of the API, `numbers`), `admin …` (operator commands, `admin`) and `openapi`.

pub mod admin;
pub mod numbers;
mod serve;

use crate::config::{DatabaseArgs, ServeArgs};
use admin::AdminCommand;
use clap::{Parser, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Parser)]
#[command(
    name = "dialnexa",
    version,
    about = "DialNexa Numbers: phone-number provisioning for voice AI agents"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP API (and, by default, an embedded carrier emulator).
    Serve(Box<ServeArgs>),
    /// Run the carrier emulator on its own (Twilio, Plivo and Telnyx wire formats).
    CarrierEmulator {
        #[arg(
            long,
            env = "DIALNEXA_EMULATOR_LISTEN",
            default_value = "127.0.0.1:4100"
        )]
        listen: SocketAddr,
        /// SQLite file for the emulator's state; in memory when absent.
        #[arg(long, env = "DIALNEXA_EMULATOR_STATE")]
        state: Option<PathBuf>,
    },
    /// Apply database migrations and exit.
    Migrate {
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// A client of the API: search, buy, list and show numbers.
    Numbers {
        #[command(flatten)]
        client: numbers::ClientArgs,
        #[command(subcommand)]
        command: numbers::NumbersCommand,
    },
    /// Operator commands, run against the database directly.
    Admin {
        #[command(flatten)]
        database: DatabaseArgs,
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// Print the OpenAPI document of the JSON API (the source of docs/openapi.json).
    Openapi,
}

impl Cli {
    pub async fn run(self) -> ExitCode {
        init_tracing();
        match self.command.run().await {
            Ok(code) => code,
            Err(e) => {
                eprintln!("error: {e:#}");
                ExitCode::FAILURE
            }
        }
    }
}

fn init_tracing() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("DIALNEXA_LOG")
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

impl Command {
    async fn run(self) -> anyhow::Result<ExitCode> {
        match self {
            Command::Serve(args) => serve::serve(*args).await,
            Command::CarrierEmulator { listen, state } => serve::emulator(listen, state).await,
            Command::Migrate { database } => serve::migrate(database).await,
            Command::Admin { database, command } => admin::run(database, command).await,
            Command::Numbers { client, command } => numbers::run(client, command).await,
            Command::Openapi => {
                println!("{}", dialnexa_http::openapi::openapi_json());
                Ok(ExitCode::SUCCESS)
            }
        }
    }
}

/// Resolves on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = terminate => {} }
    tracing::info!("shutting down");
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_command_definition_is_valid() {
        use clap::CommandFactory;
        super::Cli::command().debug_assert();
    }
}
