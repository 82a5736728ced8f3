//! The API's accept loop: what `axum::serve` with graceful shutdown does, over HTTP/1.1 alone.
//!
//! HTTP/1.1 alone because `axum::serve` sniffs every connection for h2c first, which doubles
//! the parser's read buffer of each connection (BENCHMARKS.md, "HTTP/1.1 alone"). Clients of
//! this API speak HTTP/1.1; a TLS proxy in front may speak HTTP/2 to browsers. The carrier
//! emulator has a loop of its own, for HTTP/1.1 and h2c.

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::Request;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use std::net::SocketAddr;
use std::pin::pin;
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tower::ServiceExt;

/// Serves `app` on `listener` until `stop` completes, then stops accepting, lets every
/// connection finish the requests it has in flight and waits for them.
pub async fn serve(listener: TcpListener, app: Router, stop: impl Future<Output = ()>) {
    // The routes become services once for the server, as `into_make_service` does; each
    // connection gets a clone (reference-counted), not a router of its own.
    let app: Router = app.with_state(());
    let builder = http1::Builder::new();
    let connections = GracefulShutdown::new();
    let mut stop = pin!(stop);
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    accept_failed(e).await;
                    continue;
                }
            },
            () = &mut stop => break,
        };
        serve_connection(&builder, &connections, accepted, app.clone());
    }
    drop(listener);
    connections.shutdown().await;
}

/// Serves one accepted connection on a task of its own, watched for the graceful shutdown.
/// Each request carries the peer's address (`ConnectInfo`), which the audit log records.
fn serve_connection(
    builder: &http1::Builder,
    connections: &GracefulShutdown,
    (stream, peer): (TcpStream, SocketAddr),
    app: Router,
) {
    // An answer goes out as soon as it is written, not after Nagle's algorithm waits for an
    // acknowledgement of the previous one.
    if let Err(e) = stream.set_nodelay(true) {
        tracing::debug!(error = %e, "could not disable Nagle's algorithm");
    }
    let service = app.map_request(move |request: Request<Incoming>| {
        let mut request = request.map(Body::new);
        request.extensions_mut().insert(ConnectInfo(peer));
        request
    });
    let connection =
        builder.serve_connection(TokioIo::new(stream), TowerToHyperService::new(service));
    let connection = connections.watch(connection);
    tokio::spawn(async move {
        if let Err(e) = connection.await {
            tracing::trace!(error = %e, "connection ended with an error");
        }
    });
}

/// What to do when `accept` fails: nothing for the connection's own failures; otherwise
/// (out of file descriptors, say) log and give the process a second to close some.
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
