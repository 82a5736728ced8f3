//! `/v1/organization-phone-numbers`: purchase, list, get.

use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiQuery, Authenticated};
use crate::views::{
    ListView, PhoneNumberView, parse_country, parse_e164, parse_provider, parse_type,
};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use dialnexa_domain::{AgentId, NumberStatus};
use dialnexa_service::purchase::{PurchaseOutcome, PurchaseRequest};
use dialnexa_store::NumberFilter;
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/organization-phone-numbers", get(list))
        .route("/v1/organization-phone-numbers/purchase", post(purchase))
        .route("/v1/organization-phone-numbers/{id}", get(get_one))
}

/// The seed's body, with the official spec's spellings accepted as aliases.
#[derive(Debug, Deserialize)]
pub struct PurchaseBody {
    #[serde(alias = "phoneNumber")]
    phone_number: Option<String>,
    #[serde(alias = "telephonyProviderId")]
    provider: Option<String>,
    #[serde(alias = "countryISO", alias = "country_iso")]
    country: Option<String>,
}

#[tracing::instrument(skip_all)]
async fn purchase(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    resumed: Option<axum::Extension<crate::idempotency::ResumedFrom>>,
    ApiJson(body): ApiJson<PurchaseBody>,
) -> ApiResult<(StatusCode, Json<PhoneNumberView>)> {
    let req = PurchaseRequest {
        phone_number: parse_e164("phone_number", body.phone_number.as_deref())?,
        provider: body
            .provider
            .as_deref()
            .filter(|p| !p.is_empty())
            .map(|p| parse_provider("provider", p))
            .transpose()?,
        country: body
            .country
            .as_deref()
            .map(|c| parse_country("countryISO", c))
            .transpose()?,
        resumed_from: resumed.map(|axum::Extension(r)| r.0),
    };
    let (status, record) = match state.services.purchase(&caller, req).await? {
        PurchaseOutcome::Active(r) => (StatusCode::CREATED, r),
        PurchaseOutcome::Pending(r) => (StatusCode::ACCEPTED, r),
    };
    Ok((status, Json(PhoneNumberView::new(&state.services, &record))))
}

#[derive(Debug, Deserialize)]
pub struct ListQuery {
    page: Option<i64>,
    limit: Option<i64>,
    status: Option<String>,
    country_code: Option<String>,
    #[serde(rename = "type")]
    number_type: Option<String>,
    provider: Option<String>,
    agent_id: Option<String>,
    q: Option<String>,
}

async fn list(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> ApiResult<Json<ListView<PhoneNumberView>>> {
    let page = dialnexa_service::numbers::page(query.page, query.limit)?;
    let filter = NumberFilter {
        status: query
            .status
            .as_deref()
            .map(|s| {
                s.parse::<NumberStatus>().map_err(|e| {
                    crate::error::ApiError::bad_request("invalid_status", e.to_string())
                })
            })
            .transpose()?,
        country: query
            .country_code
            .as_deref()
            .map(|c| parse_country("country_code", c))
            .transpose()?,
        number_type: query
            .number_type
            .as_deref()
            .map(|t| parse_type("type", t))
            .transpose()?,
        provider: query
            .provider
            .as_deref()
            .map(|p| parse_provider("provider", p))
            .transpose()?,
        agent_id: query
            .agent_id
            .as_deref()
            .map(|a| AgentId::from_trusted(a.to_owned())),
        q: query.q,
    };
    let (items, total) = state.services.list_numbers(&caller, &filter, page).await?;
    Ok(Json(ListView {
        items: items
            .iter()
            .map(|r| PhoneNumberView::new(&state.services, r))
            .collect(),
        total,
        page: page.page,
        limit: page.limit,
    }))
}

async fn get_one(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
) -> ApiResult<Json<PhoneNumberView>> {
    let record = state.services.get_number(&caller, &id).await?;
    let trunk = state.services.sip_trunk_of(&record).await?;
    Ok(Json(
        PhoneNumberView::new(&state.services, &record).with_sip_trunk(trunk),
    ))
}
