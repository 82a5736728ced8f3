//! The operator API (admin token): workspaces, their API keys and KYC decisions.

use crate::AppState;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, Operator};
use crate::routes::workspace::WorkspaceView;
use crate::views::{parse_country, parse_provider};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{post, put};
use axum::{Json, Router};
use dialnexa_domain::{KycStatus, Provider, WorkspaceId, format_time};
use dialnexa_service::auth::WorkspaceSpec;
use serde::{Deserialize, Serialize};

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/v1/admin/workspaces",
            post(create_workspace).get(list_workspaces),
        )
        .route("/v1/admin/workspaces/{id}/api-keys", post(create_key))
        .route("/v1/admin/workspaces/{id}/kyc/{country}", put(set_kyc))
}

#[derive(Debug, Deserialize)]
struct CreateWorkspace {
    name: String,
    #[serde(default)]
    enabled_countries: Vec<String>,
    default_provider: Option<String>,
    #[serde(default)]
    approved_kyc: Vec<String>,
}

async fn create_workspace(
    State(state): State<AppState>,
    _: Operator,
    ApiJson(body): ApiJson<CreateWorkspace>,
) -> ApiResult<(StatusCode, Json<WorkspaceView>)> {
    let spec = WorkspaceSpec {
        name: body.name,
        enabled_countries: body
            .enabled_countries
            .iter()
            .map(|c| parse_country("enabled_countries", c))
            .collect::<Result<_, _>>()?,
        default_provider: body
            .default_provider
            .as_deref()
            .map(|p| parse_provider("default_provider", p))
            .transpose()?
            .unwrap_or(Provider::Twilio),
        approved_kyc: body
            .approved_kyc
            .iter()
            .map(|c| parse_country("approved_kyc", c))
            .collect::<Result<_, _>>()?,
    };
    let w = state.services.create_workspace(spec).await?;
    Ok((StatusCode::CREATED, Json(w.into())))
}

async fn list_workspaces(
    State(state): State<AppState>,
    _: Operator,
) -> ApiResult<Json<serde_json::Value>> {
    let items: Vec<WorkspaceView> = state
        .services
        .list_workspaces()
        .await?
        .into_iter()
        .map(Into::into)
        .collect();
    Ok(Json(serde_json::json!({ "items": items })))
}

#[derive(Debug, Deserialize)]
struct CreateKey {
    #[serde(default)]
    name: String,
}

#[derive(Debug, Serialize)]
struct CreatedKeyView {
    id: String,
    workspace_id: String,
    name: String,
    /// Shown once, never again.
    key: String,
    created_at: String,
}

fn workspace_id(raw: &str) -> Result<WorkspaceId, ApiError> {
    WorkspaceId::parse(raw)
        .ok_or_else(|| ApiError(dialnexa_service::ServiceError::not_found("Workspace")))
}

async fn create_key(
    State(state): State<AppState>,
    _: Operator,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<CreateKey>,
) -> ApiResult<(StatusCode, Json<CreatedKeyView>)> {
    let created = state
        .services
        .create_api_key(&workspace_id(&id)?, &body.name)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedKeyView {
            id: created.key.id.to_string(),
            workspace_id: created.key.workspace_id.to_string(),
            name: created.key.name,
            key: created.secret,
            created_at: format_time(created.key.created_at),
        }),
    ))
}

#[derive(Debug, Deserialize)]
struct KycBody {
    status: String,
}

async fn set_kyc(
    State(state): State<AppState>,
    _: Operator,
    Path((id, country)): Path<(String, String)>,
    ApiJson(body): ApiJson<KycBody>,
) -> ApiResult<Json<serde_json::Value>> {
    let country = parse_country("country", &country)?;
    let status: KycStatus =
        body.status
            .parse()
            .map_err(|e: dialnexa_domain::regulatory::UnknownKycStatus| {
                ApiError::bad_request("invalid_status", e.to_string())
            })?;
    state
        .services
        .set_kyc(&workspace_id(&id)?, country, status)
        .await?;
    Ok(Json(
        serde_json::json!({ "workspace_id": id, "country": country, "status": status }),
    ))
}
