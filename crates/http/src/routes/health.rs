//! Liveness with a database round trip: 200 when the store answers, 503 otherwise.

use crate::AppState;
use crate::error::ApiResult;
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};

pub fn router() -> Router<AppState> {
    Router::new().route("/health", get(health))
}

async fn health(State(state): State<AppState>) -> ApiResult<Json<Value>> {
    state.services.health().await?;
    Ok(Json(json!({"status": "ok"})))
}
