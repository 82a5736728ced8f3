//! `/v1/agents`: the agents numbers route to. Bodies take the official spec's spellings
//! (`title`, `inbound_phone_number_id`, `outbound_phone_number_id`) and ignore the spec's many
//! voice and prompt settings, which this service does not own.

use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiQuery, Authenticated};
use crate::routes::lifecycle::double_option;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use dialnexa_domain::format_time;
use dialnexa_service::agents::AgentInput;
use dialnexa_store::Agent;
use serde::{Deserialize, Serialize};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/agents", get(list).post(create))
        .route("/v1/agents/{id}", get(get_one).patch(update).delete(delete))
}

#[derive(Debug, Clone, Serialize)]
pub struct AgentView {
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
#[derive(Debug, Serialize)]
struct AgentList {
    items: Vec<AgentView>,
    agents: Vec<AgentView>,
    total: u64,
    page: u32,
    limit: u32,
}

#[derive(Debug, Deserialize)]
struct AgentBody {
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

#[derive(Debug, Deserialize)]
struct PageQuery {
    page: Option<i64>,
    limit: Option<i64>,
}

#[derive(Debug, Deserialize)]
struct DeleteQuery {
    #[serde(default)]
    detach: bool,
}

#[derive(Debug, Serialize)]
struct Deleted {
    id: String,
    deleted: bool,
}

#[tracing::instrument(skip_all)]
async fn create(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiJson(body): ApiJson<AgentBody>,
) -> ApiResult<(StatusCode, Json<AgentView>)> {
    let agent = state.services.create_agent(&caller, body.into()).await?;
    Ok((StatusCode::CREATED, Json(agent.into())))
}

async fn list(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> ApiResult<Json<AgentList>> {
    let page = dialnexa_service::numbers::page(q.page, q.limit)?;
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

async fn get_one(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
) -> ApiResult<Json<AgentView>> {
    Ok(Json(state.services.get_agent(&caller, &id).await?.into()))
}

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
