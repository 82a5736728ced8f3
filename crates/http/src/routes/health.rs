//! Liveness and readiness, for load balancers and orchestrators: `/health` answers while the
//! process serves (no dependency checked, so a database outage never gets the process
//! restarted), `/ready` only while the database reads and commits and every configured carrier
//! answers (`--ready-timeout-ms`, 2 s by default).

use crate::AppState;
use crate::error::{ApiResult, ErrorBody};
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;
use utoipa::ToSchema;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/health", get(health))
        .route("/ready", get(ready))
}

#[derive(Debug, Serialize, ToSchema)]
struct Health {
    #[schema(value_type = String, example = "ok")]
    status: &'static str,
}

#[utoipa::path(
    get,
    path = "/health",
    tag = "health",
    responses(
        (status = 200, description = "The process serves requests.", body = Health),
    )
)]
async fn health() -> Json<Health> {
    Json(Health { status: "ok" })
}

#[utoipa::path(
    get,
    path = "/ready",
    tag = "health",
    responses(
        (status = 200, description = "The database answers and commits a write, and every configured carrier answers.", body = Health),
        (status = 503, description = "The database cannot be reached or cannot commit (`service_unavailable`), or a carrier does not answer in time (`carrier_unavailable`, naming it).", body = ErrorBody),
    )
)]
async fn ready(State(state): State<AppState>) -> ApiResult<Json<Health>> {
    state.services.ready().await?;
    Ok(Json(Health { status: "ready" }))
}
