//! `/v1/agents`: the agents numbers route to. Bodies take the official spec's spellings
//! (`title`, `inbound_phone_number_id`, `outbound_phone_number_id`) and ignore the spec's many
//! voice and prompt settings, which this service does not own.

use crate::AppState;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiQuery, Authenticated, double_option};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use dialnexa_domain::format_time;
use dialnexa_service::agents::AgentInput;
use dialnexa_service::{Agent, Page};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/agents", get(list).post(create))
        .route("/v1/agents/{id}", get(get_one).patch(update).delete(delete))
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AgentView {
    #[schema(example = "agt_01kdz3f4w7x2kx5mb9qz")]
    id: String,
    name: String,
    /// The spec's name for `name`.
    title: String,
    /// The number whose inbound calls this agent answers (the newest, when several do).
    inbound_phone_number_id: Option<String>,
    outbound_phone_number_id: Option<String>,
    inbound_phone_number_ids: Vec<String>,
    outbound_phone_number_ids: Vec<String>,
    created_at: String,
    updated_at: String,
}

impl From<Agent> for AgentView {
    fn from(a: Agent) -> Self {
        let ids = |list: &[dialnexa_domain::PhoneNumberId]| {
            list.iter().map(ToString::to_string).collect::<Vec<_>>()
        };
        AgentView {
            id: a.id.to_string(),
            title: a.name.clone(),
            name: a.name,
            inbound_phone_number_id: a.inbound_numbers.first().map(ToString::to_string),
            outbound_phone_number_id: a.outbound_numbers.first().map(ToString::to_string),
            inbound_phone_number_ids: ids(&a.inbound_numbers),
            outbound_phone_number_ids: ids(&a.outbound_numbers),
            created_at: format_time(a.created_at),
            updated_at: format_time(a.updated_at),
        }
    }
}

/// `{items, total, page, limit}`, plus the spec's `agents` for clients written against it.
#[derive(Debug, Serialize, ToSchema)]
struct AgentList {
    items: Vec<AgentView>,
    agents: Vec<AgentView>,
    total: u64,
    page: u32,
    limit: u32,
}

/// Absent fields stay as they are; `null` detaches a number.
#[derive(Debug, Deserialize, ToSchema)]
struct AgentBody {
    /// Required on create (alias `title`).
    #[serde(alias = "title")]
    name: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    inbound_phone_number_id: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    outbound_phone_number_id: Option<Option<String>>,
}

impl From<AgentBody> for AgentInput {
    fn from(b: AgentBody) -> Self {
        AgentInput {
            name: b.name,
            inbound_phone_number_id: b.inbound_phone_number_id,
            outbound_phone_number_id: b.outbound_phone_number_id,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct PageQuery {
    /// Page number, from 1.
    page: Option<i64>,
    /// Page size, default 20, max 100.
    limit: Option<i64>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct DeleteQuery {
    /// Detach the agent from its numbers instead of refusing while it has any.
    #[serde(default)]
    detach: bool,
}

#[derive(Debug, Serialize, ToSchema)]
struct Deleted {
    id: String,
    deleted: bool,
}

#[utoipa::path(
    post,
    path = "/v1/agents",
    operation_id = "create_agent",
    tag = "agents",
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe: the same key and body replay the first answer.")),
    request_body = AgentBody,
    responses(
        (status = 201, description = "The new agent.", body = AgentView),
        (status = 400, description = "Bad JSON or an invalid field.", body = ErrorBody),
        (status = 401, description = "Missing or unknown API key.", body = ErrorBody),
        (status = 404, description = "No such number in this workspace.", body = ErrorBody),
        (status = 422, description = "The Idempotency-Key was used with another request.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[tracing::instrument(skip_all)]
async fn create(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiJson(body): ApiJson<AgentBody>,
) -> ApiResult<(StatusCode, Json<AgentView>)> {
    let agent = state.services.create_agent(&caller, body.into()).await?;
    Ok((StatusCode::CREATED, Json(agent.into())))
}

#[utoipa::path(
    get,
    path = "/v1/agents",
    operation_id = "list_agents",
    tag = "agents",
    params(PageQuery),
    responses(
        (status = 200, description = "A page of agents.", body = AgentList),
        (status = 400, description = "An invalid query parameter.", body = ErrorBody),
        (status = 401, description = "Missing or unknown API key.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
async fn list(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> ApiResult<Json<AgentList>> {
    let page = Page::parse(q.page, q.limit)?;
    let (agents, total) = state.services.list_agents(&caller, page).await?;
    let items: Vec<AgentView> = agents.into_iter().map(Into::into).collect();
    Ok(Json(AgentList {
        agents: items.clone(),
        items,
        total,
        page: page.page,
        limit: page.limit,
    }))
}

#[utoipa::path(
    get,
    path = "/v1/agents/{id}",
    operation_id = "get_agent",
    tag = "agents",
    params(("id" = String, Path, description = "The agent's id.")),
    responses(
        (status = 200, description = "The agent.", body = AgentView),
        (status = 401, description = "Missing or unknown API key.", body = ErrorBody),
        (status = 404, description = "No such agent in this workspace.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
async fn get_one(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
) -> ApiResult<Json<AgentView>> {
    Ok(Json(state.services.get_agent(&caller, &id).await?.into()))
}

#[utoipa::path(
    patch,
    path = "/v1/agents/{id}",
    operation_id = "update_agent",
    tag = "agents",
    params(("id" = String, Path, description = "The agent's id.")),
    request_body = AgentBody,
    responses(
        (status = 200, description = "The updated agent.", body = AgentView),
        (status = 400, description = "Bad JSON or an invalid field.", body = ErrorBody),
        (status = 401, description = "Missing or unknown API key.", body = ErrorBody),
        (status = 404, description = "No such agent or number in this workspace.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[tracing::instrument(skip_all, fields(agent = %id))]
async fn update(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<AgentBody>,
) -> ApiResult<Json<AgentView>> {
    let agent = state
        .services
        .update_agent(&caller, &id, body.into())
        .await?;
    Ok(Json(agent.into()))
}

#[utoipa::path(
    delete,
    path = "/v1/agents/{id}",
    operation_id = "delete_agent",
    tag = "agents",
    params(("id" = String, Path, description = "The agent's id."), DeleteQuery),
    responses(
        (status = 200, description = "Deleted.", body = Deleted),
        (status = 401, description = "Missing or unknown API key.", body = ErrorBody),
        (status = 404, description = "No such agent in this workspace.", body = ErrorBody),
        (status = 409, description = "Numbers still route to the agent; pass detach=true.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[tracing::instrument(skip_all, fields(agent = %id))]
async fn delete(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<DeleteQuery>,
) -> ApiResult<Json<Deleted>> {
    state.services.delete_agent(&caller, &id, q.detach).await?;
    Ok(Json(Deleted { id, deleted: true }))
}
