//! `/v1/billing/charges`: the rental ledger of the caller's workspace.

use crate::AppState;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiQuery, Authenticated};
use crate::views::ListView;
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use dialnexa_domain::{Money, format_time};
use dialnexa_service::input::instant;
use dialnexa_service::{Charge, ChargeFilter, Page};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

pub fn router() -> Router<AppState> {
    Router::new().route("/v1/billing/charges", get(list))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct ChargesQuery {
    phone_number_id: Option<String>,
    /// Periods starting at or after this instant (RFC 3339).
    period_from: Option<String>,
    /// Periods starting before this instant (RFC 3339).
    period_to: Option<String>,
    page: Option<i64>,
    limit: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
struct ChargeView {
    #[schema(example = "chg_01kdz3f4w7x2kx5mb9qz")]
    id: String,
    phone_number_id: String,
    period_index: u32,
    period_start: String,
    period_end: String,
    #[schema(value_type = String, example = "1.15")]
    amount_usd: Money,
    #[schema(value_type = String, example = "USD")]
    currency: &'static str,
    created_at: String,
}

impl From<Charge> for ChargeView {
    fn from(c: Charge) -> Self {
        ChargeView {
            id: c.id.to_string(),
            phone_number_id: c.phone_number_id.to_string(),
            period_index: c.period_index,
            period_start: format_time(c.period_start),
            period_end: format_time(c.period_end),
            amount_usd: c.amount,
            currency: "USD",
            created_at: format_time(c.created_at),
        }
    }
}

/// The workspace's rental charges, one per number and period.
#[utoipa::path(
    get,
    path = "/v1/billing/charges",
    operation_id = "list_charges",
    tag = "billing",
    params(ChargesQuery),
    responses(
        (status = 200, description = "A page of charges.", body = ListView<ChargeView>),
        (status = 400, description = "An invalid query parameter.", body = ErrorBody),
        (status = 401, description = "Missing or unknown API key.", body = ErrorBody),
        (status = 404, description = "No such number in this workspace.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
async fn list(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiQuery(q): ApiQuery<ChargesQuery>,
) -> ApiResult<Json<ListView<ChargeView>>> {
    let page = Page::parse(q.page, q.limit)?;
    let filter = ChargeFilter {
        period_from: q
            .period_from
            .map(|t| instant("period_from", &t))
            .transpose()?,
        period_to: q.period_to.map(|t| instant("period_to", &t)).transpose()?,
    };
    let (items, total) = state
        .services
        .list_charges(&caller, q.phone_number_id.as_deref(), filter, page)
        .await?;
    Ok(Json(ListView {
        items: items.into_iter().map(Into::into).collect(),
        total,
        page: page.page,
        limit: page.limit,
    }))
}
