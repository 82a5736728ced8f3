//! Agents: list, create, rename, delete. Deleting an agent that still routes numbers is
//! refused by the service with the numbers named; the page then offers to detach them.

use super::extract::CsrfForm;
use super::layout::NoticeQuery;
use super::layout::{
    FormError, Nav, TextInput, csrf_field, error_page, field_error, form_error, notice_text, page,
    redirect_with,
};
use super::session::Session;
use crate::AppState;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use dialnexa_service::agents::AgentInput;
use dialnexa_service::{Agent, Caller, ErrorKind, ServiceResult, Services};
use maud::{Markup, html};

/// A refused form on this page, with what was typed.
#[derive(Debug, Default)]
pub struct Refused {
    /// The create form's error and the name typed.
    pub create: Option<(FormError, String)>,
    pub row: Option<RowRefusal>,
}

/// A refused rename or delete on one agent's row.
#[derive(Debug)]
pub struct RowRefusal {
    pub agent: String,
    /// The name typed, for a rename; `None` for a delete.
    pub renamed_to: Option<String>,
    pub error: FormError,
}

/// What the agents page shows.
pub struct AgentsPage {
    pub agents: Vec<Agent>,
    pub refused: Refused,
}

pub async fn load(
    services: &Services,
    caller: &Caller,
    refused: Refused,
) -> ServiceResult<AgentsPage> {
    Ok(AgentsPage {
        agents: services.all_agents(caller).await?,
        refused,
    })
}

async fn render(
    state: &AppState,
    session: &Session,
    notice: Option<&str>,
    refused: Refused,
    status: StatusCode,
) -> Response {
    match load(&state.services, &session.caller, refused).await {
        Ok(data) => (
            status,
            page(
                "Agents",
                Some(session),
                Nav::Agents,
                notice,
                view(&data, session),
            ),
        )
            .into_response(),
        Err(e) => error_page(&e),
    }
}

pub fn view(data: &AgentsPage, session: &Session) -> Markup {
    let (create_error, create_value) = match &data.refused.create {
        Some((e, v)) => (Some(e.message.clone()), v.clone()),
        None => (None, String::new()),
    };
    let mut name = TextInput::new("agent-name", "name", "Name", &create_value);
    name.required = true;
    name.maxlength = Some(255);
    name.hint = Some("How the agent appears in number selectors, e.g. \"Reception\".");
    name.error = create_error.as_deref();

    html! {
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
            @if data.agents.is_empty() {
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
                            @for a in &data.agents {
                                @let row_error = data.refused.row.as_ref().filter(|r| r.agent == a.id.as_str());
                                @let field = format!("rename-{}", a.id);
                                @let renamed = row_error.and_then(|r| r.renamed_to.as_ref().map(|typed| (typed, &r.error)));
                                @let typed = renamed.map(|(typed, _)| typed.clone()).unwrap_or_else(|| a.name.clone());
                                @let rename_error = renamed.map(|(_, e)| e.message.clone());
                                @let delete_error = row_error.filter(|r| r.renamed_to.is_none()).map(|r| &r.error);
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
                                            (field_error(&field, rename_error.as_deref()))
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
    }
}

#[tracing::instrument(skip_all, fields(workspace = %session.caller.workspace_id))]
pub async fn list(
    State(state): State<AppState>,
    session: Session,
    Query(q): Query<NoticeQuery>,
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
            let error = FormError::new(&e);
            let status = error.status;
            let refused = Refused {
                create: Some((error, name)),
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
            let error = FormError::new(&e);
            let status = error.status;
            let refused = Refused {
                row: Some(RowRefusal {
                    agent: id,
                    renamed_to: Some(name),
                    error,
                }),
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
            let error = FormError::new(&e);
            let status = error.status;
            let refused = Refused {
                row: Some(RowRefusal {
                    agent: id,
                    renamed_to: None,
                    error,
                }),
                ..Refused::default()
            };
            render(&state, &session, None, refused, status).await
        }
    }
}
