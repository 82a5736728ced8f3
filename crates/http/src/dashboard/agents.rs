//! Agents: list, create, rename, delete. Deleting an agent that still routes numbers is
//! refused by the service with the numbers named; the page then offers to detach them.

use super::layout::{
    FormError, Nav, TextInput, csrf_field, error_page, form_error, notice_text, page, redirect_with,
};
use super::session::{CsrfForm, Session};
use crate::AppState;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use dialnexa_service::agents::AgentInput;
use dialnexa_service::{Caller, ErrorKind, ServiceResult, Services};
use dialnexa_store::{Agent, Page};
use maud::html;
use serde::Deserialize;

/// Every agent of the workspace, for selectors and name look-ups; bounded, since a selector
/// of more than a few thousand names helps nobody.
pub async fn all_agents(services: &Services, caller: &Caller) -> ServiceResult<Vec<Agent>> {
    const PER_PAGE: u32 = 100;
    const MAX_PAGES: u32 = 20;
    let mut agents = Vec::new();
    for page in 1..=MAX_PAGES {
        let (mut batch, total) = services
            .list_agents(
                caller,
                Page {
                    page,
                    limit: PER_PAGE,
                },
            )
            .await?;
        let done =
            batch.len() < PER_PAGE as usize || agents.len() as u64 + batch.len() as u64 >= total;
        agents.append(&mut batch);
        if done {
            break;
        }
    }
    agents.sort_by_key(|a| a.name.to_lowercase());
    Ok(agents)
}

#[derive(Debug, Deserialize)]
pub struct AgentsQuery {
    notice: Option<String>,
}

/// A refused form on this page: which one (the create form, or an agent's row) and what was typed.
#[derive(Debug, Default)]
struct Refused {
    create: Option<(FormError, String)>,
    row: Option<(String, FormError, String)>,
}

async fn render(
    state: &AppState,
    session: &Session,
    notice: Option<&str>,
    refused: Refused,
    status: StatusCode,
) -> Response {
    let agents = match all_agents(&state.services, &session.caller).await {
        Ok(a) => a,
        Err(e) => return error_page(&e),
    };
    let (create_error, create_value) = match &refused.create {
        Some((e, v)) => (Some(e.message.clone()), v.clone()),
        None => (None, String::new()),
    };
    let mut name = TextInput::new("agent-name", "name", "Name", &create_value);
    name.required = true;
    name.maxlength = Some(255);
    name.hint = Some("How the agent appears in number selectors, e.g. \"Reception\".");
    name.error = create_error.as_deref();

    let body = html! {
        h1 { "Agents" }
        p.lead { "The AI agents your numbers route calls to. Pick an agent on a number's page to route its calls." }
        section aria-labelledby="create-title" {
            h2 #create-title { "Create an agent" }
            form.card.inline method="post" action="/dashboard/agents" {
                (csrf_field(session))
                (name.render())
                button.primary type="submit" { "Create agent" }
            }
        }
        section aria-labelledby="list-title" {
            h2 #list-title { "Your agents" }
            @if agents.is_empty() {
                p.empty-line { "No agents yet. Create one above, then route a number to it." }
            } @else {
                div.table-wrap role="region" aria-labelledby="agents-caption" tabindex="0" {
                    table {
                        caption #agents-caption { "Agents of this workspace" }
                        thead {
                            tr {
                                th scope="col" { "Name" }
                                th scope="col" { "Numbers" }
                                th scope="col" { "Rename" }
                                th scope="col" { "Delete" }
                            }
                        }
                        tbody {
                            @for a in &agents {
                                @let row_error = refused.row.as_ref().filter(|(id, _, _)| id == a.id.as_str());
                                @let field = format!("rename-{}", a.id);
                                @let typed = row_error.filter(|(_, e, _)| e.field == Some("name")).map(|(_, _, v)| v.clone()).unwrap_or_else(|| a.name.clone());
                                @let rename_error = row_error.filter(|(_, e, _)| e.field == Some("name")).map(|(_, e, _)| e.message.clone());
                                @let delete_error = row_error.filter(|(_, e, _)| e.field.is_none()).map(|(_, e, _)| e.clone());
                                tr {
                                    th scope="row" { (a.name) div.sub { code { (a.id) } } }
                                    td {
                                        @if a.inbound_numbers.is_empty() && a.outbound_numbers.is_empty() {
                                            span.muted { "None" }
                                        } @else {
                                            a href={ "/dashboard/numbers?agent=" (a.id) } {
                                                (a.inbound_numbers.len()) " inbound, " (a.outbound_numbers.len()) " outbound"
                                            }
                                        }
                                    }
                                    td {
                                        form.rename method="post" action={ "/dashboard/agents/" (a.id) } {
                                            (csrf_field(session))
                                            label.sr-only for=(field) { "New name for " (a.name) }
                                            input id=(field) name="name" type="text" value=(typed) required maxlength="255"
                                                aria-invalid=[rename_error.as_ref().map(|_| "true")]
                                                aria-describedby=[rename_error.as_ref().map(|_| format!("{field}-error"))];
                                            button type="submit" { "Rename" span.sr-only { " " (a.name) } }
                                            (super::layout::field_error(&field, rename_error.as_deref()))
                                        }
                                    }
                                    td {
                                        form method="post" action={ "/dashboard/agents/" (a.id) "/delete" } {
                                            (csrf_field(session))
                                            @if let Some(e) = &delete_error {
                                                (form_error(Some(&e.message)))
                                                @if e.code == "agent_in_use" {
                                                    input type="hidden" name="detach" value="true";
                                                    button.danger type="submit" { "Detach its numbers and delete" span.sr-only { " " (a.name) } }
                                                } @else {
                                                    button.danger type="submit" { "Delete" span.sr-only { " " (a.name) } }
                                                }
                                            } @else {
                                                button.danger type="submit" { "Delete" span.sr-only { " " (a.name) } }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    (
        status,
        page("Agents", Some(session), Nav::Agents, notice, body),
    )
        .into_response()
}

#[tracing::instrument(skip_all, fields(workspace = %session.caller.workspace_id))]
pub async fn list(
    State(state): State<AppState>,
    session: Session,
    Query(q): Query<AgentsQuery>,
) -> Response {
    render(
        &state,
        &session,
        notice_text(q.notice.as_deref()),
        Refused::default(),
        StatusCode::OK,
    )
    .await
}

#[tracing::instrument(skip_all)]
pub async fn create(
    State(state): State<AppState>,
    CsrfForm { session, form }: CsrfForm,
) -> Response {
    let name = form.text("name");
    let input = AgentInput {
        name: Some(name.clone()),
        ..AgentInput::default()
    };
    match state.services.create_agent(&session.caller, input).await {
        Ok(_) => redirect_with("/dashboard/agents", "agent_created"),
        Err(e) => {
            let status = super::layout::status(&e);
            let refused = Refused {
                create: Some((FormError::new(&e, Some("name")), name)),
                ..Refused::default()
            };
            render(&state, &session, None, refused, status).await
        }
    }
}

#[tracing::instrument(skip_all, fields(agent = %id))]
pub async fn rename(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm { session, form }: CsrfForm,
) -> Response {
    let name = form.text("name");
    let input = AgentInput {
        name: Some(name.clone()),
        ..AgentInput::default()
    };
    match state
        .services
        .update_agent(&session.caller, &id, input)
        .await
    {
        Ok(_) => redirect_with("/dashboard/agents", "agent_renamed"),
        Err(e) if e.kind == ErrorKind::NotFound => error_page(&e),
        Err(e) => {
            let status = super::layout::status(&e);
            let refused = Refused {
                row: Some((id, FormError::new(&e, Some("name")), name)),
                ..Refused::default()
            };
            render(&state, &session, None, refused, status).await
        }
    }
}

#[tracing::instrument(skip_all, fields(agent = %id))]
pub async fn delete(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm { session, form }: CsrfForm,
) -> Response {
    let detach = form.get("detach") == Some("true");
    match state
        .services
        .delete_agent(&session.caller, &id, detach)
        .await
    {
        Ok(()) => redirect_with("/dashboard/agents", "agent_deleted"),
        Err(e) if e.kind == ErrorKind::NotFound => error_page(&e),
        Err(e) => {
            let status = super::layout::status(&e);
            let refused = Refused {
                row: Some((id, FormError::new(&e, None), String::new())),
                ..Refused::default()
            };
            render(&state, &session, None, refused, status).await
        }
    }
}
