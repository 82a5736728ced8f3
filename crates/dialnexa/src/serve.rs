//! The API's accept loop: `axum::serve` with graceful shutdown, over HTTP/1.1 alone.
//!
//! `axum::serve` offers HTTP/1.1 and h2c on every connection, so hyper first reads a few bytes
//! to tell which one a client speaks, then hands them to the HTTP/1.1 parser as a separate
//! read; the parser's 8 KB buffer then has to grow to 16 KB. Speaking HTTP/1.1 alone, the first
//! read goes straight into the parser's buffer, which stays at 8 KB: 40 MB less with 5,000
//! clients connected at once (BENCHMARKS.md). Clients of this API speak HTTP/1.1; a TLS proxy
//! in front may speak HTTP/2 to browsers.

use axum::Router;
use axum::body::Body;
use axum::http::Request;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use std::pin::pin;
use std::time::Duration;
use tokio::net::TcpListener;
use tower::ServiceExt;

/// Serves `app` on `listener` until `stop` completes, then stops accepting, lets every
/// connection finish the requests it has in flight and waits for them.
pub async fn serve(listener: TcpListener, app: Router, stop: impl Future<Output = ()>) {
    // The routes become services once, as `into_make_service` does.
    let app: Router = app.with_state(());
    let builder = auto::Builder::new(TokioExecutor::new()).http1_only();
    let connections = GracefulShutdown::new();
    let mut stop = pin!(stop);
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    accept_failed(e).await;
                    continue;
                }
            },
            () = &mut stop => break,
        };
        // Every connection shares the routes (reference-counted): a bare `Router` given to
        // `axum::serve` is rebuilt per connection, about 90 KB and 0.5 ms of CPU each.
        let service = app
            .clone()
            .map_request(|request: Request<Incoming>| request.map(Body::new));
        let connection = builder
            .serve_connection(TokioIo::new(stream), TowerToHyperService::new(service))
            .into_owned();
        let connection = connections.watch(connection);
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::trace!(error = %e, "connection ended with an error");
            }
        });
    }
    drop(listener);
    connections.shutdown().await;
}

/// What to do when `accept` fails: nothing for the connection's own failures; otherwise (out of
/// file descriptors, say) log and give the process a second to close some.
async fn accept_failed(e: std::io::Error) {
    use std::io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    if matches!(
        e.kind(),
        ConnectionAborted | ConnectionRefused | ConnectionReset
    ) {
        return;
    }
    tracing::error!(error = %e, "could not accept a connection");
    tokio::time::sleep(Duration::from_secs(1)).await;
}
