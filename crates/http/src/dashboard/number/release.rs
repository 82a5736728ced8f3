//! A number's release behind a confirmation that says what stops and when: routing now,
//! billing at the end of the period already paid.

use crate::AppState;
use crate::dashboard::extract::CsrfForm;
use crate::dashboard::format::{self, display_name};
use crate::dashboard::layout::{
    FormError, Nav, csrf_field, error_page, form_error, number_path, page, redirect_with, status,
};
use crate::dashboard::session::Session;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use dialnexa_domain::NumberStatus;
use dialnexa_service::{Caller, ErrorKind, PhoneNumber, ServiceResult, Services};
use maud::{Markup, html};

/// What the confirmation shows.
pub struct ReleasePage {
    pub number: PhoneNumber,
    pub is_default: bool,
    /// The name of the agent its inbound calls reach now, if any.
    pub inbound_agent: Option<String>,
    /// Why the last attempt was refused.
    pub error: Option<FormError>,
}

pub async fn load(
    services: &Services,
    caller: &Caller,
    id: &str,
    error: Option<FormError>,
) -> ServiceResult<ReleasePage> {
    let number = services.get_number(caller, id).await?;
    let workspace = services.workspace(caller).await?;
    let inbound_agent = match &number.inbound_agent_id {
        None => None,
        Some(a) => Some(
            services
                .all_agents(caller)
                .await?
                .into_iter()
                .find(|x| &x.id == a)
                .map(|x| x.name)
                .unwrap_or_else(|| a.to_string()),
        ),
    };
    Ok(ReleasePage {
        is_default: workspace.is_default(&number.id),
        number,
        inbound_agent,
        error,
    })
}

pub fn title(data: &ReleasePage) -> String {
    format!("Release {}?", display_name(&data.number))
}

pub fn view(data: &ReleasePage, session: &Session) -> Markup {
    let record = &data.number;
    let path = number_path(&record.id);
    let name = display_name(record);
    let international = record.phone_number.international();
    let is_default = data.is_default;
    let inbound = &data.inbound_agent;
    let paid_until = record.paid_until(&[]);
    let error = &data.error;
    let title = title(data);
    html! {
        p.crumbs { a href=(path) { "← " (name) } }
        h1 { (title) }
        @if record.status != NumberStatus::Active {
            p.lead { "This number is " (format::status(record.status).to_lowercase()) ", so there is nothing to release." }
            p { a href=(path) { "Back to the number" } }
        } @else {
            p.lead {
                "You are about to release " strong.nowrap { (international) }
                @if let Some(n) = &record.nickname { " (" (n) ")" }
                " from this workspace."
            }
            h2 { "What stops" }
            ul.consequences {
                li {
                    strong { "Routing stops now. " }
                    @match inbound {
                        Some(agent) => { "Calls to this number no longer reach " (agent) ", and no agent can call out from it." }
                        None => { "Calls to this number are no longer answered, and no agent can call out from it." }
                    }
                }
                @if record.provider.is_carrier() {
                    li {
                        strong { "Billing stops at the end of the paid period. " }
                        @match paid_until {
                            Some(until) => { "This month is paid until " (format::date(until)) "; nothing more is charged after that, and nothing is refunded." }
                            None => { "Nothing more is charged after the current period." }
                        }
                    }
                    li { "The number goes back to " (format::provider(record.provider)) ". Someone else may buy it, so you may not get it back." }
                } @else {
                    li { "The link to your SIP trunk is removed; the number stays yours at your own carrier." }
                }
            }
            @if is_default {
                p.warning role="note" { "This is the workspace's default number. Make another number the default, or clear the default on the number's page, before releasing it." }
            }
            form.card method="post" action={ (path) "/release" } {
                (csrf_field(session))
                (form_error(error.as_ref().map(|e| e.message.as_str())))
                div.actions {
                    button.danger type="submit" { "Release " (international) }
                    a href=(path) { "Cancel, keep the number" }
                }
            }
        }
    }
}

async fn render(
    state: &AppState,
    session: &Session,
    id: &str,
    error: Option<FormError>,
    status: StatusCode,
) -> Response {
    match load(&state.services, &session.caller, id, error).await {
        Ok(data) => (
            status,
            page(
                &title(&data),
                Some(session),
                Nav::Numbers,
                None,
                view(&data, session),
            ),
        )
            .into_response(),
        Err(e) => error_page(&e),
    }
}

#[tracing::instrument(skip_all, fields(workspace = %session.caller.workspace_id, number = %id))]
pub async fn confirm_release(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<String>,
) -> Response {
    render(&state, &session, &id, None, StatusCode::OK).await
}

#[tracing::instrument(skip_all, fields(workspace = %session.caller.workspace_id, number = %id))]
pub async fn release(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm { session, .. }: CsrfForm,
) -> Response {
    match state.services.release_number(&session.caller, &id).await {
        Ok(r) => redirect_with(&number_path(&r.id), "released"),
        Err(e) if e.kind == ErrorKind::NotFound => error_page(&e),
        Err(e) => render(&state, &session, &id, Some(FormError::new(&e)), status(&e)).await,
    }
}
