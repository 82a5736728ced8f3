//! Entry point: parse the command line and hand over to the library.

use clap::Parser;

/// jemalloc, configured at build time in `.cargo/config.toml` to hand freed memory back to the
/// system within about a second (glibc keeps a burst's heap for the life of the process).
#[cfg(feature = "jemalloc")]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    dialnexa::cli::Cli::parse().run().await
}
