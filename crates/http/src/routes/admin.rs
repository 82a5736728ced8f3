//! The operator API (admin token): workspaces, their API keys and KYC decisions.

use crate::AppState;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, Operator};
use crate::routes::workspace::WorkspaceView;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{post, put};
use axum::{Json, Router};
use dialnexa_domain::{CountryIso, KycStatus, Provider, WorkspaceId, format_time};
use dialnexa_service::auth::WorkspaceSpec;
use dialnexa_service::input;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/v1/admin/workspaces",
            post(create_workspace).get(list_workspaces),
        )
        .route("/v1/admin/workspaces/{id}/api-keys", post(create_key))
        .route("/v1/admin/workspaces/{id}/kyc/{country}", put(set_kyc))
}

#[derive(Debug, Deserialize, ToSchema)]
struct CreateWorkspace {
    name: String,
    /// ISO 3166 countries enabled for purchase.
    #[serde(default)]
    enabled_countries: Vec<String>,
    /// `twilio` (default) or `plivo`.
    default_provider: Option<String>,
    /// Countries whose KYC is approved from the start.
    #[serde(default)]
    approved_kyc: Vec<String>,
}

#[utoipa::path(
    post,
    path = "/v1/admin/workspaces",
    tag = "admin",
    request_body = CreateWorkspace,
    responses(
        (status = 201, description = "The new workspace.", body = WorkspaceView),
        (status = 400, description = "Bad JSON or an invalid field.", body = ErrorBody),
        (status = 401, description = "Missing or wrong admin token.", body = ErrorBody),
        (status = 403, description = "The operator API is disabled (no --admin-token).", body = ErrorBody),
    ),
    security(("admin" = []))
)]
async fn create_workspace(
    State(state): State<AppState>,
    _: Operator,
    ApiJson(body): ApiJson<CreateWorkspace>,
) -> ApiResult<(StatusCode, Json<WorkspaceView>)> {
    let spec = WorkspaceSpec {
        name: body.name,
        enabled_countries: input::countries("enabled_countries", &body.enabled_countries)?,
        default_provider: body
            .default_provider
            .as_deref()
            .map(|p| input::provider("default_provider", p))
            .transpose()?
            .unwrap_or(Provider::Twilio),
        approved_kyc: input::countries("approved_kyc", &body.approved_kyc)?,
    };
    let w = state.services.create_workspace(spec).await?;
    Ok((StatusCode::CREATED, Json(w.into())))
}

#[derive(Debug, Serialize, ToSchema)]
struct WorkspaceList {
    items: Vec<WorkspaceView>,
}

#[utoipa::path(
    get,
    path = "/v1/admin/workspaces",
    tag = "admin",
    responses(
        (status = 200, description = "Every workspace.", body = WorkspaceList),
        (status = 401, description = "Missing or wrong admin token.", body = ErrorBody),
        (status = 403, description = "The operator API is disabled (no --admin-token).", body = ErrorBody),
    ),
    security(("admin" = []))
)]
async fn list_workspaces(
    State(state): State<AppState>,
    _: Operator,
) -> ApiResult<Json<WorkspaceList>> {
    let items: Vec<WorkspaceView> = state
        .services
        .list_workspaces()
        .await?
        .into_iter()
        .map(Into::into)
        .collect();
    Ok(Json(WorkspaceList { items }))
}

#[derive(Debug, Deserialize, ToSchema)]
struct CreateKey {
    #[serde(default)]
    name: String,
}

#[derive(Debug, Serialize, ToSchema)]
struct CreatedKeyView {
    #[schema(example = "key_01kdz3f4w7x2kx5mb9qz")]
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

#[utoipa::path(
    post,
    path = "/v1/admin/workspaces/{id}/api-keys",
    tag = "admin",
    params(("id" = String, Path, description = "The workspace's id.")),
    request_body = CreateKey,
    responses(
        (status = 201, description = "The new key; its secret is shown this once.", body = CreatedKeyView),
        (status = 400, description = "Bad JSON or an invalid field.", body = ErrorBody),
        (status = 401, description = "Missing or wrong admin token.", body = ErrorBody),
        (status = 403, description = "The operator API is disabled (no --admin-token).", body = ErrorBody),
        (status = 404, description = "No such workspace.", body = ErrorBody),
    ),
    security(("admin" = []))
)]
async fn create_key(
    State(state): State<AppState>,
    Operator(actor): Operator,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<CreateKey>,
) -> ApiResult<(StatusCode, Json<CreatedKeyView>)> {
    let created = state
        .services
        .create_api_key(&actor, &workspace_id(&id)?, &body.name)
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

#[derive(Debug, Deserialize, ToSchema)]
struct KycBody {
    /// `not_started`, `pending`, `approved` or `rejected`.
    #[schema(example = "approved")]
    status: String,
}

/// Fields in alphabetical order, as the earlier `json!` map serialized them.
#[derive(Debug, Serialize, ToSchema)]
struct KycDecisionView {
    #[schema(value_type = String, example = "IN")]
    country: CountryIso,
    #[schema(value_type = String, example = "approved")]
    status: KycStatus,
    workspace_id: String,
}

#[utoipa::path(
    put,
    path = "/v1/admin/workspaces/{id}/kyc/{country}",
    tag = "admin",
    params(
        ("id" = String, Path, description = "The workspace's id."),
        ("country" = String, Path, description = "ISO 3166 country, e.g. `IN`."),
    ),
    request_body = KycBody,
    responses(
        (status = 200, description = "The recorded decision.", body = KycDecisionView),
        (status = 400, description = "Bad JSON or an invalid field.", body = ErrorBody),
        (status = 401, description = "Missing or wrong admin token.", body = ErrorBody),
        (status = 403, description = "The operator API is disabled (no --admin-token).", body = ErrorBody),
        (status = 404, description = "No such workspace.", body = ErrorBody),
    ),
    security(("admin" = []))
)]
async fn set_kyc(
    State(state): State<AppState>,
    Operator(actor): Operator,
    Path((id, country)): Path<(String, String)>,
    ApiJson(body): ApiJson<KycBody>,
) -> ApiResult<Json<KycDecisionView>> {
    let country = input::country("country", &country)?;
    let status: KycStatus =
        body.status
            .parse()
            .map_err(|e: dialnexa_domain::regulatory::UnknownKycStatus| {
                ApiError::bad_request("invalid_status", e.to_string())
            })?;
    state
        .services
        .set_kyc(&actor, &workspace_id(&id)?, country, status)
        .await?;
    Ok(Json(KycDecisionView {
        country,
        status,
        workspace_id: id,
    }))
}
