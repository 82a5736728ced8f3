//! `dialnexa-bench`: the harness `bench/run` drives. `run` measures the service and its
//! baselines and writes the report; `http-floor`, `store-floor` and `pg-floor` are the baselines
//! themselves, started by `run` as separate processes so they can be pinned to the server's core.

mod client;
mod drive;
mod http_floor;
mod numbers;
mod pg_floor;
mod procfs;
mod profile;
mod report;
mod run;
mod server;
mod store_floor;
mod webhooks;
mod wrk;

use clap::{Parser, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "dialnexa-bench",
    about = "Benchmarks of DialNexa Numbers against the limits of the machine"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Every scenario and both baselines; writes results.json and prints a Markdown table.
    Run(Box<run::RunArgs>),
    /// The HTTP ceiling: a minimal axum server answering one fixed body from memory.
    HttpFloor {
        #[arg(long, default_value = "127.0.0.1:0")]
        listen: SocketAddr,
        /// The bytes to answer with (a real `GET /v1/organization-phone-numbers/{id}` body).
        #[arg(long)]
        body: PathBuf,
    },
    /// The storage ceiling: the rows of one purchase, written in a loop through rusqlite.
    StoreFloor {
        /// Folder for the database file (it is created afresh).
        #[arg(long)]
        dir: PathBuf,
        /// The service's SQLite migrations, applied in file-name order.
        #[arg(long)]
        migrations: PathBuf,
        #[arg(long, default_value_t = 10.0)]
        seconds: f64,
    },
    /// The PostgreSQL ceiling: the rows of one purchase, written in a loop through
    /// tokio-postgres on 16 connections, into a database the service has migrated.
    PgFloor {
        #[arg(long)]
        database_url: String,
        #[arg(long, default_value_t = 16)]
        connections: usize,
        #[arg(long, default_value_t = 10.0)]
        seconds: f64,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Run(args) => run::run(*args).await,
        Command::HttpFloor { listen, body } => http_floor::serve(listen, &body).await,
        Command::StoreFloor {
            dir,
            migrations,
            seconds,
        } => {
            let outcome = store_floor::run(&dir, &migrations, seconds)?;
            println!("{}", serde_json::to_string(&outcome)?);
            Ok(())
        }
        Command::PgFloor {
            database_url,
            connections,
            seconds,
        } => {
            let outcome = pg_floor::run(&database_url, connections, seconds).await?;
            println!("{}", serde_json::to_string(&outcome)?);
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_command_line_is_well_formed() {
        use clap::CommandFactory;
        super::Cli::command().debug_assert();
    }
}
