//! `/v1/agents`: the agents numbers route to, with the official spec's versions and
//! publication (`agent_views.rs` has their wire shapes).

use crate::AppState;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiQuery, Authenticated};
use crate::routes::agent_views::{AgentBody, AgentView, Deleted};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use dialnexa_service::Page;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/agents", get(list).post(create))
        .route("/v1/agents/{id}", get(get_one).patch(update).delete(delete))
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
    Ok(Json(Deleted::new(id)))
}
