//! Serving an emulator: the router that joins both carriers and the test controls, and a
//! handle on a running server that tests start on port 0 and stop when done.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use anyhow::Context;
use axum::Json;
use axum::Router;
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::config::EmulatorConfig;
use crate::control;
use crate::error::Error;
use crate::plivo::{self, PlivoError};
use crate::state::EmulatorState;
use crate::twilio::{self, TwilioError};

/// The whole emulator as one router, for embedding it in another server.
pub fn router(state: EmulatorState) -> Router {
    Router::new()
        .merge(twilio::router(state.clone()))
        .merge(plivo::router(state.clone()))
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

/// Unknown paths get the 404 of the carrier whose URL space they are in.
async fn unknown_path(uri: Uri) -> Response {
    let path = uri.path();
    if path.starts_with(twilio::API_ROOT) {
        TwilioError(Error::not_found(path)).into_response()
    } else if path.starts_with(plivo::API_ROOT) {
        PlivoError(Error::not_found(path)).into_response()
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
    let task = tokio::spawn(async move {
        // Shared by every connection; a bare `Router` would be rebuilt for each one.
        let result = axum::serve(listener, app.into_make_service())
            .with_graceful_shutdown(async {
                // A dropped sender also means stop.
                let _ = stopped.await;
            })
            .await;
        if let Err(e) = &result {
            tracing::error!(error = %e, "carrier emulator stopped with an error");
        }
    });
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
