//! `http-floor`: the ceiling for any endpoint of the service. The same runtime (tokio's
//! multi-threaded scheduler), the same HTTP stack (axum on hyper) and the same response bytes as
//! `GET /v1/organization-phone-numbers/{id}`, but nothing behind the router: no auth, no
//! database, no JSON encoding.

use anyhow::Context;
use axum::Router;
use axum::body::Bytes;
use axum::http::header::CONTENT_TYPE;
use axum::routing::get;
use std::net::SocketAddr;
use std::path::Path;
use tokio::net::TcpListener;

pub async fn serve(listen: SocketAddr, body: &Path) -> anyhow::Result<()> {
    let bytes = Bytes::from(
        std::fs::read(body).with_context(|| format!("cannot read {}", body.display()))?,
    );
    let app = Router::new().route(
        "/v1/organization-phone-numbers/{id}",
        get(move || {
            let bytes = bytes.clone();
            async move { ([(CONTENT_TYPE, "application/json")], bytes) }
        }),
    );
    let listener = TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen on {listen}"))?;
    // `run` reads this line to learn the port.
    println!("http-floor listening on {}", listener.local_addr()?);
    axum::serve(listener, app).await?;
    Ok(())
}
