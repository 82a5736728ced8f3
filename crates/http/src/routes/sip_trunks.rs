//! `POST /v1/organization-phone-numbers/sip-trunks`: bring your own number over your own SIP
//! trunk, exactly as the official spec's `LinkSipTrunkRequest` (snake_case accepted too).

use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{ApiJson, Authenticated};
use crate::views::{PhoneNumberView, parse_e164};
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use dialnexa_service::sip_trunk::LinkSipTrunk;
use dialnexa_store::SipTrunkRecord;
use serde::{Deserialize, Serialize};

pub fn router() -> Router<AppState> {
    Router::new().route("/v1/organization-phone-numbers/sip-trunks", post(link))
}

/// A trunk as the API shows it: never the password.
#[derive(Debug, Clone, Serialize)]
pub struct SipTrunkView {
    termination_uri: String,
    auth_mode: &'static str,
    username: Option<String>,
    /// Whether a password is stored (sealed); the password itself is never returned.
    password_set: bool,
}

impl From<SipTrunkRecord> for SipTrunkView {
    fn from(t: SipTrunkRecord) -> Self {
        SipTrunkView {
            termination_uri: t.termination_uri,
            auth_mode: t.auth_mode.as_str(),
            username: t.username,
            password_set: t.password_encrypted.is_some(),
        }
    }
}

impl PhoneNumberView {
    pub fn with_sip_trunk(mut self, trunk: Option<SipTrunkRecord>) -> Self {
        self.sip_trunk = trunk.map(Into::into);
        self
    }
}

#[derive(Deserialize)]
struct LinkBody {
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

#[tracing::instrument(skip_all)]
async fn link(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiJson(body): ApiJson<LinkBody>,
) -> ApiResult<(StatusCode, Json<PhoneNumberView>)> {
    let req = LinkSipTrunk {
        phone_number: Some(parse_e164("phoneNumber", body.phone_number.as_deref())?),
        termination_uri: body.termination_uri,
        auth_mode: body.auth_mode,
        username: body.username,
        password: body.password,
        nickname: body.nickname,
    };
    let record = state.services.link_sip_trunk(&caller, req).await?;
    let trunk = state.services.sip_trunk_of(&record).await?;
    Ok((
        StatusCode::CREATED,
        Json(PhoneNumberView::new(&state.services, &record).with_sip_trunk(trunk)),
    ))
}
