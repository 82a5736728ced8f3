//! The command line: `serve`, `carrier-emulator` and `migrate` (`serve`), `numbers …` and
//! `agents …` and `webhooks …` (clients of the API over `client`), `admin …` (operator commands, `admin`),
//! `openapi` and `completions`. Exit codes: 0 done, 1 the API (or the operation) refused, 2 the
//! command was wrong, 3 the server could not be reached.

pub mod admin;
pub mod agents;
pub mod client;
pub mod numbers;
pub mod order;
mod serve;
pub mod webhooks;

use crate::config::{DatabaseArgs, ServeArgs};
use crate::logging::LogFormat;
use admin::AdminCommand;
use clap::{CommandFactory, Parser, Subcommand};
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
    /// Log lines on stderr as text or one JSON object each; default: text on a terminal,
    /// JSON otherwise. `DIALNEXA_LOG` filters them (default `info`).
    #[arg(long, global = true, env = "DIALNEXA_LOG_FORMAT", value_enum)]
    pub log_format: Option<LogFormat>,
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
    /// A client of the API: search, buy, list, show, update and release numbers.
    Numbers {
        #[command(flatten)]
        client: client::ClientArgs,
        #[command(subcommand)]
        command: numbers::NumbersCommand,
    },
    /// A client of the API: list, create and delete agents.
    Agents {
        #[command(flatten)]
        client: client::ClientArgs,
        #[command(subcommand)]
        command: agents::AgentsCommand,
    },
    /// A client of the API: list, create and delete user webhooks.
    Webhooks {
        #[command(flatten)]
        client: client::ClientArgs,
        #[command(subcommand)]
        command: webhooks::WebhooksCommand,
    },
    /// Operator commands, run against the database directly.
    Admin {
        #[command(flatten)]
        database: DatabaseArgs,
        /// Print what each command did as JSON.
        #[arg(long, global = true)]
        json: bool,
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// Print the OpenAPI document of the JSON API (the source of docs/openapi.json).
    Openapi,
    /// Print a shell completion script, e.g. `dialnexa completions bash > /etc/bash_completion.d/dialnexa`.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

impl Cli {
    pub async fn run(self) -> ExitCode {
        let format = self.log_format.unwrap_or_else(LogFormat::for_stderr);
        let otlp = match &self.command {
            Command::Serve(args) => args.ops.otlp_endpoint.clone(),
            _ => None,
        };
        let telemetry = match crate::logging::init(format, otlp.as_deref()) {
            Ok(telemetry) => telemetry,
            Err(e) => {
                eprintln!("error: {e:#}");
                return ExitCode::from(2);
            }
        };
        let code = match self.command.run().await {
            Ok(code) => code,
            Err(e) => {
                eprintln!("error: {e:#}");
                match e.downcast_ref::<client::ClientError>() {
                    Some(client_error) => client_error.exit_code(),
                    None => ExitCode::FAILURE,
                }
            }
        };
        telemetry.shutdown().await;
        code
    }
}

impl Command {
    async fn run(self) -> anyhow::Result<ExitCode> {
        match self {
            Command::Serve(args) => serve::serve(*args).await,
            Command::CarrierEmulator { listen, state } => serve::emulator(listen, state).await,
            Command::Migrate { database } => serve::migrate(database).await,
            Command::Admin {
                database,
                json,
                command,
            } => admin::run(database, command, json).await,
            Command::Numbers { client, command } => numbers::run(client, command).await,
            Command::Agents { client, command } => agents::run(client, command).await,
            Command::Webhooks { client, command } => webhooks::run(client, command).await,
            Command::Completions { shell } => {
                let mut cli = Cli::command();
                clap_complete::generate(shell, &mut cli, "dialnexa", &mut std::io::stdout());
                Ok(ExitCode::SUCCESS)
            }
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
