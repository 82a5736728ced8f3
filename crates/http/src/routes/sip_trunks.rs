//! `POST /v1/organization-phone-numbers/sip-trunks`: bring your own number over your own SIP
//! trunk, exactly as the official spec's `LinkSipTrunkRequest` (snake_case accepted too).

use crate::AppState;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, Authenticated};
use crate::views::PhoneNumberView;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use dialnexa_service::sip_trunk::LinkSipTrunk;
use serde::Deserialize;
use utoipa::ToSchema;

pub fn router() -> Router<AppState> {
    Router::new().route("/v1/organization-phone-numbers/sip-trunks", post(link))
}

/// The official spec's `LinkSipTrunkRequest`; the snake_case spellings are accepted too.
#[derive(Deserialize, ToSchema)]
struct LinkBody {
    /// Required, in E.164.
    #[serde(rename = "phoneNumber", alias = "phone_number")]
    phone_number: Option<String>,
    #[serde(rename = "terminationUri", alias = "termination_uri")]
    termination_uri: Option<String>,
    #[serde(rename = "authMode", alias = "auth_mode")]
    auth_mode: Option<String>,
    #[serde(rename = "sipTrunkUserName", alias = "sip_trunk_user_name")]
    username: Option<String>,
    #[serde(rename = "sipTrunkPassword", alias = "sip_trunk_password")]
    password: Option<String>,
    nickname: Option<String>,
}

/// Bring your own number over your own SIP trunk.
#[utoipa::path(
    post,
    path = "/v1/organization-phone-numbers/sip-trunks",
    operation_id = "link_sip_trunk",
    tag = "phone numbers",
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe: the same key and body replay the first answer.")),
    request_body = LinkBody,
    responses(
        (status = 201, description = "Linked; the number is active.", body = PhoneNumberView),
        (status = 400, description = "Bad JSON or an invalid field.", body = ErrorBody),
        (status = 401, description = "Missing or unknown API key.", body = ErrorBody),
        (status = 409, description = "The number is already held.", body = ErrorBody),
        (status = 422, description = "The Idempotency-Key was used with another request.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[tracing::instrument(skip_all)]
async fn link(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiJson(body): ApiJson<LinkBody>,
) -> ApiResult<(StatusCode, Json<PhoneNumberView>)> {
    let req = LinkSipTrunk {
        phone_number: body.phone_number,
        termination_uri: body.termination_uri,
        auth_mode: body.auth_mode,
        username: body.username,
        password: body.password,
        nickname: body.nickname,
    };
    let number = state.services.link_sip_trunk(&caller, req).await?;
    Ok((StatusCode::CREATED, Json(PhoneNumberView::from(&number))))
}
