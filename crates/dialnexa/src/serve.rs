//! The API's accept loop: what `axum::serve` with graceful shutdown does, over HTTP/1.1 alone.
//!
//! HTTP/1.1 alone because `axum::serve` sniffs every connection for h2c first, which doubles
//! the parser's read buffer of each connection (BENCHMARKS.md, "HTTP/1.1 alone"). Clients of
//! this API speak HTTP/1.1; a TLS proxy in front may speak HTTP/2 to browsers. The carrier
//! emulator has a loop of its own, for HTTP/1.1 and h2c.

use crate::slow_clients::{Busy, Deadlines, Guarded};
use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::Request;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use std::net::SocketAddr;
use std::pin::pin;
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tower::ServiceExt;

/// Serves `app` on `listener` until `stop` completes, then stops accepting, lets every
/// connection finish the requests it has in flight and waits for them. Clients too slow to
/// send a header, or idle too long between requests, are closed (`deadlines`).
pub async fn serve(
    listener: TcpListener,
    app: Router,
    deadlines: Deadlines,
    stop: impl Future<Output = ()>,
) {
    // The routes become services once for the server, as `into_make_service` does; each
    // connection gets a clone (reference-counted), not a router of its own.
    let app: Router = app.with_state(());
    let mut builder = http1::Builder::new();
    // hyper's header timeout starts when a connection goes idle, so set to both deadlines it
    // only backs ours up (`slow_clients`); set at all, it makes hyper read again after each
    // answer, which is when the idle deadline starts.
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(deadlines.header + deadlines.idle);
    let connections = GracefulShutdown::new();
    let mut stop = pin!(stop);
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    accept_failed(e).await;
                    continue;
                }
            },
            () = &mut stop => break,
        };
        serve_connection(&builder, &connections, stream, deadlines, app.clone());
    }
    drop(listener);
    connections.shutdown().await;
}

/// Serves one accepted connection on a task of its own, watched for the graceful shutdown.
/// Each request carries the peer's address (`ConnectInfo`), which failed sign-ins count by.
fn serve_connection(
    builder: &http1::Builder,
    connections: &GracefulShutdown,
    (stream, peer): (TcpStream, SocketAddr),
    deadlines: Deadlines,
    app: Router,
) {
    // An answer goes out as soon as it is written, not after Nagle's algorithm waits for an
    // acknowledgement of the previous one.
    if let Err(e) = stream.set_nodelay(true) {
        tracing::debug!(error = %e, "could not disable Nagle's algorithm");
    }
    let busy = Busy::default();
    let io = Guarded::new(stream, busy.clone(), deadlines);
    let service = hyper::service::service_fn(move |request: Request<Incoming>| {
        let serving = busy.enter();
        let mut request = request.map(Body::new);
        request.extensions_mut().insert(ConnectInfo(peer));
        let answer = app.clone().oneshot(request);
        async move {
            let response = answer.await;
            drop(serving);
            response
        }
    });
    let connection = builder.serve_connection(TokioIo::new(io), service);
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
