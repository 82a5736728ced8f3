//! Entry point: parse the command line and hand over to the library.

use clap::Parser;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    dialnexa::cli::Cli::parse().run().await
}
