//! Serving an emulator: the router that joins the carriers and the test controls, and a
//! handle on a running server that tests start on port 0 and stop when done.
//!
//! One port speaks HTTP/1.1 and HTTP/2 with prior knowledge (h2c, what a client told to use
//! HTTP/2 on a plain `http://` URL sends), so a client may multiplex thousands of requests
//! over one connection instead of opening one connection per request in flight.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::pin::pin;
use std::time::Duration;

use anyhow::Context;
use axum::Json;
use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tower::ServiceExt;

use crate::config::EmulatorConfig;
use crate::control;
use crate::error::Error;
use crate::plivo::{self, PlivoError};
use crate::state::EmulatorState;
use crate::telnyx::{self, TelnyxError};
use crate::twilio::{self, TwilioError};

/// The whole emulator as one router, for embedding it in another server.
pub fn router(state: EmulatorState) -> Router {
    Router::new()
        .merge(twilio::router(state.clone()))
        .merge(plivo::router(state.clone()))
        .merge(telnyx::router(state.clone()))
        .merge(control::router())
        .fallback(unknown_path)
        .with_state(state)
}

fn listen(addr: SocketAddr) -> std::io::Result<TcpListener> {
    let socket = match addr {
        SocketAddr::V4(_) => tokio::net::TcpSocket::new_v4()?,
        SocketAddr::V6(_) => tokio::net::TcpSocket::new_v6()?,
    };
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(4096)
}

/// Streams one HTTP/2 connection may have open at once. hyper's default of 200 would queue a
/// client's 201st concurrent request (say, a buy behind an injected latency) until another
/// finishes; every stream in flight costs a task and its buffers, no connection.
const MAX_CONCURRENT_STREAMS: u32 = 10_000;

/// Serves `app` on `listener` over HTTP/1.1 and h2c until `stop` completes, then stops
/// accepting, lets every connection finish its requests in flight and waits for them: what
/// `axum::serve(…).with_graceful_shutdown(stop)` does, with HTTP/2 tuned.
async fn serve(listener: TcpListener, app: Router, stop: impl Future<Output = ()>) {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http2()
        .max_concurrent_streams(MAX_CONCURRENT_STREAMS);
    serve_with(listener, app, builder, stop).await;
}

/// The accept loop of [`serve`], with the protocols and settings of `builder`.
async fn serve_with(
    listener: TcpListener,
    app: Router,
    builder: auto::Builder<TokioExecutor>,
    stop: impl Future<Output = ()>,
) {
    // The routes become services once for the server, as `into_make_service` does; each
    // connection gets a clone (reference-counted), not a router of its own.
    let app: Router = app.with_state(());
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
        serve_connection(&builder, &connections, stream, app.clone());
    }
    drop(listener);
    connections.shutdown().await;
}

/// Serves one accepted connection on a task of its own, watched for the graceful shutdown.
fn serve_connection(
    builder: &auto::Builder<TokioExecutor>,
    connections: &GracefulShutdown,
    stream: TcpStream,
    app: Router,
) {
    // Answers go out as soon as they are written: HTTP/2 writes frames of many streams, which
    // Nagle's algorithm would hold back waiting for acknowledgements.
    if let Err(e) = stream.set_nodelay(true) {
        tracing::debug!(error = %e, "could not disable Nagle's algorithm");
    }
    let service = app.map_request(|request: Request<Incoming>| request.map(Body::new));
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

/// Unknown paths get the 404 of the carrier whose URL space they are in.
async fn unknown_path(uri: Uri) -> Response {
    let path = uri.path();
    if path.starts_with(twilio::API_ROOT) {
        TwilioError(Error::not_found(path)).into_response()
    } else if path.starts_with(plivo::API_ROOT) {
        PlivoError(Error::not_found(path)).into_response()
    } else if path.starts_with(telnyx::API_ROOT) {
        TelnyxError(Error::not_found(path)).into_response()
    } else {
        let body = Json(serde_json::json!({ "error": format!("no emulator endpoint at {path}") }));
        (StatusCode::NOT_FOUND, body).into_response()
    }
}

/// Starts an emulator on `config.listen` and serves it until [`RunningEmulator::shutdown`]
/// (or drop).
pub async fn start(config: EmulatorConfig) -> anyhow::Result<RunningEmulator> {
    // A deep accept queue (std's is 128): the service may open thousands of connections at once.
    let listener = listen(config.listen)
        .with_context(|| format!("binding the carrier emulator to {}", config.listen))?;
    let addr = listener.local_addr()?;
    let state = EmulatorState::open(config)?;
    let app = router(state.clone());
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(serve(listener, app, async {
        // A dropped sender also means stop.
        let _ = stopped.await;
    }));
    tracing::info!(%addr, "carrier emulator listening");
    Ok(RunningEmulator {
        addr,
        state,
        stop: Some(stop),
        task: Some(task),
    })
}

/// A serving emulator. Dropping it stops the server without waiting.
pub struct RunningEmulator {
    addr: SocketAddr,
    state: EmulatorState,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl RunningEmulator {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT` (loopback even when listening on all interfaces).
    pub fn base_url(&self) -> String {
        let ip = match self.addr.ip() {
            ip if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
            ip => ip,
        };
        format!("http://{}", SocketAddr::new(ip, self.addr.port()))
    }

    pub fn config(&self) -> &EmulatorConfig {
        self.state.config()
    }

    pub fn state(&self) -> &EmulatorState {
        &self.state
    }

    /// Stops accepting requests, lets in-flight ones finish (hanging buys end at once) and
    /// waits for the server, at most a few seconds.
    pub async fn shutdown(mut self) {
        self.signal_stop();
        if let Some(mut task) = self.task.take()
            && tokio::time::timeout(Duration::from_secs(5), &mut task)
                .await
                .is_err()
        {
            task.abort();
        }
        tracing::info!(addr = %self.addr, "carrier emulator stopped");
    }

    fn signal_stop(&mut self) {
        self.state.begin_shutdown();
        if let Some(stop) = self.stop.take() {
            // The server may be gone already; nothing to stop then.
            let _ = stop.send(());
        }
    }
}

impl Drop for RunningEmulator {
    fn drop(&mut self) {
        self.signal_stop();
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}
