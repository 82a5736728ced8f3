//! `GET /v1/audit-events`: the caller's workspace's audit log, newest first, filtered by actor,
//! action, resource and time.

use crate::AppState;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiQuery, Authenticated};
use crate::views::ListView;
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use dialnexa_domain::format_time;
use dialnexa_service::audit::{AuditEvent, AuditQuery};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

pub fn router() -> Router<AppState> {
    Router::new().route("/v1/audit-events", get(list))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct AuditParams {
    /// Page number, from 1.
    #[param(minimum = 1)]
    page: Option<i64>,
    /// Page size, default 20.
    #[param(minimum = 1, maximum = 100)]
    limit: Option<i64>,
    /// Who acted: an API key id (also matching what its dashboard sessions did), a dashboard
    /// session (`ses_…`), or `admin_token`/`cli` for the operator.
    #[param(max_length = 128)]
    actor: Option<String>,
    /// e.g. `phone_number.purchase`, `agent.publish`, `api_key.revoke`.
    #[param(max_length = 128)]
    action: Option<String>,
    /// The resource's id, e.g. `phn_…` (or the E.164 number of a purchase that made none).
    #[param(max_length = 128)]
    resource: Option<String>,
    /// From this instant, inclusive (RFC 3339).
    #[param(format = DateTime)]
    from: Option<String>,
    /// Until this instant, exclusive (RFC 3339).
    #[param(format = DateTime)]
    to: Option<String>,
}

/// One audited action.
#[derive(Debug, Serialize, ToSchema)]
struct AuditEventView {
    #[schema(example = "aud_01kdz3f4w7x2kx5mb9qz")]
    id: String,
    occurred_at: String,
    /// `api_key`, `dashboard`, `operator` or `system`.
    #[schema(example = "api_key")]
    actor_type: String,
    /// The API key, the dashboard session, or `admin_token`/`cli`.
    actor_id: Option<String>,
    /// The API key behind the action (also for a dashboard session).
    api_key_id: Option<String>,
    /// The client's address.
    ip: Option<String>,
    /// The request's `x-request-id`.
    request_id: Option<String>,
    #[schema(example = "phone_number.purchase")]
    action: String,
    #[schema(example = "phone_number")]
    resource_type: String,
    resource_id: Option<String>,
    /// `success` or `failure`.
    #[schema(example = "success")]
    outcome: String,
    /// The error's stable code, for a failure.
    error_code: Option<String>,
    /// What the request asked for (never a secret).
    #[schema(value_type = Object)]
    detail: serde_json::Value,
}

impl From<AuditEvent> for AuditEventView {
    fn from(e: AuditEvent) -> Self {
        AuditEventView {
            id: e.id.to_string(),
            occurred_at: format_time(e.occurred_at),
            actor_type: e.actor_type,
            actor_id: e.actor_id,
            api_key_id: e.api_key_id,
            ip: e.ip,
            request_id: e.request_id,
            action: e.action,
            resource_type: e.resource_type,
            resource_id: e.resource_id,
            outcome: e.outcome,
            error_code: e.error_code,
            detail: e.detail,
        }
    }
}

/// Who did what in this workspace, and how it ended; kept 400 days.
#[utoipa::path(
    get,
    path = "/v1/audit-events",
    operation_id = "list_audit_events",
    tag = "workspace",
    params(AuditParams),
    responses(
        (status = 200, description = "A page of audit events, newest first.", body = ListView<AuditEventView>),
        (status = 400, description = "An invalid query parameter.", body = ErrorBody),
        (status = 401, description = "Missing or unknown API key.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
async fn list(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiQuery(q): ApiQuery<AuditParams>,
) -> ApiResult<Json<ListView<AuditEventView>>> {
    let query = AuditQuery {
        page: q.page,
        limit: q.limit,
        actor: q.actor,
        action: q.action,
        resource: q.resource,
        from: q.from,
        to: q.to,
    };
    let (events, total, page) = state.services.audit_events(&caller, &query).await?;
    Ok(Json(ListView {
        items: events.into_iter().map(Into::into).collect(),
        total,
        page: page.page,
        limit: page.limit,
    }))
}
