//! The API's accept loop: what `axum::serve` with graceful shutdown does, over HTTP/1.1 alone.
//!
//! `axum::serve` offers HTTP/1.1 and h2c on every connection, so hyper first reads a few bytes
//! to tell which one a client speaks, then hands them to the HTTP/1.1 parser as a separate
//! read; the parser's 8 KB buffer then has to grow to 16 KB. Speaking HTTP/1.1 alone, the first
//! read goes straight into the parser's buffer, which stays at 8 KB: 40 MB less with 5,000
//! clients connected at once (BENCHMARKS.md). Clients of this API speak HTTP/1.1; a TLS proxy
//! in front may speak HTTP/2 to browsers. The loop itself is the carrier emulator's.

use axum::Router;
use hyper_util::rt::TokioExecutor;
use hyper_util::server::conn::auto;
use tokio::net::TcpListener;

/// Serves `app` on `listener` until `stop` completes, then stops accepting, lets every
/// connection finish the requests it has in flight and waits for them.
pub async fn serve(listener: TcpListener, app: Router, stop: impl Future<Output = ()>) {
    let builder = auto::Builder::new(TokioExecutor::new()).http1_only();
    dialnexa_emulator::serve_with(listener, app, builder, stop).await;
}
