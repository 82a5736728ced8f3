//! A number after purchase: `PATCH` (nickname, label, routing) and `DELETE` (release) on
//! `/v1/organization-phone-numbers/{id}`, and the workspace default number.

use crate::AppState;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, Authenticated};
use crate::routes::workspace::WorkspaceView;
use crate::views::PhoneNumberView;
use axum::extract::{Path, State};
use axum::routing::{patch, put};
use axum::{Json, Router};
use dialnexa_service::lifecycle::NumberPatch;
use serde::{Deserialize, Deserializer};
use utoipa::ToSchema;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/v1/organization-phone-numbers/{id}",
            patch(update).delete(release),
        )
        .route("/v1/workspace/default-phone-number", put(set_default))
}

/// For PATCH bodies: an absent field is `None`, `null` is `Some(None)`, a value `Some(Some)`.
/// Use with `#[serde(default, deserialize_with = "double_option")]`.
pub(crate) fn double_option<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

/// Absent fields stay as they are; `null` (or `""`) clears one.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct PatchBody {
    #[serde(default, deserialize_with = "double_option")]
    nickname: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    label: Option<Option<String>>,
    #[serde(
        default,
        alias = "inbound_agent_id",
        deserialize_with = "double_option"
    )]
    /// The agent answering inbound calls (alias `inbound_agent_id`).
    agent_id: Option<Option<String>>,
    /// The agent using this number as outbound caller ID.
    #[serde(default, deserialize_with = "double_option")]
    outbound_agent_id: Option<Option<String>>,
}

/// Name a number or point it at agents.
#[utoipa::path(
    patch,
    path = "/v1/organization-phone-numbers/{id}",
    operation_id = "update_phone_number",
    tag = "phone numbers",
    params(("id" = String, Path, description = "The number's id.")),
    request_body = PatchBody,
    responses(
        (status = 200, description = "The updated number.", body = PhoneNumberView),
        (status = 400, description = "Bad JSON or an invalid field.", body = ErrorBody),
        (status = 401, description = "Missing or unknown API key.", body = ErrorBody),
        (status = 404, description = "No such number or agent in this workspace.", body = ErrorBody),
        (status = 409, description = "The number is released.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[tracing::instrument(skip_all, fields(number = %id))]
async fn update(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<PatchBody>,
) -> ApiResult<Json<PhoneNumberView>> {
    let patch = NumberPatch {
        nickname: body.nickname,
        label: body.label,
        inbound_agent_id: body.agent_id,
        outbound_agent_id: body.outbound_agent_id,
    };
    let record = state.services.update_number(&caller, &id, patch).await?;
    let trunk = state.services.sip_trunk_of(&record).await?;
    Ok(Json(
        PhoneNumberView::new(&state.services, &record).with_sip_trunk(trunk),
    ))
}

/// Answers the released record (`status: "released"`, `released_at`).
#[utoipa::path(
    delete,
    path = "/v1/organization-phone-numbers/{id}",
    operation_id = "release_phone_number",
    tag = "phone numbers",
    params(
        ("id" = String, Path, description = "The number's id."),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe."),
    ),
    responses(
        (status = 200, description = "The released number.", body = PhoneNumberView),
        (status = 401, description = "Missing or unknown API key.", body = ErrorBody),
        (status = 404, description = "No such number in this workspace.", body = ErrorBody),
        (status = 409, description = "The number is not active.", body = ErrorBody),
        (status = 503, description = "The carrier is unavailable; retry.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[tracing::instrument(skip_all, fields(number = %id))]
async fn release(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
) -> ApiResult<Json<PhoneNumberView>> {
    let record = state.services.release_number(&caller, &id).await?;
    Ok(Json(PhoneNumberView::new(&state.services, &record)))
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
        ApiError::bad_request(
            "missing_field",
            "phone_number_id is required: a phone number id, or null to clear the default.",
        )
    })?;
    let workspace = state
        .services
        .set_default_number(&caller, wanted.as_deref())
        .await?;
    Ok(Json(workspace.into()))
}
