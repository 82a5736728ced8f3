//! `/v1/workspace`: the caller's workspace, its telephony config, default number and KYC
//! standing.

use crate::AppState;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, Authenticated, double_option};
use axum::extract::State;
use axum::routing::{get, put};
use axum::{Json, Router};
use dialnexa_domain::{CountryIso, Provider, format_time};
use dialnexa_service::workspace::TelephonyConfigInput;
use dialnexa_service::{ServiceError, Workspace};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/workspace", get(get_workspace))
        .route(
            "/v1/workspace/telephony-config",
            get(get_config).put(put_config),
        )
        .route("/v1/workspace/default-phone-number", put(set_default))
        .route("/v1/workspace/kyc", get(get_kyc))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WorkspaceView {
    #[schema(example = "ws_01kdz3f4w7x2kx5mb9qz")]
    id: String,
    name: String,
    #[schema(value_type = String, example = "twilio")]
    default_provider: Provider,
    #[schema(value_type = Vec<String>, example = json!(["US", "GB"]))]
    enabled_countries: Vec<CountryIso>,
    default_phone_number_id: Option<String>,
    created_at: String,
}

impl From<Workspace> for WorkspaceView {
    fn from(w: Workspace) -> Self {
        WorkspaceView {
            id: w.id.to_string(),
            name: w.name,
            default_provider: w.default_provider,
            enabled_countries: w.enabled_countries,
            default_phone_number_id: w.default_phone_number_id.map(|i| i.to_string()),
            created_at: format_time(w.created_at),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
struct TelephonyConfigView {
    #[schema(value_type = Vec<String>, example = json!(["US", "GB"]))]
    enabled_countries: Vec<CountryIso>,
    #[schema(value_type = String, example = "twilio")]
    default_provider: Provider,
}

#[utoipa::path(
    get,
    path = "/v1/workspace",
    tag = "workspace",
    responses(
        (status = 200, description = "The caller's workspace.", body = WorkspaceView),
        (status = 401, description = "Missing or unknown API key.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
async fn get_workspace(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
) -> ApiResult<Json<WorkspaceView>> {
    Ok(Json(state.services.workspace(&caller).await?.into()))
}

#[utoipa::path(
    get,
    path = "/v1/workspace/telephony-config",
    tag = "workspace",
    responses(
        (status = 200, description = "The telephony config.", body = TelephonyConfigView),
        (status = 401, description = "Missing or unknown API key.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
async fn get_config(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
) -> ApiResult<Json<TelephonyConfigView>> {
    let w = state.services.workspace(&caller).await?;
    Ok(Json(TelephonyConfigView {
        enabled_countries: w.enabled_countries,
        default_provider: w.default_provider,
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
struct ConfigBody {
    /// ISO 3166 countries (alias `enabledCountries`).
    #[serde(alias = "enabledCountries")]
    enabled_countries: Option<Vec<String>>,
    /// `twilio` or `plivo` (alias `defaultProvider`).
    #[serde(alias = "defaultProvider")]
    default_provider: Option<String>,
}

/// Fields left out keep their current value.
#[utoipa::path(
    put,
    path = "/v1/workspace/telephony-config",
    tag = "workspace",
    request_body = ConfigBody,
    responses(
        (status = 200, description = "The new telephony config.", body = TelephonyConfigView),
        (status = 400, description = "Bad JSON or an invalid field.", body = ErrorBody),
        (status = 401, description = "Missing or unknown API key.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
async fn put_config(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiJson(body): ApiJson<ConfigBody>,
) -> ApiResult<Json<TelephonyConfigView>> {
    let change = TelephonyConfigInput {
        enabled_countries: body.enabled_countries,
        default_provider: body.default_provider,
    };
    let w = state.services.set_telephony_config(&caller, change).await?;
    Ok(Json(TelephonyConfigView {
        enabled_countries: w.enabled_countries,
        default_provider: w.default_provider,
    }))
}

#[derive(Debug, Serialize, ToSchema)]
struct KycView {
    #[schema(value_type = String, example = "IN")]
    country: CountryIso,
    /// `not_started`, `pending`, `approved` or `rejected`.
    #[schema(value_type = String, example = "approved")]
    status: dialnexa_domain::KycStatus,
    updated_at: String,
}

#[derive(Debug, Serialize, ToSchema)]
struct KycList {
    items: Vec<KycView>,
}

#[utoipa::path(
    get,
    path = "/v1/workspace/kyc",
    tag = "workspace",
    responses(
        (status = 200, description = "The workspace's KYC standing per country.", body = KycList),
        (status = 401, description = "Missing or unknown API key.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
async fn get_kyc(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
) -> ApiResult<Json<KycList>> {
    let items = state
        .services
        .kyc(&caller)
        .await?
        .into_iter()
        .map(|k| KycView {
            country: k.country,
            status: k.status,
            updated_at: format_time(k.updated_at),
        })
        .collect();
    Ok(Json(KycList { items }))
}

#[derive(Debug, Deserialize, ToSchema)]
struct DefaultBody {
    /// A phone number id, or null to clear the default (alias `phoneNumberId`).
    #[serde(default, alias = "phoneNumberId", deserialize_with = "double_option")]
    phone_number_id: Option<Option<String>>,
}

/// `{"phone_number_id": "phn_…"}` sets the default, `{"phone_number_id": null}` clears it.
#[utoipa::path(
    put,
    path = "/v1/workspace/default-phone-number",
    tag = "workspace",
    request_body = DefaultBody,
    responses(
        (status = 200, description = "The workspace.", body = WorkspaceView),
        (status = 400, description = "Bad JSON or an invalid field.", body = ErrorBody),
        (status = 401, description = "Missing or unknown API key.", body = ErrorBody),
        (status = 404, description = "No such number in this workspace.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[tracing::instrument(skip_all)]
async fn set_default(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiJson(body): ApiJson<DefaultBody>,
) -> ApiResult<Json<WorkspaceView>> {
    let wanted = body.phone_number_id.ok_or_else(|| {
        ApiError(
            ServiceError::bad_request(
                "missing_field",
                "phone_number_id is required: a phone number id, or null to clear the default.",
            )
            .on("phone_number_id"),
        )
    })?;
    let workspace = state
        .services
        .set_default_number(&caller, wanted.as_deref())
        .await?;
    Ok(Json(workspace.into()))
}
